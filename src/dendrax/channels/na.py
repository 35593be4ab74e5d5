from typing import ClassVar

from jaxtyping import Array, Float

from .._check import Bound
from .._custom_types import FloatValues
from . import _rates as r
from .base import AbstractChannel, State


class Na(AbstractChannel):
    """The sodium current of `HH` alone (states `m`, `h`; its current, `i`,
    is also recordable as `ina`).

    **Parameters:** `gNa` (S/cm²), `eNa` (mV), `temperature` (°C).
    """

    gNa: FloatValues = 0.12
    eNa: FloatValues = 50.0
    temperature: FloatValues = 6.3
    bounds: ClassVar[dict[str, Bound]] = {"gNa": "nonnegative"}

    def init_state(self, v: Float[Array, " n"]) -> State:
        return {"m": r.steady(r.m_rates, v), "h": r.steady(r.h_rates, v)}

    def time_constants(self, v: Float[Array, "..."]) -> dict[str, Float[Array, "..."]]:
        phi = r.q10(self.temperature)
        return {
            "m": r.tau(r.m_rates, v, phi),
            "h": r.tau(r.h_rates, v, phi),
        }

    def update_state(self, state: State, v: Float[Array, " n"], dt: float) -> State:
        phi = r.q10(self.temperature)
        return {
            "m": r.exp_euler(state["m"], r.m_rates, v, dt, phi),
            "h": r.exp_euler(state["h"], r.h_rates, v, dt, phi),
        }

    def currents(
        self, state: State, v: Float[Array, " n"]
    ) -> dict[str, Float[Array, " n"]]:
        return {"ina": self.current(state, v)}

    def current(self, state: State, v: Float[Array, " n"]) -> Float[Array, " n"]:
        return self.gNa * state["m"] ** 3 * state["h"] * (v - self.eNa)
