"""Mesh-axis typing inside `shard_map`: a loop carry, or the operands of a
custom solve, must vary over the same manual mesh axes throughout, so values
built from constants are cast to vary over the axes of the data they meet."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp


def varying_axes(tree) -> frozenset:
    """The manual mesh axes (inside `shard_map`) over which some leaf of `tree`
    varies; empty outside `shard_map`."""
    axes = frozenset()
    for leaf in jax.tree.leaves(eqx.filter(tree, eqx.is_array)):
        kind = getattr(jax.typeof(leaf), "manual_axis_type", None)
        axes |= getattr(kind, "varying", frozenset())
    return axes


def vary(tree, axes: frozenset):
    """`tree` with every array leaf typed as varying over `axes` (a no-op
    outside `shard_map`), so that a loop carry keeps one type."""

    def cast(x):
        kind = getattr(jax.typeof(x), "manual_axis_type", None)
        missing = axes - getattr(kind, "varying", frozenset())
        return jax.lax.pcast(x, tuple(sorted(missing)), to="varying") if missing else x

    return jax.tree.map(lambda x: cast(x) if eqx.is_array(x) else x, tree)


def error_if(tree, pred, messages, index=0):
    """`tree`, guarded by `eqx.branched_error_if(pred, index, messages)`, also
    inside `shard_map`.

    The check is made on a scalar token added to every floating-point leaf, so
    it runs whichever leaves are used. Inside `shard_map` the flag is first
    reduced over the mesh axes it varies over (one all-reduce): the check's
    branches must not vary over them (equinox's own `error_if` fails there).
    """
    index = jnp.asarray(index, jnp.int32)
    axes = tuple(sorted(varying_axes((pred, index))))
    if axes:
        pred = jax.lax.pmax(jnp.asarray(pred, jnp.int32), axes) > 0
        index = jax.lax.pmax(jnp.where(pred, index, 0), axes)
    token = eqx.branched_error_if(jnp.zeros(()), pred, index, list(messages))

    def guard(x):
        if eqx.is_inexact_array(x):
            return x + vary(token, varying_axes(x)).astype(x.dtype)
        return x

    return jax.tree.map(guard, tree)
