"""Ion values as channels read them: NEURON's defaults, the Nernst potential,
and (private) how the solver gathers them from pools at each step."""

from __future__ import annotations

from collections.abc import Sequence

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from .base import AbstractChannel, AbstractIonPool

# NEURON 9's constants, from the 2019 SI definitions (e, k_B, N_A exact):
# C/mol and J/(mol K).
FARADAY = 1.602176634e-19 * 6.02214076e23
GAS_CONSTANT = 1.380649e-23 * 6.02214076e23

# What a channel reads where no pool of the ion is inserted: NEURON's defaults
# (its `cai0_ca_ion`, `ena`, ...), mM and mV.
DEFAULTS: dict[str, float] = {
    "nai": 10.0,
    "nao": 140.0,
    "ena": 50.0,
    "ki": 54.4,
    "ko": 2.5,
    "ek": -77.0,
    "cai": 5e-5,
    "cao": 2.0,
    "eca": 132.4579341637009,
}


def nernst(
    inside: Float[ArrayLike, "*n"],
    outside: Float[ArrayLike, "*n"],
    valence: int,
    celsius: Float[ArrayLike, "*n"],
) -> Float[Array, "*n"]:
    """The Nernst reversal potential (mV), as NEURON computes it.

    **Arguments:**

    - `inside`, `outside`: concentrations (mM, any one unit for both).
    - `valence`: the ion's charge number (2 for Ca²⁺, 1 for Na⁺ and K⁺).
    - `celsius`: temperature (°C).

    **Returns:**

    `1e3 R (celsius + 273.15) / (valence F) log(outside / inside)` mV.
    """
    inside, outside = jnp.asarray(inside), jnp.asarray(outside)
    ktf = 1e3 * GAS_CONSTANT * (jnp.asarray(celsius) + 273.15) / FARADAY
    return ktf / valence * jnp.log(outside / inside)


def _read(channels: Sequence[AbstractChannel]) -> set[str]:
    return {name for ch in channels for name in ch.ions}


def _values(
    channels: Sequence[AbstractChannel],
    nodes: Sequence,
    states: Sequence[dict],
    like: Array,
) -> dict[str, Array]:
    """Per compartment (solver node; `like`'s shape), each ion value some
    channel reads: from the pool of that ion at the node, else the default."""
    wanted = _read(channels)
    if not wanted:
        return {}
    out = {}
    for name in sorted(wanted):
        if name not in DEFAULTS:
            raise ValueError(
                f"a channel reads the ion value {name!r}, which dendrax does not "
                f"know; ion values are {sorted(DEFAULTS)}."
            )
        out[name] = jnp.full_like(like, DEFAULTS[name])
    for ch, idx, st in zip(channels, nodes, states):
        if isinstance(ch, AbstractIonPool):
            given = ch.values(st)
            for name in wanted & set(given):
                out[name] = out[name].at[idx].set(given[name])
    return out


def _at(ch: AbstractChannel, values: dict[str, Array], idx) -> dict[str, Array]:
    return {name: values[name][idx] for name in ch.ions}


def _with(ch: AbstractChannel, state: dict, values: dict[str, Array], idx) -> dict:
    """`state` with the ion values `ch` reads added (a new dict)."""
    if not ch.ions:
        return state
    return {**state, **_at(ch, values, idx)}


def _own(new: dict, old: dict) -> dict:
    """The keys of `new` that are the mechanism's own states (those of `old`)."""
    return {k: new[k] for k in old}


def _init(ch: AbstractChannel, v: Array, values: dict[str, Array], idx) -> dict:
    if ch.ions:
        return ch.init_state(v, _at(ch, values, idx))
    return ch.init_state(v)


def _pooled(channels: Sequence[AbstractChannel]) -> list[str]:
    """The ions that some pool tracks (e.g. ["ca"])."""
    return sorted({ch.ion for ch in channels if isinstance(ch, AbstractIonPool)})


def _ion_currents(
    channels: Sequence[AbstractChannel],
    nodes: Sequence,
    states: Sequence[dict],
    v: Array,
    values: dict[str, Array],
    slopes: bool = False,
) -> tuple[dict[str, Array], dict[str, Array]]:
    """Per pooled ion, the summed density (mA/cm²) of the channels' parts
    named after it (e.g. "ica"), per solver node, at `v`; and, with `slopes`,
    their slopes in v (the solver's `linearise`), else {}."""
    from .._step import linearise

    ions = _pooled(channels)
    if not ions:
        return {}, {}
    out = {ion: jnp.zeros_like(v) for ion in ions}
    grad = {ion: jnp.zeros_like(v) for ion in ions} if slopes else {}
    for ch, idx, st in zip(channels, nodes, states):
        if isinstance(ch, AbstractIonPool):
            continue
        st = _with(ch, st, values, idx)
        # Tracing `currents` costs nothing at run time if no part is used.
        names = [f"i{ion}" for ion in ions if f"i{ion}" in ch.currents(st, v[idx])]
        if not names:
            continue

        def parts(u, ch=ch, st=st, names=names):
            got = ch.currents(st, u)
            return jnp.stack([got[name] for name in names])

        if slopes:
            i, di = linearise(parts, v[idx])
        else:
            i = parts(v[idx])
        for k, name in enumerate(names):
            out[name[1:]] = out[name[1:]].at[idx].add(i[k])
            if slopes:
                grad[name[1:]] = grad[name[1:]].at[idx].add(di[k])
    return out, grad
