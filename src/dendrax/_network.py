"""`Network`: an immutable struct-of-arrays of compartments and mechanisms."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import NamedTuple

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ._check import Bound, check
from ._custom_types import FloatValues
from ._morphology import Cell, outline
from ._param import Param, concat, float_values, set_values, take, tied, untied
from ._select import Selection, resolve
from ._solver._tree import TreePlan, cell_plan, merge
from ._static import Ix
from .channels.base import AbstractChannel
from .conn.delivery import AbstractDelivery, Segment
from .plasticity.base import AbstractPlasticity
from .synapses.base import AbstractSynapse
from .synapses.event import AbstractEventSynapse

COMPARTMENT_PARAMS = ("length", "radius", "axial_resistivity", "capacitance", "v_init")


class Nodes(eqx.Module):
    """One row per compartment: static position columns and `Param` properties.

    `profile` holds, per compartment, its membrane area and the axial
    resistances of its proximal and distal halves relative to the cylinder of its
    length and radius (`Compartment.profile`; ones for cylinders).
    """

    cell: Ix = eqx.field(static=True)
    branch: Ix = eqx.field(static=True)
    comp: Ix = eqx.field(static=True)
    length: Param
    radius: Param
    axial_resistivity: Param
    capacitance: Param
    v_init: Param
    profile: Ix = eqx.field(static=True)

    def __len__(self) -> int:
        return len(self.cell)


class Topology(eqx.Module):
    """Static structure of the cable equations, derived from the morphology.

    Solver nodes are the compartments (first `n_comp`) followed by zero-area
    nodes where branches meet at a branch end, as in NEURON where a section's
    ends are nodes without membrane. Each non-root solver node `i` is joined to
    `parent[i]` through the sum of two half-compartment resistances, `half_a[i]`
    and `half_b[i]`, each an index into the interleaved (proximal, distal)
    halves of all compartments, `2 c` for compartment c's proximal half and
    `2 c + 1` for its distal half (-1: none). `plan` holds the static layout
    of the tree solve (`dendrax._solver._tree`).
    """

    n_comp: int = eqx.field(static=True)
    n_total: int = eqx.field(static=True)
    parent: Ix = eqx.field(static=True)
    half_a: Ix = eqx.field(static=True)
    half_b: Ix = eqx.field(static=True)
    plan: TreePlan = eqx.field(static=True)


def _cell_graph(cell: Cell):
    """Undirected edges (u, v, half_a, half_b) over local solver nodes.

    Children attach as in NEURON (`nrn_parent_info`): at x = 1 to a zero-area
    node at the parent's distal end, shared by all children there; at 0 < x < 1
    directly to the parent's compartment containing x; at x = 0 to the node the
    parent itself hangs from (a zero-area node at the root's proximal end).
    """
    starts = np.cumsum([0] + [b.ncomp for b in cell.branches])
    n = int(starts[-1])
    edges = []
    for b, br in enumerate(cell.branches):
        for j in range(1, br.ncomp):
            u = starts[b] + j
            edges.append((u - 1, u, 2 * (u - 1) + 1, 2 * u))
    ends: dict[tuple[int, int], int] = {}

    def end_node(branch: int, distal: int) -> int:
        if (branch, distal) not in ends:
            ends[(branch, distal)] = n + len(ends)
            comp = starts[branch + 1] - 1 if distal else starts[branch]
            edges.append((comp, ends[(branch, distal)], 2 * comp + distal, -1))
        return ends[(branch, distal)]

    def node(branch: int, x: float) -> int:
        if x >= 1.0:
            return end_node(branch, 1)
        if x <= 0.0:
            p = cell.parents[branch]
            return end_node(branch, 0) if p < 0 else node(p, cell.attach[branch])
        k = min(int(cell.branches[branch].ncomp * x), cell.branches[branch].ncomp - 1)
        return int(starts[branch] + k)

    for b, (p, x) in enumerate(zip(cell.parents, cell.attach)):
        if p >= 0:
            first = starts[b]
            edges.append((first, node(p, x), 2 * first, -1))
    return n, len(ends), edges


def _cell_tree(cell: Cell):
    """Parent and half-resistance indices of a cell's solver nodes (local), the
    tree rooted at the first compartment of the root branch."""
    n, n_bp, edges = _cell_graph(cell)
    adj = [[] for _ in range(n + n_bp)]
    for u, v, a, b in edges:
        adj[u].append((v, a, b))
        adj[v].append((u, a, b))
    par, ha, hb = (np.full(n + n_bp, -1) for _ in range(3))
    seen = np.zeros(n + n_bp, bool)
    seen[0] = True
    queue = [0]  # the first compartment of the root branch
    for u in queue:
        for v, a, b in adj[u]:
            if not seen[v]:
                seen[v] = True
                par[v], ha[v], hb[v] = u, a, b
                queue.append(v)
    return n, n_bp, par, ha, hb


def _topology(cells: Sequence[Cell]) -> Topology:
    layout = _CellLayout(cells)
    trees = [_cell_tree(c) for c in layout.distinct]
    plans = [cell_plan(t[2]) for t in trees]
    n_bp = np.array([t[1] for t in trees], np.int64)[layout.kind]
    n_comp = int(layout.ncomp.sum())
    n_total = n_comp + int(n_bp.sum())
    comp_off = layout.offsets
    bp_off = n_comp + np.cumsum(n_bp) - n_bp
    par, ha, hb = (np.full(n_total, -1) for _ in range(3))
    for k, (n, _, c_par, c_ha, c_hb) in enumerate(trees):
        cells_k = np.flatnonzero(layout.kind == k)
        co, bo = comp_off[cells_k][:, None], bp_off[cells_k][:, None]

        def to_global(local, n=n, co=co, bo=bo):
            out = np.where(local < n, local + co, local - n + bo)
            return np.where(local < 0, -1, out)

        ids = to_global(np.arange(len(c_par))[None, :])
        par[ids] = to_global(c_par[None, :])
        ha[ids] = np.where(c_ha < 0, -1, c_ha + 2 * co)
        hb[ids] = np.where(c_hb < 0, -1, c_hb + 2 * co)

    def cell_global(c):
        n = trees[layout.kind[c]][0]
        co, bo = int(comp_off[c]), int(bp_off[c])

        def to_global(local):
            out = np.where(local < n, local + co, local - n + bo)
            return np.where(local < 0, -1, out)

        return to_global

    plan = merge(
        [plans[k] for k in layout.kind],
        [cell_global(c) for c in range(len(cells))],
        n_total,
    )
    return Topology(
        n_comp=n_comp,
        n_total=n_total,
        parent=Ix(par),
        half_a=Ix(ha),
        half_b=Ix(hb),
        plan=plan,
    )


class Drawing(eqx.Module):
    """Where to draw the cells (static): each distinct morphology's outline once,
    `outlines[k]` of shape (points, 5) holding x, y, z, radius (µm) and the
    compartment (within its cell) of each point, and per cell `placement` (which
    outline, and the shift x, y, z in µm that sets the cells side by side)."""

    outlines: tuple[Ix, ...]
    placement: Ix


def _drawing(cells: Sequence[Cell]) -> tuple[Drawing, Ix]:
    """The `Drawing` of the cells and every compartment's centre. The first cell
    keeps its own coordinates; each further one sits right of the previous, with
    a gap of a fifth of its width plus 4 µm."""
    layout = _CellLayout(cells)
    outlines = [outline(c) for c in layout.distinct]
    lo = np.array([o.xyz[:, 0].min() for o in outlines])[layout.kind]
    hi = np.array([o.xyz[:, 0].max() for o in outlines])[layout.kind]
    # Cell c ends at right[c] = right[c - 1] + its width and gap; it is shifted
    # so that its left edge lies at right[c - 1].
    step = (hi - lo) + 0.2 * (hi - lo + 20.0)
    right = lo[0] + np.cumsum(step)
    shift = np.concatenate([[0.0], right[:-1] - lo[1:]])
    placement = np.column_stack(
        [layout.kind, shift, np.zeros(len(cells)), np.zeros(len(cells))]
    )
    centres = layout.place([o.centre for o in outlines])
    centres[:, 0] += np.repeat(shift, layout.ncomp)
    drawing = Drawing(
        tuple(Ix(np.column_stack([o.xyz, o.radius, o.comp])) for o in outlines),
        Ix(placement),
    )
    return drawing, Ix(centres)


class Groups(eqx.Module):
    """Named compartment sets (static: a node tree without leaves)."""

    items: tuple[tuple[str, Ix], ...] = eqx.field(static=True)

    def __iter__(self):
        return iter(self.items)

    def names(self) -> list[str]:
        return [k for k, _ in self.items]


class Mechanism(eqx.Module):
    """A channel inserted in some compartments; its fields are `Param`s."""

    channel: AbstractChannel
    nodes: Ix = eqx.field(static=True)

    @property
    def name(self) -> str:
        return type(self.channel).__name__


def param_fields(model: eqx.Module) -> list[str]:
    """Names of the parameter (non-static) fields of a channel or synapse."""
    return [
        f.name for f in dataclasses.fields(model) if not f.metadata.get("static", False)
    ]


def map_params(fn, model: eqx.Module, *others: eqx.Module) -> eqx.Module:
    """`model` with each parameter field `f` replaced by
    `fn(f, model.f, *(o.f for o in others))`."""
    fields = param_fields(model)
    return eqx.tree_at(
        lambda m: [getattr(m, f) for f in fields],
        model,
        [fn(f, getattr(model, f), *(getattr(o, f) for o in others)) for f in fields],
        is_leaf=lambda x: x is None,
    )


class Projection(eqx.Module):
    """Synapses of one model between compartments: an edge list in canonical
    order (sorted by presynaptic, then postsynaptic compartment).

    For a graded synapse (`AbstractSynapse`) every field is a `Param` with one
    element per edge. For an event synapse (`AbstractEventSynapse`) the
    `edge_fields` (the weight) have one element per edge and the receptor
    fields one per target compartment (`targets`); `delay` holds each edge's
    delay in ms, and `plasticity` an optional rule.
    """

    synapse: AbstractSynapse | AbstractEventSynapse
    pre: Ix = eqx.field(static=True)
    post: Ix = eqx.field(static=True)
    name: str = eqx.field(static=True)
    targets: Ix | None = eqx.field(static=True, default=None)
    delay: Ix | None = eqx.field(static=True, default=None)
    plasticity: AbstractPlasticity | None = None
    delivery: AbstractDelivery = eqx.field(static=True, default=Segment())

    def __len__(self) -> int:
        return len(self.pre)

    @property
    def is_event(self) -> bool:
        """Whether the synapse is driven by presynaptic spikes."""
        return isinstance(self.synapse, AbstractEventSynapse)

    def per_edge(self, field: str) -> bool:
        """Whether parameter `field` has one element per edge (else per target)."""
        return not self.is_event or field in self.synapse.edge_fields

    def target_index(self) -> np.ndarray:
        """Per edge, the position of its postsynaptic compartment in `targets`."""
        return np.searchsorted(self.targets.array, self.post.array)


class _CellLayout:
    """Which distinct cell object each cell is, and where its compartments
    start; `place` lays per-object arrays out over all cells."""

    def __init__(self, cells: Sequence[Cell]):
        index: dict[int, int] = {}
        self.distinct: list[Cell] = []
        self.kind = np.empty(len(cells), np.int64)
        for c, cell in enumerate(cells):
            k = index.get(id(cell))
            if k is None:
                k = index[id(cell)] = len(self.distinct)
                self.distinct.append(cell)
            self.kind[c] = k
        per_kind = np.array([c.ncomp for c in self.distinct], np.int64)
        self.ncomp = per_kind[self.kind]
        self.offsets = np.cumsum(self.ncomp) - self.ncomp

    def place(self, per_kind: list[np.ndarray]) -> np.ndarray:
        """Concatenate `per_kind[kind[c]]` over the cells c, without a loop over
        cells (rows of 2-d arrays follow the compartments)."""
        first = np.asarray(per_kind[0])
        out = np.empty((int(self.ncomp.sum()), *first.shape[1:]), first.dtype)
        for k, block in enumerate(per_kind):
            starts = self.offsets[self.kind == k]
            rows = (starts[:, None] + np.arange(len(block))[None, :]).ravel()
            out[rows] = np.tile(
                np.asarray(block), (len(starts),) + (1,) * (out.ndim - 1)
            )
        return out


def _cell_block(cell: Cell) -> dict:
    """One cell's per-compartment arrays, in local indices."""
    starts = np.cumsum([0] + [b.ncomp for b in cell.branches])
    comps = [comp for br in cell.branches for comp in br.comps]
    return dict(
        branch=np.repeat(np.arange(len(cell.branches)), np.diff(starts)),
        comp=np.concatenate([np.arange(br.ncomp) for br in cell.branches]),
        props={
            k: np.array([float(getattr(c, k)) for c in comps])
            for k in COMPARTMENT_PARAMS
        },
        profile=np.array([c.profile for c in comps], dtype=float),
        groups=[
            (
                name,
                np.concatenate(
                    [np.arange(starts[b], starts[b + 1]) for b in brs]
                    + [np.zeros(0, np.int64)]
                ),
            )
            for name, brs in cell.groups
        ],
    )


class Network(eqx.Module):
    """A network of cells: an immutable PyTree.

    **Arguments:**

    - `cells`: a `Cell` or a sequence of cells (`[cell] * n` is cheap: shared
      morphologies are processed once).

    Build on it with pure functions (`dx.insert`, `dx.set`, `dx.add_group`, ...);
    each returns a new network.
    """

    nodes: Nodes
    mechanisms: tuple[Mechanism, ...]
    synapses: tuple[Projection, ...]
    topology: Topology
    groups: Groups
    xyz: Ix = eqx.field(static=True)
    drawing: Drawing = eqx.field(static=True)

    def __init__(self, cells: Cell | Sequence[Cell]):
        if isinstance(cells, Cell):
            cells = [cells]
        cells = list(cells) if isinstance(cells, Sequence) else []
        if not cells or not all(isinstance(c, Cell) for c in cells):
            raise TypeError(
                "Network: cells must be a Cell or a non-empty list of Cells."
            )
        # Cells made of one object ([cell] * n) are processed once, then placed
        # at their offsets with array operations: O(cells) Python work, not
        # O(compartments).
        layout = _CellLayout(cells)
        blocks = [_cell_block(c) for c in layout.distinct]
        place = layout.place
        groups: dict[str, list[np.ndarray]] = {}
        for k, block in enumerate(blocks):
            for name, local in block["groups"]:
                starts = layout.offsets[layout.kind == k]
                groups.setdefault(name, []).append(
                    (starts[:, None] + local[None, :]).ravel()
                )
        self.nodes = Nodes(
            cell=Ix(np.repeat(np.arange(len(cells)), layout.ncomp)),
            branch=Ix(place([b["branch"] for b in blocks])),
            comp=Ix(place([b["comp"] for b in blocks])),
            **{
                k: untied(place([b["props"][k] for b in blocks]))
                for k in COMPARTMENT_PARAMS
            },
            profile=Ix(place([b["profile"] for b in blocks])),
        )
        self.mechanisms = ()
        self.synapses = ()
        self.topology = _topology(cells)
        self.groups = Groups(
            tuple((k, Ix(np.unique(np.concatenate(v)))) for k, v in groups.items())
        )
        self.drawing, self.xyz = _drawing(cells)

    def __len__(self) -> int:
        return len(self.nodes)

    @property
    def n_cells(self) -> int:
        """Number of cells."""
        return int(self.nodes.cell.array.max()) + 1

    @property
    def edges(self):
        """The edge table (`dx.edge_table(net)`): one row per synapse."""
        from ._select import edge_table

        return edge_table(self)

    @property
    def n_edges(self) -> int:
        """Number of synapses (edges) over all projections."""
        return sum(len(p) for p in self.synapses)

    def edge_offsets(self) -> np.ndarray:
        """Global index of the first edge of each projection (and the total)."""
        return np.cumsum([0] + [len(p) for p in self.synapses])

    def mechanism(self, name: str) -> Mechanism:
        """The mechanism called `name` (a channel class name)."""
        for m in self.mechanisms:
            if m.name == name:
                return m
        raise ValueError(
            f"unknown mechanism {name!r}; this network has "
            f"{[m.name for m in self.mechanisms] or 'none'} (insert it with dx.insert)."
        )

    def param_names(self) -> list[str]:
        """Every name `dx.set` accepts."""
        names = list(COMPARTMENT_PARAMS)
        for m in self.mechanisms:
            names += [f"{m.name}.{f}" for f in param_fields(m.channel)]
        for p in self.synapses:
            names += [f"{p.name}.{f}" for f in param_fields(p.synapse)]
        return names


class CableGeometry(NamedTuple):
    """Per compartment: membrane area (µm²) and the axial resistances (MΩ) of
    its proximal and distal halves."""

    area: Float[Array, " comp"]
    proximal: Float[Array, " comp"]
    distal: Float[Array, " comp"]


def cable_geometry(net: Network) -> CableGeometry:
    """Membrane areas and half-compartment axial resistances, NEURON's
    `seg.area()` and the two halves that make up `seg.ri()`.

    A cylinder of length L and radius r has area 2π r L and halves of
    Ra (L/2) / (π r²); compartments traced by 3-D points scale these by their
    `profile` (see `dx.Compartment`). A pure function of the parameters, so it
    works under `jit`, `vmap` and `grad`.

    **Arguments:**

    - `net`: the network.

    **Returns:**

    A `CableGeometry` of arrays with one entry per compartment.
    """
    nodes = net.nodes
    length = nodes.length.values()
    radius = nodes.radius.values()
    profile = jnp.asarray(nodes.profile.array, length.dtype)
    area = 2 * jnp.pi * radius * length * profile[:, 0]
    # Half a cylinder's axial resistance in MΩ: Ra[Ω·cm] (L/2)[µm] / (π r²)[µm²]
    # = 1e-2 MΩ per (Ω·cm / µm).
    half = 1e-2 * nodes.axial_resistivity.values() * (length / 2)
    half = half / (jnp.pi * radius**2)
    return CableGeometry(area, half * profile[:, 1], half * profile[:, 2])


# --- pure builders -----------------------------------------------------------------


def as_param(
    value, n: int, who: str, name: str, what: str, bound: Bound = "finite"
) -> Param:
    """`n` elements from a scalar (one tie group shared by all: the same value,
    stored once) or one value per element (each its own group), checked
    against `bound` (see `_check.check`)."""
    arr = float_values(check(value, who, name, bound))
    if arr.ndim == 0:
        return tied(arr, n)
    if arr.shape != (n,):
        raise ValueError(
            f"{who}: parameter {name!r} has shape {arr.shape}; give a scalar or one "
            f"value per {what} ({n},)."
        )
    return untied(arr)


def parametrize(model: eqx.Module, n: int, who: str, what: str) -> eqx.Module:
    """`model` with every parameter field turned into an untied `Param` of `n`
    elements (scalars are broadcast)."""
    owner = type(model).__name__
    return map_params(
        lambda f, v: as_param(v, n, who, f"{owner}.{f}", what, model.bound(f)), model
    )


def insert(
    net: Network, channel: AbstractChannel, where: Selection | None = None
) -> Network:
    """Insert a channel into some compartments.

    Inserting a channel of a class already present extends it: compartments new
    to it take the parameters of `channel`, compartments that had it are reset to
    them.

    **Arguments:**

    - `net`: the network.
    - `channel`: an instance of a `dx.channels.AbstractChannel` subclass; its field
      values are the parameter values (scalars, or one per selected compartment).
    - `where`: a node `Selection`; default every compartment.

    **Returns:**

    A new network.
    """
    if not isinstance(channel, AbstractChannel):
        raise TypeError(
            f"insert: channel must be an AbstractChannel instance, got "
            f"{type(channel).__name__}; write e.g. dx.channels.HH()."
        )
    idx = resolve(net, where, "insert")
    new = parametrize(channel, len(idx), "insert", "selected compartment")
    name = type(channel).__name__
    mechs = list(net.mechanisms)
    pos = [i for i, m in enumerate(mechs) if m.name == name]
    if not pos:
        mechs.append(Mechanism(new, Ix(idx)))
    else:
        old = mechs[pos[0]]
        if type(old.channel) is not type(channel):
            raise ValueError(
                f"insert: a different channel class is already called {name!r}; "
                "rename one of them."
            )
        mechs[pos[0]] = _merge(old, new, idx)
    return eqx.tree_at(lambda n: n.mechanisms, net, tuple(mechs))


def _merge(old: Mechanism, new_channel: AbstractChannel, idx: np.ndarray) -> Mechanism:
    """`old` extended to the nodes `idx`, which take `new_channel`'s values."""
    channel, nodes = merge_nodes(old.channel, old.nodes.array, new_channel, idx)
    return Mechanism(channel, Ix(nodes))


def merge_nodes(old, old_nodes, new, new_nodes, fields=None):
    """Per-node parameters of `old` (at `old_nodes`) and `new` (at `new_nodes`,
    which win where both are present), as one model over the sorted union.

    Only `fields` are merged (default all); the others are taken from `old`.
    """
    keep = np.flatnonzero(~np.isin(old_nodes, new_nodes))
    nodes = np.concatenate([old_nodes[keep], new_nodes])
    order = np.argsort(nodes, kind="stable")

    def merge(f, a, b):
        if fields is not None and f not in fields:
            return a
        return take(concat(take(a, keep), b), order)

    return map_params(merge, old, new), nodes[order]


def _bound(net: Network, name: str) -> Bound:
    """The bound of parameter `name` (see `_check.check`)."""
    if name in COMPARTMENT_PARAMS:
        return "finite" if name == "v_init" else "positive"
    owner, _, field = name.partition(".")
    models = [m.channel for m in net.mechanisms if m.name == owner]
    models += [p.synapse for p in net.synapses if p.name == owner]
    return models[0].bound(field) if models else "finite"


def locate(net: Network, name: str, who: str):
    """Find a parameter by name.

    Returns `(getter, elements, kind)`: a function from a network to the
    `Param`, the global index (node or edge) of each of its elements, and
    "nodes" or "edges".
    """
    if name in COMPARTMENT_PARAMS:
        return (lambda n: getattr(n.nodes, name)), np.arange(len(net)), "nodes"
    if not isinstance(name, str):
        raise TypeError(
            f"{who}: name must be a string such as 'radius' or 'HH.gNa', got {name!r}."
        )
    owner, _, field = name.partition(".")
    for i, m in enumerate(net.mechanisms):
        if m.name == owner and field in param_fields(m.channel):
            getter = lambda n, i=i: getattr(n.mechanisms[i].channel, field)  # noqa: E731
            return getter, m.nodes.array, "nodes"
    offsets = net.edge_offsets()
    for i, p in enumerate(net.synapses):
        if p.name == owner and field in param_fields(p.synapse):
            getter = lambda n, i=i: getattr(n.synapses[i].synapse, field)  # noqa: E731
            if not p.per_edge(field):  # a receptor parameter: one per target node
                return getter, p.targets.array, "nodes"
            return getter, np.arange(offsets[i], offsets[i + 1]), "edges"
    raise ValueError(
        f"{who}: unknown parameter {name!r}; known parameters: {net.param_names()}."
    )


def get(
    net: Network,
    name: str,
    where: Selection | None = None,
    *,
    gradient: bool = False,
) -> Float[Array, " n"]:
    """Per-element values of a parameter, in a network, in either half of
    `dx.partition`, or in a gradient.

    **Arguments:**

    - `net`: the network; or the `params` (or `static`) half of
      `dx.partition(net)`, which holds only the trainable (or only the fixed)
      values; or a gradient of either, e.g. from `eqx.filter_grad`.
    - `name`: a compartment property ("radius", "length", "axial_resistivity",
      "capacitance", "v_init"), "Channel.field" (e.g. "HH.gNa") or
      "Projection.field" (e.g. "Ionotropic.gS").
    - `where`: a node (or, for synapses, edge) `Selection`; default everywhere
      the parameter exists.
    - `gradient`: `net` is a gradient: read its numbers as they are, without the
      parameter's transform. Each element then gets the gradient of the value it
      reads (for a tied value, the sum over the elements that share it, at every
      one of them); for a trainable value with a transform, the gradient with
      respect to the stored (unconstrained) number, the one an optimiser steps.

    **Returns:**

    The values at the selected compartments (or synapses) that have the
    parameter.
    """
    getter, elems, kind = locate(net, name, "get")
    pos = positions(elems, resolve(net, where, "get", kind), name, "get")
    param = getter(net)
    ids = param.ids.array[pos]
    free, fixed = param.free, param.fixed
    n_groups = int(param.ids.array.max(initial=-1)) + 1
    n_free = free.shape[0] if free is not None else n_groups - fixed.shape[0]
    missing = (ids < n_free) if free is None else (ids >= n_free)
    if (free is None or fixed is None) and missing.any():
        half = "fixed" if free is None else "trainable"
        raise ValueError(
            f"get({name!r}): this tree holds only the {half} values of {name!r} "
            "(a half of dx.partition), but the selection includes "
            f"{int(missing.sum())} elements that are not {half}; select elements "
            "that are, or read from dx.combine(params, static)."
        )
    if free is not None and not gradient:
        free = param.transform.forward(free)
    dtype = (free if free is not None else fixed).dtype
    parts = [
        jnp.zeros((n_free,), dtype) if free is None else free,
        jnp.zeros((n_groups - n_free,), dtype) if fixed is None else fixed,
    ]
    return jnp.concatenate(parts)[ids]


def positions(elems: np.ndarray, idx: np.ndarray, name: str, who: str) -> np.ndarray:
    """Positions within a parameter's elements of the selected indices that
    carry it (an error if none does)."""
    inside = np.isin(idx, elems)
    if not inside.any():
        raise ValueError(
            f"{who}: none of the selected elements has {name!r}; insert (or "
            "connect) it there first, or select elements that have it."
        )
    return np.searchsorted(elems, idx[inside])


def set(
    net: Network,
    name: str,
    value: FloatValues,
    where: Selection | None = None,
) -> Network:
    """Set a parameter; works under `jit`, `vmap` and `grad` (value may be traced).

    **Arguments:**

    - `net`: the network.
    - `name`: a compartment property ("radius", "length", "axial_resistivity",
      "capacitance", "v_init"), "Channel.field" (e.g. "HH.gNa") or
      "Projection.field" (e.g. "Ionotropic.gS").
    - `value`: a scalar (selected elements keep their ties) or one value per
      selected element that has the parameter (unties them).
    - `where`: a node (or, for synapses, edge) `Selection`; default every
      element. Only elements that have the parameter are affected.

    **Returns:**

    A new network. Tie groups that straddle the selection are split, so nothing
    outside it changes.
    """
    getter, elems, kind = locate(net, name, "set")
    pos = positions(elems, resolve(net, where, "set", kind), name, "set")
    value = check(value, "set", name, _bound(net, name))
    param = getter(net)
    if param.fixed is None or param.free is None:
        return eqx.tree_at(getter, net, _set_in_half(param, pos, value, name))
    try:
        new = set_values(param, pos, value)
    except ValueError as e:
        raise ValueError(f"set({name!r}): {e}") from None
    return eqx.tree_at(getter, net, new)


def _set_in_half(param: Param, pos: np.ndarray, value, name: str) -> Param:
    """`set` on the params half of `dx.partition`: only trainable values, and only
    so that the ties (shared with the static half) stay as they are."""
    if param.free is None:
        raise ValueError(
            f"set({name!r}): this tree is the static half of dx.partition; set "
            "values on the network or on the params half."
        )
    n_free = param.free.shape[0]
    ids = param.ids.array
    if np.any(ids[pos] >= n_free):
        raise ValueError(
            f"set({name!r}): the params half of dx.partition holds only trainable "
            "values, and the selection includes fixed ones; select trainable "
            "elements, or set on the whole network and partition it again."
        )
    n_fixed = int(ids.max(initial=-1)) + 1 - n_free
    full = eqx.tree_at(
        lambda p: p.fixed, param, jnp.zeros((n_fixed,), param.free.dtype),
        is_leaf=lambda x: x is None,
    )  # fmt: skip
    try:
        new = set_values(full, pos, value)
    except ValueError as e:
        raise ValueError(f"set({name!r}): {e}") from None
    if new.ids != param.ids or new.n_free != n_free:
        raise ValueError(
            f"set({name!r}): on the params half of dx.partition a set must keep "
            "the ties (the static half holds them): set whole tie groups, with a "
            "scalar or one value per element of untied values; to change ties, "
            "set on the whole network and partition it again."
        )
    return eqx.tree_at(lambda p: p.fixed, new, None)


def add_group(net: Network, name: str, where: Selection) -> Network:
    """Name a set of compartments for later `select(net, group=name)`.

    **Arguments:**

    - `net`: the network.
    - `name`: a new group name.
    - `where`: a node `Selection`.

    **Returns:**

    A new network.
    """
    if not isinstance(name, str) or not name:
        raise ValueError("add_group: name must be a non-empty string.")
    if name in net.groups.names():
        raise ValueError(
            f"add_group: group {name!r} exists already; choose another name."
        )
    if not isinstance(where, Selection):
        raise TypeError("add_group: where= must be a dx.Selection (from dx.select).")
    idx = resolve(net, where, "add_group")
    groups = Groups(net.groups.items + ((name, Ix(idx)),))
    return eqx.tree_at(lambda n: n.groups, net, groups)
