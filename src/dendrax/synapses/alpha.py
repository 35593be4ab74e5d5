from typing import ClassVar

import jax.numpy as jnp
from jaxtyping import Array, Float

from .._check import Bound
from .base import State, SynapseValues
from .event import AbstractEventSynapse


class Alpha(AbstractEventSynapse):
    """Conductance-based alpha synapse: a spike at time 0 gives
    `g(t) = weight (t / tau) exp(1 - t / tau)`, peaking at `weight` when
    `t = tau`.

    Integrated exactly as two linear states, `z` (jumps by `weight e / tau`) and
    `g`: `dz/dt = -z / tau`, `dg/dt = z - g / tau`.

    **Parameters:** `weight` (µS, the peak conductance, per edge), `tau` (ms),
    `e_syn` (mV). **States:** `g` (µS), `z` (µS/ms).
    """

    weight: SynapseValues = 1e-3
    tau: SynapseValues = 2.0
    e_syn: SynapseValues = 0.0
    bounds: ClassVar[dict[str, Bound]] = {"tau": "positive"}

    def init_state(self, v_post: Float[Array, " target"]) -> State:
        return {"g": jnp.zeros_like(v_post), "z": jnp.zeros_like(v_post)}

    def update_state(self, state, input, dt):
        decay = jnp.exp(-dt / self.tau)
        g = (state["g"] + dt * state["z"]) * decay
        z = state["z"] * decay + input * jnp.e / self.tau
        return {"g": g, "z": z}

    def current(self, state, v_post):
        return state["g"] * (v_post - self.e_syn)
