"""Pieces shared by the channel library's rate functions.

Written as the reference .mod files (tests/reference/mod) write them, so that
dendrax and NEURON agree to round-off: `vtrap` is their `vtrap`, `relax` the
update NEURON's `cnexp` makes of `x' = (x_inf - x) / tau`.
"""

import jax.numpy as jnp


def vtrap(x, y):
    """`x / (exp(x / y) - 1)`, continuous at `x = 0` (its first-order expansion
    `y (1 - x / y / 2)` where `|x / y| < 1e-6`). Both branches stay finite, so
    gradients through the unused one are not NaN."""
    small = jnp.abs(x / y) < 1e-6
    safe = jnp.where(small, y, x)
    return jnp.where(small, y * (1.0 - x / y / 2.0), safe / (jnp.exp(safe / y) - 1.0))


def relax(x, x_inf, tau, dt):
    """Exponential Euler step of `x' = (x_inf - x) / tau` (NEURON's cnexp)."""
    return x + (1.0 - jnp.exp(-dt / tau)) * (x_inf - x)


def steady(alpha, beta):
    """`(x_inf, tau)` of `x' = alpha (1 - x) - beta x`."""
    total = alpha + beta
    return alpha / total, 1.0 / total
