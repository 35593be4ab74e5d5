"""`Selection`: a pure, static set of node (or edge) indices."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

import equinox as eqx
import numpy as np

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
    """Sorted, unique indices of selected nodes (compartments) or edges.

    Build one with `dx.select`; combine with `&` and `|`; `len(sel)` counts the
    selected elements. A selection holds no reference to its network, only a
    fingerprint of its structure (its compartments; for edges, also its
    synapses): functions given a selection made on a network of another
    structure refuse it, rather than pick other elements.
    """

    index: Ix = eqx.field(static=True)
    kind: Literal["nodes", "edges"] = eqx.field(static=True, default="nodes")
    network: int | None = eqx.field(static=True, default=None)

    def __len__(self) -> int:
        return len(self.index)

    @property
    def indices(self) -> np.ndarray:
        """The selected indices (a read-only NumPy array)."""
        return self.index.array

    def _combine(self, other: Selection, op) -> Selection:
        if not isinstance(other, Selection) or other.kind != self.kind:
            raise TypeError(
                "Selections can only be combined with selections of the "
                f"same kind ({self.kind})."
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


_Ints = int | Sequence[int] | np.ndarray | slice | Literal["all"] | None

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
    if not mask.any():
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
        raise ValueError(
            f"select: the selection ({', '.join(given)}) is empty; the criteria "
            "are intersected, so check them against the network "
            f"({int(table.cell.max()) + 1} cells, {len(table)} compartments)."
        )
    return Selection(Ix(np.flatnonzero(mask)), "nodes", fingerprint(net, "nodes"))


def _select_edges(net: Network, edges) -> Selection:
    table = edge_table(net)
    if len(table) == 0:
        raise ValueError("select: this network has no edges; add some with dx.connect.")
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


def resolve(
    net: Network,
    where: Selection | None,
    who: str,
    kind: Literal["nodes", "edges"] = "nodes",
) -> np.ndarray:
    """Indices of `where` (everything of that kind when None), checked."""
    n = len(net.nodes.cell) if kind == "nodes" else net.n_edges
    if where is None:
        return np.arange(n)
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
    if where.indices.max() >= n or (
        where.network is not None and where.network != fingerprint(net, kind)
    ):
        what = "compartments" if kind == "nodes" else "compartments and synapses"
        raise ValueError(
            f"{who}: where= was made on another network (its {what} differ from "
            "this one's); select again on this network with dx.select(net, ...)."
        )
    return where.indices
