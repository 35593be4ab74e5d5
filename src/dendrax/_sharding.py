"""Mesh-axis typing inside `shard_map`: a loop carry, or the operands of a
custom solve, must vary over the same manual mesh axes throughout, so values
built from constants are cast to vary over the axes of the data they meet."""

from __future__ import annotations

import equinox as eqx
import jax


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
