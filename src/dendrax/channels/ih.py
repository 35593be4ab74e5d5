from typing import ClassVar

import jax.numpy as jnp
from jaxtyping import Array, Float

from .._check import Bound
from .._custom_types import FloatValues
from . import _kinetics as kin
from .base import AbstractChannel, State


class Ih(AbstractChannel):
    """Hyperpolarisation-activated cation current (Ih, HCN) of Kole, Hallermann
    & Stuart (2006), J Neurosci 26:1677–1687, as in Hay et al. (2011)'s Ih.mod.

    `i = gIh m (v - eIh)`, `m' = (m_∞ - m) / τ`, rates (1/ms):
    `α = 0.00643 (v + 154.9) / (exp((v + 154.9) / 11.9) - 1)`,
    `β = 0.193 exp(v / 33.1)`, `m_∞ = α / (α + β)`, `τ = 1 / (α + β)`. No
    temperature dependence. Exponential Euler (cnexp). A mixed Na/K current,
    carried by no ion pool.

    **Parameters:** `gIh` (S/cm², default 1e-4), `eIh` (mV, -45).
    **States:** `m`. **Currents:** `ih`.
    """

    gIh: FloatValues = 1e-4
    eIh: FloatValues = -45.0
    bounds: ClassVar[dict[str, Bound]] = {"gIh": "nonnegative"}

    def _inf_tau(self, v):
        a = 0.001 * 6.43 * kin.vtrap(v + 154.9, 11.9)
        b = 0.001 * 193.0 * jnp.exp(v / 33.1)
        return a / (a + b), 1.0 / (a + b)

    def init_state(self, v: Float[Array, " n"]) -> State:
        return {"m": self._inf_tau(v)[0]}

    def time_constants(self, v: Float[Array, "..."]) -> dict[str, Float[Array, "..."]]:
        return {"m": self._inf_tau(v)[1]}

    def update_state(self, state: State, v: Float[Array, " n"], dt: float) -> State:
        return {"m": kin.relax(state["m"], *self._inf_tau(v), dt)}

    def currents(
        self, state: State, v: Float[Array, " n"]
    ) -> dict[str, Float[Array, " n"]]:
        return {"ih": self.current(state, v)}

    def current(self, state: State, v: Float[Array, " n"]) -> Float[Array, " n"]:
        return self.gIh * state["m"] * (v - self.eIh)
