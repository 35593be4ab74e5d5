from typing import ClassVar

from jaxtyping import Array, Float

from .._check import Bound
from .._custom_types import FloatValues
from .base import AbstractChannel, State


class Passive(AbstractChannel):
    """NEURON's `pas`: `g * (v - e)`.

    **Parameters:** `g` (S/cm², default 1e-3), `e` (mV, default -70).
    """

    g: FloatValues = 0.001
    e: FloatValues = -70.0
    bounds: ClassVar[dict[str, Bound]] = {"g": "nonnegative"}

    def init_state(self, v: Float[Array, " n"]) -> State:
        return {}

    def update_state(self, state: State, v: Float[Array, " n"], dt: float) -> State:
        return state

    def current(self, state: State, v: Float[Array, " n"]) -> Float[Array, " n"]:
        return self.g * (v - self.e)
