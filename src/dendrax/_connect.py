"""`connect`: add synapses between cells."""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import PRNGKeyArray

from ._network import Network, Projection, map_params, parametrize
from ._param import concat, take
from ._select import Selection, resolve
from ._static import Ix
from .conn import AbstractRule, AllToAll, Init
from .synapses.base import AbstractSynapse


def _population(net: Network, sel: Selection, who: str):
    """Cell ids of a selection and, per cell, its first selected compartment."""
    if sel is None:
        raise ValueError(f"connect: {who} must be a Selection, not None.")
    nodes = resolve(net, sel, f"connect ({who})")
    cells, first = np.unique(net.nodes.cell.array[nodes], return_index=True)
    return cells, nodes[first]


def connect(
    net: Network,
    pre: Selection,
    post: Selection,
    synapse: AbstractSynapse,
    rule: AbstractRule = AllToAll(),
    *,
    key: PRNGKeyArray | None = None,
    name: str | None = None,
) -> Network:
    """Connect the cells of `pre` to the cells of `post` with synapses.

    `rule` decides which (pre cell, post cell) pairs are connected; each synapse
    runs from the first selected compartment of its presynaptic cell to the first
    selected compartment of its postsynaptic cell (select e.g. `comp=0` or a
    branch to choose the site).

    **Arguments:**

    - `net`: the network.
    - `pre`, `post`: node `Selection`s; their cells form the two populations.
    - `synapse`: an instance of a `dx.synapses.AbstractSynapse` subclass; its field
      values are the parameters, each in one of three storage forms: a scalar, a
      vector with one value per new edge (in the order of the pairs the rule
      returns; values follow their edges into canonical order), or a dense
      `(n_pre, n_post)` matrix over the two populations (cells in increasing id
      order), read at the edges. A `dx.conn.Init` draws any of the three from a
      `jax.nn.initializers` function.
    - `rule`: a `dx.conn` rule; default `dx.conn.AllToAll()`.
    - `key`: a `jax.random` key, needed by random rules.
    - `name`: the projection's name (default: the synapse class name). Edges added
      under an existing name join that projection, which keeps its edges sorted by
      presynaptic, then postsynaptic compartment. Parameters are addressed as
      `"name.field"`, e.g. `"Ionotropic.gS"`.

    **Returns:**

    A new network. Edge indices of earlier selections refer to the old network.
    """
    if not isinstance(synapse, AbstractSynapse):
        raise TypeError(
            "connect: synapse must be an AbstractSynapse instance, got "
            f"{type(synapse).__name__}; write e.g. dx.synapses.Ionotropic()."
        )
    if not isinstance(rule, AbstractRule):
        raise TypeError(
            "connect: rule must be a dx.conn rule, e.g. dx.conn.AllToAll()."
        )
    pre_cells, pre_site = _population(net, pre, "pre")
    post_cells, post_site = _population(net, post, "post")
    pre_ids, post_ids = rule.sample(pre_cells, post_cells, key)
    rows, cols = (
        np.searchsorted(pre_cells, pre_ids),
        np.searchsorted(post_cells, post_ids),
    )
    pre_nodes, post_nodes = pre_site[rows], post_site[cols]
    order = np.lexsort((post_nodes, pre_nodes))
    pre_nodes, post_nodes = pre_nodes[order], post_nodes[order]
    synapse = _per_edge(synapse, rows, cols, (len(pre_cells), len(post_cells)))
    model = parametrize(synapse, len(pre_nodes), "connect", "new edge")
    if order.size:
        model = map_params(lambda _, p: take(p, order), model)
    name = type(synapse).__name__ if name is None else name
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"connect: name must be an identifier, got {name!r}.")
    if any(m.name == name for m in net.mechanisms):
        raise ValueError(f"connect: name {name!r} is taken by a channel; pick another.")
    projections = list(net.synapses)
    same = [i for i, p in enumerate(projections) if p.name == name]
    new = Projection(model, Ix(pre_nodes), Ix(post_nodes), name)
    if not same:
        if len(pre_nodes) == 0:
            return net
        projections.append(new)
    else:
        old = projections[same[0]]
        if type(old.synapse) is not type(synapse):
            raise ValueError(
                f"connect: projection {name!r} holds {type(old.synapse).__name__} "
                f"synapses; pass name= to add {type(synapse).__name__} ones."
            )
        projections[same[0]] = _join(old, new)
    return eqx.tree_at(lambda n: n.synapses, net, tuple(projections))


def _per_edge(synapse, rows, cols, shape) -> AbstractSynapse:
    """Resolve `Init` values and (n_pre, n_post) matrices to per-edge values."""

    def per_edge(name, value):
        if isinstance(value, Init):
            size = {"scalar": (), "vector": (len(rows),), "matrix": shape}[value.form]
            value = value.initializer(value.key, size)
        value = jnp.asarray(value, dtype=float)
        if value.ndim != 2:
            return value
        if value.shape != shape:
            raise ValueError(
                f"connect: {name} is a matrix of shape {value.shape}, but the "
                f"populations are {shape[0]} presynaptic x {shape[1]} postsynaptic "
                f"cells; give a {shape} matrix."
            )
        return value[rows, cols]

    return map_params(per_edge, synapse)


def _join(old: Projection, new: Projection) -> Projection:
    """Both edge lists in one projection, in canonical order."""
    pre = np.concatenate([old.pre.array, new.pre.array])
    post = np.concatenate([old.post.array, new.post.array])
    order = np.lexsort((post, pre))
    synapse = map_params(
        lambda _, a, b: take(concat(a, b), order), old.synapse, new.synapse
    )
    return Projection(synapse, Ix(pre[order]), Ix(post[order]), old.name)
