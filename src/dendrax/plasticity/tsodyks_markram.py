from typing import ClassVar

import jax.numpy as jnp

from .._check import Bound
from .._custom_types import FloatValues
from .base import AbstractPlasticity


class TsodyksMarkram(AbstractPlasticity):
    """Short-term depression and facilitation (Tsodyks, Pawelzik and Markram
    1998; Markram, Wang and Tsodyks 1998).

    Per edge, the facilitation variable `u` decays to 0 with `tau_f` and the
    available resources `x` recover to 1 with `tau_d`. When a spike arrives,
    first `u <- u + U (1 - u)`, then the spike transmits `weight u x` and
    `x <- x - u x`; the first spike after a long pause transmits `weight U`.
    Between spikes both relax exactly (exponentials).

    **Parameters:** `U` (0.5), `tau_d` (ms, 200), `tau_f` (ms, 50).
    **States:** `u`, `x`.
    """

    U: FloatValues = 0.5
    tau_d: FloatValues = 200.0
    tau_f: FloatValues = 50.0
    bounds: ClassVar[dict[str, Bound]] = {
        "U": "unit",
        "tau_d": "positive",
        "tau_f": "positive",
    }

    def init(self, weight):
        return {"u": jnp.zeros_like(weight), "x": jnp.ones_like(weight)}

    def update(self, state, weight, pre, post, dt):
        u = state["u"] * jnp.exp(-dt / self.tau_f)
        x = 1.0 + (state["x"] - 1.0) * jnp.exp(-dt / self.tau_d)
        u = u + pre * self.U * (1.0 - u)
        release = u * x
        return {"u": u, "x": x - pre * release}, weight * release
