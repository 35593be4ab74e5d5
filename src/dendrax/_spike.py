"""`heaviside`: the spike nonlinearity with a surrogate derivative."""

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float


@jax.custom_jvp
def _step(x, slope):
    return (x >= 0).astype(jnp.result_type(x, float))


@_step.defjvp
def _step_jvp(primals, tangents):
    x, slope = primals
    dx, _ = tangents
    # SuperSpike's fast sigmoid (Zenke & Ganguli 2018): 1 / (1 + slope |x|)^2.
    # The slope is a hyperparameter of training, so no gradient flows into it.
    return _step(x, slope), dx / (1.0 + slope * jnp.abs(x)) ** 2


def heaviside(
    x: Float[ArrayLike, "*shape"], slope: float = 1.0
) -> Float[Array, "*shape"]:
    """`1.0` where `x >= 0`, else `0.0`, with a surrogate derivative.

    The forward value is the exact step, so simulations are unchanged. Its
    derivative is replaced by SuperSpike's fast sigmoid `1 / (1 + slope |x|)²`
    (Zenke and Ganguli 2018), so gradients flow through spike times and counts.
    Every built-in spiking mechanism uses it; use it in your own.

    **Arguments:**

    - `x`: distance above threshold (e.g. `v - v_th`, in mV).
    - `slope`: sharpness of the surrogate in 1/mV (larger: closer to the step,
      smaller gradients away from threshold).

    **Returns:**

    The step of `x`, as floats.
    """
    x = jnp.asarray(x, dtype=jnp.result_type(float))
    return _step(x, jnp.asarray(slope, x.dtype))
