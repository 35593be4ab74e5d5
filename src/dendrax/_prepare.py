"""`_prepare`: a network's parameters gathered once per run, outside the time
loop: capacitances, axial conductances, the channels and synapses with their
parameters as arrays, and the weight matrices of `Dense` delivery."""

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
    return _Prepared(cap, area, g, diag, channels, synapses, layouts, groups, shared)


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
