"""Hodgkin–Huxley rate functions as in NEURON's hh.mod (no lookup table)."""

import jax.numpy as jnp


def q10(temperature):
    return 3.0 ** ((temperature - 6.3) / 10.0)


def _vtrap(x, y):
    # x / (exp(x/y) - 1), continuous at x = 0 (NEURON's vtrap). Both branches stay
    # finite so gradients through the unused one are not NaN.
    small = jnp.abs(x / y) < 1e-6
    safe_x = jnp.where(small, y, x)
    return jnp.where(small, y * (1.0 - x / y / 2.0), safe_x / jnp.expm1(safe_x / y))


def m_rates(v):
    alpha = 0.1 * _vtrap(-(v + 40.0), 10.0)
    beta = 4.0 * jnp.exp(-(v + 65.0) / 18.0)
    return alpha, beta


def h_rates(v):
    alpha = 0.07 * jnp.exp(-(v + 65.0) / 20.0)
    beta = 1.0 / (jnp.exp(-(v + 35.0) / 10.0) + 1.0)
    return alpha, beta


def n_rates(v):
    alpha = 0.01 * _vtrap(-(v + 55.0), 10.0)
    beta = 0.125 * jnp.exp(-(v + 65.0) / 80.0)
    return alpha, beta


def steady(rates, v):
    alpha, beta = rates(v)
    return alpha / (alpha + beta)


def exp_euler(x, rates, v, dt, phi):
    """Exponential Euler step of dx/dt = phi * (alpha (1 - x) - beta x)."""
    alpha, beta = rates(v)
    total = alpha + beta
    x_inf = alpha / total
    return x_inf + (x - x_inf) * jnp.exp(-dt * phi * total)
