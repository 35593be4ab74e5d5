"""Spikes and their delivery: the cells' spike sources, the static event plan of
each event projection (presynaptic cells, delays in steps, delivery layout), and
the per-step lookup of arriving spikes and their summed weights."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from ._check import off_grid
from ._network import Network, Projection
from ._sharding import vary, varying_axes
from ._static import Ix
from .channels.base import AbstractSpiking
from .channels.sources import AbstractSource
from .conn.delivery import Dense, EventDriven


def _sources(net: Network) -> list[tuple[int, np.ndarray]]:
    """(mechanism index, cell of each of its nodes) for every spiking mechanism;
    checks that no cell has two spike sources."""
    out = []
    cell = net.nodes.cell.array
    for k, m in enumerate(net.mechanisms):
        if isinstance(m.channel, AbstractSpiking | AbstractSource):
            out.append((k, cell[m.nodes.array]))
    if out:
        ids, counts = np.unique(np.concatenate([c for _, c in out]), return_counts=True)
        dup = ids[counts > 1]
        if dup.size:
            raise ValueError(
                f"cells {dup[:5].tolist()} have more than one spike source (spiking "
                "mechanisms such as LIF or SpikeDetector, or sources such as "
                "PoissonSource, one per compartment); "
                "keep one per cell."
            )
    return out


def spiking_cells(net: Network) -> np.ndarray:
    """Ids of the cells that hold a spiking mechanism (a spike source)."""
    srcs = _sources(net)
    if not srcs:
        return np.zeros(0, np.int64)
    return np.unique(np.concatenate([c for _, c in srcs]))


class _Plan(NamedTuple):
    """Static index arrays for one event projection."""

    pre_u: np.ndarray  # presynaptic cells (unique, sorted)
    row: np.ndarray | None  # per edge: its presynaptic cell's position in pre_u
    post_cell: np.ndarray  # per edge: postsynaptic cell
    target: np.ndarray  # per edge: position of its postsynaptic node in targets
    n_target: int
    delay: np.ndarray  # per edge, in steps
    per_pre: np.ndarray | None  # per pre_u: delay in steps, if uniform per cell
    dense: bool
    max_spikes: int
    group: _EventGroup | None = None  # EventDriven: the group it is delivered in


class _EventGroup(NamedTuple):
    """`EventDriven` projections delivered together in one pass per step: those
    whose edges all have one delay share a group, a projection with delays that
    vary between its presynaptic cells is a group of its own.

    Row r of the tables lists the edges, in every member, of presynaptic cell
    `cells[r]`, padded to the longest row with a dummy edge (weight 0) into a
    dummy target. Edges are numbered across the members in order (`edge_start`),
    targets too (`target_start`), the dummies last."""

    members: tuple[int, ...]  # projection indices, ascending
    cells: np.ndarray  # presynaptic cells of any member (unique, sorted)
    delay: np.ndarray  # per cell, in steps
    edges: np.ndarray  # (len(cells), max out-degree) edge numbers
    targets: np.ndarray  # the same slots' target numbers
    edge_start: tuple[int, ...]  # per member, and the total
    target_start: tuple[int, ...]  # per member, and the total
    max_spikes: int


def _delay_steps(p: Projection, dt: float) -> np.ndarray:
    d = p.delay.array
    steps, bad = off_grid(d, dt)
    if bad.any():
        raise ValueError(
            f"projection {p.name!r}: delay {d[bad][0]} ms is not a multiple of "
            f"dt={dt} ms. Delays are applied exactly, never rounded: choose delays "
            "that are multiples of dt (or a dt that divides them)."
        )
    return steps


def _plans(net: Network, dt: float | None) -> tuple[_Plan | None, ...]:
    cell = net.nodes.cell.array
    have = spiking_cells(net)
    plans = []
    for p in net.synapses:
        if not p.is_event:
            plans.append(None)
            continue
        pre_cell = cell[p.pre.array]
        missing = np.setdiff1d(pre_cell, have)
        if missing.size:
            raise ValueError(
                f"projection {p.name!r}: presynaptic cells {missing[:5].tolist()} "
                "emit no spikes; insert a spiking mechanism there first, e.g. "
                "dx.channels.LIF() for point neurons or dx.channels.SpikeDetector() "
                "at the soma of a conductance-based cell."
            )
        post_cell = cell[p.post.array]
        if p.plasticity is not None:
            missing = np.setdiff1d(post_cell, have)
            if missing.size:
                raise ValueError(
                    f"projection {p.name!r}: plasticity needs postsynaptic spikes, "
                    f"but cells {missing[:5].tolist()} emit none; insert a spiking "
                    "mechanism (e.g. dx.channels.SpikeDetector()) in them."
                )
        if dt is None:
            if np.any(p.delay.array > 0):
                raise ValueError(
                    "this network has synaptic delays, so the state depends on dt; "
                    "pass dt (e.g. dx.init_state(net, dt))."
                )
            delay = np.zeros(len(p), np.int64)
        else:
            delay = _delay_steps(p, dt)
        pre_u, row = np.unique(pre_cell, return_inverse=True)
        d_u = np.zeros(len(pre_u), np.int64)
        d_u[row] = delay
        per_pre = d_u if np.array_equal(d_u[row], delay) else None
        dense = isinstance(p.delivery, Dense)
        if isinstance(p.delivery, Dense | EventDriven) and per_pre is None:
            raise ValueError(
                f"projection {p.name!r}: {type(p.delivery).__name__} delivery needs "
                "the edges of each presynaptic cell to share one delay; use "
                "dx.conn.Segment() for per-edge delays."
            )
        plans.append(
            _Plan(  # int32 indices: half the memory of these per-edge arrays
                pre_u=pre_u,
                row=row.astype(np.int32),
                post_cell=post_cell.astype(np.int32),
                target=p.target_index().astype(np.int32),
                n_target=len(p.targets),
                delay=delay.astype(np.int32),
                per_pre=per_pre,
                dense=dense,
                max_spikes=getattr(p.delivery, "max_spikes", 0),
            )
        )
    return _grouped(plans, [isinstance(p.delivery, EventDriven) for p in net.synapses])


def _grouped(plans: list, event: list[bool]) -> tuple[_Plan | None, ...]:
    """`plans` with the `EventDriven` ones given their `_EventGroup`."""
    keys: dict = {}
    for i, plan in enumerate(plans):
        if plan is not None and event[i]:
            d = plan.per_pre
            key = int(d[0]) if d.size and np.all(d == d[0]) else ("own", i)
            keys.setdefault(key, []).append(i)
    for members in keys.values():
        group = _event_group(members, [plans[i] for i in members])
        for i in members:
            plans[i] = plans[i]._replace(group=group)
    return tuple(plans)


def _event_group(members: list[int], plans: list[_Plan]) -> _EventGroup:
    cells = np.unique(np.concatenate([pl.pre_u for pl in plans]))
    n_edges = [len(pl.row) for pl in plans]
    edge_start = np.concatenate([[0], np.cumsum(n_edges)])
    target_start = np.concatenate([[0], np.cumsum([pl.n_target for pl in plans])])
    # Every edge of every member: its row (presynaptic cell), number, target.
    row = np.concatenate(
        [np.searchsorted(cells, pl.pre_u)[pl.row] for pl in plans]
    ).astype(np.int64)
    target = np.concatenate(
        [pl.target + t0 for pl, t0 in zip(plans, target_start)]
    ).astype(np.int64)
    by_row, col, width = _rows(row, len(cells))
    edges = np.full((len(cells), width), edge_start[-1], np.int32)
    edges[row[by_row], col] = by_row
    targets = np.full((len(cells), width), target_start[-1], np.int32)
    targets[row[by_row], col] = target[by_row]
    delay = np.zeros(len(cells), np.int64)
    for pl in plans:
        delay[np.searchsorted(cells, pl.pre_u)] = pl.per_pre
    return _EventGroup(
        members=tuple(members),
        cells=cells,
        delay=delay,
        edges=edges,
        targets=targets,
        edge_start=tuple(int(x) for x in edge_start),
        target_start=tuple(int(x) for x in target_start),
        max_spikes=min(sum(pl.max_spikes for pl in plans), len(cells)),
    )


def _rows(row: np.ndarray, n_rows: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Entries laid out as rows of a padded table, given each entry's row:
    the entries in row order, each one's column within its row, and the
    longest row (at least 1)."""
    deg = np.bincount(row, minlength=n_rows)
    order = np.argsort(row, kind="stable")
    col = np.arange(len(row)) - (np.cumsum(deg) - deg)[row[order]]
    return order, col, max(int(deg.max(initial=0)), 1)


def _buffer_length(plans) -> int:
    return 1 + max((int(p.delay.max(initial=0)) for p in plans if p), default=0)


def _delivery_weights(
    plans: tuple[_Plan | None, ...], weights: list[Array | None]
) -> tuple[Array | None, ...]:
    """Per projection, its weights laid out for delivery, once per run: the dense
    `(pre, target)` matrix of `Dense`; for an `EventDriven` group, at its first
    member, the `(cell, out-degree, 2)` table of (weight, target) pairs, the
    target's bits in a float of the weight's width, so that one gather per step
    fetches both (0 into the dummy target in the padding); else None."""
    out: list[Array | None] = [None] * len(plans)
    for i, plan in enumerate(plans):
        if plan is None:
            continue
        if plan.dense:
            w = jnp.zeros((len(plan.pre_u), plan.n_target), weights[i].dtype)
            out[i] = w.at[plan.row, plan.target].add(weights[i])
        elif plan.group is not None and plan.group.members[0] == i:
            g = plan.group
            n = np.diff(g.edge_start)
            parts = [jnp.broadcast_to(weights[m], (k,)) for m, k in zip(g.members, n)]
            w = jnp.concatenate([*parts, jnp.zeros((1,), parts[0].dtype)])[g.edges]
            int_type = jnp.int64 if w.dtype == jnp.float64 else jnp.int32
            t = jnp.asarray(g.targets).astype(int_type)
            out[i] = jnp.stack([w, jax.lax.bitcast_convert_type(t, w.dtype)], axis=-1)
    return tuple(out)


def _arrivals(plan: _Plan, spikes: Array, step: Array) -> Array:
    """Spikes arriving now: per presynaptic cell if delays are uniform per cell,
    else per edge."""
    if plan.per_pre is not None:
        return _arriving(spikes, step, plan.per_pre, plan.pre_u)
    cells = plan.pre_u if plan.row is None else plan.pre_u[plan.row]
    return _arriving(spikes, step, plan.delay, cells)


def _arriving(spikes: Array, step: Array, d: np.ndarray, cells: np.ndarray) -> Array:
    """Spikes of `cells` sent `d` steps ago (ring buffer `spikes`); `d` and
    `cells` are NumPy arrays, or traced ones on one device of a mesh."""
    n_slot = spikes.shape[0]
    if isinstance(d, np.ndarray) and d.size and np.all(d == d[0]):
        row = jax.lax.dynamic_index_in_dim(
            spikes, (step - int(d[0])) % n_slot, keepdims=False
        )
        return row[Ix(cells).index() if isinstance(cells, np.ndarray) else cells]
    return spikes[(step - d) % n_slot, cells]


def _compact(x: Array, k: int) -> tuple[Array, Array]:
    """Up to `k` nonzero entries of `x >= 0` and their positions (zero entries
    fill the rest): every nonzero entry is among them if there are at most `k`.

    A prefix sum numbers the nonzero entries and one scatter writes the
    positions of the first `k` (a gather then reads their values), O(len(x))
    without a sort. A long `x` is first cut into blocks of about √(n/k): the
    first `min(k, blocks)` blocks with a nonzero sum hold at least
    `min(k, nonzeros)` nonzero entries, and a second pass over their entries
    picks the `k`. Two short passes instead of one over `x`. (No `top_k`: XLA's
    partitioner gathers its operand across devices when a sweep's batch is
    sharded; a prefix sum, a scatter and a gather partition.)"""
    n = x.shape[0]
    size = 1 << max(0, round(np.log2(max(n / k, 1.0)) / 2))  # ~ sqrt(n / k)
    if size < 4:
        who = _first(x, k)
        return jnp.pad(x, (0, 1))[who], jnp.minimum(who, n - 1)
    m = -(-n // size)
    # One block of zeros more: the second pass reads it for empty first slots.
    blocks = jnp.pad(x, (0, (m + 1) * size - n)).reshape(m + 1, size)
    b = _first(blocks[:m].sum(axis=1), min(k, m))
    entries = blocks[b].reshape(-1)
    j = _first(entries, k)
    a = jnp.pad(entries, (0, 1))[j]
    j = jnp.minimum(j, len(entries) - 1)
    who = b[j // size] * size + j % size
    return a, jnp.minimum(who, n - 1)  # padding picks carry a = 0


def _first(y: Array, k: int) -> Array:
    """The positions of the first `k` nonzero entries of `y >= 0`, then
    `len(y)` (one scatter; the rest go to a spare slot that is dropped)."""
    n = y.shape[0]
    nz = y > 0
    slot = jnp.where(nz, jnp.cumsum(nz, dtype=jnp.int32) - 1, k)
    every = jnp.arange(n, dtype=jnp.int32)
    who = jnp.full((k + 1,), n, jnp.int32)
    return who.at[slot].set(every, mode="promise_in_bounds")[:k]


def _deliver(plan: _Plan, weight, layout, arrived) -> Array:
    """Summed weight of the arriving spikes at each target (`Dense`, `Segment`)."""
    if plan.dense:
        return arrived @ layout
    per_edge = arrived[plan.row] if plan.per_pre is not None else arrived
    return jax.ops.segment_sum(weight * per_edge, plan.target, plan.n_target)


def _deliver_group(group: _EventGroup, layout: Array, spikes, step) -> list[Array]:
    """Per member of an `EventDriven` group, the summed weight of the arriving
    spikes at each of its targets.

    Only the table rows of the cells that spiked are visited (spikes are 1, the
    rest 0). A step with c spikes takes the smallest of the passes sized k,
    k/2, k/4, ... (at least 8) that holds them; one with more than k, a pass over
    the whole table. One gather of rows and one scatter-add serve every member.

    All passes compute one function, linear in the spikes and the weights; its
    derivative is taken as that of the whole-table pass, so gradients (through
    the spikes' surrogate slope too) are those of `Segment` delivery, and the
    extra pass runs only when a derivative is taken."""
    arrived = _arriving(spikes, step, group.delay, group.cells)
    k = group.max_spikes
    sizes = [k >> s for s in range(32) if (k >> s) >= 8 or s == 0][::-1]
    int_type = jnp.int64 if layout.dtype == jnp.float64 else jnp.int32

    def zeros(*like):
        out = jnp.zeros(group.target_start[-1] + 1, layout.dtype)  # + the dummy
        # Inside `shard_map`, typed like the data it meets in every branch.
        return vary(out, varying_axes(like))

    def add(out, rows, a):
        target = jax.lax.bitcast_convert_type(rows[..., 1], int_type)
        return out.at[target].add(rows[..., 0] * a[:, None])

    @jax.custom_jvp
    def deliver(x, table):
        out = zeros(x, table)

        def some(x, size):
            a, who = _compact(x, size)
            return add(out, table[who], a)

        branches = [lambda x, size=size: some(x, size) for size in sizes]
        branches.append(lambda x: add(out, table, x))
        count = jnp.count_nonzero(x)
        which = sum((count > size).astype(jnp.int32) for size in sizes)
        return jax.lax.switch(which, branches, x)

    @deliver.defjvp
    def deliver_jvp(primals, tangents):
        x, table = primals
        x_dot, table_dot = tangents
        target = jax.lax.bitcast_convert_type(table[..., 1], int_type)
        dot = table_dot[..., 0] * x[:, None] + table[..., 0] * x_dot[:, None]
        return deliver(x, table), zeros(x, table, dot).at[target].add(dot)

    total = deliver(arrived, layout)
    t = group.target_start
    return [total[t[j] : t[j + 1]] for j in range(len(group.members))]
