"""One network split over the devices of a mesh: `simulate(..., mesh=)`.

The cells are cut into contiguous parts of about equal numbers of compartments,
one per device of the mesh axis "cells". Each device holds its part as a small
network of its own: its compartments, the mechanisms in them, and the synapses
that end on them (a synapse lives with its postsynaptic cell), plus

- *halo* nodes: copies of the presynaptic compartments of graded synapses that
  live on other devices, refreshed once per step by an all-gather of only
  those voltages;
- a ring buffer of every cell's spikes: each device writes its own cells'
  spikes, and once per minimum synaptic delay (a *window*) the devices
  all-gather the window's spikes of their own cells, as NEST, NEURON and Arbor
  do with MPI. A spike is never needed before the window that sent it ends,
  since no delay is shorter than a window.

Every per-device array is padded to the longest part; padding entries point at
a *dummy* compartment (zero membrane area, no effect on real ones) or a dummy
spike column that never fires. The parameters are gathered from the whole
network's inside the traced computation, so gradients flow back to it. The
device programs are one `shard_map`: every index array is data, the same
program runs on every device.
"""

from __future__ import annotations

from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from ._events import _delivery_weights, _EventGroup, _Plan, _plans, _rows, _sources
from ._network import Network, Topology
from ._prepare import _prepare, _Prepared, state_groups
from ._record import _observer, _spec
from ._select import resolve
from ._solver._tree import TreePlan, cell_plan, merge
from ._state import State, init_state
from ._static import Ix, TracedIx
from ._step import _Layout
from ._stimulus import Stimulus, VoltageClamp, _waveform

AXIS = "cells"


class _Split(NamedTuple):
    """`G` elements over `D` devices: `local[d, j]` is the element in slot `j`
    of device `d` (-1: padding), `flat[g]` the slot `d * L + j` holding `g`."""

    local: np.ndarray
    flat: np.ndarray

    def take(self, pad: int = 0) -> np.ndarray:
        """`local` with padding slots reading element `pad`."""
        return np.where(self.local < 0, pad, self.local)

    def slot(self, elements: np.ndarray) -> np.ndarray:
        """Each element's slot within its device."""
        return self.flat[elements] % self.local.shape[1]


def _split(owner: np.ndarray, n_dev: int, extra: int = 0) -> _Split:
    """Elements to the devices in `owner`, in increasing order, with at least
    `extra` padding slots on every device."""
    owner = np.asarray(owner, np.int64)
    counts = np.bincount(owner, minlength=n_dev)
    width = max(int(counts.max(initial=0)) + extra, 1)
    order = np.argsort(owner, kind="stable")
    starts = np.cumsum(counts) - counts
    pos = np.arange(len(owner)) - starts[owner[order]]
    local = np.full((n_dev, width), -1, np.int64)
    local[owner[order], pos] = order
    flat = np.empty(len(owner), np.int64)
    flat[order] = owner[order] * width + pos
    return _Split(local, flat)


def _cuts(ncomp: np.ndarray, n_dev: int) -> np.ndarray:
    """The device of each cell: contiguous runs of cells with about equal
    numbers of compartments."""
    ends = np.cumsum(ncomp)
    middle = ends - ncomp / 2
    return np.minimum((middle * n_dev / ends[-1]).astype(np.int64), n_dev - 1)


def _pad_rows(rows: np.ndarray, n_real: np.ndarray, limit: int, pad: int):
    """`rows` (devices, slots) of local indices, -1 in padding slots, padded:
    where the longest row holds an index that is padding on this device too
    (at or above its `n_real`, below `limit`) that index, else `pad`. Rows of
    an even split then come out equal, and a layout equal on every device is
    compiled as constants (slices where contiguous), not gathered."""
    longest = rows[np.argmax((rows >= 0).sum(axis=1))]
    free = (longest[None, :] >= n_real[:, None]) & (longest[None, :] < limit)
    return np.where(rows >= 0, rows, np.where(free, longest[None, :], pad))


def _plan_of(parent: np.ndarray) -> TreePlan:
    """The `TreePlan` of one device's forest of solver nodes (every node its own
    chain, without a loop in Python, when none has a parent)."""
    n = len(parent)
    if np.any(parent >= 0):
        return merge([cell_plan(parent)], [lambda a: a], n)
    row = np.arange(n)[None, :]
    full, zero = np.full((1, n), n), np.zeros(n, np.int64)
    empty = np.zeros(0, np.int64)
    return TreePlan(
        n=n, chain_node=Ix(row), chain_edge=Ix(full), chain_dist=Ix(full),
        chain_p=Ix(zero), chain_d=Ix(zero), chain_last=Ix(zero), junction=Ix(empty),
        junction_edge=Ix(empty), junction_chain=Ix(empty), junction_parent=Ix(empty),
        junction_levels=Ix(np.zeros((0, 0), np.int64)), where=Ix(row[0]),
    )  # fmt: skip


def _pad_plan(plan: TreePlan, rows: int, chains: int, nj: int, depth, width):
    """A device's `TreePlan` padded to common shapes (`n` is common already)."""
    r0, c0 = plan.chain_node.array.shape
    j0 = len(plan.junction)
    n = plan.n

    def grid(a, fill):
        out = np.full((rows, chains), fill, np.int64)
        out[:r0, :c0] = a
        return out

    def vec(a, size, fill, old_dummy=None, new_dummy=None):
        a = np.asarray(a, np.int64)
        if old_dummy is not None:
            a = np.where(a == old_dummy, new_dummy, a)
        return np.concatenate([a, np.full(size - len(a), fill, np.int64)])

    levels = np.full((depth, width), nj, np.int64)
    lv = plan.junction_levels.array
    levels[: lv.shape[0], : lv.shape[1]] = np.where(lv == j0, nj, lv)
    where = plan.where.array
    in_rows = where < r0 * c0
    r, c = np.divmod(where, c0)
    where = np.where(in_rows, r * chains + c, rows * chains + where - r0 * c0)
    return dict(
        chain_node=grid(plan.chain_node.array, n),
        chain_edge=grid(plan.chain_edge.array, n),
        chain_dist=grid(plan.chain_dist.array, n),
        chain_p=vec(plan.chain_p.array, chains, nj, j0, nj),
        chain_d=vec(plan.chain_d.array, chains, nj, j0, nj),
        chain_last=vec(plan.chain_last.array, chains, 0),
        junction=vec(plan.junction.array, nj, n),
        junction_edge=vec(plan.junction_edge.array, nj, n),
        junction_chain=vec(plan.junction_chain.array, nj, chains, c0, chains),
        junction_parent=vec(plan.junction_parent.array, nj, nj, j0, nj),
        junction_levels=levels,
        where=where,
    )


class _Parts(NamedTuple):
    """The static layout of a network split over `n_dev` devices."""

    n_dev: int
    cells: _Split  # the cells (+ one padding slot: where padding fires)
    nodes: np.ndarray  # (D, L) global node giving each slot its parameters, or -1
    v_from: np.ndarray  # (D, L) global node giving each slot its voltage, or -1
    node_flat: np.ndarray  # (G,) the slot of every global node
    n_comp: int  # compartment slots per device (the last one is the dummy)
    parent: np.ndarray  # (D, L) local parents
    plan: dict  # TreePlan fields, each (D, ...)
    has_edges: bool
    mechs: tuple[_Split, ...]
    mech_nodes: tuple[np.ndarray, ...]  # (D, M) local node of each element
    edges: tuple[_Split, ...]  # per projection
    targets: tuple[_Split | None, ...]  # per event projection
    target_nodes: tuple[np.ndarray | None, ...]  # (D, T) local node of each
    pre: tuple[np.ndarray | None, ...]  # graded: (D, E) local presynaptic node
    post: tuple[np.ndarray, ...]  # (D, E) local node (graded) or target slot (event)
    pre_col: tuple[np.ndarray | None, ...]  # event: (D, E) spike column
    post_cell: tuple[np.ndarray | None, ...]  # event: (D, E) local cell
    delay: tuple[np.ndarray | None, ...]  # event: (D, E) steps, or (E,) if uniform
    sources: tuple[tuple[int, np.ndarray], ...]  # (mechanism, (D, M) local cell)
    spike_offset: np.ndarray  # (D,) the buffer column of each device's first cell
    exports: np.ndarray | None  # (D, X) local nodes others read
    halo_nodes: np.ndarray | None  # (D, H) halo slots
    halo_from: np.ndarray | None  # (D, H) position in the gathered exports
    window: int  # steps between spike exchanges (0: none needed)
    # EventDriven: per projection (cells, edges, targets, delay), the `_EventGroup`
    # tables of each device's edges (see `_tables`), else None.
    tables: tuple[tuple | None, ...] = ()


def _parts(net: Network, n_dev: int, plans) -> _Parts:
    topo = net.topology
    cell = net.nodes.cell.array
    n_cells = net.n_cells
    dev_of_cell = _cuts(np.bincount(cell, minlength=n_cells), n_dev)
    cells = _split(dev_of_cell, n_dev, extra=1)
    # Every solver node's cell: compartments directly, branch points through
    # the compartment whose half resistance joins them.
    node_cell = np.concatenate([cell, cell[topo.half_a.array[topo.n_comp :] // 2]])
    owner = dev_of_cell[node_cell]
    comp_owner, bp_owner = owner[: topo.n_comp], owner[topo.n_comp :]
    # Graded synapses whose presynaptic compartment lives elsewhere: halo slots.
    far_dev, far_node = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for p in net.synapses:
        if not p.is_event:
            d_post, d_pre = comp_owner[p.post.array], comp_owner[p.pre.array]
            far = d_post != d_pre
            far_dev.append(d_post[far])
            far_node.append(p.pre.array[far])
    far_dev, far_node = np.concatenate(far_dev), np.concatenate(far_node)
    halo = [np.unique(far_node[far_dev == d]) for d in range(n_dev)]
    comps = _split(comp_owner, n_dev)
    n_real = np.bincount(comp_owner, minlength=n_dev)
    n_comp = int(max(n_real[d] + len(halo[d]) for d in range(n_dev))) + 1
    bps = _split(bp_owner, n_dev)
    n_bp = bps.local.shape[1] if len(bp_owner) else 0
    size = n_comp + n_bp
    dummy = n_comp - 1
    # Slots: [own compartments | halo | padding ... dummy][own branch points | pad]
    nodes = np.full((n_dev, size), -1, np.int64)
    nodes[:, : comps.local.shape[1]] = comps.local
    if n_bp:
        nodes[:, n_comp:] = np.where(bps.local < 0, -1, bps.local + topo.n_comp)
    v_from = nodes.copy()
    halo_nodes = np.full((n_dev, max(max(len(h) for h in halo), 1)), dummy)
    for d, h in enumerate(halo):
        v_from[d, n_real[d] : n_real[d] + len(h)] = h
        halo_nodes[d, : len(h)] = n_real[d] + np.arange(len(h))
    node_flat = np.empty(topo.n_total, np.int64)
    real = nodes >= 0
    node_flat[nodes[real]] = np.flatnonzero(real)
    local_of = node_flat % size  # a node's slot on its own device

    def local_node(global_nodes, pad=dummy):
        g = np.asarray(global_nodes)
        return np.where(g < 0, pad, local_of[np.maximum(g, 0)])

    # The tree of each device, padded to common shapes.
    gpar = topo.parent.array
    parent = np.where(
        real, local_node(np.where(real, gpar[np.maximum(nodes, 0)], -1), -1), -1
    )
    trees = [_plan_of(parent[d]) for d in range(n_dev)]
    dims = [
        max(t.chain_node.array.shape[0] for t in trees),
        max(t.chain_node.array.shape[1] for t in trees),
        max(len(t.junction) for t in trees),
        max(t.junction_levels.array.shape[0] for t in trees),
        max(t.junction_levels.array.shape[1] for t in trees),
    ]
    padded = [_pad_plan(t, *dims) for t in trees]
    plan = {k: np.stack([p[k] for p in padded]) for k in padded[0]}
    mechs = tuple(_split(comp_owner[m.nodes.array], n_dev) for m in net.mechanisms)

    def slots(split: _Split, elements: np.ndarray) -> np.ndarray:
        # The local node of each element slot; padding as `_pad_rows`.
        got = np.where(split.local < 0, -1, local_node(elements[split.take()]))
        return _pad_rows(got, n_real, n_comp - 1, dummy)

    cell_slot = cells.slot(np.arange(n_cells))
    n_cell_slots = cells.local.shape[1]
    pad_cell = n_cell_slots - 1
    n_own = np.bincount(dev_of_cell, minlength=n_dev)
    sources = tuple(
        (
            k,
            _pad_rows(
                np.where(mechs[k].local < 0, -1, cell_slot[c[mechs[k].take()]]),
                n_own,
                n_cell_slots,
                pad_cell,
            ),
        )  # fmt: skip
        for k, c in _sources(net)
    )
    # The ring buffer's columns: device-major, `n_cell_slots` per device (cell c
    # at `cells.flat[c]`), then one column that no cell writes.
    quiet = n_dev * n_cell_slots
    spike_offset = np.arange(n_dev) * n_cell_slots
    edges, targets, pre, post, pre_col, post_cell, delay, tables = (
        [] for _ in range(8)
    )
    for p, pl in zip(net.synapses, plans):
        e = _split(comp_owner[p.post.array], n_dev)
        edges.append(e)
        take = e.take()
        if not p.is_event:
            targets.append(None)
            d_post = comp_owner[p.post.array][take]
            pre_g = p.pre.array[take]
            here = comp_owner[pre_g] == d_post
            # A remote presynaptic node: its halo slot on this device.
            hal = np.zeros_like(pre_g)
            for d, h in enumerate(halo):
                rows = ~here[d]
                hal[d, rows] = n_real[d] + np.searchsorted(h, pre_g[d, rows])
            local_pre = np.where(here, local_node(pre_g), hal)
            pre.append(np.where(e.local < 0, dummy, local_pre))
            post.append(np.where(e.local < 0, dummy, local_node(p.post.array[take])))
            pre_col.append(None)
            post_cell.append(None)
            delay.append(None)
            tables.append(None)
            continue
        t = _split(comp_owner[p.targets.array], n_dev)
        targets.append(t)
        pre.append(None)
        post.append(np.where(e.local < 0, 0, t.slot(pl.target[take])))
        # Padding edges read the quiet column.
        pre_col.append(
            np.where(e.local < 0, quiet, cells.flat[cell[p.pre.array][take]])
        )
        post_cell.append(np.where(e.local < 0, pad_cell, cell_slot[pl.post_cell[take]]))
        d = pl.delay
        uniform = d.size and np.all(d == d[0])
        delay.append(np.full(e.local.shape[1], d[0]) if uniform else d[take])
        tables.append(None)
    for k, pl in enumerate(plans):  # EventDriven: a group's tables at its first
        if pl is not None and pl.group is not None and pl.group.members[0] == k:
            members = pl.group.members
            tables[k] = _tables(
                [net.synapses[m] for m in members], [plans[m] for m in members],
                [edges[m] for m in members], [targets[m] for m in members],
                cells, cell,
            )  # fmt: skip
    event = [pl.delay for pl in plans if pl is not None and len(pl.delay)]
    window = int(min(int(d.min()) for d in event)) if event else 0
    if event and window == 0:
        raise ValueError(
            "simulate(mesh=...): a synaptic delay of 0 cannot cross devices (a "
            "spike must reach the other devices before it is delivered); give "
            "every event projection a delay of at least dt, as NEST and NEURON "
            "require in parallel runs."
        )
    exports = halo_from = None
    if any(len(h) for h in halo):
        # What each device sends: its compartments that another device reads.
        src = comp_owner[far_node]
        out = [np.unique(far_node[src == d]) for d in range(n_dev)]
        width = max(len(o) for o in out)
        exports = np.full((n_dev, width), dummy)
        pos = np.zeros(topo.n_comp, np.int64)  # a sent node's place in its list
        for d, o in enumerate(out):
            exports[d, : len(o)] = local_node(o)
            pos[o] = np.arange(len(o))
        halo_from = np.zeros_like(halo_nodes)
        for d, h in enumerate(halo):
            halo_from[d, : len(h)] = comp_owner[h] * width + pos[h]
    return _Parts(
        n_dev=n_dev,
        cells=cells,
        nodes=nodes,
        v_from=v_from,
        node_flat=node_flat,
        n_comp=n_comp,
        parent=parent,
        plan=plan,
        has_edges=bool(np.any(gpar >= 0)),
        mechs=mechs,
        mech_nodes=tuple(
            slots(s, m.nodes.array) for s, m in zip(mechs, net.mechanisms)
        ),
        edges=tuple(edges),
        targets=tuple(targets),
        target_nodes=tuple(
            None if t is None else slots(t, p.targets.array)
            for t, p in zip(targets, net.synapses)
        ),
        pre=tuple(pre),
        post=tuple(post),
        pre_col=tuple(pre_col),
        post_cell=tuple(post_cell),
        delay=tuple(delay),
        sources=sources,
        spike_offset=spike_offset,
        exports=exports,
        halo_nodes=None if exports is None else halo_nodes,
        halo_from=halo_from,
        window=window,
        tables=tuple(tables),
    )


def _tables(projections, plans, edges, targets, cells: _Split, cell):
    """The `_EventGroup` tables of a group of `EventDriven` projections (those
    delivered together) on each device: one row per presynaptic cell of the
    device's edges of any member (its spike column; padding rows read the
    quiet column, which never spikes), listing those edges' slots and target
    slots, numbered across the members in order, padded with the dummy edge
    (after the last, weight 0) into the dummy target (after the last)."""
    n_dev = cells.local.shape[0]
    e0 = np.cumsum([0] + [e.local.shape[1] for e in edges])
    t0 = np.cumsum([0] + [t.local.shape[1] for t in targets])
    rows = []
    for d in range(n_dev):
        pre, slot, tgt, delay = [], [], [], []
        for j, (p, pl, e, t) in enumerate(zip(projections, plans, edges, targets)):
            s = np.flatnonzero(e.local[d] >= 0)
            glob = e.local[d, s]
            pre.append(cell[p.pre.array[glob]])
            slot.append(s + e0[j])
            tgt.append(t.slot(pl.target[glob]) + t0[j])
            delay.append(pl.delay[glob])
        pre, slot, tgt, delay = map(np.concatenate, (pre, slot, tgt, delay))
        cells_d, row = np.unique(pre, return_inverse=True)
        order, col, width = _rows(row, len(cells_d))
        rows.append(
            (cells_d, row[order], col, slot[order], tgt[order], delay[order], width)
        )
    n_rows = max(max(len(r[0]) for r in rows), 1)
    width = max(r[6] for r in rows)
    cols = np.full((n_dev, n_rows), cells.local.size, np.int64)
    slots = np.full((n_dev, n_rows, width), e0[-1], np.int64)
    tgts = np.full((n_dev, n_rows, width), t0[-1], np.int64)
    delays = np.zeros((n_dev, n_rows), np.int64)
    for d, (cells_d, row, col, slot, tgt, delay, _) in enumerate(rows):
        cols[d, : len(cells_d)] = cells.flat[cells_d]
        slots[d, row, col] = slot
        tgts[d, row, col] = tgt
        delays[d, row] = delay
    every = np.concatenate([pl.delay for pl in plans])
    if every.size and np.all(every == every[0]):
        delays = np.full(n_rows, every[0], np.int64)
    starts = (tuple(int(x) for x in e0), tuple(int(x) for x in t0))
    return cols, slots, tgts, delays, starts


def _gather(tree, split: _Split, n: int):
    """Every array leaf of `tree` with `n` entries along its first axis, laid
    out as `(devices, slots, ...)` (padding slots copy entry 0); the other
    array leaves repeated on every device."""
    idx = split.take()

    def take(a):
        if not eqx.is_array(a):
            return a
        if a.ndim and a.shape[0] == n:
            return jnp.asarray(a)[idx]
        return jnp.broadcast_to(a, (len(idx), *jnp.shape(a)))

    return jax.tree.map(take, tree)


def _with(values, extra):
    """`values` with one more entry, `extra`, at the end."""
    return jnp.concatenate([values, jnp.asarray([extra], values.dtype)])


def simulate_on_mesh(
    net, n, dt, stimuli, records, theta, state, checkpoint, mesh, check="v"
):
    """`simulate` with the cells split over the mesh axis "cells"."""
    from ._prepare import is_implicit
    from ._simulate import _run

    implicit = [p.name for p in net.synapses if is_implicit(p)]
    if implicit:
        raise ValueError(
            f"simulate: mesh= cannot split a network with implicitly coupled "
            f"synapses (projection {implicit[0]!r}, e.g. gap junctions): their "
            "compartments are solved together in one linear system each step. "
            "Simulate it on one device (no mesh=), or shard a vmap sweep instead."
        )
    if not isinstance(mesh, Mesh) or AXIS not in mesh.axis_names:
        raise ValueError(
            "simulate: mesh must be a jax.sharding.Mesh with an axis named "
            f"'cells', e.g. Mesh(jax.devices(), ('cells',)); got {mesh!r}."
        )
    n_dev = mesh.shape[AXIS]
    plans = _plans(net, dt)
    parts = _parts(net, n_dev, plans)
    prep = _prepare(net)
    state0 = init_state(net, dt) if state is None else state
    topo = net.topology
    node_val = np.where(parts.nodes < 0, topo.n_total, parts.nodes)
    area_idx = np.where(
        parts.nodes[:, : parts.n_comp] < 0, topo.n_comp, parts.nodes[:, : parts.n_comp]
    )
    # Padding, halo and dummy slots: 1 nF, no membrane, no axial coupling.
    local_prep = _Prepared(
        cap=_with(prep.cap, 1.0)[node_val],
        area=_with(prep.area, 0.0)[area_idx],
        g=_with(prep.g, 0.0)[node_val],
        diag=_with(prep.diag, 0.0)[node_val],
        channels=tuple(
            _gather(ch, s, len(m.nodes))
            for ch, s, m in zip(prep.channels, parts.mechs, net.mechanisms)
        ),
        synapses=tuple(
            _synapse_values(syn, p, e, t)
            for syn, p, e, t in zip(
                prep.synapses, net.synapses, parts.edges, parts.targets
            )
        ),
        layouts=(None,) * len(net.synapses),
        groups=(None,) * len(net.synapses),
        shared=(None,) * len(net.synapses),
    )
    rules = tuple(
        None if p.plasticity is None else _gather(p.plasticity, e, len(p))
        for p, e in zip(net.synapses, parts.edges)
    )
    local_state = _local_state(net, parts, state0)
    drive = _local_drive(net, parts, stimuli, n)
    specs = [_spec(net, r, dt, stimuli) for r in records]
    reads, columns = (
        zip(*(_record_slots(parts, net, s) for s in specs)) if specs else ((), ())
    )
    struct = dict(
        parent=parts.parent,
        plan=parts.plan,
        nodes=parts.mech_nodes,
        pre=parts.pre,
        post=parts.post,
        targets=parts.target_nodes,
        pre_col=parts.pre_col,
        post_cell=parts.post_cell,
        delay=tuple(None if d is None or d.ndim == 1 else d for d in parts.delay),
        sources=tuple(c for _, c in parts.sources),
        spike_offset=parts.spike_offset,
        exports=parts.exports,
        halo_nodes=parts.halo_nodes,
        halo_from=parts.halo_from,
        reads=reads,
        tables=tuple(
            None if t is None else (t[0], t[1], t[2], None if t[3].ndim == 1 else t[3])
            for t in parts.tables
        ),
    )
    # Index arrays equal on every device are compiled in as constants. (Not
    # the tree solve's: its derivative inside `shard_map` needs them as data, or
    # JAX's transpose of the linear solve mixes mesh-axis types.)
    tree = {k: struct.pop(k) for k in ("plan", "parent")}
    struct, drive = jax.tree.map(lambda a: _common(a, n_dev), (struct, drive))
    struct.update(tree)
    data = (local_prep, rules, local_state, drive, struct)
    dynamic, static = eqx.partition(data, eqx.is_array)
    dynamic = jax.tree.map(
        lambda a: jnp.asarray(a) if isinstance(a, np.ndarray) else a, dynamic
    )
    dynamic = eqx.filter(dynamic, eqx.is_array)
    spec_in = PartitionSpec(AXIS)
    dynamic = _place(dynamic, mesh, spec_in)
    n_slot = state0.spikes.shape[0]
    width = parts.cells.local.shape[1]
    window = parts.window
    uniform_delay = tuple(
        d if d is not None and d.ndim == 1 else None for d in parts.delay
    )

    def device(dynamic):
        local = jax.tree.map(lambda a: a[0], dynamic)
        local = eqx.combine(local, static, is_leaf=lambda x: isinstance(x, Ix))
        local = jax.tree.map(
            lambda x: x.array if isinstance(x, Ix) else x,
            local,
            is_leaf=lambda x: isinstance(x, Ix),
        )
        prep_d, rules_d, state_d, drive_d, st = local
        state_d = State(**state_d)
        cur_idx, cur_w, clamp = drive_d
        cur_idx = tuple(_indexer(i) for i in cur_idx)
        drive_d = (cur_idx, (cur_w, None), None, None)
        if clamp is not None:
            drive_d = (cur_idx, (cur_w, clamp[1]), clamp[2], _indexer(clamp[0]))
        lay, plans_d = _local_layout(parts, plans, st, rules_d, uniform_delay)
        weights = [getattr(syn, "weight", None) for syn in prep_d.synapses]
        prep_d = prep_d._replace(layouts=_delivery_weights(plans_d, weights))
        observers = [_observer(s, _indexer(r)) for s, r in zip(specs, st["reads"])]
        exchange = None
        if window:

            def swap(s: State) -> State:
                rows = (s.step - window + jnp.arange(window)) % n_slot
                start = jnp.asarray(st["spike_offset"], rows.dtype)
                mine = jax.lax.dynamic_slice_in_dim(s.spikes[rows], start, width, 1)
                every = _share_spikes(mine)  # (devices, window, cells)
                every = jnp.moveaxis(every, 0, 1).reshape(window, -1)
                spikes = s.spikes.at[rows, : every.shape[1]].set(every)
                return eqx.tree_at(lambda t: t.spikes, s, spikes)

            exchange = (window, swap)
        every = records[0].every
        ts, ys, final, health = _run(
            lay, prep_d, plans_d, state_d, drive_d, observers, n, every, dt, theta,
            checkpoint, exchange, check, context=(prep_d, rules_d, st),
        )  # fmt: skip
        return jax.tree.map(lambda a: a[None], (ys, final, health))

    run = jax.shard_map(device, mesh=mesh, in_specs=(spec_in,), out_specs=spec_in)
    ys, final, (first, var) = run(dynamic)
    # The earliest failure over the devices (each checked its own part).
    d = jnp.argmin(first)
    health = first[d], var[d]
    every = records[0].every
    ts = jnp.arange(n // every + 1) * (every * dt)
    ys = tuple(
        jnp.moveaxis(y, 0, 1).reshape(y.shape[1], -1)[:, c] for y, c in zip(ys, columns)
    )
    final = _global_state(net, parts, final, state0)
    return _place((ts, ys, final, health), mesh, PartitionSpec())


@jax.custom_jvp
def _share_spikes(mine):
    """All-gather each device's spikes of a window, `(window, cells)` of 0 and 1,
    as one bit per cell and step (32 per word): `(devices, window, cells)`.
    Derivatives (the spikes' surrogate slopes) travel as floats."""
    window, n = mine.shape
    words = -(-n // 32)
    bits = jnp.pad(mine > 0, ((0, 0), (0, 32 * words - n)))
    bits = bits.reshape(window, words, 32).astype(jnp.uint32)
    packed = jnp.sum(
        bits << jnp.arange(32, dtype=jnp.uint32), axis=-1, dtype=jnp.uint32
    )
    got = jax.lax.all_gather(packed, AXIS)  # (devices, window, words)
    unpacked = (got[..., None] >> jnp.arange(32, dtype=jnp.uint32)) & 1
    return unpacked.reshape(*got.shape[:2], -1)[..., :n].astype(mine.dtype)


@_share_spikes.defjvp
def _share_spikes_jvp(primals, tangents):
    return _share_spikes(primals[0]), jax.lax.all_gather(tangents[0], AXIS)


def _common(a, n_dev: int):
    """A NumPy `(devices, ...)` array whose rows are all equal as one `Ix` row
    (static: a constant of the compiled program); anything else as it is."""
    if isinstance(a, np.ndarray) and a.ndim and len(a) == n_dev:
        if np.all(a == a[:1]):
            return Ix(a[0])
    return a


def _indexer(a):
    """An index array as `_advance` uses it: a slice where a constant is a
    contiguous range."""
    return Ix(a).index() if isinstance(a, np.ndarray) else a


def _place(tree, mesh: Mesh, spec: PartitionSpec):
    """`tree` laid out as `spec` on the mesh (`jax.reshard` on an explicit
    mesh, a sharding constraint on an automatic one)."""
    sharding = NamedSharding(mesh, spec)
    if jax.sharding.AxisType.Explicit in tuple(mesh.axis_types):
        return jax.reshard(tree, sharding)
    return jax.lax.with_sharding_constraint(tree, sharding)


def _synapse_values(syn, p, edges: _Split, targets: _Split | None):
    if targets is None:
        return _gather(syn, edges, len(p))
    fields = syn.edge_fields
    out = syn
    for f in type(syn).__dataclass_fields__:
        a = getattr(syn, f)
        if not eqx.is_array(a):
            continue
        split, n = (edges, len(p)) if f in fields else (targets, len(p.targets))
        out = eqx.tree_at(lambda s, f=f: getattr(s, f), out, _gather(a, split, n))
    return out


def _local_state(net: Network, parts: _Parts, state: State) -> dict:
    """The fields of every device's `State`, each stacked over the devices."""
    v_from = np.where(parts.v_from < 0, 0, parts.v_from)
    synapses = []
    for k, p in enumerate(net.synapses):
        st = state.synapses[k]
        if p.is_event:
            synapses.append(_gather(st, parts.targets[k], len(p.targets)))
            continue
        groups = state_groups(p)
        idx = parts.edges[k].take()
        if groups is not None:
            idx = groups[1].array[idx]
        synapses.append({name: a[idx] for name, a in st.items()})
    # Device-major columns, then the quiet one; padding slots read a zero.
    cols = np.append(parts.cells.take(pad=net.n_cells).reshape(-1), net.n_cells)
    spikes = jnp.pad(state.spikes, ((0, 0), (0, 1)))[:, cols]
    return dict(
        v=state.v[v_from],
        channels=tuple(
            _gather(st, s, len(m.nodes))
            for st, s, m in zip(state.channels, parts.mechs, net.mechanisms)
        ),
        synapses=tuple(synapses),
        plasticity=tuple(
            _gather(st, e, len(p))
            for st, e, p in zip(state.plasticity, parts.edges, net.synapses)
        ),
        spikes=jnp.broadcast_to(spikes, (parts.n_dev, *spikes.shape)),
        step=jnp.broadcast_to(state.step, (parts.n_dev,)),
    )


def _global_state(net: Network, parts: _Parts, final: State, state0: State) -> State:
    """The whole network's `State` from the devices' parts."""

    def back(a, split: _Split):
        return a.reshape(-1, *a.shape[2:])[split.flat]

    synapses = []
    for k, p in enumerate(net.synapses):
        st = final.synapses[k]
        if p.is_event:
            synapses.append({n: back(a, parts.targets[k]) for n, a in st.items()})
            continue
        groups = state_groups(p)
        flat = parts.edges[k].flat
        if groups is not None:
            flat = flat[groups[0].array]
        synapses.append({n: a.reshape(-1)[flat] for n, a in st.items()})
    cells = parts.cells
    owner = cells.flat // cells.local.shape[1]
    spikes = final.spikes[owner, :, cells.flat].T
    return State(
        v=final.v.reshape(-1)[parts.node_flat],
        channels=tuple(
            {n: back(a, s) for n, a in st.items()}
            for st, s in zip(final.channels, parts.mechs)
        ),
        synapses=tuple(synapses),
        plasticity=tuple(
            {n: back(a, e) for n, a in st.items()}
            for st, e in zip(final.plasticity, parts.edges)
        ),
        spikes=spikes,
        step=final.step[0],
    )


def _local_drive(net: Network, parts: _Parts, stimuli, n: int):
    """`_resolve_stimuli` per device: (D, sites) slots and (D, n, sites)
    waveforms, padding sites at padding compartments with a zero waveform (a
    waveform shared by all sites stays one column; padding compartments get
    it too, which touches nothing real)."""
    size = parts.nodes.shape[1]
    dummy = parts.n_comp - 1
    comp_owner = parts.node_flat[: net.topology.n_comp] // size

    def sites(idx, w):
        s = _split(comp_owner[idx], parts.n_dev)
        slot = np.where(s.local < 0, dummy, parts.node_flat[idx][s.take()] % size)
        if w.shape[1] == 1:  # one waveform for all: kept so (padding gets it too)
            return slot, jnp.broadcast_to(w, (parts.n_dev, *w.shape)), s
        col = np.where(s.local < 0, w.shape[1], s.take())
        w = jnp.concatenate([w, jnp.zeros((n, 1), w.dtype)], axis=1)
        return slot, jnp.moveaxis(w[:, col], 1, 0), s

    cur_idx, cur_w, cl_idx, cl_w, cl_g = [], [], [], [], []
    for s in stimuli:
        if isinstance(s, Stimulus):
            idx = resolve(net, s.where, "Stimulus")
            slot, w, _ = sites(idx, _waveform(s.current, n, len(idx), "Stimulus"))
            cur_idx.append(slot)
            cur_w.append(w)
        elif isinstance(s, VoltageClamp):
            idx = resolve(net, s.where, "VoltageClamp")
            w = _waveform(s.voltage, n, len(idx), "VoltageClamp")
            slot, w, split = sites(idx, jnp.broadcast_to(w, (n, len(idx))))
            g = jnp.broadcast_to(1.0 / s.rs, (len(idx),))
            cl_idx.append(slot)
            cl_w.append(w)
            cl_g.append(jnp.where(split.local < 0, 0.0, g[split.take()]))
        else:
            raise TypeError(
                f"simulate: stimuli must be dx.Stimulus or dx.VoltageClamp, got "
                f"{type(s).__name__}."
            )
    clamp = None
    if cl_idx:
        clamp = (
            np.concatenate(cl_idx, axis=1),
            jnp.concatenate(cl_w, axis=2),
            jnp.concatenate(cl_g, axis=1),
        )
    return tuple(cur_idx), tuple(cur_w), clamp


def _record_slots(parts: _Parts, net: Network, spec):
    """Per device the slots a record reads, and the columns of the gathered
    `(devices * slots)` result in the record's order."""
    size = parts.nodes.shape[1]
    if spec.field in ("v", "stimulus", "clamp"):
        flat, width = parts.node_flat[spec.pos], size
    elif spec.field == "counts":
        flat, width = parts.cells.flat[spec.pos], parts.cells.local.shape[1]
    else:
        if spec.field in ("channels", "channel_i"):
            split = parts.mechs[spec.k]
        elif spec.kind == "edges":
            split = parts.edges[spec.k]
        else:
            split = parts.targets[spec.k]
        flat, width = split.flat[spec.pos], split.local.shape[1]
    dev, slot = np.divmod(flat, width)
    split = _split(dev, parts.n_dev)  # the record's columns over the devices
    return np.append(slot, 0)[split.take(pad=len(slot))], split.flat


def _local_layout(parts: _Parts, plans, st, rules, uniform_delay):
    """One device's `_Layout` and event plans, from its traced index arrays."""
    plan = TreePlan(
        n=parts.nodes.shape[1], **{k: TracedIx(a) for k, a in st["plan"].items()}
    )
    topo = Topology(
        n_comp=parts.n_comp,
        n_total=parts.nodes.shape[1],
        parent=TracedIx(st["parent"]),
        half_a=Ix(np.zeros(0, np.int64)),  # (read when preparing, not in a step)
        half_b=Ix(np.zeros(0, np.int64)),
        plan=plan,
    )
    halo = None
    if st["exports"] is not None:
        exports, nodes, src = st["exports"], st["halo_nodes"], st["halo_from"]

        def halo(v):
            sent = jax.lax.all_gather(v[exports], AXIS, tiled=True)
            return v.at[nodes].set(sent[src])

    local_plans, groups = [], {}
    for k, pl in enumerate(plans):
        if pl is None:
            local_plans.append(None)
            continue
        delay = uniform_delay[k] if uniform_delay[k] is not None else st["delay"][k]
        group = groups.get(pl.group.members[0]) if pl.group is not None else None
        if pl.group is not None and group is None:  # EventDriven: device tables
            first = pl.group.members[0]
            cells, slots, targets, table_delay = st["tables"][first]
            if table_delay is None:
                table_delay = parts.tables[first][3]
            edge_start, target_start = parts.tables[first][4]
            group = groups[first] = _EventGroup(
                members=pl.group.members,
                cells=cells,
                delay=table_delay,
                edges=slots,
                targets=targets,
                edge_start=edge_start,
                target_start=target_start,
                max_spikes=min(pl.group.max_spikes, cells.shape[0]),
            )
        local_plans.append(
            _Plan(
                pre_u=st["pre_col"][k],
                row=None,
                post_cell=st["post_cell"][k],
                target=st["post"][k],
                n_target=parts.targets[k].local.shape[1],
                delay=delay,
                per_pre=None,
                dense=False,
                max_spikes=0,
                group=group,
            )
        )
    lay = _Layout(
        topology=topo,
        has_edges=parts.has_edges,
        nodes=tuple(_indexer(i) for i in st["nodes"]),
        pre=tuple(_indexer(i) for i in st["pre"]),
        post=tuple(
            None if pl is not None else _indexer(p) for p, pl in zip(st["post"], plans)
        ),
        targets=tuple(_indexer(i) for i in st["targets"]),
        plasticity=rules,
        sources=tuple(
            (k, _indexer(c)) for (k, _), c in zip(parts.sources, st["sources"])
        ),
        n_cells=parts.cells.local.shape[1],
        spike_offset=st["spike_offset"],
        halo=halo,
    )
    return lay, tuple(local_plans)
