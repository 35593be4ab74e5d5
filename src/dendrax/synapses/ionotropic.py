from typing import ClassVar

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._check import Bound
from .base import AbstractSynapse, State, SynapseValues


class Ionotropic(AbstractSynapse):
    """Graded chemical synapse of Abbott and Marder (1998).

    The open fraction `s` relaxes towards `s_inf(v_pre)`, a sigmoid of the
    presynaptic potential, with time constant `(1 - s_inf) / k_minus`:

        s_inf = 1 / (1 + exp((v_th - v_pre) / delta))
        ds/dt = (s_inf - s) k_minus / (1 - s_inf)

    integrated exactly for a step of constant `v_pre` (exponential Euler). The
    current is `gS * s * (v_post - e_syn)`.

    **Parameters:** `gS` (µS), `e_syn` (mV), `k_minus` (1/ms), `v_th` (mV),
    `delta` (mV). **State:** `s` (starts at 0), shared by the edges with one
    presynaptic compartment and the same tie groups of `k_minus`, `v_th` and
    `delta` (see `presynaptic`).
    """

    presynaptic = ("k_minus", "v_th", "delta")  # `s` follows v_pre alone

    gS: SynapseValues = 1e-4
    e_syn: SynapseValues = 0.0
    k_minus: SynapseValues = 0.025
    v_th: SynapseValues = -35.0
    delta: SynapseValues = 10.0
    # gS is left signed: it is trained as a weight (see the weights tutorial).
    bounds: ClassVar[dict[str, Bound]] = {
        "k_minus": "positive",
        "delta": "positive",
    }

    def init_state(
        self, v_pre: Float[Array, " edge"], v_post: Float[Array, " edge"]
    ) -> State:
        return {"s": jnp.zeros_like(v_pre)}

    def update_state(
        self,
        state: State,
        v_pre: Float[Array, " edge"],
        v_post: Float[Array, " edge"],
        dt: float,
    ) -> State:
        x = (v_pre - self.v_th) / self.delta
        s_inf = jax.nn.sigmoid(x)
        # 1 - s_inf computed as sigmoid(-x) stays accurate (and nonzero) when the
        # synapse is fully driven.
        decay = jnp.exp(-dt * self.k_minus / jax.nn.sigmoid(-x))
        return {"s": s_inf + (state["s"] - s_inf) * decay}

    def current(
        self, state: State, v_pre: Float[Array, " edge"], v_post: Float[Array, " edge"]
    ) -> Float[Array, " edge"]:
        return self.gS * state["s"] * (v_post - self.e_syn)
