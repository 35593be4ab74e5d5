"""Spikes and their delivery: the cells' spike sources, the static event plan of
each event projection (presynaptic cells, delays in steps, delivery layout), and
the per-step lookup of arriving spikes and their summed weights."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from ._network import Network, Projection
from ._static import Ix
from .channels.base import AbstractSpiking
from .conn.delivery import Dense, EventDriven


def _sources(net: Network) -> list[tuple[int, np.ndarray]]:
    """(mechanism index, cell of each of its nodes) for every spiking mechanism;
    checks that no cell has two spike sources."""
    out = []
    cell = net.nodes.cell.array
    for k, m in enumerate(net.mechanisms):
        if isinstance(m.channel, AbstractSpiking):
            out.append((k, cell[m.nodes.array]))
    if out:
        ids, counts = np.unique(np.concatenate([c for _, c in out]), return_counts=True)
        dup = ids[counts > 1]
        if dup.size:
            raise ValueError(
                f"cells {dup[:5].tolist()} have more than one spike source (spiking "
                "mechanisms such as LIF or SpikeDetector, one per compartment); "
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
    row: np.ndarray  # per edge: its presynaptic cell's position in pre_u
    post_cell: np.ndarray  # per edge: postsynaptic cell
    target: np.ndarray  # per edge: position of its postsynaptic node in targets
    n_target: int
    delay: np.ndarray  # per edge, in steps
    per_pre: np.ndarray | None  # per pre_u: delay in steps, if uniform per cell
    dense: bool
    table: np.ndarray | None  # EventDriven: (len(pre_u), max out-degree) edges
    max_spikes: int


def _delay_steps(p: Projection, dt: float) -> np.ndarray:
    d = p.delay.array
    steps = np.round(d / dt)
    bad = np.abs(steps * dt - d) > 1e-9 * np.maximum(1.0, d)
    if bad.any():
        raise ValueError(
            f"projection {p.name!r}: delay {d[bad][0]} ms is not a multiple of "
            f"dt={dt} ms. Delays are applied exactly, never rounded: choose delays "
            "that are multiples of dt (or a dt that divides them)."
        )
    return steps.astype(np.int64)


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
        table = None
        if isinstance(p.delivery, Dense | EventDriven) and per_pre is None:
            raise ValueError(
                f"projection {p.name!r}: {type(p.delivery).__name__} delivery needs "
                "the edges of each presynaptic cell to share one delay; use "
                "dx.conn.Segment() for per-edge delays."
            )
        if isinstance(p.delivery, EventDriven):
            # Row r lists the edges of presynaptic cell r, padded with the dummy
            # edge len(p) (weight 0).
            deg = np.bincount(row, minlength=len(pre_u))
            table = np.full((len(pre_u), max(int(deg.max(initial=0)), 1)), len(p))
            by_row = np.argsort(row, kind="stable")
            start = np.concatenate([[0], np.cumsum(deg)])
            col = np.arange(len(row)) - start[row[by_row]]
            table[row[by_row], col] = by_row
        plans.append(
            _Plan(
                pre_u=pre_u,
                row=row,
                post_cell=post_cell,
                target=p.target_index(),
                n_target=len(p.targets),
                delay=delay,
                per_pre=per_pre,
                dense=dense,
                table=table,
                max_spikes=getattr(p.delivery, "max_spikes", 0),
            )
        )
    return tuple(plans)


def _buffer_length(plans) -> int:
    return 1 + max((int(p.delay.max(initial=0)) for p in plans if p), default=0)


def _dense_weights(weight: Array, plan: _Plan) -> Array:
    w = jnp.zeros((len(plan.pre_u), plan.n_target), weight.dtype)
    return w.at[plan.row, plan.target].add(weight)


def _arrivals(plan: _Plan, spikes: Array, step: Array) -> Array:
    """Spikes arriving now: per presynaptic cell if delays are uniform per cell,
    else per edge."""
    n_slot = spikes.shape[0]
    if plan.per_pre is not None:
        d, cells = plan.per_pre, plan.pre_u
    else:
        d, cells = plan.delay, plan.pre_u[plan.row]
    if d.size and np.all(d == d[0]):
        row = jax.lax.dynamic_index_in_dim(
            spikes, (step - int(d[0])) % n_slot, keepdims=False
        )
        return row[Ix(cells).index()]
    return spikes[(step - d) % n_slot, cells]


def _deliver(plan: _Plan, weight, dense_w, arrived) -> Array:
    """Summed weight of the arriving spikes at each target."""

    def segment(arrived):
        per_edge = arrived[plan.row] if plan.per_pre is not None else arrived
        return jax.ops.segment_sum(weight * per_edge, plan.target, plan.n_target)

    if plan.dense:
        return arrived @ dense_w
    if plan.table is None:
        return segment(arrived)
    k = min(plan.max_spikes, len(plan.pre_u))
    table = plan.table

    def event_driven(arrived):
        # The k largest arrivals hold every spike (spikes are 1, the rest 0);
        # top_k is cheaper than nonzero on CPU. Non-spiking picks add 0.
        a, who = jax.lax.top_k(arrived, k)
        edges = jnp.asarray(table)[who]
        w = jnp.append(weight, 0.0)[edges] * a[:, None]
        t = jnp.asarray(np.append(plan.target, plan.n_target))[edges]
        return jnp.zeros(plan.n_target + 1, w.dtype).at[t].add(w)[:-1]

    many = jnp.count_nonzero(arrived) > k
    return jax.lax.cond(many, segment, event_driven, arrived)
