"""Exact solve of the tree matrix plus a coupling between a few of its nodes.

Implicit graded synapses (a gap junction, `AbstractSynapse.implicit`) add to
the cable matrix `A` (block diagonal over cells, each block a tree) entries that
join compartments anywhere in the network: row `post` of the linearised system
gains `∂i/∂v_post` at column `post` and `∂i/∂v_pre` at column `pre`, and a
reciprocal synapse the same, negated, in row `pre`. All of them lie in the rows
and columns of the M nodes the synapses touch (their *sites*), so the matrix is

    A + E C Eᵀ,

with `E` the (n, M) columns of the identity at the sites and `C` the small
(M, M) matrix of the coupling entries. By the Woodbury identity, with
`x = A⁻¹ b` and `S = A⁻¹ E`,

    (A + E C Eᵀ)⁻¹ b = x - S (I + C Eᵀ S)⁻¹ C Eᵀ x,

which is exact: one tree solve with M + 1 right-hand sides (`b` and the M unit
columns, batched with `vmap`), an (M, M) dense solve and a product. The cost
per step is O(n M) for the solves and O(M³) for the dense part, against O(n)
for the tree alone; M is the number of distinct compartments that carry
junctions (at most twice the number of junctions, fewer when junctions share
sites). A network without implicit synapses never comes here.

`I + C Eᵀ S` is well conditioned for gap junctions: `C` is then symmetric
positive semi-definite and `Eᵀ S` symmetric positive definite, so its
eigenvalues are those of `I + S½ C S½`, all at least 1.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ._tree import tree_solve


def coupled_solve(d, b, g, topology, sites, rows, cols, values):
    """Solve `(A + E C Eᵀ) x = b`: the tree matrix of `tree_solve` plus the
    coupling `C` between the nodes `sites` (see the module docs).

    Derivatives flow through the batched tree solve (its own implicit
    derivative) and `jnp.linalg.solve`.

    **Arguments:**

    - `d`, `g`, `topology`: the tree matrix, as for `tree_solve` (diagonal,
      coupling of each node to its parent, structure).
    - `b`: right-hand side, shape (n_total,).
    - `sites`: (M,) NumPy array of distinct node indices.
    - `rows`, `cols`: (K,) NumPy arrays, positions in `sites` of each entry of
      the coupling.
    - `values`: (K,) the entries; entries at the same position add up.

    **Returns:**

    `x`, shape (n_total,).
    """
    sites = np.asarray(sites)
    m = len(sites)
    n = b.shape[0]
    c = jnp.zeros((m, m), values.dtype).at[rows, cols].add(values)
    unit = jnp.zeros((n, m), b.dtype).at[sites, np.arange(m)].set(1.0)
    both = jnp.concatenate([b[:, None], unit], axis=1)
    solved = jax.vmap(lambda r: tree_solve(d, r, g, topology), 1, 1)(both)
    x, s = solved[:, 0], solved[:, 1:]
    small = jnp.eye(m, dtype=c.dtype) + c @ s[sites]
    y = jnp.linalg.solve(small, c @ x[sites])
    return x - s @ y
