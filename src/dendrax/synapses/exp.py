from typing import ClassVar

import jax.numpy as jnp
from jaxtyping import Array, Float

from .._check import Bound
from .base import State, SynapseValues
from .event import AbstractEventSynapse


class Exp(AbstractEventSynapse):
    """Conductance-based exponential synapse (NEURON's `ExpSyn`).

    Each arriving spike adds its `weight` (µS) to the conductance `g`, which
    decays with time constant `tau`; the current is `g (v - e_syn)`. The decay
    is exact for any `dt`.

    **Parameters:** `weight` (µS, per edge), `tau` (ms), `e_syn` (mV).
    **State:** `g` (µS).
    """

    weight: SynapseValues = 1e-3
    tau: SynapseValues = 5.0
    e_syn: SynapseValues = 0.0
    bounds: ClassVar[dict[str, Bound]] = {"tau": "positive"}

    def init_state(self, v_post: Float[Array, " target"]) -> State:
        return {"g": jnp.zeros_like(v_post)}

    def update_state(self, state, input, dt):
        return {"g": state["g"] * jnp.exp(-dt / self.tau) + input}

    def current(self, state, v_post):
        return state["g"] * (v_post - self.e_syn)


class ExpCurrent(AbstractEventSynapse):
    """Current-based exponential synapse.

    Each arriving spike adds its `weight` (nA; positive depolarises) to the
    synaptic current `i_syn`, which decays with time constant `tau`.

    **Parameters:** `weight` (nA, per edge), `tau` (ms). **State:** `i_syn`
    (nA, inward positive; `dx.Record("ExpCurrent.i")`, like every current,
    is outward positive: `-i_syn`).
    """

    weight: SynapseValues = 1e-2
    tau: SynapseValues = 5.0
    bounds: ClassVar[dict[str, Bound]] = {"tau": "positive"}

    def init_state(self, v_post: Float[Array, " target"]) -> State:
        return {"i_syn": jnp.zeros_like(v_post)}

    def update_state(self, state, input, dt):
        return {"i_syn": state["i_syn"] * jnp.exp(-dt / self.tau) + input}

    def current(self, state, v_post):
        return -state["i_syn"]
