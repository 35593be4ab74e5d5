"""`_prepare`: a network's parameters gathered once per run, outside the time
loop: capacitances, axial conductances, the channels and synapses with their
parameters as arrays, and the weight matrices of `Dense` delivery."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array

from ._events import _dense_weights
from ._network import Network, Topology, cable_geometry
from ._param import is_param
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
    dense: tuple[Array | None, ...]  # per projection: (pre, target) weights


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
    dense = tuple(
        _dense_weights(syn.weight, plan) if plan is not None and plan.dense else None
        for syn, plan in zip(synapses, plans or (None,) * len(synapses))
    )
    return _Prepared(cap, area, g, diag, channels, synapses, dense)


def _diag(g, topo: Topology):
    parent = topo.parent.array
    has = parent >= 0
    return g.at[parent[has]].add(g[has])
