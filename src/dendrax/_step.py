"""One step of the membrane solver: `_advance` and the public `step`.

Units inside the solver are absolute: nA, µS, nF, mV, ms. Per compartment,
`C dv/dt = -I_ion + I_ext + Σ g_axial (v_neighbour - v)`; each step solves the
linearised system for the voltage change (NEURON's fixed-step scheme) with the
exact tree solve, then advances channel gates by exponential Euler, fires the
spike sources and delivers spikes to the synapses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.extend as jex
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from ._custom_types import Number
from ._events import _arrivals, _deliver, _deliver_group, _Plan, _plans, _sources
from ._inputs import _source_key
from ._network import Network, Topology
from ._prepare import _prepare, _Prepared, entries
from ._solver import AbstractSolver, ImplicitEuler, tree_solve
from ._solver._coupled import coupled_solve
from ._state import State, _check_state
from ._static import Ix
from ._stimulus import n_steps
from .channels import ions
from .channels.base import AbstractIonPool, AbstractSpiking
from .channels.sources import AbstractSource


class _Drive(NamedTuple):
    """External drive during one step."""

    i_ext: Array | None  # nA per compartment
    clamp_v: Array | None  # mV per clamp site
    clamp_g: Array | None  # µS per clamp site
    clamp_idx: np.ndarray | None
    # Spike sources: the run's key (None: no random source), per `Rate` its
    # mechanism and sites with this step's rates, this step's `SpikeTimes`
    # cells (padded with n_cells).
    key: Array | None = None
    rates: tuple[tuple[int, Any, Array], ...] = ()
    events: Array | None = None
    rasters: tuple[tuple[Any, Array], ...] = ()  # (cells, this step's counts)


class _Layout(NamedTuple):
    """Where everything sits, as one step reads it: static NumPy indexers (or
    slices) for a whole network, or, for one device's part of a network split
    over a mesh (`dendrax._partition`), traced arrays of the same meaning.

    Per mechanism its compartments; per projection, for a graded synapse its
    presynaptic and postsynaptic nodes, for an event synapse its target nodes;
    the spike sources (mechanism, cell of each of its compartments); the ring
    buffer's column of this part's first cell (None: a whole network's cells,
    in order);
    and `halo`, which fills in presynaptic voltages kept on other devices."""

    topology: Topology
    has_edges: bool  # whether any solver node has a parent
    nodes: tuple[Any, ...]
    pre: tuple[Any, ...]
    post: tuple[Any, ...]
    targets: tuple[Any, ...]
    plasticity: tuple[Any, ...]
    sources: tuple[tuple[int, Any], ...]
    n_cells: int
    spike_offset: Any = None
    halo: Callable[[Array], Array] | None = None


def _layout(net: Network) -> _Layout:
    """The `_Layout` of a whole network."""
    syn = net.synapses
    return _Layout(
        topology=net.topology,
        has_edges=bool(np.any(net.topology.parent.array >= 0)),
        nodes=tuple(m.nodes.index() for m in net.mechanisms),
        pre=tuple(None if p.is_event else p.pre.index() for p in syn),
        post=tuple(None if p.is_event else p.post.index() for p in syn),
        targets=tuple(p.targets.index() if p.is_event else None for p in syn),
        plasticity=tuple(p.plasticity for p in syn),
        sources=tuple((k, Ix(cells).index()) for k, cells in _sources(net)),
        n_cells=net.n_cells,
    )


def _pick(idx, which: np.ndarray):
    """`idx[which]` for an indexer that may be a slice."""
    if isinstance(idx, slice):
        return np.arange(idx.start, idx.stop)[which]
    return idx[which]


def _advance(
    lay: _Layout,
    prep: _Prepared,
    plans: tuple[_Plan | None, ...],
    state: State,
    drive: _Drive,
    dt: float,
    theta: float,
) -> tuple[State, Array]:
    """One step; returns the new state and the cells' spikes in this step."""
    topo = lay.topology
    v = state.v
    i_ion = jnp.zeros_like(v)
    g_ion = jnp.zeros_like(v)
    # Ion values (concentrations, reversals) from the pools at the step's
    # start, and the ion currents that drive the pools (NEURON's order).
    values = ions._values(prep.channels, lay.nodes, state.channels, v)
    ion_i, ion_g = ions._ion_currents(
        prep.channels, lay.nodes, state.channels, v, values, slopes=theta != 1.0
    )
    for ch, idx, st in zip(prep.channels, lay.nodes, state.channels):
        st = ions._with(ch, st, values, idx)
        spiking = isinstance(ch, AbstractSpiking)
        fn = lambda u, ch=ch, st=st: ch.current(st, u)  # noqa: E731
        i, di = linearise(fn, v[idx], numeric=not spiking)
        if spiking:
            # A negative slope (the regenerative upswing of a point neuron,
            # e.g. AdEx's exponential) is taken explicitly: implicit, it could
            # make the diagonal vanish and send v the wrong way. (Membrane
            # channels keep it, as NEURON does: e.g. a T-type Ca current, whose
            # instantaneous activation makes its slope negative below E_Ca.)
            di = jnp.maximum(di, 0.0)
        scale = 1e-2 * prep.area[idx]  # mA/cm² × µm² → nA
        i_ion = i_ion.at[idx].add(scale * i)
        g_ion = g_ion.at[idx].add(scale * di)
    coupled = []  # implicit synapses' entries of the system (`_Coupling`)
    for k, (syn, pre, post, targets, st, gr) in enumerate(
        zip(prep.synapses, lay.pre, lay.post, lay.targets, state.synapses, prep.groups)
    ):
        # Synaptic currents are in nA already; linearised in v_post like channels.
        if gr is not None:  # shared states, read per edge
            st = {k: a[gr[1].index()] for k, a in st.items()}
        if prep.coupling is not None and prep.coupling.implicit[k]:
            # Linearised in v_pre too; the entries join the solve below.
            i, entry = entries(syn, st, v[pre], v[post])
            i_ion = i_ion.at[post].add(i)
            if syn.reciprocal:  # the same current enters the presynaptic side
                i_ion = i_ion.at[pre].add(-i)
            coupled.append(entry)
            continue
        if targets is not None:  # an event synapse
            post = targets
            fn = lambda u, syn=syn, st=st: syn.current(st, u)  # noqa: E731
        else:
            v_pre = v[pre]
            fn = lambda u, syn=syn, st=st, v_pre=v_pre: syn.current(st, v_pre, u)  # noqa: E731
        u = v[post]
        i, di = jax.jvp(fn, (u,), (jnp.ones_like(u),))
        if isinstance(post, slice):
            i_ion = i_ion.at[post].add(i)
            g_ion = g_ion.at[post].add(di)
        else:  # one scatter of (current, conductance) pairs, not two
            both = jnp.zeros((len(v), 2), v.dtype).at[post].add(jnp.stack([i, di], 1))
            i_ion, g_ion = i_ion + both[:, 0], g_ion + both[:, 1]
    # NEURON's scheme: (C/(θ dt) + G + A) Δ = -A v - I + I_ext for the change Δ
    # over θ dt (A: the axial conductances, G = dI/dv), then v + Δ / θ. Solving
    # for Δ rather than for v + Δ keeps round-off relative to the change (it
    # matters in float32). A v: each node's flow to its parent, out of the node
    # and into the parent (g = 0 at roots).
    rhs = -i_ion
    if lay.has_edges:
        parent = topo.parent.array
        flow = prep.g * (v - v[parent])
        into = jax.ops.segment_sum(flow, parent % topo.n_total, topo.n_total)
        rhs = rhs + into - flow
    diag = prep.cap / (theta * dt) + g_ion + prep.diag
    if drive.i_ext is not None:
        rhs = rhs.at[: topo.n_comp].add(drive.i_ext)
    if drive.clamp_idx is not None:
        c = drive.clamp_idx
        rhs = rhs.at[c].add(drive.clamp_g * (drive.clamp_v - v[c]))
        diag = diag.at[c].add(drive.clamp_g)
    if coupled:  # the tree plus the implicit synapses' coupling, exactly
        cp = prep.coupling
        entry = jnp.concatenate(coupled)
        delta = coupled_solve(
            diag, rhs, prep.g, topo, cp.sites.array, cp.rows.array, cp.cols.array, entry
        )
    else:
        delta = tree_solve(diag, rhs, prep.g, topo)
    v_new = v + delta / theta
    if ion_g:  # Crank–Nicolson: the pools' ion currents at the midpoint (NEURON)
        ion_i = {ion: ion_i[ion] + ion_g[ion] * delta for ion in ion_i}
    # Pools advance first; the channels' gates then read their new values.
    channels = list(state.channels)
    for k, (ch, idx, st) in enumerate(zip(prep.channels, lay.nodes, state.channels)):
        if isinstance(ch, AbstractIonPool):
            st_in = {**st, f"i{ch.ion}": ion_i[ch.ion][idx], "theta": theta}
            channels[k] = ions._own(ch.update_state(st_in, v_new[idx], dt), st)
    if values:
        values = ions._values(prep.channels, lay.nodes, channels, v)
    for k, (ch, idx, st) in enumerate(zip(prep.channels, lay.nodes, state.channels)):
        if not isinstance(ch, AbstractIonPool):
            new = ch.update_state(ions._with(ch, st, values, idx), v_new[idx], dt)
            channels[k] = ions._own(new, st)
    # Spikes and resets, then the cells' spikes into the ring buffer.
    fired = jnp.zeros((lay.n_cells,), v.dtype)
    for k, cells in lay.sources:
        idx, ch = lay.nodes[k], prep.channels[k]
        if isinstance(ch, AbstractSource):
            channels[k], spike = _emit(ch, k, channels[k], v_new[idx], drive, state, dt)
        else:
            channels[k], v_k, spike = ch.fire(channels[k], v[idx], v_new[idx], dt)
            v_new = v_new.at[idx].set(v_k)
        fired = fired.at[cells].add(spike)
    if drive.events is not None:  # given spike times (`SpikeTimes`)
        fired = fired.at[drive.events].add(1.0, mode="drop")
    for cells, counts in drive.rasters:  # `SpikeRaster`
        fired = fired.at[cells].add(counts)
    slot = state.step % state.spikes.shape[0]
    if lay.spike_offset is None:
        buffer = jax.lax.dynamic_update_index_in_dim(state.spikes, fired, slot, 0)
    else:
        where = (slot, jnp.asarray(lay.spike_offset, slot.dtype))
        buffer = jax.lax.dynamic_update_slice(state.spikes, fired[None], where)
    if lay.halo is not None:  # presynaptic voltages from other devices
        v_new = lay.halo(v_new)
    synapses, plasticity = [], []
    delivered: dict[int, Array] = {}  # EventDriven: per projection, by group
    for i, (syn, pre, post, rule, st, pst, plan, layout, gr, shared) in enumerate(
        zip(
            prep.synapses,
            lay.pre,
            lay.post,
            lay.plasticity,
            state.synapses,
            state.plasticity,
            plans,
            prep.layouts,
            prep.groups,
            prep.shared,
        )
    ):
        if plan is None:
            model = syn
            if gr is not None:  # shared states: once per group, at its first edge
                first = gr[0].array
                model, pre, post = shared, _pick(pre, first), _pick(post, first)
            synapses.append(model.update_state(st, v_new[pre], v_new[post], dt))
            plasticity.append(pst)
            continue
        if plan.group is not None:  # EventDriven: no plasticity
            g = plan.group
            if g.members[0] == i:  # the group's first member delivers for all
                parts = _deliver_group(g, layout, buffer, state.step)
                delivered.update(zip(g.members, parts))
            synapses.append(syn.update_state(st, delivered[i], dt))
            plasticity.append(pst)
            continue
        arrived = _arrivals(plan, buffer, state.step)
        weight = syn.weight
        if rule is not None:
            if plan.per_pre is not None:
                arrived = arrived[plan.row]
                plan = plan._replace(per_pre=None)
            pst, weight = rule.update(pst, weight, arrived, fired[plan.post_cell], dt)
        synapses.append(
            syn.update_state(st, _deliver(plan, weight, layout, arrived), dt)
        )
        plasticity.append(pst)
    new = State(
        v=v_new,
        channels=tuple(channels),
        synapses=tuple(synapses),
        plasticity=tuple(plasticity),
        spikes=buffer,
        step=state.step + 1,
    )
    return new, fired


# NEURON's voltage step for the slope of a membrane current (mV).
_DV = 1e-3


def linearise(
    f: Callable[[Array], Array], v: Array, numeric: bool = True
) -> tuple[Array, Array]:
    """`f(v)` and its slope `df/dv`, as the solver linearises a membrane
    current at fixed gates.

    A current linear in v at fixed gates (HH's, any ohmic one: found by
    tracing its derivative, which then does not depend on v) has its slope
    exactly (`jax.jvp`). One that is not (an instantaneous activation, a GHK
    current) has, in float64 and with `numeric`, NEURON's forward difference
    over 1 µV, `(f(v + 0.001) - f(v)) / 0.001`, so that runs agree with
    NEURON's to round-off; else the exact derivative (in lower precision that
    difference would keep few digits).
    """
    if numeric and jnp.finfo(v.dtype).bits >= 64 and not _linear(f, v):
        i = f(v)
        return i, (f(v + _DV) - i) / _DV
    return jax.jvp(f, (v,), (jnp.ones_like(v),))


def _linear(f: Callable[[Array], Array], v: Array) -> bool:
    """Whether `f` is linear in `v` (affine): its derivative, traced, does not
    depend on `v`. Conservative: an operation with a sub-program that reads
    `v` counts as depending on it."""
    jaxpr = jax.make_jaxpr(lambda u, t: jax.jvp(f, (u,), (t,))[1])(v, v).jaxpr
    reads = {jaxpr.invars[0]}

    def read(x):
        return isinstance(x, jex.core.Var) and x in reads

    for eqn in jaxpr.eqns:
        if any(read(x) for x in eqn.invars):
            reads.update(eqn.outvars)
    return not any(read(x) for x in jaxpr.outvars)


def _emit(ch, k: int, st, v, drive: _Drive, state: State, dt: float):
    """A source's spikes in this step: its rate replaced where a `Rate` gives
    one, uniform draws from the run's key folded with the step and the
    mechanism (so a run continued from its final state draws new numbers)."""
    for kk, pos, rate in drive.rates:
        if kk == k:
            ch = eqx.tree_at(lambda c: c.rate, ch, ch.rate.at[pos].set(rate))
    u = None
    if ch.random:
        key = jax.random.fold_in(jax.random.fold_in(drive.key, state.step), k)
        u = jax.random.uniform(key, v.shape, v.dtype)
    return ch.emit(st, v, u, dt)


def step(
    net: Network,
    state: State,
    dt: Number,
    *,
    current: Float[ArrayLike, " node"] | None = None,
    solver: AbstractSolver = ImplicitEuler(),
    key: PRNGKeyArray | None = None,
) -> State:
    """Advance the network by one step of `dt` ms.

    Exposed so that a simulation loop can be closed through other models; for a
    whole run `simulate` is faster (it gathers parameters once).

    **Arguments:**

    - `net`: the network.
    - `state`: the current `State`.
    - `dt`: step in ms.
    - `current`: optional injected current (nA) per compartment, shape (len(net),).
    - `solver`: `dx.ImplicitEuler()` (default) or `dx.CrankNicolson()`.
    - `key`: a `jax.random` key, needed when the network holds random spike
      sources (`dx.channels.PoissonSource`); as in `simulate`, the draws of a
      step depend on the key and `state.step`.

    **Returns:**

    The next `State`.
    """
    n_steps(dt, dt)
    if current is not None:
        current = jnp.asarray(current, dtype=float)
        if current.shape != (len(net),):
            raise ValueError(
                f"step: current has shape {current.shape}; give one value per "
                f"compartment, shape ({len(net)},)."
            )
    drive = _Drive(current, None, None, None, _source_key(net, key, "step"))
    plans = _plans(net, dt)
    _check_state(net, state, dt, "step")
    prep = _prepare(net, plans)
    return _advance(_layout(net), prep, plans, state, drive, dt, solver.theta)[0]
