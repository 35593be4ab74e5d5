from typing import ClassVar

import jax.numpy as jnp

from .._check import Bound
from .._custom_types import FloatValues
from .base import AbstractPlasticity


class STDP(AbstractPlasticity):
    """Pair-based additive STDP with bounded weights (Song, Miller and Abbott
    2000).

    For one presynaptic spike arriving at `t_pre` and one postsynaptic spike at
    `t_post`, with `Δ = t_post - t_pre`, the weight changes by

        +a_plus  w_max exp(-Δ / tau_plus)    if Δ > 0 (pre before post),
        -a_minus w_max exp( Δ / tau_minus)   if Δ < 0 (post before pre),

    and stays in `[0, w_max]`. Pairs add up (all-to-all interaction), computed
    with two exponentially decaying traces per edge. Spikes in the same step do
    not interact. An arriving spike transmits the weight from before its own
    update, as in Brian's `on_pre`.

    **Parameters:** `a_plus` (0.005), `a_minus` (0.00525, Song et al.'s
    `1.05 a_plus`), `tau_plus`, `tau_minus` (ms, 20), `w_max` (the weight's unit).
    **States:** `weight`, `x_pre`, `y_post`.
    """

    a_plus: FloatValues = 0.005
    a_minus: FloatValues = 0.00525
    tau_plus: FloatValues = 20.0
    tau_minus: FloatValues = 20.0
    w_max: FloatValues = 1e-2
    bounds: ClassVar[dict[str, Bound]] = {
        "tau_plus": "positive",
        "tau_minus": "positive",
    }

    def init(self, weight):
        zero = jnp.zeros_like(weight)
        return {"weight": weight, "x_pre": zero, "y_post": zero}

    def update(self, state, weight, pre, post, dt):
        x = state["x_pre"] * jnp.exp(-dt / self.tau_plus)
        y = state["y_post"] * jnp.exp(-dt / self.tau_minus)
        w = state["weight"]
        dw = self.w_max * (self.a_plus * x * post - self.a_minus * y * pre)
        new = {
            "weight": jnp.clip(w + dw, 0.0, self.w_max),
            "x_pre": x + pre,
            "y_post": y + post,
        }
        return new, w
