from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._check import Bound
from .._custom_types import FloatValues
from .base import AbstractIonPool, State
from .ions import FARADAY, nernst


class CaPool(AbstractIonPool):
    """Intracellular Ca in a thin shell under the membrane, with first-order
    removal: the `cad` of Mainen & Sejnowski (1996) (ModelDB 2488, cad.mod),
    which is Destexhe's `cadecay` (Destexhe et al. 1993) without its pump
    (`kt = 0`; with Pospischil et al. 2008's LTS values `depth = 1`,
    `taur = 5`, `cainf = 2.4e-4`).

    `cai' = drive + (cainf - cai) / taur`, where
    `drive = max(-1e4 ica / (2 F depth), 0)` mM/ms (inward Ca current fills the
    shell; an outward one does not empty it), `ica` (mA/cm²) being the sum of
    the Ca currents (parts named `ica`) of the channels at the compartment at
    the start of the step. It provides `cai`, `cao` (fixed) and
    `eca = nernst(cai, cao, 2, temperature)` to the channels that read them.

    `implicit=True` (default) advances as the .mod's `METHOD derivimplicit`
    does in NEURON: by backward Euler under implicit Euler; under
    Crank–Nicolson (`h.secondorder = 2`) by a backward-Euler half step
    followed by an explicit half step from its value (the midpoint rule),
    channels then reading the half step's value, as `cai = ca` is assigned
    in the .mod's DERIVATIVE block. `implicit=False` advances by the exact
    exponential at a fixed drive, as `METHOD cnexp`.

    **Parameters:** `depth` (µm, default 0.1), `taur` (ms, 200), `cainf` (mM,
    1e-4), `cao` (mM, 2, NEURON's default), `temperature` (°C, 37, for
    Nernst). **States:** `ca`, the integrated concentration, and `cai`, the
    one channels read (mM; equal but under Crank–Nicolson with
    `implicit=True`; both start at `cainf`).
    """

    depth: FloatValues = 0.1
    taur: FloatValues = 200.0
    cainf: FloatValues = 1e-4
    cao: FloatValues = 2.0
    temperature: FloatValues = 37.0
    implicit: bool = eqx.field(static=True, default=True)
    ion: ClassVar[str] = "ca"
    valence: ClassVar[int] = 2
    bounds: ClassVar[dict[str, Bound]] = {
        "depth": "positive",
        "taur": "positive",
        "cainf": "positive",
        "cao": "positive",
    }

    def init_state(self, v: Float[Array, " n"]) -> State:
        ca = jnp.zeros_like(v) + self.cainf
        return {"ca": ca, "cai": ca}

    def time_constants(self, v: Float[Array, "..."]) -> dict[str, Float[Array, "..."]]:
        return {"cai": jnp.zeros_like(v) + self.taur}

    def update_state(self, state: State, v: Float[Array, " n"], dt: float) -> State:
        ca, theta = state["ca"], state.get("theta", 1.0)
        drive = jnp.maximum(-1e4 * state["ica"] / (2.0 * FARADAY * self.depth), 0.0)
        if not self.implicit:
            target = self.cainf + self.taur * drive
            new = ca + (1.0 - jnp.exp(-dt / self.taur)) * (target - ca)
            return {"ca": new, "cai": new}
        h = theta * dt  # the implicit part: all of the step, or half of it
        half = (ca + h * (drive + self.cainf / self.taur)) / (1.0 + h / self.taur)
        new = half + (dt - h) * (drive + (self.cainf - half) / self.taur)
        return {"ca": new, "cai": half}

    def values(self, state: State) -> dict[str, Float[Array, " n"]]:
        cai = state["cai"]
        cao = jnp.zeros_like(cai) + self.cao
        return {
            "cai": cai,
            "cao": cao,
            "eca": nernst(cai, cao, self.valence, self.temperature),
        }
