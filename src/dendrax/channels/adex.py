from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._check import Bound
from .._custom_types import FloatValues
from .._spike import heaviside
from .base import AbstractSpiking, State


class AdEx(AbstractSpiking):
    """Adaptive exponential integrate-and-fire (Brette and Gerstner 2005).

        C dv/dt = -g_leak (v - e_leak) + g_leak delta_t exp((v - v_t) / delta_t)
                  - w + I
        tau_w dw/dt = a (v - e_leak) - w
        if v >= v_peak:  v <- v_reset,  w <- w + b

    as densities: conductances in S/cm², `w` and `b` in mA/cm². The defaults are
    Brette and Gerstner's cell (C = 281 pF, g_L = 30 nS, a = 4 nS, b = 0.0805 nA)
    divided by its area, for the default 1 µF/cm² capacitance. The exponential
    and the adaptation drive are evaluated at `min(v, v_peak)`, so a step
    overshooting the peak stays finite. `w` advances by exponential Euler at the
    new `v`.

    **Parameters:** `g_leak` (S/cm²), `e_leak` (mV), `v_t` (mV), `delta_t` (mV),
    `a` (S/cm²), `tau_w` (ms), `b` (mA/cm²), `v_reset` (mV), `v_peak` (mV).
    **State:** `w` (mA/cm²).
    """

    g_leak: FloatValues = 30.0 / 281.0 * 1e-3
    e_leak: FloatValues = -70.6
    v_t: FloatValues = -50.4
    delta_t: FloatValues = 2.0
    a: FloatValues = 4.0 / 281.0 * 1e-3
    tau_w: FloatValues = 144.0
    b: FloatValues = 0.0805 / 281.0
    v_reset: FloatValues = -70.6
    v_peak: FloatValues = 20.0
    slope: float = eqx.field(static=True, default=1.0)
    bounds: ClassVar[dict[str, Bound]] = {
        "g_leak": "positive",
        "delta_t": "positive",
        "tau_w": "positive",
    }

    def init_state(self, v: Float[Array, " n"]) -> State:
        return {"w": self.a * (v - self.e_leak)}

    def update_state(self, state: State, v: Float[Array, " n"], dt: float) -> State:
        # v can overshoot far past v_peak in the step that spikes; adaptation
        # sees at most the peak.
        w_inf = self.a * (jnp.minimum(v, self.v_peak) - self.e_leak)
        return {"w": w_inf + (state["w"] - w_inf) * jnp.exp(-dt / self.tau_w)}

    def current(self, state: State, v: Float[Array, " n"]) -> Float[Array, " n"]:
        vc = jnp.minimum(v, self.v_peak)
        spike_current = (
            self.g_leak * self.delta_t * jnp.exp((vc - self.v_t) / self.delta_t)
        )
        return self.g_leak * (v - self.e_leak) - spike_current + state["w"]

    def fire(self, state, v_before, v, dt):
        spike = heaviside(v - self.v_peak, self.slope)
        fired = jax.lax.stop_gradient(spike)  # detached reset (see LIF)
        v = v + fired * (self.v_reset - v)
        return {"w": state["w"] + fired * self.b}, v, spike
