"""`init_state`, `step`, `simulate`: the membrane solver as pure functions.

Units inside the solver are absolute: nA, µS, nF, mV, ms. Per compartment,
`C dv/dt = -I_ion + I_ext + Σ g_axial (v_neighbour - v)`; each step solves the
linearised system for the voltage change (NEURON's fixed-step scheme) with the
exact tree solve, then advances channel gates by exponential Euler.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, Int

from ._custom_types import Number, RealScalarLike
from ._network import Network, Projection, Topology, cable_geometry
from ._param import is_param
from ._select import Selection, resolve
from ._solver import AbstractSolver, ImplicitEuler, tree_solve
from ._static import Ix
from .channels.base import AbstractChannel, AbstractSpiking
from .conn.delivery import Dense, EventDriven
from .synapses.base import AbstractSynapse
from .synapses.event import AbstractEventSynapse

# --- inputs -------------------------------------------------------------------------


def n_steps(t_max: Number, dt: Number) -> int:
    """Number of steps of a run, `round(t_max / dt)`, after checking both.

    **Arguments:**

    - `t_max`: duration in ms (at least `dt`).
    - `dt`: step in ms (positive).

    **Returns:**

    The number of steps.
    """
    for name, value in (("dt", dt), ("t_max", t_max)):
        if isinstance(value, jax.core.Tracer) or not isinstance(
            value, int | float | np.floating | np.integer
        ):
            raise TypeError(
                f"{name} must be a Python number (it fixes the number of steps, "
                f"so it cannot be traced), got {type(value).__name__}."
            )
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value}.")
    if dt <= 0:
        raise ValueError(f"dt must be positive, got dt={dt}.")
    if t_max < dt:
        raise ValueError(
            f"t_max={t_max} is shorter than one step dt={dt}; increase t_max."
        )
    return int(round(t_max / dt))


def stimulus_times(t_max: Number, dt: Number) -> Float[Array, " step"]:
    """Times at which stimuli are sampled: the midpoint of each step.

    As in NEURON's fixed step, the current of step `k` (from `k dt` to
    `(k + 1) dt`) is evaluated at `(k + 1/2) dt`.

    **Arguments:**

    - `t_max`, `dt`: as for `simulate`.

    **Returns:**

    An array of `round(t_max / dt)` times in ms.
    """
    return (jnp.arange(n_steps(t_max, dt)) + 0.5) * dt


def step_current(
    i_delay: Number,
    i_dur: Number,
    i_amp: RealScalarLike,
    dt: Number,
    t_max: Number,
) -> Float[Array, " step"]:
    """A current step of `i_amp` nA from `i_delay` for `i_dur` ms.

    **Arguments:**

    - `i_delay`, `i_dur`: onset and duration in ms.
    - `i_amp`: amplitude in nA (may be traced, e.g. for a `vmap` sweep).
    - `dt`, `t_max`: as for `simulate`.

    **Returns:**

    The waveform sampled at `stimulus_times(t_max, dt)`, as NEURON's `IClamp`.
    """
    t = stimulus_times(t_max, dt)
    on = (t >= i_delay) & (t < i_delay + i_dur)
    return jnp.where(on, jnp.asarray(i_amp, dtype=t.dtype), 0.0)


class Stimulus(eqx.Module):
    """Injected current (nA, depolarising positive), like NEURON's `IClamp`.

    **Arguments:**

    - `where`: a node `Selection`.
    - `current`: one value per step, shape (steps,), the same for every selected
      compartment, or shape (steps, len(where)).
    """

    where: Selection
    current: Float[Array, " step"] | Float[Array, "step sel"]

    def __init__(self, where: Selection, current: Float[ArrayLike, ...]):
        self.where = where
        self.current = jnp.asarray(current, dtype=float)


class VoltageClamp(eqx.Module):
    """A single-electrode voltage clamp (NEURON's `SEClamp`).

    The electrode injects `(voltage - v) / rs` nA, treated implicitly.

    **Arguments:**

    - `where`: a node `Selection`.
    - `voltage`: command potential (mV) per step, shape (steps,) or
      (steps, len(where)).
    - `rs`: series resistance in MΩ (small: close to an ideal clamp).
    """

    where: Selection
    voltage: Float[Array, " step"] | Float[Array, "step sel"]
    rs: Float[Array, ""]

    def __init__(
        self,
        where: Selection,
        voltage: Float[ArrayLike, ...],
        rs: RealScalarLike = 0.01,
    ):
        self.where = where
        self.voltage = jnp.asarray(voltage, dtype=float)
        self.rs = jnp.asarray(rs, dtype=float)
        if not isinstance(rs, jax.core.Tracer) and np.any(np.asarray(rs) <= 0):
            raise ValueError(f"VoltageClamp: rs must be positive (MΩ), got {rs}.")


class Record(eqx.Module):
    """What to record: `"v"`, `"spikes"` or a state such as `"HH.m"`, at a
    selection.

    **Arguments:**

    - `name`: "v"; "spikes" (per spiking cell, in increasing cell id, the number
      of spikes since the previous recording time); "Channel.state" (e.g.
      "HH.m"); or "Projection.state": a graded synapse's state (e.g.
      "Ionotropic.s", per edge), an event synapse's receptor state (e.g.
      "Exp.g", per target node) or a plasticity state (e.g. "Exp.weight", per
      edge).
    - `where`: a node `Selection` (an edge `Selection` for per-edge states; for
      "spikes", the cells of the selected nodes); default: everywhere the
      variable exists.
    - `every`: record every `every` steps (the initial state is always recorded).
    """

    name: str = eqx.field(static=True)
    where: Selection | None = None
    every: int | np.integer = eqx.field(static=True, default=1)

    def __check_init__(self):
        if not isinstance(self.every, int | np.integer) or self.every < 1:
            raise ValueError(
                f"Record: every must be an integer >= 1, got {self.every}."
            )


def spike_times(
    ts: Float[ArrayLike, " times"], counts: Float[ArrayLike, "times cells"]
) -> tuple[np.ndarray, np.ndarray]:
    """Spike times from a `Record("spikes")` raster (outside `jit`).

    **Arguments:**

    - `ts`: the `Solution.ts` of the run.
    - `counts`: the recorded raster, shape (times, cells).

    **Returns:**

    `(times, columns)`: NumPy arrays with one entry per spike, sorted by time
    (then column). A spike is reported at the recording time that closes its
    interval: its exact time when recording `every=1`.
    """
    ts, counts = np.asarray(ts), np.asarray(counts)
    if counts.ndim != 2 or counts.shape[0] != ts.shape[0]:
        raise ValueError(
            f"spike_times: counts must have shape (len(ts), cells) = ({len(ts)}, ...), "
            f"got {counts.shape}."
        )
    n = np.rint(counts).astype(np.int64)
    row, col = np.nonzero(n)
    reps = n[row, col]
    return np.repeat(ts[row], reps), np.repeat(col, reps)


# --- state ------------------------------------------------------------------------


class State(eqx.Module):
    """Simulation state: voltages of all solver nodes, every channel's gates,
    every projection's synaptic (and plasticity) states, and recent spikes.

    `v[:len(net)]` are the compartments; the rest are zero-area branch points.
    `spikes` is a ring buffer of the cells' spikes over the last steps (as long
    as the longest synaptic delay needs); the spikes of the latest step are
    `spikes[(step - 1) % len(spikes)]`.
    """

    v: Float[Array, " total"]
    channels: tuple[dict[str, Float[Array, " _n"]], ...]
    synapses: tuple[dict[str, Float[Array, " _e"]], ...]
    plasticity: tuple[dict[str, Float[Array, " _e"]], ...]
    spikes: Float[Array, "slot cell"]
    step: Int[Array, ""]


class Solution(eqx.Module):
    """The result of `simulate`.

    **Attributes:**

    - `ts`: recording times (ms), shape (times,).
    - `ys`: recorded values, shape (times, len(where)) for one `Record`, or a tuple
      of such arrays for a sequence of records.
    - `state`: the final `State` (continue from it with `simulate(..., state=)`).
    """

    ts: Float[Array, " times"]
    ys: Float[Array, "times _sel"] | tuple[Float[Array, "times _sel"], ...]
    state: State


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


# --- spikes and event delivery (static plans) ---------------------------------------


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


def init_state(net: Network, dt: Number | None = None) -> State:
    """The state at `t = 0`: `v_init` everywhere, gates at steady state.

    Branch points start at the `v_init` of the compartment they join, as NEURON's
    `finitialize`. Synaptic states start at rest and no spikes are pending.

    **Arguments:**

    - `net`: the network.
    - `dt`: the step (ms); needed only if the network has synaptic delays (they
      fix the length of the spike ring buffer).

    **Returns:**

    A `State`.
    """
    if dt is not None:
        n_steps(dt, dt)
    topo = net.topology
    v0 = net.nodes.v_init.values()
    # A branch point starts at the v_init of the compartment it hangs from, the
    # owner of its half resistance (half index // 2).
    v_bp = v0[topo.half_a.array[topo.n_comp :] // 2]
    plans = _plans(net, dt)
    prep = _prepare(net)
    channels = tuple(
        ch.init_state(v0[m.nodes.array]) for ch, m in zip(prep.channels, net.mechanisms)
    )
    synapses, plasticity = [], []
    for syn, p in zip(prep.synapses, net.synapses):
        if p.is_event:
            synapses.append(syn.init_state(v0[p.targets.array]))
        else:
            synapses.append(syn.init_state(v0[p.pre.array], v0[p.post.array]))
        plasticity.append({} if p.plasticity is None else p.plasticity.init(syn.weight))
    return State(
        v=jnp.concatenate([v0, v_bp]),
        channels=channels,
        synapses=tuple(synapses),
        plasticity=tuple(plasticity),
        spikes=jnp.zeros((_buffer_length(plans), net.n_cells), v0.dtype),
        step=jnp.zeros((), jnp.int32),
    )


class _Drive(NamedTuple):
    """External drive during one step."""

    i_ext: Array | None  # nA per compartment
    clamp_v: Array | None  # mV per clamp site
    clamp_g: Array | None  # µS per clamp site
    clamp_idx: np.ndarray | None


def _advance(
    net: Network,
    prep: _Prepared,
    plans: tuple[_Plan | None, ...],
    state: State,
    drive: _Drive,
    dt: float,
    theta: float,
) -> tuple[State, Array]:
    """One step; returns the new state and the cells' spikes in this step."""
    topo = net.topology
    v = state.v
    i_ion = jnp.zeros_like(v)
    g_ion = jnp.zeros_like(v)
    for ch, m, st in zip(prep.channels, net.mechanisms, state.channels):
        idx = m.nodes.index()
        vi = v[idx]
        # di/dv at fixed gates; NEURON takes the same derivative numerically.
        i, di = jax.jvp(
            lambda u, ch=ch, st=st: ch.current(st, u), (vi,), (jnp.ones_like(vi),)
        )
        # A negative slope (the regenerative upswing of a point neuron, e.g. AdEx's
        # exponential) is taken explicitly: implicit, it could make the diagonal
        # vanish and send v the wrong way. Gated channels at fixed gates are
        # ohmic (di/dv >= 0), so this never changes them.
        di = jnp.maximum(di, 0.0)
        scale = 1e-2 * prep.area[idx]  # mA/cm² × µm² → nA
        i_ion = i_ion.at[idx].add(scale * i)
        g_ion = g_ion.at[idx].add(scale * di)
    for syn, p, st in zip(prep.synapses, net.synapses, state.synapses):
        # Synaptic currents are in nA already; linearised in v_post like channels.
        if p.is_event:
            post = p.targets.index()
            fn = lambda u, syn=syn, st=st: syn.current(st, u)  # noqa: E731
        else:
            post = p.post.index()
            v_pre = v[p.pre.index()]
            fn = lambda u, syn=syn, st=st, v_pre=v_pre: syn.current(st, v_pre, u)  # noqa: E731
        u = v[post]
        i, di = jax.jvp(fn, (u,), (jnp.ones_like(u),))
        i_ion = i_ion.at[post].add(i)
        g_ion = g_ion.at[post].add(di)
    parent = topo.parent.array
    has = parent >= 0
    flow = prep.g[has] * (v[has] - v[parent[has]])
    i_axial = jnp.zeros_like(v).at[has].add(-flow).at[parent[has]].add(flow)
    rhs = i_axial - i_ion
    diag = prep.cap / (theta * dt) + g_ion + prep.diag
    if drive.i_ext is not None:
        rhs = rhs.at[: topo.n_comp].add(drive.i_ext)
    if drive.clamp_idx is not None:
        c = drive.clamp_idx
        rhs = rhs.at[c].add(drive.clamp_g * (drive.clamp_v - v[c]))
        diag = diag.at[c].add(drive.clamp_g)
    delta = tree_solve(diag, rhs, prep.g, topo)
    v_new = v + delta / theta
    channels = [
        ch.update_state(st, v_new[m.nodes.index()], dt)
        for ch, m, st in zip(prep.channels, net.mechanisms, state.channels)
    ]
    # Spikes and resets, then the cells' spikes into the ring buffer.
    fired = jnp.zeros((state.spikes.shape[1],), v.dtype)
    for k, cells in _sources(net):
        idx = net.mechanisms[k].nodes.index()
        channels[k], v_k, spike = prep.channels[k].fire(
            channels[k], v[idx], v_new[idx], dt
        )
        v_new = v_new.at[idx].set(v_k)
        fired = fired.at[Ix(cells).index()].add(spike)
    buffer = jax.lax.dynamic_update_index_in_dim(
        state.spikes, fired, state.step % state.spikes.shape[0], axis=0
    )
    synapses, plasticity = [], []
    for syn, p, st, pst, plan, dense_w in zip(
        prep.synapses,
        net.synapses,
        state.synapses,
        state.plasticity,
        plans,
        prep.dense,
    ):
        if plan is None:
            pre, post = v_new[p.pre.index()], v_new[p.post.index()]
            synapses.append(syn.update_state(st, pre, post, dt))
            plasticity.append(pst)
            continue
        arrived = _arrivals(plan, buffer, state.step)
        weight = syn.weight
        if p.plasticity is not None:
            if plan.per_pre is not None:
                arrived = arrived[plan.row]
                plan = plan._replace(per_pre=None)
            pst, weight = p.plasticity.update(
                pst, weight, arrived, fired[plan.post_cell], dt
            )
        synapses.append(
            syn.update_state(st, _deliver(plan, weight, dense_w, arrived), dt)
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


def step(
    net: Network,
    state: State,
    dt: Number,
    *,
    current: Float[ArrayLike, " node"] | None = None,
    solver: AbstractSolver = ImplicitEuler(),
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
    drive = _Drive(current, None, None, None)
    plans = _plans(net, dt)
    _check_state(net, state, dt, "step")
    return _advance(net, _prepare(net, plans), plans, state, drive, dt, solver.theta)[0]


def _check_state(net: Network, state, dt, who: str) -> None:
    expected = jax.eval_shape(lambda: init_state(net, dt))
    shapes = jax.tree.map(lambda x: (x.shape, x.dtype), expected)
    if not isinstance(state, State) or (
        jax.tree.structure(state) != jax.tree.structure(expected)
        or jax.tree.map(lambda x: (x.shape, x.dtype), state) != shapes
    ):
        raise ValueError(
            f"{who}: state= does not fit this network; pass a state from "
            "dx.init_state(net, dt) or from a previous Solution of the same network "
            "and dt."
        )


def _waveform(x: Array, n: int, n_sel: int, who: str) -> Array:
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] != n or x.shape[1] not in (1, n_sel):
        raise ValueError(
            f"{who}: the waveform has shape {x.shape}; it needs one value per step "
            f"({n},) or per step and selected compartment ({n}, {n_sel}). Build it "
            "with the same dt and t_max, e.g. dx.step_current(..., dt, t_max)."
        )
    return x


def _observer(net: Network, record: Record, dt: float):
    """A function `(state, spike counts) -> recorded values`."""
    if not isinstance(record, Record):
        raise TypeError("simulate: record must be a dx.Record or a sequence of them.")
    if record.name == "v":
        idx = Ix(resolve(net, record.where, "Record")).index()
        return lambda s, c: s.v[idx]
    if record.name == "spikes":
        cells = spiking_cells(net)
        if record.where is not None:
            nodes = resolve(net, record.where, "Record")
            cells = np.intersect1d(cells, net.nodes.cell.array[nodes])
        if not cells.size:
            raise ValueError(
                "Record('spikes'): no selected cell emits spikes; insert a spiking "
                "mechanism (e.g. dx.channels.LIF() or dx.channels.SpikeDetector())."
            )
        idx = Ix(cells).index()
        return lambda s, c: c[idx]
    owner, _, state_name = record.name.partition(".")
    offsets = net.edge_offsets()
    shapes = jax.eval_shape(lambda: init_state(net, dt))
    # (name, kind, global element indices, where its states live in a State)
    owners = [
        (m.name, "nodes", m.nodes.array, ("channels", k))
        for k, m in enumerate(net.mechanisms)
    ]
    for k, p in enumerate(net.synapses):
        edges = np.arange(offsets[k], offsets[k + 1])
        if p.is_event:
            owners.append((p.name, "nodes", p.targets.array, ("synapses", k)))
            owners.append((p.name, "edges", edges, ("plasticity", k)))
        else:
            owners.append((p.name, "edges", edges, ("synapses", k)))
    match = [o for o in owners if o[0] == owner]
    if not match:
        raise ValueError(
            f"Record: unknown name {record.name!r}; use 'v', 'spikes', "
            "'Channel.state' or 'Projection.state' with one of "
            f"{sorted({o[0] for o in owners})}."
        )
    known = sorted(s for o in match for s in getattr(shapes, o[3][0])[o[3][1]])
    match = [o for o in match if state_name in getattr(shapes, o[3][0])[o[3][1]]]
    if not match:
        hint = ""
        if f"{owner}.{state_name}" in net.param_names():
            hint = (
                f" {state_name!r} is a parameter (read it with dx.get); weights "
                "become states with connect(..., plasticity=)."
            )
        raise ValueError(
            f"Record({record.name!r}): {owner} has no state {state_name!r}; its "
            f"states are {known}.{hint}"
        )
    _, kind, elems, (field, k) = match[0]
    idx = elems if record.where is None else resolve(net, record.where, "Record", kind)
    missing = np.setdiff1d(idx, elems)
    if missing.size:
        raise ValueError(
            f"Record({record.name!r}): {kind} {missing[:5].tolist()} do not have "
            f"{owner}; select {kind} where it is present."
        )
    pos = Ix(np.searchsorted(elems, idx)).index()
    return lambda s, c: getattr(s, field)[k][state_name][pos]


def simulate(
    net: Network,
    t_max: Number,
    dt: Number,
    *,
    stimuli: Stimulus | VoltageClamp | Sequence[Stimulus | VoltageClamp] = (),
    record: Record | Sequence[Record] = Record("v"),
    solver: AbstractSolver = ImplicitEuler(),
    state: State | None = None,
    checkpoint: bool = False,
) -> Solution:
    """Simulate a network for `t_max` ms with fixed steps of `dt` ms.

    A pure function of its inputs: wrap it in `jax.jit` / `eqx.filter_jit`,
    `jax.vmap` it over parameters or stimuli, differentiate it with `jax.grad`.

    **Arguments:**

    - `net`: the network.
    - `t_max`: duration in ms (a Python number).
    - `dt`: step in ms (a Python number).
    - `stimuli`: `Stimulus` and `VoltageClamp` objects.
    - `record`: a `Record` (default: v everywhere) or a sequence of them; all
      records of one run share the same `every`. `Record("spikes")` gives, per
      recording time, each spiking cell's number of spikes since the previous
      one (a raster when `every=1`).
    - `solver`: `dx.ImplicitEuler()` (default) or `dx.CrankNicolson()`.
    - `state`: start from this state instead of `init_state(net, dt)`.
    - `checkpoint`: recompute each recording interval in the backward pass
      instead of storing it (less memory for gradients through long runs).

    **Returns:**

    A `Solution` with `ts`, `ys` and the final `state`.
    """
    n = n_steps(t_max, dt)
    if not isinstance(solver, AbstractSolver):
        raise TypeError(
            "simulate: solver must be dx.ImplicitEuler() or dx.CrankNicolson()."
        )
    stimuli = (
        [stimuli] if isinstance(stimuli, Stimulus | VoltageClamp) else list(stimuli)
    )
    records = [record] if isinstance(record, Record) else list(record)
    if not records:
        raise ValueError("simulate: record must name at least one Record.")
    every = records[0].every
    if any(r.every != every for r in records):
        raise ValueError("simulate: all records of one run must share the same every.")
    plans = _plans(net, dt)
    observers = [_observer(net, r, dt) for r in records]

    # Each stimulus keeps its own (steps, 1 or sites) waveform: a current shared by
    # many sites is never materialised per site.
    cur_idx, cur_w, cl_idx, cl_w, cl_g = [], [], [], [], []
    for s in stimuli:
        if isinstance(s, Stimulus):
            idx = resolve(net, s.where, "Stimulus")
            cur_idx.append(Ix(idx).index())
            cur_w.append(_waveform(s.current, n, len(idx), "Stimulus"))
        elif isinstance(s, VoltageClamp):
            idx = resolve(net, s.where, "VoltageClamp")
            cl_idx.append(idx)
            w = _waveform(s.voltage, n, len(idx), "VoltageClamp")
            cl_w.append(jnp.broadcast_to(w, (n, len(idx))))
            cl_g.append(jnp.broadcast_to(1.0 / s.rs, (len(idx),)))
        else:
            raise TypeError(
                f"simulate: stimuli must be dx.Stimulus or dx.VoltageClamp, got "
                f"{type(s).__name__}."
            )
    cl_idx = np.concatenate(cl_idx) if cl_idx else None
    xs = (tuple(cur_w), jnp.concatenate(cl_w, axis=1) if cl_w else None)
    clamp_g = jnp.concatenate(cl_g) if cl_g else None
    prep = _prepare(net, plans)
    theta = solver.theta
    n_comp = len(net)

    def body(carry, x):
        state, counts = carry
        w, vc = x
        i_ext = None
        if w:
            i_ext = jnp.zeros((n_comp,), state.v.dtype)
            for idx, wk in zip(cur_idx, w):
                i_ext = i_ext.at[idx].add(wk)
        drive = _Drive(i_ext, vc, clamp_g, cl_idx)
        state, fired = _advance(net, prep, plans, state, drive, dt, theta)
        return (state, counts + fired), None

    def observe(state, counts):
        return tuple(f(state, counts) for f in observers)

    def block(state, x):
        counts = jnp.zeros_like(state.spikes[0])
        (state, counts), _ = jax.lax.scan(body, (state, counts), x, length=every)
        return state, observe(state, counts)

    if checkpoint:
        block = jax.checkpoint(block)

    if state is None:
        state0 = init_state(net, dt)
    else:
        _check_state(net, state, dt, "simulate")
        state0 = state
    n_out = n // every
    head = jax.tree.map(
        lambda a: a[: n_out * every].reshape(n_out, every, *a.shape[1:]), xs
    )
    tail = jax.tree.map(lambda a: a[n_out * every :], xs)
    final, obs = jax.lax.scan(block, state0, head, length=n_out)
    if n - n_out * every:
        zero = jnp.zeros_like(final.spikes[0])
        (final, _), _ = jax.lax.scan(
            body, (final, zero), tail, length=n - n_out * every
        )
    obs0 = observe(state0, jnp.zeros_like(state0.spikes[0]))
    ys = tuple(jnp.concatenate([o0[None], o]) for o0, o in zip(obs0, obs))
    ts = jnp.arange(n_out + 1) * (every * dt)
    return Solution(ts=ts, ys=ys[0] if isinstance(record, Record) else ys, state=final)
