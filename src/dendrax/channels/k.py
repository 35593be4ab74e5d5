from typing import ClassVar

from jaxtyping import Array, Float

from .._check import Bound
from .._custom_types import FloatValues
from . import _rates as r
from .base import AbstractChannel, State


class K(AbstractChannel):
    """The delayed-rectifier potassium current of `HH` alone (state `n`; its
    current, `i`, is also recordable as `ik`).

    **Parameters:** `gK` (S/cm²), `eK` (mV), `temperature` (°C).
    """

    gK: FloatValues = 0.036
    eK: FloatValues = -77.0
    temperature: FloatValues = 6.3
    bounds: ClassVar[dict[str, Bound]] = {"gK": "nonnegative"}

    def init_state(self, v: Float[Array, " n"]) -> State:
        return {"n": r.steady(r.n_rates, v)}

    def time_constants(self, v: Float[Array, "..."]) -> dict[str, Float[Array, "..."]]:
        phi = r.q10(self.temperature)
        return {
            "n": r.tau(r.n_rates, v, phi),
        }

    def update_state(self, state: State, v: Float[Array, " n"], dt: float) -> State:
        return {"n": r.exp_euler(state["n"], r.n_rates, v, dt, r.q10(self.temperature))}

    def currents(
        self, state: State, v: Float[Array, " n"]
    ) -> dict[str, Float[Array, " n"]]:
        return {"ik": self.current(state, v)}

    def current(self, state: State, v: Float[Array, " n"]) -> Float[Array, " n"]:
        return self.gK * state["n"] ** 4 * (v - self.eK)
