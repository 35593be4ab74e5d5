"""`Selection`: a pure set of node (or edge) indices: static NumPy indices, or
traced ones (`dx.select` given jax arrays under `jit`/`vmap`), found at run time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Int

from ._static import Ix

if TYPE_CHECKING:
    from ._network import Network


class Table:
    """Read-only columns handed to selection predicates (NumPy arrays)."""

    def __init__(self, columns: dict[str, np.ndarray], groups: dict[str, np.ndarray]):
        self._columns = columns
        self.groups = groups

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self.__dict__["_columns"][name]
        except KeyError:
            raise AttributeError(
                f"unknown column {name!r}; available: {sorted(self._columns)}"
            ) from None

    def __len__(self) -> int:
        return len(next(iter(self._columns.values())))

    def columns(self) -> dict[str, np.ndarray]:
        """All columns as a dict (copies)."""
        return {k: v.copy() for k, v in self._columns.items()}

    def __repr__(self) -> str:
        return f"Table({len(self)} rows; columns {list(self._columns)})"


def to_pandas(table: Table):
    """A `pandas.DataFrame` of a node or edge table, for inspection only.

    **Arguments:**

    - `table`: `dx.node_table(net)`, `dx.edge_table(net)` or `net.edges`.

    **Returns:**

    A DataFrame with one column per table column (pandas must be installed).
    """
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            "dx.to_pandas needs pandas: pip install pandas (dendrax itself does "
            "not depend on it)."
        ) from None
    return pd.DataFrame(table.columns())


class Selection(eqx.Module):
    """Indices of selected nodes (compartments) or edges.

    Build one with `dx.select`; combine with `&` and `|`; `len(sel)` counts the
    selected elements. A selection holds no reference to its network, only a
    fingerprint of its structure (its compartments; for edges, also its
    synapses): functions given a selection made on a network of another
    structure refuse it, rather than pick other elements.

    A selection is *static* (sorted, unique NumPy indices, known when tracing)
    unless `dx.select` was given traced indices (jax arrays inside `jit`,
    `vmap` or `grad`): then it is *traced*, its indices a jax array computed at
    run time, one group of compartments per traced index, in their order.
    Only its count is static. `dx.Stimulus`, `dx.VoltageClamp` and `dx.Record`
    accept traced selections; functions that change structure (`dx.insert`,
    `dx.connect`, `dx.set`, `dx.add_group`, ...) need static ones.
    """

    index: Ix | None = eqx.field(static=True)
    kind: Literal["nodes", "edges"] = eqx.field(static=True, default="nodes")
    network: int | None = eqx.field(static=True, default=None)
    traced_index: Int[Array, " sel"] | None = None

    def __check_init__(self):
        if (self.index is None) == (self.traced_index is None):
            raise ValueError(
                "Selection: give either index (static) or traced_index (traced); "
                "build selections with dx.select."
            )

    def __len__(self) -> int:
        if self.index is None:
            return int(self.traced_index.shape[0])
        return len(self.index)

    @property
    def is_traced(self) -> bool:
        """Whether the indices are traced (known only at run time)."""
        return self.index is None

    @property
    def indices(self) -> np.ndarray | Array:
        """The selected indices: a read-only NumPy array, or the jax array of a
        traced selection."""
        if self.index is None:
            return self.traced_index
        return self.index.array

    def _combine(self, other: Selection, op) -> Selection:
        if not isinstance(other, Selection) or other.kind != self.kind:
            raise TypeError(
                "Selections can only be combined with selections of the "
                f"same kind ({self.kind})."
            )
        if self.is_traced or other.is_traced:
            raise ValueError(
                "Selections with traced indices cannot be combined with & or |: "
                "the size of the result would depend on run-time values. Give "
                "all criteria to one dx.select call (static ones narrow what each "
                "traced index picks)."
            )
        if None not in (self.network, other.network) and self.network != other.network:
            raise ValueError(
                "These selections were made on different networks; select both on "
                "the same one."
            )
        network = other.network if self.network is None else self.network
        return Selection(Ix(op(self.indices, other.indices)), self.kind, network)

    def __and__(self, other: Selection) -> Selection:
        return self._combine(other, np.intersect1d)

    def __or__(self, other: Selection) -> Selection:
        return self._combine(other, np.union1d)


_Ints = int | Sequence[int] | np.ndarray | Array | slice | Literal["all"] | None

# What the indices of each criterion count, for messages.
_WHAT = {
    "cell": "cell indices",
    "branch": "branch indices",
    "comp": "compartment indices",
    "index": "node indices",
    "edges": "edge indices",
}


def fingerprint(net: Network, kind: Literal["nodes", "edges"]) -> int:
    """A cheap hash of a network's structure: its compartments (cell, branch,
    index, parent) and, for edges, its projections' edges. `Ix` arrays hash once,
    when made, so this costs a few hash combinations."""
    nodes = net.nodes
    key = (nodes.cell, nodes.branch, nodes.comp, net.topology.parent)
    if kind == "edges":
        key += tuple((p.name, p.pre, p.post) for p in net.synapses)
    return hash(key)


def _match(
    column: np.ndarray, wanted: _Ints, name: str, size: np.ndarray | None = None
) -> np.ndarray:
    """Mask of the rows of `column` (indices) that `wanted` asks for. A slice is
    applied to `range(size)` of each row's own `size` (the number of indices
    where the row lives: branches of its cell, compartments of its branch)."""
    if wanted is None or (isinstance(wanted, str) and wanted == "all"):
        return np.ones(len(column), bool)
    if isinstance(wanted, str):
        raise ValueError(
            f"select: {name}={wanted!r}; use an int, a list of ints, a slice or 'all'."
        )
    if isinstance(wanted, slice):
        return _in_slice(column, wanted, name, size)
    given = wanted
    wanted = np.atleast_1d(np.asarray(wanted))
    if wanted.size == 0:
        raise ValueError(f"select: {name}=[] selects nothing; give at least one index.")
    if wanted.dtype.kind not in "iu":
        raise TypeError(
            f"select: {name} must hold integers (or be a slice), got {wanted.dtype}."
        )
    missing = wanted[~np.isin(wanted, column)]
    if missing.size:
        raise ValueError(
            f"select: {name}={given!r} holds {missing[0]}, which is out of range: "
            f"{_WHAT[name]} in this network run from {column.min()} to "
            f"{column.max()}."
        )
    return np.isin(column, wanted)


def _in_slice(
    column: np.ndarray, wanted: slice, name: str, size: np.ndarray | None
) -> np.ndarray:
    """Rows whose index `column[i]` lies in `range(size[i])[wanted]`."""
    for part in ("start", "stop", "step"):
        bound = getattr(wanted, part)
        if bound is not None and (
            isinstance(bound, bool) or not isinstance(bound, int | np.integer)
        ):
            raise TypeError(
                f"select: {name}={wanted!r} has {part}={bound!r}; a slice's start, "
                f"stop and step must be integers or None, e.g. {name}=slice(0, 10)."
            )
    if wanted.step == 0:
        raise ValueError(
            f"select: {name}={wanted!r} has step 0; give a nonzero step, e.g. "
            f"{name}=slice(None, None, 2) for every other one."
        )
    if size is None:  # global indices: one range for all rows
        size = np.full(len(column), int(column.max()) + 1 if len(column) else 0)
    mask = np.zeros(len(column), bool)
    for n in np.unique(size):
        rows = size == n
        keep = np.zeros(int(n), bool)
        keep[np.arange(int(n))[wanted]] = True
        mask[rows] = keep[column[rows]]
    if not mask.any():
        raise ValueError(
            f"select: {name}={wanted!r} selects nothing: {_WHAT[name]} in this "
            f"network run from 0 to {int(column.max())} (slices are cut to the "
            "indices that exist, as Python's are)."
        )
    return mask


def _sizes(local: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Per row, how many indices its owner has (the largest local index of the
    owner's rows, plus one); `owner` holds integer group ids."""
    top = np.zeros(int(owner.max()) + 1 if len(owner) else 0, np.int64)
    np.maximum.at(top, owner, local + 1)
    return top[owner]


def _group_column(net: Network, n: int) -> np.ndarray:
    """Per node, the name of the first group containing it ("" if none)."""
    col = np.full(n, "", dtype=object)
    for name, ix in reversed(net.groups.items):
        col[ix.array] = name
    return col


def node_table(net: Network) -> Table:
    """The node table of `net`: one row per compartment.

    **Arguments:**

    - `net`: the network.

    **Returns:**

    A `Table` with columns `index`, `cell`, `branch`, `comp`, `group` (the first
    group holding the compartment, "" if none) and `groups[name]` masks.
    """
    nodes = net.nodes
    cols = {
        "index": np.arange(len(nodes.cell)),
        "cell": nodes.cell.array,
        "branch": nodes.branch.array,
        "comp": nodes.comp.array,
        "group": _group_column(net, len(nodes.cell)),
    }
    groups = {name: np.isin(cols["index"], ix.array) for name, ix in net.groups}
    return Table(cols, groups)


def edge_table(net: Network) -> Table:
    """The edge table of `net`: one row per synapse, in canonical order.

    **Arguments:**

    - `net`: the network.

    **Returns:**

    A `Table` with columns `index`, `projection`, `pre_node`, `post_node`,
    `pre_cell`, `pre_branch`, `pre_comp`, `pre_group`, and the same for `post_`.
    """
    pre = np.concatenate([p.pre.array for p in net.synapses] or [np.zeros(0, int)])
    post = np.concatenate([p.post.array for p in net.synapses] or [np.zeros(0, int)])
    proj = np.concatenate(
        [np.full(len(p.pre), p.name, dtype=object) for p in net.synapses]
        or [np.zeros(0, object)]
    )
    nodes = node_table(net)
    cols = {"index": np.arange(len(pre)), "projection": proj}
    for side, idx in (("pre", pre), ("post", post)):
        cols[f"{side}_node"] = idx
        for c in ("cell", "branch", "comp", "group"):
            cols[f"{side}_{c}"] = getattr(nodes, c)[idx]
    return Table(cols, {})


def select(
    net: Network,
    cell: _Ints = None,
    branch: _Ints = None,
    comp: _Ints = None,
    *,
    index: _Ints = None,
    group: str | Sequence[str] | None = None,
    where: Callable[[Table], np.ndarray] | None = None,
    edges: _Ints | Callable[[Table], np.ndarray] = None,
) -> Selection:
    """Select compartments of a network.

    All given criteria must hold (they are intersected). `branch` and `comp` are
    indices local to each cell (branch) as in `Cell`; `index` counts the
    compartments of the whole network, in the order of `dx.node_table`.

    **Arguments:**

    - `net`: the network.
    - `cell`, `branch`, `comp`: an int, a list (or array) of ints, a slice, or
      "all". A slice is applied as Python applies it to a list of the indices
      that exist: `cell=slice(0, 100)` to the cells of the network, `branch=` to
      the branches of each cell, `comp=` to the compartments of each branch, so
      `comp=slice(None, None, 2)` is every other compartment of every branch,
      from the first, and `comp=slice(-1, None)` the last one of each.
    - `index`: global compartment indices: an int, a list (or array) of ints, a
      slice over all compartments, or "all".
    - `group`: a group name (or several, united) added with `dx.add_group` or set by
      `read_swc`.
    - `where`: a predicate receiving the node `Table` (columns `index`, `cell`,
      `branch`, `comp`, `group`; `table.groups[name]` boolean masks) returning a
      boolean mask.
    - `edges`: select synapses instead: "all", edge indices (an int, a list or a
      slice over the edges), or a predicate over the edge `Table` (see
      `dx.edge_table`), e.g. `lambda e: e.pre_group == "exc"`. Cannot be combined
      with the other criteria.

    `cell`, `branch`, `comp`, `index` and `edges` may also be *traced*: an
    integer jax array, a scalar or a vector, inside `jit`, `vmap` or `grad`
    (e.g. `jax.vmap(lambda i: dx.select(net, comp=i))`). The selection is then
    traced: the static criteria leave a set of compartments, and each entry of
    the traced indices (broadcast together, e.g. `cell=i` with `comp=j`) picks
    those of them that have its values, found at run time by a lookup in a
    table built from the node table. Each entry must pick the same number of
    compartments (one, with `cell=i, branch=0, comp=0`): the count, and so
    every shape, is fixed when tracing. An index out of range, or a
    combination that names no compartment, raises at run time
    (`eqx.error_if`). A traced selection lists its compartments in the order
    of the traced indices, repeats included.

    **Returns:**

    A `Selection` of nodes (or edges). Raises `ValueError` if nothing is
    selected, and a `TypeError` or `ValueError` naming the argument for indices
    that are not integers or do not exist.
    """
    from ._network import Network

    if not isinstance(net, Network):
        raise TypeError(f"select: net must be a dx.Network, got {type(net).__name__}.")
    if edges is not None:
        if any(x is not None for x in (cell, branch, comp, index, group, where)):
            raise ValueError(
                "select: edges= cannot be combined with cell/branch/comp/index/group/"
                "where; express the condition as a predicate over the edge table."
            )
        return _select_edges(net, edges)
    given = {"cell": cell, "branch": branch, "comp": comp, "index": index}
    traced = {k: _traced(v, k) for k, v in given.items()}
    traced = {k: v for k, v in traced.items() if v is not None}
    # The static criteria first; each traced index then picks among what they leave.
    cell, branch, comp, index = (None if k in traced else v for k, v in given.items())
    table = node_table(net)
    mask = _match(table.cell, cell, "cell")
    if isinstance(branch, slice):  # per cell
        mask &= _match(table.branch, branch, "branch", _sizes(table.branch, table.cell))
    else:
        mask &= _match(table.branch, branch, "branch")
    if isinstance(comp, slice):  # per branch: nodes are sorted by cell, then branch
        new = np.diff(table.cell) != 0
        new |= np.diff(table.branch) != 0
        owner = np.concatenate([[0], np.cumsum(new)])
        mask &= _match(table.comp, comp, "comp", _sizes(table.comp, owner))
    else:
        mask &= _match(table.comp, comp, "comp")
    mask &= _match(table.index, index, "index")
    if group is not None:
        names = [group] if isinstance(group, str) else list(group)
        in_any = np.zeros(len(table), bool)
        for name in names:
            if name not in table.groups:
                raise ValueError(
                    f"select: unknown group {name!r}; known groups: "
                    f"{sorted(table.groups)}. Add one with dx.add_group."
                )
            in_any |= table.groups[name]
        mask &= in_any
    if where is not None:
        pred = np.asarray(where(table))
        if pred.shape != mask.shape or pred.dtype != bool:
            raise ValueError(
                "select: where= must return a boolean mask with one entry per node "
                f"({mask.shape[0]}), got {pred.dtype} of shape {pred.shape}."
            )
        mask &= pred
    given = [
        f"{k}={v!r}"
        for k, v in (
            ("cell", cell),
            ("branch", branch),
            ("comp", comp),
            ("index", index),
            ("group", group),
        )
        if v is not None
    ]
    given += ["where=..."] if where is not None else []
    if not mask.any():
        raise ValueError(
            f"select: the selection ({', '.join(given)}) is empty; the criteria "
            "are intersected, so check them against the network "
            f"({int(table.cell.max()) + 1} cells, {len(table)} compartments)."
        )
    if traced:
        found = _lookup(table, mask, traced, given)
        return Selection(None, "nodes", fingerprint(net, "nodes"), found)
    return Selection(Ix(np.flatnonzero(mask)), "nodes", fingerprint(net, "nodes"))


def _traced(value, name: str) -> Array | None:
    """`value` as a jax integer array if it is traced (a tracer, or a list
    holding one), checked: integers, a scalar or a vector; else None."""
    if isinstance(value, list | tuple) and any(
        isinstance(v, jax.core.Tracer) for v in value
    ):
        value = jnp.stack([jnp.asarray(v) for v in value])
    if not isinstance(value, jax.core.Tracer):
        return None
    if not jnp.issubdtype(value.dtype, jnp.integer):
        raise TypeError(
            f"select: {name} must hold integers, got a traced array of {value.dtype}; "
            f"cast it, e.g. {name}=i.astype(int)."
        )
    if value.ndim > 1:
        raise ValueError(
            f"select: a traced {name}= must be a scalar or a vector (one compartment "
            f"per entry), got shape {value.shape}; flatten it."
        )
    return value


def _lookup(
    table: Table, mask: np.ndarray, traced: dict[str, Array], static: list[str]
) -> Array:
    """The global indices that traced criteria pick, at run time.

    Among the nodes that the static criteria leave (`mask`), each combination
    of the traced columns' values (broadcast together) picks the nodes having
    those values: the same number `m` for every combination that exists (a
    `ValueError` otherwise), so the result has a static size. The combinations
    are ranked column by column (`searchsorted` over sorted codes `rank * size
    + value`), so the tables stay as small as the selected nodes. Out-of-range
    values, and combinations that pick nothing, are run-time errors."""
    names = list(traced)
    try:
        shape = jnp.broadcast_shapes(*(traced[k].shape for k in names))
    except ValueError:
        shapes = ", ".join(f"{k}: {traced[k].shape}" for k in names)
        raise ValueError(
            f"select: the traced indices must have one shape (or be scalars), got "
            f"{shapes}; each traced vector entry picks one compartment."
        ) from None
    nodes = np.flatnonzero(mask)
    dtype = jnp.asarray(0).dtype  # int64 with jax_enable_x64, else int32
    rank_static = np.zeros(len(nodes), np.int64)
    rank = jnp.zeros(shape, dtype)
    missing = jnp.zeros(shape, bool)
    n_ranks = 1
    for name in names:
        column = getattr(table, name)
        top = int(column.max())
        value = jnp.broadcast_to(traced[name], shape).astype(dtype)
        value = eqx.error_if(
            value,
            (value < 0) | (value > top),
            f"select: {name}= (traced) holds an index out of range: {_WHAT[name]} "
            f"in this network run from 0 to {top}.",
        )
        size = top + 1
        if n_ranks * size > np.iinfo(dtype).max:
            raise ValueError(
                "select: traced indices in a network this large need 64-bit "
                "integers: enable jax_enable_x64, or select by a traced global "
                "index= (see dx.node_table)."
            )
        codes, rank_static = np.unique(
            rank_static * size + column[nodes], return_inverse=True
        )
        code, codes = rank * size + value, jnp.asarray(codes, dtype)
        rank = jnp.clip(jnp.searchsorted(codes, code), 0, len(codes) - 1)
        missing |= codes[rank] != code
        n_ranks = len(codes)
    counts = np.bincount(rank_static, minlength=n_ranks)
    if counts.min() != counts.max():
        what = ", ".join(f"{k}=" for k in names)
        raise ValueError(
            f"select: with traced {what} each traced value must pick the same "
            f"number of compartments (the count is fixed when tracing), but here "
            f"one picks {counts.min()} and another {counts.max()}; narrow the static "
            "criteria (e.g. branch=0, comp=0), or pass a traced global index=."
        )
    groups = nodes[np.argsort(rank_static, kind="stable")].reshape(n_ranks, -1)
    found = jnp.asarray(groups, dtype)[rank].reshape(-1)
    others = f" with {', '.join(static)}" if static else ""
    return eqx.error_if(
        found,
        jnp.any(missing),
        f"select: the traced indices ({', '.join(f'{k}=' for k in names)}) name a "
        f"compartment that does not exist{others} (e.g. a branch that the cell "
        "does not have).",
    )


def _select_edges(net: Network, edges) -> Selection:
    table = edge_table(net)
    if len(table) == 0:
        raise ValueError("select: this network has no edges; add some with dx.connect.")
    found = _traced(edges, "edges")
    if found is not None:  # one edge per traced index
        top = len(table) - 1
        found = eqx.error_if(
            jnp.atleast_1d(found),
            (found < 0) | (found > top),
            f"select: edges= (traced) holds an index out of range: edge indices "
            f"in this network run from 0 to {top}.",
        )
        return Selection(None, "edges", fingerprint(net, "edges"), found)
    if callable(edges):
        mask = np.asarray(edges(table))
        if mask.shape != (len(table),) or mask.dtype != bool:
            raise ValueError(
                "select: edges= predicate must return a boolean mask with one entry "
                f"per edge ({len(table)}), got {mask.dtype} of shape {mask.shape}."
            )
    else:
        mask = _match(table.index, edges, "edges")
    if not mask.any():
        raise ValueError(f"select: the edge selection edges={edges!r} is empty.")
    return Selection(Ix(np.flatnonzero(mask)), "edges", fingerprint(net, "edges"))


def _checked(net: Network, where: Selection, who: str, kind: str) -> None:
    """Refuse a selection of the wrong kind, or one made on another network."""
    n = len(net.nodes.cell) if kind == "nodes" else net.n_edges
    if not isinstance(where, Selection):
        raise TypeError(f"{who}: where= must be a dx.Selection (from dx.select).")
    if where.kind != kind:
        hint = (
            "select edges with dx.select(net, edges=...)"
            if kind == "edges"
            else "select compartments with dx.select(net, cell=..., ...)"
        )
        raise ValueError(
            f"{who}: this needs a selection of {kind}, got one of {where.kind}; {hint}."
        )
    if len(where) == 0:
        raise ValueError(f"{who}: where= is an empty selection.")
    if (not where.is_traced and where.indices.max() >= n) or (
        where.network is not None and where.network != fingerprint(net, kind)
    ):
        what = "compartments" if kind == "nodes" else "compartments and synapses"
        raise ValueError(
            f"{who}: where= was made on another network (its {what} differ from "
            "this one's); select again on this network with dx.select(net, ...)."
        )


def resolve(
    net: Network,
    where: Selection | None,
    who: str,
    kind: Literal["nodes", "edges"] = "nodes",
) -> np.ndarray:
    """Indices of `where` (everything of that kind when None), checked; a
    traced selection is refused (what calls this needs static indices)."""
    if where is None:
        n = len(net.nodes.cell) if kind == "nodes" else net.n_edges
        return np.arange(n)
    _checked(net, where, who, kind)
    if where.is_traced:
        raise ValueError(
            f"{who}: the selection has traced indices (dx.select was given a jax "
            f"array inside jit, vmap or grad), but {who} needs indices known when "
            "tracing, as they fix the network's structure. Select with Python ints, "
            "lists or NumPy arrays instead; to vary a value by a traced location, "
            "set it at every element with a mask (dx.set(net, name, "
            "jnp.where(mask, a, b))), and to vary synapses, connect every "
            "candidate once and multiply their weights by a 0/1 mask. Traced "
            "selections are read by dx.Stimulus, dx.VoltageClamp and dx.Record."
        )
    return where.indices


def locations(
    net: Network,
    where: Selection | None,
    who: str,
    kind: Literal["nodes", "edges"] = "nodes",
) -> np.ndarray | Array:
    """As `resolve`, for what reads its sites at run time: a traced selection
    gives its traced indices (a jax array)."""
    if where is not None and where.is_traced:
        _checked(net, where, who, kind)
        return where.indices
    return resolve(net, where, who, kind)


def is_traced(idx) -> bool:
    """Whether indices from `locations` are traced (a jax array)."""
    return not isinstance(idx, np.ndarray)


def refuse_traced(stimuli, records, who: str) -> None:
    """Refuse traced stimulus or recording sites where sites must be static."""
    for thing in (*stimuli, *records):
        where = getattr(thing, "where", None)
        if isinstance(where, Selection) and where.is_traced:
            raise ValueError(
                f"{who}: {type(thing).__name__} has a selection with traced indices, "
                "which a network split over devices cannot use: each site's device "
                "is chosen when tracing. Select stimulus and recording sites with "
                "static indices (Python ints, lists, NumPy arrays), or run without "
                "mesh= (e.g. vmap over the sites on one device, or shard the batch "
                "with a NamedSharding)."
            )
