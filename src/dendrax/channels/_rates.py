"""Hodgkin–Huxley rate functions as in NEURON's hh.mod (no lookup table).

The six rates need only two exponentials of the voltage: with `u = v + 65`,
`exp(-u/18)`, `exp(-u/20)` and `exp(-u/80)` are the 40th, 36th and 9th powers of
`q = exp(-u/720)`, and the three functions of `(v + 40)/10`, `(v + 55)/10` and
`(v + 35)/10` are `s = exp(-u/10)` times constants. Transcendentals dominate the
cost of a detailed cell's step, so this matters; the powers differ from direct
exponentials by a few units of round-off.
"""

import math

import jax.numpy as jnp


def q10(temperature):
    return 3.0 ** ((temperature - 6.3) / 10.0)


def _vtrap(x, y, e):
    """x / (exp(x/y) - 1) given e = exp(x/y), continuous at x = 0 (NEURON's
    vtrap). Both branches stay finite so gradients through the unused one are
    not NaN."""
    small = jnp.abs(x / y) < 1e-6
    return jnp.where(
        small,
        y * (1.0 - x / y / 2.0),
        jnp.where(small, y, x) / jnp.where(small, 2.0, e - 1.0),
    )


def rates(v):
    """`{"m": (alpha, beta), "h": ..., "n": ...}` of hh.mod at voltage `v` (mV)."""
    u = v + 65.0
    q = jnp.exp(-u / 720.0)
    q2 = q * q
    q4 = q2 * q2
    q9 = q4 * q4 * q
    q18 = q9 * q9
    q36 = q18 * q18
    q40 = q36 * q4
    s = jnp.exp(-u / 10.0)
    x_m, x_n = -(v + 40.0), -(v + 55.0)
    return {
        # exp(x_m/10) = exp(-(u - 25)/10) = s e^2.5, and likewise below.
        "m": (0.1 * _vtrap(x_m, 10.0, s * math.exp(2.5)), 4.0 * q40),
        "h": (0.07 * q36, 1.0 / (s * math.exp(3.0) + 1.0)),
        "n": (0.01 * _vtrap(x_n, 10.0, s * math.e), 0.125 * q9),
    }


def m_rates(v):
    return rates(v)["m"]


def h_rates(v):
    return rates(v)["h"]


def n_rates(v):
    return rates(v)["n"]


def steady(rates, v):
    alpha, beta = rates(v)
    return alpha / (alpha + beta)


def tau(rates, v, phi):
    """Time constant (ms) of dx/dt = phi * (alpha (1 - x) - beta x) at `v`."""
    alpha, beta = rates(v)
    return 1.0 / (phi * (alpha + beta))


def exp_euler(x, rates, v, dt, phi):
    """Exponential Euler step of dx/dt = phi * (alpha (1 - x) - beta x)."""
    alpha, beta = rates(v)
    total = alpha + beta
    x_inf = alpha / total
    return x_inf + (x - x_inf) * jnp.exp(-dt * phi * total)
