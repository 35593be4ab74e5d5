from typing import ClassVar

from jaxtyping import Array, Float

from .._check import Bound
from .._custom_types import FloatValues
from . import _rates as r
from .base import AbstractChannel, State


class HH(AbstractChannel):
    """Hodgkin–Huxley sodium, potassium and leak currents (NEURON's `hh`).

    Rates are those of hh.mod, computed exactly (NEURON's `usetable_hh = 0`),
    scaled by `q10 = 3 ** ((temperature - 6.3) / 10)`. States `m`, `h`, `n` are
    advanced by exponential Euler (NEURON's `cnexp`).

    **Parameters:** `gNa`, `gK`, `gLeak` (S/cm²), `eNa`, `eK`, `eLeak` (mV),
    `temperature` (°C). **States:** `m`, `h`, `n`. **Currents:** `i` (the
    total), `ina`, `ik`, `il` (record them as e.g. `dx.Record("HH.ina")`).
    """

    gNa: FloatValues = 0.12
    gK: FloatValues = 0.036
    gLeak: FloatValues = 0.0003
    eNa: FloatValues = 50.0
    eK: FloatValues = -77.0
    eLeak: FloatValues = -54.3
    temperature: FloatValues = 6.3
    bounds: ClassVar[dict[str, Bound]] = {
        "gNa": "nonnegative",
        "gK": "nonnegative",
        "gLeak": "nonnegative",
    }

    def init_state(self, v: Float[Array, " n"]) -> State:
        return {
            "m": r.steady(r.m_rates, v),
            "h": r.steady(r.h_rates, v),
            "n": r.steady(r.n_rates, v),
        }

    def time_constants(self, v: Float[Array, "..."]) -> dict[str, Float[Array, "..."]]:
        phi = r.q10(self.temperature)
        return {
            "m": r.tau(r.m_rates, v, phi),
            "h": r.tau(r.h_rates, v, phi),
            "n": r.tau(r.n_rates, v, phi),
        }

    def update_state(self, state: State, v: Float[Array, " n"], dt: float) -> State:
        phi = r.q10(self.temperature)
        return {
            "m": r.exp_euler(state["m"], r.m_rates, v, dt, phi),
            "h": r.exp_euler(state["h"], r.h_rates, v, dt, phi),
            "n": r.exp_euler(state["n"], r.n_rates, v, dt, phi),
        }

    def currents(
        self, state: State, v: Float[Array, " n"]
    ) -> dict[str, Float[Array, " n"]]:
        m, h, n = state["m"], state["h"], state["n"]
        return {
            "ina": self.gNa * m**3 * h * (v - self.eNa),
            "ik": self.gK * n**4 * (v - self.eK),
            "il": self.gLeak * (v - self.eLeak),
        }

    def current(self, state: State, v: Float[Array, " n"]) -> Float[Array, " n"]:
        parts = self.currents(state, v)
        return parts["ina"] + parts["ik"] + parts["il"]
