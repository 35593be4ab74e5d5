"""Tying and freeing parameters: `share`, `make_trainable`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import equinox as eqx
import numpy as np

from ._network import Network, locate, positions
from ._param import Param, retie
from ._select import Selection, Table, edge_table, node_table, resolve
from ._trainable import n_trainable
from ._transform import AbstractTransform

By = None | str | Sequence[str] | Callable[[Table], np.ndarray]


def _keys(net: Network, kind: str, idx: np.ndarray, by: By, who: str) -> np.ndarray:
    """One integer key per selected element; equal keys share a value."""
    if by is None:
        return np.zeros(len(idx), np.int64)
    if isinstance(by, str) and by == "index":
        return np.arange(len(idx))
    table = node_table(net) if kind == "nodes" else edge_table(net)
    cols = table.columns()
    if callable(by):
        sub = Table({k: v[idx] for k, v in cols.items()}, {})
        raw = np.asarray(by(sub))
        if raw.shape[:1] != (len(idx),):
            raise ValueError(
                f"{who}: by= function must return one key per selected element "
                f"({len(idx)}), got shape {raw.shape}."
            )
        columns = [raw.reshape(len(idx), -1)[:, k] for k in range(raw[0].size)]
    else:
        names = [by] if isinstance(by, str) else list(by)
        unknown = [c for c in names if c not in cols]
        if unknown or not names:
            raise ValueError(
                f"{who}: by= names unknown column(s) {unknown}; the {kind} table has "
                f"{sorted(cols)} (or use None for one shared value, 'index' for one "
                "value each, or a function of the table)."
            )
        columns = [cols[c][idx] for c in names]
    # Integer codes per column (works for strings too), then per row.
    codes = np.stack([np.unique(c, return_inverse=True)[1].ravel() for c in columns], 1)
    return np.unique(codes, axis=0, return_inverse=True)[1].ravel()


def _retie_selected(net, name, where, by, who, make_free: bool, transform=None):
    if transform is not None and not isinstance(transform, AbstractTransform):
        raise TypeError(
            f"{who}: transform must be a dx transform such as dx.Softplus(), "
            f"dx.Exp() or dx.Sigmoid(lower, upper), got {transform!r}."
        )
    getter, elems, kind = locate(net, name, who)
    idx = resolve(net, where, who, kind)
    pos = positions(elems, idx, name, who)
    keys = _keys(net, kind, elems[pos], by, who)
    param: Param = getter(net)
    inside = np.zeros(len(param), bool)
    inside[pos] = True
    # Outside the selection: keep the current groups. Inside: group by key.
    full = np.stack([inside.astype(np.int64), param.ids.array], 1)
    full[pos, 1] = keys
    free = param.ids.array < param.n_free
    if make_free:
        free = free | inside
    free_outside = free & ~inside
    if transform is not None and transform != param.transform and free_outside.any():
        raise ValueError(
            f"{who}: {name!r} already has trainable values under "
            f"{type(param.transform).__name__}; one parameter has one transform, so "
            "pass the same transform (or none)."
        )
    try:
        return getter, retie(param, full, None, free, transform)
    except ValueError as e:
        raise ValueError(f"{who}({name!r}): {e}") from None


def share(
    net: Network,
    name: str,
    where: Selection | None = None,
    by: By = None,
) -> Network:
    """Tie a parameter so that elements with equal keys share one value.

    **Arguments:**

    - `net`: the network.
    - `name`: the parameter, e.g. "HH.gNa", "radius" or "Ionotropic.gS".
    - `where`: a node or edge `Selection` (matching the parameter); default every
      element. Elements outside it keep their ties.
    - `by`: None (all selected elements share one value), "index" (each its own),
      a column name of the node or edge table (e.g. "cell", "pre_cell",
      "pre_group"), a tuple of column names (e.g. `("pre_group", "post_group")`),
      or a function of the selected rows' `Table` returning one key per row.

    **Returns:**

    A new network. Each new group takes the current value of its first element;
    a group is trainable if its first element was. A `Param`'s free values are
    ordered by the first element (node or edge index) of each group, so the
    layout of `dx.partition`'s params is fixed by the network, not by call order.
    """
    getter, param = _retie_selected(net, name, where, by, "share", make_free=False)
    return eqx.tree_at(getter, net, param)


def make_trainable(
    net: Network,
    name: str,
    where: Selection | None = None,
    by: By = None,
    *,
    transform: AbstractTransform | None = None,
    verbose: bool = True,
) -> Network:
    """Tie a parameter like `share` and mark the selected groups trainable.

    **Arguments:**

    - `net`, `name`, `where`, `by`: as for `dx.share`.
    - `transform`: optional `dx.Softplus()`, `dx.Exp()`, `dx.Sigmoid(lo, hi)`:
      the trainable values of this parameter are then stored unconstrained and
      mapped through it, so an optimiser cannot leave the domain.
    - `verbose`: print how many trainable values were added and the total.

    **Returns:**

    A new network; `dx.partition(net)` then holds exactly its trainable values.
    """
    before = n_trainable(net)
    getter, param = _retie_selected(
        net, name, where, by, "make_trainable", True, transform
    )
    new = eqx.tree_at(getter, net, param)
    if verbose:
        after = n_trainable(new)
        print(f"{after - before} new trainable parameters, {after} in total.")
    return new
