import jax.numpy as jnp
from jaxtyping import Array, Float

from .base import AbstractSynapse, State, SynapseValues


class TanhRate(AbstractSynapse):
    """A stateless rate synapse: the presynaptic potential, squashed, drives a
    current into the postsynaptic compartment,

        i = -gS * tanh(slope * (v_pre - x_offset))

    (outward positive, so `gS > 0` depolarises when `v_pre > x_offset`).

    **Parameters:** `gS` (nA), `x_offset` (mV), `slope` (1/mV).
    """

    gS: SynapseValues = 1e-4
    x_offset: SynapseValues = -70.0
    slope: SynapseValues = 1.0

    def init_state(
        self, v_pre: Float[Array, " edge"], v_post: Float[Array, " edge"]
    ) -> State:
        return {}

    def update_state(
        self,
        state: State,
        v_pre: Float[Array, " edge"],
        v_post: Float[Array, " edge"],
        dt: float,
    ) -> State:
        return state

    def current(
        self, state: State, v_pre: Float[Array, " edge"], v_post: Float[Array, " edge"]
    ) -> Float[Array, " edge"]:
        return -self.gS * jnp.tanh(self.slope * (v_pre - self.x_offset))
