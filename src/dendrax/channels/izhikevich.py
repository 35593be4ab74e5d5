import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._custom_types import FloatValues
from .._spike import heaviside
from .base import AbstractSpiking, State


class Izhikevich(AbstractSpiking):
    """Izhikevich's (2003) simple model for a single compartment.

        dv/dt = 0.04 v² + 5 v + 140 - u + I,   du/dt = a (b v - u)
        if v >= v_peak:  v <- c,  u <- u + d

    in mV and ms. The current density is `-1e-3 (0.04 v² + 5 v + 140 - u)`
    mA/cm², so that with the compartment's capacitance at its default 1 µF/cm²
    the equations are exactly Izhikevich's; his input `I` (mV/ms) is a current
    of `I * 1e-5 * area` nA (area in µm²). `u` advances by exponential Euler at
    the new `v`. The defaults are his regular-spiking cell.

    **Parameters:** `a` (1/ms, 0.02), `b` (dimensionless, 0.2), `c` (mV,
    -65), `d` (mV/ms, 8), `v_peak` (mV, 30). **State:** `u` (mV/ms).
    """

    a: FloatValues = 0.02
    b: FloatValues = 0.2
    c: FloatValues = -65.0
    d: FloatValues = 8.0
    v_peak: FloatValues = 30.0
    slope: float = eqx.field(static=True, default=1.0)

    def init_state(self, v: Float[Array, " n"]) -> State:
        return {"u": self.b * v}

    def update_state(self, state: State, v: Float[Array, " n"], dt: float) -> State:
        u_inf = self.b * jnp.minimum(v, self.v_peak)  # v may overshoot the peak
        return {"u": u_inf + (state["u"] - u_inf) * jnp.exp(-self.a * dt)}

    def current(self, state: State, v: Float[Array, " n"]) -> Float[Array, " n"]:
        return -1e-3 * (0.04 * v**2 + 5.0 * v + 140.0 - state["u"])

    def fire(self, state, v_before, v, dt):
        spike = heaviside(v - self.v_peak, self.slope)
        fired = jax.lax.stop_gradient(spike)  # detached reset (see LIF)
        v = v + fired * (self.c - v)
        return {"u": state["u"] + fired * self.d}, v, spike
