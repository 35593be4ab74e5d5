"""Exact O(n) solve of the tree-structured (Hines) cable matrix.

The matrix has diagonal `d` and, for every non-root node `i`, the symmetric
off-diagonal `-g[i]` coupling it to `parent[i]`. Nodes are grouped by depth, so
the sweeps are sequential over depth and vectorised within a depth; all cells of
a network are solved together (the batched path).
"""

import jax
import jax.numpy as jnp
import numpy as np

from .._network import Topology


def tree_solve(d, b, g, topology: Topology):
    """Solve `A x = b` for the tree matrix described above.

    **Arguments:**

    - `d`: diagonal, shape (n_total,).
    - `b`: right-hand side, shape (n_total,).
    - `g`: coupling of each node to its parent, shape (n_total,) (0 at roots).
    - `topology`: the static structure.

    **Returns:**

    `x`, shape (n_total,).
    """
    levels = topology.levels.array
    if levels.shape[0] == 0:
        return b / d
    n = topology.n_total
    # Roots and the padding dummy have parent -1 (which wraps to the dummy).
    parent = jnp.asarray(np.append(topology.parent.array, -1))
    # One dummy slot at index n absorbs the padding of ragged levels.
    d = jnp.concatenate([d, jnp.ones((1,), d.dtype)])
    b = jnp.concatenate([b, jnp.zeros((1,), b.dtype)])
    g = jnp.concatenate([g, jnp.zeros((1,), g.dtype)])
    levels = jnp.asarray(levels)
    # Unrolling the sweeps over depth lets XLA fuse them (about 3x faster for
    # shallow trees); deep trees keep a rolled loop to bound compile time.
    unroll = levels.shape[0] if levels.shape[0] <= 32 else 4

    def eliminate(carry, nodes):
        d, b = carry
        p = parent[nodes]
        f = g[nodes] / d[nodes]
        d = d.at[p].add(-f * g[nodes])
        b = b.at[p].add(f * b[nodes])
        return (d, b), None

    (d, b), _ = jax.lax.scan(eliminate, (d, b), levels, reverse=True, unroll=unroll)
    x = jnp.where(parent == -1, b / d, 0.0)

    def substitute(x, nodes):
        p = parent[nodes]
        x = x.at[nodes].set((b[nodes] + g[nodes] * x[p]) / d[nodes])
        return x, None

    x, _ = jax.lax.scan(substitute, x, levels, unroll=unroll)
    return x[:n]
