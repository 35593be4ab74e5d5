from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._check import Bound
from .._custom_types import FloatValues
from .._spike import heaviside
from .base import AbstractSpiking, State


class LIF(AbstractSpiking):
    """Leaky integrate-and-fire dynamics for a single compartment.

    The membrane follows `C dv/dt = -g_leak (v - e_leak) + I`. When `v` reaches
    `v_th` at the end of a step the cell spikes, `v` is set to `v_reset` and held
    there for `t_ref` ms (synaptic conductances keep evolving meanwhile, as in
    Brian's `unless refractory`). With the default 1 µF/cm² capacitance the
    membrane time constant is `1e-3 / g_leak` ms = 20 ms.

    **Parameters:** `g_leak` (S/cm², default 5e-5), `e_leak` (mV, -60), `v_th`
    (mV, -50), `v_reset` (mV, -60), `t_ref` (ms, 5). `slope` (static, 1/mV) sets
    the surrogate gradient of the spike. **State:** `refractory` (ms left).
    """

    g_leak: FloatValues = 5e-5
    e_leak: FloatValues = -60.0
    v_th: FloatValues = -50.0
    v_reset: FloatValues = -60.0
    t_ref: FloatValues = 5.0
    slope: float = eqx.field(static=True, default=1.0)
    bounds: ClassVar[dict[str, Bound]] = {"g_leak": "positive", "t_ref": "nonnegative"}

    def init_state(self, v: Float[Array, " n"]) -> State:
        return {"refractory": jnp.zeros_like(v)}

    def update_state(self, state: State, v: Float[Array, " n"], dt: float) -> State:
        return state

    def current(self, state: State, v: Float[Array, " n"]) -> Float[Array, " n"]:
        return self.g_leak * (v - self.e_leak)

    def fire(self, state, v_before, v, dt):
        left = state["refractory"]
        # Refractory during this whole step if time was left at its start (half a
        # step of slack absorbs rounding in the countdown).
        held = left > 0.5 * dt
        spike = heaviside(v - self.v_th, self.slope) * jnp.where(held, 0.0, 1.0)
        # The reset uses the spike's value only (a detached reset, as in
        # SpyTorch): below threshold, gradients are then exact.
        fired = jax.lax.stop_gradient(spike)
        v = jnp.where(held, self.v_reset, v + fired * (self.v_reset - v))
        left = jnp.where(spike > 0, self.t_ref, jnp.maximum(left - dt, 0.0))
        return {"refractory": left}, v, spike
