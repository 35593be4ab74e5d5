"""`_prepare`: a network's parameters gathered once per run, outside the time
loop: capacitances, axial conductances, the channels and synapses with their
parameters as arrays, the weight matrices of `Dense` delivery, and where
implicit synapses (gap junctions) couple the solve."""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from ._events import _delivery_weights
from ._network import Network, Projection, Topology, cable_geometry
from ._param import is_param
from ._static import Ix
from .channels.base import AbstractChannel
from .synapses.base import AbstractSynapse
from .synapses.event import AbstractEventSynapse


class _Prepared(NamedTuple):
    """Per-run arrays: parameters gathered once, outside the time loop."""

    cap: Array  # nF per solver node (0 at branch points)
    area: Array  # µm² per compartment
    g: Array  # µS from each solver node to its parent (0 at roots)
    diag: Array  # µS, sum of axial conductances at each solver node
    channels: tuple[AbstractChannel, ...]  # fields are per-element arrays
    synapses: tuple[AbstractSynapse | AbstractEventSynapse, ...]
    layouts: tuple[Array | None, ...]  # per projection: weights laid out to deliver
    # Per projection: its shared-state groups (see `state_groups`) or None, and
    # the synapse with its fields gathered at each group's first edge.
    groups: tuple[tuple[Ix, Ix] | None, ...]
    shared: tuple[AbstractSynapse | None, ...]
    coupling: _Coupling | None = None  # None: no implicit synapses


class _Coupling(NamedTuple):
    """Where implicit graded synapses couple the linear system (solved by
    `dendrax._solver._coupled`): the solver nodes they touch (`sites`), and the
    (row, column) positions in `sites` of their entries, projection after
    projection in network order. A projection's entries are blocks of one entry
    per edge: `∂i/∂v_post` at (post, post), `∂i/∂v_pre` at (post, pre), and
    for a reciprocal synapse, whose current also enters the presynaptic
    compartment, the two negated at (pre, post) and (pre, pre) (the values in
    that order come from `entries`)."""

    sites: Ix  # (M,) distinct solver nodes
    rows: Ix  # (K,) positions in sites
    cols: Ix  # (K,)
    implicit: tuple[bool, ...]  # per projection


def _prepare(net: Network, plans: tuple | None = None) -> _Prepared:
    topo: Topology = net.topology
    nodes = net.nodes
    area, proximal, distal = cable_geometry(net)
    # Interleaved (proximal, distal) halves; index -1: no second half.
    half = jnp.append(jnp.stack([proximal, distal], axis=1).reshape(-1), 0.0)
    r_edge = half[topo.half_a.array] + half[topo.half_b.array]
    is_root = topo.parent.array < 0
    g = jnp.where(is_root, 0.0, 1.0 / jnp.where(is_root, 1.0, r_edge))
    diag = _diag(g, topo)
    n_bp = topo.n_total - topo.n_comp
    cap = jnp.concatenate(
        [1e-5 * nodes.capacitance.values() * area, jnp.zeros((n_bp,), area.dtype)]
    )

    def gather(model):
        return jax.tree.map(lambda p: p.values(), model, is_leaf=is_param)

    channels = tuple(gather(m.channel) for m in net.mechanisms)
    synapses = tuple(gather(p.synapse) for p in net.synapses)
    layouts = _delivery_weights(
        plans or (None,) * len(synapses),
        [getattr(syn, "weight", None) for syn in synapses],
    )
    groups = tuple(state_groups(p) for p in net.synapses)
    shared = tuple(
        None if gr is None else jax.tree.map(lambda a, i=gr[0].array: a[i], syn)
        for syn, gr in zip(synapses, groups)
    )
    return _Prepared(
        cap, area, g, diag, channels, synapses, layouts, groups, shared, _coupling(net)
    )


def is_implicit(p: Projection) -> bool:
    """Whether a projection's synapses are coupled implicitly in the solve."""
    return not p.is_event and (p.synapse.implicit or p.synapse.reciprocal)


def _coupling(net: Network) -> _Coupling | None:
    """The `_Coupling` of a network, or None without implicit synapses."""
    implicit = tuple(is_implicit(p) for p in net.synapses)
    if not any(implicit):
        return None
    touched = [
        np.concatenate([p.pre.array, p.post.array])
        for p, imp in zip(net.synapses, implicit)
        if imp
    ]
    sites = np.unique(np.concatenate(touched))
    rows, cols = [], []
    for p, imp in zip(net.synapses, implicit):
        if not imp:
            continue
        post = np.searchsorted(sites, p.post.array)
        pre = np.searchsorted(sites, p.pre.array)
        rows += [post, post] + ([pre, pre] if p.synapse.reciprocal else [])
        cols += [post, pre] + ([post, pre] if p.synapse.reciprocal else [])
    return _Coupling(
        Ix(sites), Ix(np.concatenate(rows)), Ix(np.concatenate(cols)), implicit
    )


def entries(
    syn: AbstractSynapse, state, v_pre: Array, v_post: Array
) -> tuple[Array, Array]:
    """An implicit synapse's current and its coupling entries.

    **Arguments:**

    - `syn`: the synapse, fields per edge.
    - `state`: its states, per edge.
    - `v_pre`, `v_post`: potentials at the start of the step, per edge.

    **Returns:**

    `(i, values)`: the current per edge (nA, out of the postsynaptic
    compartment) and the entries of the linearised system in the order of
    `_Coupling`: `∂i/∂v_post`, `∂i/∂v_pre`, and for a reciprocal synapse both
    negated.
    """
    ones = jnp.ones_like(v_post)
    i, di_post = jax.jvp(lambda u: syn.current(state, v_pre, u), (v_post,), (ones,))
    _, di_pre = jax.jvp(lambda u: syn.current(state, u, v_post), (v_pre,), (ones,))
    parts = [di_post, di_pre] + ([-di_post, -di_pre] if syn.reciprocal else [])
    return i, jnp.concatenate(parts)


def state_groups(p: Projection) -> tuple[Ix, Ix] | None:
    """The edges of a graded projection that share one synaptic state.

    A synapse that declares `presynaptic` parameters has states that depend
    only on the presynaptic potential and those parameters, so edges with the
    same presynaptic compartment and the same tie group of each such parameter
    have equal states at all times: they are computed once.

    **Arguments:**

    - `p`: a projection.

    **Returns:**

    `(first, group)`: per group the index of its first edge, and per edge its
    group; `None` when nothing is shared (event synapses, synapses without the
    declaration, or every edge its own group).
    """
    fields = getattr(p.synapse, "presynaptic", None)
    if p.is_event or fields is None or len(p) == 0:
        return None
    ids = tuple(getattr(p.synapse, f).ids for f in fields)
    return _groups(p.pre, ids)


@functools.lru_cache(maxsize=64)
def _groups(pre: Ix, ids: tuple[Ix, ...]) -> tuple[Ix, Ix] | None:
    # `Ix` hashes by value, so a network traced again reuses the grouping.
    # One integer key per edge, column by column (1-d sorts; the codes stay
    # below n_edges², far from overflowing int64).
    key = pre.array.astype(np.int64)
    for i in ids:
        code = np.unique(key, return_inverse=True)[1].reshape(-1)
        key = code * (int(i.array.max()) + 1) + i.array
    _, first, group = np.unique(key, return_index=True, return_inverse=True)
    if len(first) == len(key):
        return None
    return Ix(first), Ix(group.reshape(-1))


def _diag(g, topo: Topology):
    parent = topo.parent.array
    has = parent >= 0
    return g.at[parent[has]].add(g[has])
