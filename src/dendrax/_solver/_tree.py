"""Exact O(n) solve of the tree-structured (Hines) cable matrix, by static
condensation of its unbranched chains.

The matrix has diagonal `d` and, for every non-root node `i`, the symmetric
off-diagonal `-g[i]` coupling it to `parent[i]`. A node with three or more
neighbours is a *junction*; removing the junctions leaves *chains*, paths of
nodes with one or two neighbours, each touching at most two junctions: P at its
first node and D at its last. The solve has three phases:

1. every chain is eliminated at once, from both ends (the two sweeps run in
   the same steps), leaving for each chain one number for P's row, one for D's
   and a coupling between P and D (its Schur complement);
2. the junctions form a small tree (the chains become edges), solved by the
   classic elimination level by level from its centre;
3. every chain is filled in from its P and D at once.

Chains are stored as columns of an (length, chains) array, so every step of
phases 1 and 3 works on one row, a contiguous slice across all chains of all
cells; the number of sequential steps is about twice the longest chain plus
twice the junction tree's depth, instead of twice the depth of the whole tree.
Long chains are cut by making some of their nodes junctions, which bounds both.
"""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._sharding import varying_axes
from .._static import Ix, TracedIx


class TreePlan(eqx.Module):
    """Static index arrays of the condensed solve (see the module docs).

    Padding uses the dummy indices `n` (nodes, with d = 1 and b = 0, and edges,
    with g = 0) and `n_junctions` (junctions, with x = 0).
    """

    n: int = eqx.field(static=True)
    chain_node: Ix = eqx.field(static=True)  # (L, C) node at each row, or n
    chain_edge: Ix = eqx.field(static=True)  # (L, C) edge to the previous row/P
    chain_dist: Ix = eqx.field(static=True)  # (L, C) edge to D at the last row
    chain_p: Ix = eqx.field(static=True)  # (C,) junction P, or n_junctions
    chain_d: Ix = eqx.field(static=True)  # (C,) junction D, or n_junctions
    chain_last: Ix = eqx.field(static=True)  # (C,) row of the last node
    junction: Ix = eqx.field(static=True)  # (J,) node of each junction
    junction_edge: Ix = eqx.field(static=True)  # (J,) edge to its tree parent
    junction_chain: Ix = eqx.field(static=True)  # (J,) or the chain between
    junction_parent: Ix = eqx.field(static=True)  # (J,) or n_junctions (roots)
    junction_levels: Ix = eqx.field(static=True)  # (depth, width), padded with J
    where: Ix = eqx.field(static=True)  # (n,) position in concat(rows, junctions)


def _centre(adj: list[list[int]], members: list[int]) -> int:
    """A node of least eccentricity in a tree component (the middle of a longest
    path), so that rooting there minimises the depth."""

    def farthest(start):
        dist = {start: 0}
        order, prev = [start], {start: -1}
        for u in order:
            for v in adj[u]:
                if v not in dist:
                    dist[v] = dist[u] + 1
                    prev[v] = u
                    order.append(v)
        end = order[-1]
        return end, prev

    a, _ = farthest(members[0])
    b, prev = farthest(a)
    path = [b]
    while prev[path[-1]] != -1:
        path.append(prev[path[-1]])
    return path[len(path) // 2]


def cell_plan(parent: np.ndarray, max_chain: int | None = None) -> dict:
    """The plan of one cell's solver nodes, in local indices (see `merge`).

    **Arguments:**

    - `parent`: (n,) the parent of every node, -1 for the root.
    - `max_chain`: the longest chain kept whole; longer chains are cut by
      making nodes junctions (default about the square root of the depth, at
      least 8).

    **Returns:**

    A dict of NumPy arrays: chains (lists of nodes, their P and D junction
    nodes), the junction nodes, and for each junction its parent junction and
    the edge or chain that joins them.
    """
    n = len(parent)
    adj: list[list[int]] = [[] for _ in range(n)]
    for i, p in enumerate(parent):
        if p >= 0:
            adj[i].append(int(p))
            adj[int(p)].append(i)
    junction = np.array([len(a) >= 3 for a in adj], bool)
    # Chains: paths of the other nodes, walked from an end.
    seen = junction.copy()
    chains: list[list[int]] = []
    for start in range(n):
        if seen[start]:
            continue
        free = [v for v in adj[start] if not junction[v]]
        if len(free) == 2:
            continue  # an interior node; its chain starts at an end
        chain, u = [], start
        while True:
            seen[u] = True
            chain.append(u)
            nxt = [v for v in adj[u] if not junction[v] and not seen[v]]
            if not nxt:
                break
            u = nxt[0]
        chains.append(chain)
    if not seen.all():  # only in a cycle, impossible in a tree
        raise AssertionError("the cable graph is not a tree")
    if max_chain is None:
        longest = max((len(c) for c in chains), default=1)
        max_chain = max(8, math.isqrt(longest * 4))
    # Cut long chains: every max_chain + 1-th node becomes a junction.
    cut = []
    for c in chains:
        while len(c) > max_chain:
            junction[c[max_chain]] = True
            cut.append(c[:max_chain])
            c = c[max_chain + 1 :]
        if c:
            cut.append(c)
    chains = cut
    # Orient: a chain touching a junction starts next to it (P).
    ends = []
    for k, c in enumerate(chains):

        def touching(u, chain=c):
            inside = set(chain)
            return [v for v in adj[u] if junction[v] and v not in inside]

        first, last = touching(c[0]), touching(c[-1])
        if len(c) == 1:
            both = touching(c[0])
            first, last = both[:1], both[1:]
        if not first and last:
            c.reverse()
            first, last = last, first
            chains[k] = c
        ends.append((first[0] if first else -1, last[0] if last else -1))
    nodes_j = np.flatnonzero(junction)
    # The junction tree: direct edges between junctions, and chains with both
    # ends at junctions. Rooted at the centre of each component.
    jadj: list[list[int]] = [[] for _ in range(n)]
    via: dict[tuple[int, int], int] = {}  # (junction, junction) -> chain or -1
    for u in nodes_j:
        for v in adj[u]:
            if junction[v]:
                jadj[u].append(int(v))
                via[(int(u), int(v))] = -1
    for k, (p, d) in enumerate(ends):
        if p >= 0 and d >= 0:
            jadj[p].append(d)
            jadj[d].append(p)
            via[(p, d)] = via[(d, p)] = k
    jparent = np.full(n, -1)
    jdepth = np.full(n, -1)
    for u in nodes_j:
        if jdepth[u] >= 0:
            continue
        members, order = [int(u)], [int(u)]
        mark = {int(u)}
        for a in order:
            for b in jadj[a]:
                if b not in mark:
                    mark.add(b)
                    order.append(b)
        members = order
        root = _centre(jadj, members)
        jdepth[root] = 0
        queue = [root]
        for a in queue:
            for b in jadj[a]:
                if jdepth[b] < 0:
                    jdepth[b] = jdepth[a] + 1
                    jparent[b] = a
                    queue.append(b)
    return dict(
        chains=chains,
        ends=ends,
        junctions=nodes_j,
        jparent=jparent,
        jdepth=jdepth,
        via=via,
        parent=np.asarray(parent),
    )


def _edge(parent: np.ndarray, u: int, v: int) -> int:
    """The index of the edge between neighbours u and v (its child node)."""
    return u if parent[u] == v else v


def merge(plans: list[dict], to_global: list, n: int) -> TreePlan:
    """One `TreePlan` of many cells.

    **Arguments:**

    - `plans`: per cell, its `cell_plan` (cells made of one object may share it).
    - `to_global`: per cell, a function from local to global node indices.
    - `n`: the number of solver nodes of the network.

    **Returns:**

    The `TreePlan`.
    """
    cols, jnodes, jedge, jchain, jpar, jdep = [], [], [], [], [], []
    for plan, glob in zip(plans, to_global):
        parent = plan["parent"]
        c0, j0 = len(cols), len(jnodes)
        jpos = {int(u): j0 + k for k, u in enumerate(plan["junctions"])}
        for chain, (p, d) in zip(plan["chains"], plan["ends"]):
            prev = [p] + chain[:-1]
            edges = [_edge(parent, u, v) if v >= 0 else -1 for u, v in zip(chain, prev)]
            cols.append(
                (
                    glob(np.array(chain)),
                    glob(np.array(edges)),
                    int(glob(np.array([_edge(parent, chain[-1], d)]))[0])
                    if d >= 0
                    else -1,
                    jpos.get(p, -1),
                    jpos.get(d, -1),
                )
            )
        for u in plan["junctions"]:
            u = int(u)
            pu = int(plan["jparent"][u])
            jnodes.append(int(glob(np.array([u]))[0]))
            jdep.append(int(plan["jdepth"][u]))
            if pu < 0:
                jpar.append(-1)
                jedge.append(-1)
                jchain.append(-1)
                continue
            jpar.append(jpos[pu])
            k = plan["via"][(u, pu)]
            if k < 0:
                jedge.append(int(glob(np.array([_edge(parent, u, pu)]))[0]))
                jchain.append(-1)
            else:
                jedge.append(-1)
                jchain.append(c0 + k)
    n_chain, n_junction = len(cols), len(jnodes)
    rows = max((len(c[0]) for c in cols), default=1)
    chain_node = np.full((rows, n_chain), n)
    chain_edge = np.full((rows, n_chain), n)
    chain_dist = np.full((rows, n_chain), n)
    chain_last = np.zeros(n_chain, np.int64)
    chain_p = np.full(n_chain, n_junction)
    chain_d = np.full(n_chain, n_junction)
    for k, (nodes, edges, dist, p, d) in enumerate(cols):
        m = len(nodes)
        chain_node[:m, k] = nodes
        chain_edge[:m, k] = np.where(edges < 0, n, edges)
        chain_last[k] = m - 1
        if dist >= 0:
            chain_dist[m - 1, k] = dist
        chain_p[k] = n_junction if p < 0 else p
        chain_d[k] = n_junction if d < 0 else d
    jdep = np.array(jdep, np.int64)
    depth = int(jdep.max(initial=0))
    counts = np.bincount(jdep, minlength=depth + 1) if n_junction else np.zeros(1, int)
    levels = np.full((depth, int(counts[1:].max(initial=0))), n_junction)
    for lev in range(1, depth + 1):
        idx = np.flatnonzero(jdep == lev)
        levels[lev - 1, : len(idx)] = idx
    where = np.full(n, -1)
    real = chain_node < n
    where[chain_node[real]] = np.flatnonzero(real.reshape(-1))
    where[np.array(jnodes, np.int64)] = rows * n_chain + np.arange(n_junction)
    if np.any(where < 0):
        raise AssertionError("a node is neither in a chain nor a junction")

    def fix(a, dummy):
        a = np.array(a, np.int64)
        return np.where(a < 0, dummy, a)

    return TreePlan(
        n=n,
        chain_node=Ix(chain_node),
        chain_edge=Ix(chain_edge),
        chain_dist=Ix(chain_dist),
        chain_p=Ix(chain_p),
        chain_d=Ix(chain_d),
        chain_last=Ix(chain_last),
        junction=Ix(fix(jnodes, n)),
        junction_edge=Ix(fix(jedge, n)),
        junction_chain=Ix(fix(jchain, n_chain)),
        junction_parent=Ix(fix(jpar, n_junction)),
        junction_levels=Ix(levels),
        where=Ix(where),
    )


def tree_solve(d, b, g, topology):
    """Solve `A x = b` for the tree matrix described above.

    Derivatives come from the implicit function theorem, not from the
    elimination: `dx = A⁻¹ (db - dA x)`, and since the matrix is symmetric the
    reverse pass is one more solve with the same matrix
    (`jax.lax.custom_linear_solve` inside a `jax.custom_jvp`). The unrolled
    elimination is never differentiated, which keeps gradients of detailed
    cells about as cheap as a second solve. The forward pass itself is the bare
    elimination, so it runs under `vmap` inside `shard_map` too; there (where a
    batched `custom_linear_solve` trips JAX's mesh-axis types) the derivative's
    solve is the elimination again, which JAX transposes for the reverse pass.

    **Arguments:**

    - `d`: diagonal, shape (n_total,).
    - `b`: right-hand side, shape (n_total,).
    - `g`: coupling of each node to its parent, shape (n_total,) (0 at roots).
    - `topology`: the structure (its `plan` and `parent`).

    **Returns:**

    `x`, shape (n_total,).
    """
    plan: TreePlan = topology.plan
    rows = plan.chain_node.array.shape[0]
    if rows == 1 and len(plan.junction) == 0:  # no edges: point cells
        return b / d
    # The structure: NumPy constants for a whole network; traced arrays for one
    # device's part of a mesh, which the custom derivative takes as arguments
    # (a custom rule must not close over traced values).
    fields = {f: getattr(plan, f).array for f in _FIELDS}
    fields["parent"] = topology.parent.array
    traced = {k: a for k, a in fields.items() if not isinstance(a, np.ndarray)}
    n = plan.n

    def structure(traced):
        out = {**fields, **traced}
        parent = out.pop("parent")
        return parent >= 0, parent % n, _Plan(n, out)

    def times(d, g, x, traced):  # A x
        edge, parent, _ = structure(traced)
        ge = jnp.where(edge, g, 0.0)
        return d * x - ge * x[parent] - jax.ops.segment_sum(ge * x, parent, n)

    @jax.custom_jvp
    def solve(d, b, g, traced):
        return _eliminate(d, b, g, structure(traced)[2])

    @solve.defjvp
    def solve_jvp(primals, tangents):
        d, b, g, traced = primals
        d_dot, b_dot, g_dot, _ = tangents
        x = solve(d, b, g, traced)
        rhs = b_dot - times(d_dot, g_dot, x, traced)
        axes = varying_axes((d, g, rhs, traced))
        if axes:
            # Inside `shard_map`, a batched `custom_linear_solve` trips JAX's
            # mesh-axis types (its constants become varying); the elimination,
            # linear in `rhs`, is transposed by JAX instead.
            return x, _eliminate(d, rhs, g, structure(traced)[2])
        x_dot = jax.lax.custom_linear_solve(
            lambda u: times(d, g, u, traced),
            rhs,
            lambda _, r: _eliminate(d, r, g, structure(traced)[2]),
            symmetric=True,
        )
        return x, x_dot

    return solve(d, b, g, traced)


_FIELDS = [f for f in TreePlan.__dataclass_fields__ if f != "n"]


def _Plan(n: int, arrays: dict) -> TreePlan:
    """A `TreePlan` of arrays, NumPy or traced, as `_eliminate` reads it."""
    return TreePlan(n=n, **{k: TracedIx(a) for k, a in arrays.items()})


def _eliminate(d, b, g, plan: TreePlan):
    """The solve itself: the three phases of the module docs."""
    node = plan.chain_node.array
    rows, n_chain = node.shape
    d_pad, b_pad, g_pad = _append(d, 1.0), _append(b, 0.0), _append(g, 0.0)
    dc, bc = d_pad[node], b_pad[node]
    a = g_pad[plan.chain_edge.array]  # coupling to the previous row (row 0: P)
    a_d = g_pad[plan.chain_dist.array]  # coupling to D, at the last row only
    # Phase 1. From the distal end: x_k = (bd_k + a_k x_{k-1} + e_k x_D) / dd_k.
    dd, bd, e = [None] * rows, [None] * rows, [None] * rows
    dd[-1], bd[-1], e[-1] = dc[-1], bc[-1], a_d[-1]
    # From the proximal end: x_k = (bp_k + a_{k+1} x_{k+1} + ep_k x_P) / dp_k.
    dp, bp, ep = [None] * rows, [None] * rows, [None] * rows
    dp[0], bp[0], ep[0] = dc[0], bc[0], a[0]
    for i in range(1, rows):
        k = rows - 1 - i
        f = a[k + 1] / dd[k + 1]
        dd[k] = dc[k] - f * a[k + 1]
        bd[k] = bc[k] + f * bd[k + 1]
        e[k] = a_d[k] + f * e[k + 1]
        f = a[i] / dp[i - 1]
        dp[i] = dc[i] - f * a[i]
        bp[i] = bc[i] + f * bp[i - 1]
        ep[i] = f * ep[i - 1]
    dp, bp, ep = jnp.stack(dp), jnp.stack(bp), jnp.stack(ep)
    cols = jnp.arange(n_chain)
    last = plan.chain_last.array
    # Rows of P and D with the chain eliminated, and the P-D coupling.
    n_j = len(plan.junction)
    to_p = a[0] / dd[0]
    fill = to_p * e[0]
    a_last = a_d[last, cols]
    to_d = a_last / dp[last, cols]
    jd = _append(d_pad[plan.junction.array], 1.0)
    jb = _append(b_pad[plan.junction.array], 0.0)
    cp, cd = plan.chain_p.array, plan.chain_d.array
    jd = jd.at[cp].add(-to_p * a[0]).at[cd].add(-to_d * a_last)
    jb = jb.at[cp].add(to_p * bd[0]).at[cd].add(to_d * bp[last, cols])
    # Phase 2. The junction tree, leaves to root and back.
    jg = (
        _append(g_pad, 0.0)[plan.junction_edge.array]
        + _append(fill, 0.0)[plan.junction_chain.array]
    )
    jg = _append(jg, 0.0)
    jpar = plan.junction_parent.array
    # NumPy for a whole network, traced for one device's part of a mesh.
    jpar_pad = (np if isinstance(jpar, np.ndarray) else jnp).append(jpar, n_j)
    levels = plan.junction_levels.array
    for nodes in levels[::-1]:
        p = jpar_pad[nodes]
        f = jg[nodes] / jd[nodes]
        jd = jd.at[p].add(-f * jg[nodes])
        jb = jb.at[p].add(f * jb[nodes])
    xj = jnp.where(jpar_pad == n_j, jb / jd, 0.0)
    for nodes in levels:
        p = jpar_pad[nodes]
        xj = xj.at[nodes].set((jb[nodes] + jg[nodes] * xj[p]) / jd[nodes])
    xj = xj.at[n_j].set(0.0)
    # Phase 3. Every chain from its P (row 0) to its distal end.
    x_d = xj[cd]
    x, out = xj[cp], []
    for k in range(rows):
        x = (bd[k] + a[k] * x + e[k] * x_d) / dd[k]
        out.append(x)
    flat = jnp.concatenate([jnp.stack(out).reshape(-1), xj[:n_j]])
    return flat[plan.where.array]


def _append(x, value: float):
    """`x` with one more element, `value` (typed like `x`: inside `shard_map`
    it varies over the same mesh axes, which a fresh constant would not)."""
    return jnp.pad(x, (0, 1), constant_values=value)
