from typing import ClassVar

import jax.numpy as jnp
from jaxtyping import Array, Float

from .._check import Bound
from .._custom_types import FloatValues
from . import _kinetics as kin
from .base import AbstractChannel, State
from .ions import DEFAULTS, FARADAY, GAS_CONSTANT


class BK(AbstractChannel):
    """Large-conductance Ca- and voltage-activated K channel (BK), after
    Moczydlowski & Latorre (1983), J Gen Physiol 82:511–542 (their channel A),
    in the form of NEURON's cagk.mod.

    `i = gK o (v - eK)`, `o' = (o_∞ - o) / τ`, `o_∞ = α τ`, `τ = 1 / (α + β)`,

    - `α = abar cai / (cai + k1 exp(-2 d1 F v / (R T)))`,
    - `β = bbar / (1 + cai / (k2 exp(-2 d2 F v / (R T))))`,

    `T = temperature + 273.15` K, F and R as NEURON's. Exponential Euler
    (cnexp). Reads `cai` (mM): from the Ca pool at the compartment (e.g.
    `CaPool`), else NEURON's default 5e-5.

    **Parameters:** `gK` (S/cm², default 0.01), `eK` (mV, -90), `d1` (0.84),
    `d2` (1), `k1` (mM, 0.18), `k2` (mM, 0.011), `abar` (0.48/ms), `bbar`
    (0.28/ms), `temperature` (°C, 20, as noted in cagk.mod). **States:** `o`.
    **Reads:** `cai`. **Currents:** `ik`.
    """

    gK: FloatValues = 0.01
    eK: FloatValues = -90.0
    d1: FloatValues = 0.84
    d2: FloatValues = 1.0
    k1: FloatValues = 0.18
    k2: FloatValues = 0.011
    abar: FloatValues = 0.48
    bbar: FloatValues = 0.28
    temperature: FloatValues = 20.0
    ions: ClassVar[tuple[str, ...]] = ("cai",)
    bounds: ClassVar[dict[str, Bound]] = {
        "gK": "nonnegative",
        "k1": "positive",
        "k2": "positive",
    }

    def _inf_tau(self, v, cai):
        # F in kC/mol times mV is J/mol, as cagk.mod's units.
        f = 2.0 * (FARADAY * 1e-3) * v / GAS_CONSTANT / (273.15 + self.temperature)
        a = cai * self.abar / (cai + self.k1 * jnp.exp(-self.d1 * f))
        b = self.bbar / (1.0 + cai / (self.k2 * jnp.exp(-self.d2 * f)))
        tau = 1.0 / (a + b)
        return a * tau, tau

    def init_state(
        self, v: Float[Array, " n"], ions: dict[str, Float[Array, " n"]]
    ) -> State:
        return {"o": self._inf_tau(v, ions["cai"])[0]}

    def time_constants(self, v: Float[Array, "..."]) -> dict[str, Float[Array, "..."]]:
        """At NEURON's default `cai` (5e-5 mM)."""
        return {"o": self._inf_tau(v, DEFAULTS["cai"])[1]}

    def update_state(self, state: State, v: Float[Array, " n"], dt: float) -> State:
        return {"o": kin.relax(state["o"], *self._inf_tau(v, state["cai"]), dt)}

    def currents(
        self, state: State, v: Float[Array, " n"]
    ) -> dict[str, Float[Array, " n"]]:
        return {"ik": self.current(state, v)}

    def current(self, state: State, v: Float[Array, " n"]) -> Float[Array, " n"]:
        return self.gK * state["o"] * (v - self.eK)
