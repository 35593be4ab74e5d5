from typing import ClassVar

from jaxtyping import Array, Float

from .._check import Bound
from .._custom_types import FloatValues
from .base import AbstractChannel, State


class Leak(AbstractChannel):
    """The leak current of `HH` alone: `gLeak * (v - eLeak)`.

    **Parameters:** `gLeak` (S/cm², default 3e-4), `eLeak` (mV, default -54.3).
    """

    gLeak: FloatValues = 0.0003
    eLeak: FloatValues = -54.3
    bounds: ClassVar[dict[str, Bound]] = {"gLeak": "nonnegative"}

    def init_state(self, v: Float[Array, " n"]) -> State:
        return {}

    def update_state(self, state: State, v: Float[Array, " n"], dt: float) -> State:
        return state

    def current(self, state: State, v: Float[Array, " n"]) -> Float[Array, " n"]:
        return self.gLeak * (v - self.eLeak)
