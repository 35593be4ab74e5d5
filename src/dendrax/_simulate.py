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
from jaxtyping import Array, ArrayLike, Float

from ._custom_types import Number, RealScalarLike
from ._network import Network, Topology
from ._param import is_param
from ._select import Selection, resolve
from ._solver import AbstractSolver, ImplicitEuler, tree_solve
from ._static import Ix
from .channels.base import AbstractChannel
from .synapses.base import AbstractSynapse

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
    """What to record: `"v"` or a channel state such as `"HH.m"`, at a selection.

    **Arguments:**

    - `name`: "v", "Channel.state" (e.g. "HH.m") or "Projection.state" (e.g.
      "Ionotropic.s").
    - `where`: a node `Selection` (an edge `Selection` for synaptic states);
      default: everywhere the variable exists.
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


# --- state ------------------------------------------------------------------------


class State(eqx.Module):
    """Simulation state: voltages of all solver nodes, every channel's gates and
    every projection's synaptic states.

    `v[:len(net)]` are the compartments; the rest are zero-area branch points.
    """

    v: Float[Array, " total"]
    channels: tuple[dict[str, Float[Array, " _n"]], ...]
    synapses: tuple[dict[str, Float[Array, " _e"]], ...] = ()


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
    synapses: tuple[AbstractSynapse, ...]  # fields are per-edge arrays


def _prepare(net: Network) -> _Prepared:
    topo: Topology = net.topology
    nodes = net.nodes
    length = nodes.length.values()
    radius = nodes.radius.values()
    ra = nodes.axial_resistivity.values()
    area = 2 * jnp.pi * radius * length
    # Half a compartment's axial resistance in MΩ: Ra[Ω·cm] (L/2)[µm] / (π r²)[µm²]
    # = 1e-2 MΩ per (Ω·cm / µm).
    half = 1e-2 * ra * (length / 2) / (jnp.pi * radius**2)
    half = jnp.append(half, 0.0)  # index -1: no second half
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
    return _Prepared(cap, area, g, diag, channels, synapses)


def _diag(g, topo: Topology):
    parent = topo.parent.array
    has = parent >= 0
    return g.at[parent[has]].add(g[has])


def init_state(net: Network) -> State:
    """The state at `t = 0`: `v_init` everywhere, gates at steady state.

    Branch points start at the `v_init` of the compartment they join, as NEURON's
    `finitialize`.

    **Arguments:**

    - `net`: the network.

    **Returns:**

    A `State`.
    """
    topo = net.topology
    v0 = net.nodes.v_init.values()
    v_bp = v0[topo.half_a.array[topo.n_comp :]]
    prep = _prepare(net)
    channels = tuple(
        ch.init_state(v0[m.nodes.array]) for ch, m in zip(prep.channels, net.mechanisms)
    )
    synapses = tuple(
        syn.init_state(v0[p.pre.array], v0[p.post.array])
        for syn, p in zip(prep.synapses, net.synapses)
    )
    return State(v=jnp.concatenate([v0, v_bp]), channels=channels, synapses=synapses)


class _Drive(NamedTuple):
    """External drive during one step."""

    i_ext: Array | None  # nA per compartment
    clamp_v: Array | None  # mV per clamp site
    clamp_g: Array | None  # µS per clamp site
    clamp_idx: np.ndarray | None


def _advance(
    net: Network, prep: _Prepared, state: State, drive: _Drive, dt: float, theta: float
) -> State:
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
        scale = 1e-2 * prep.area[idx]  # mA/cm² × µm² → nA
        i_ion = i_ion.at[idx].add(scale * i)
        g_ion = g_ion.at[idx].add(scale * di)
    for syn, p, st in zip(prep.synapses, net.synapses, state.synapses):
        pre, post = p.pre.index(), p.post.index()
        v_pre = v[pre]
        # Synaptic currents are in nA already; linearised in v_post like channels.
        i, di = jax.jvp(
            lambda u, syn=syn, st=st, v_pre=v_pre: syn.current(st, v_pre, u),
            (v[post],),
            (jnp.ones(len(p), v.dtype),),
        )
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
    channels = tuple(
        ch.update_state(st, v_new[m.nodes.index()], dt)
        for ch, m, st in zip(prep.channels, net.mechanisms, state.channels)
    )
    synapses = tuple(
        syn.update_state(st, v_new[p.pre.index()], v_new[p.post.index()], dt)
        for syn, p, st in zip(prep.synapses, net.synapses, state.synapses)
    )
    return State(v=v_new, channels=channels, synapses=synapses)


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
    return _advance(net, _prepare(net), state, drive, dt, solver.theta)


def _waveform(x: Array, n: int, n_sel: int, who: str) -> Array:
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] != n or x.shape[1] not in (1, n_sel):
        raise ValueError(
            f"{who}: the waveform has shape {x.shape}; it needs one value per step "
            f"({n},) or per step and selected compartment ({n}, {n_sel}). Build it "
            "with the same dt and t_max, e.g. dx.step_current(..., dt, t_max)."
        )
    return jnp.broadcast_to(x, (n, n_sel))


def _observer(net: Network, record: Record):
    if not isinstance(record, Record):
        raise TypeError("simulate: record must be a dx.Record or a sequence of them.")
    if record.name == "v":
        idx = Ix(resolve(net, record.where, "Record")).index()
        return lambda s: s.v[idx]
    owner, _, state_name = record.name.partition(".")
    offsets = net.edge_offsets()
    # (name, kind, global element indices, where its states live in a State)
    owners = [
        (m.name, "nodes", m.nodes.array, ("channels", k))
        for k, m in enumerate(net.mechanisms)
    ] + [
        (p.name, "edges", np.arange(offsets[k], offsets[k + 1]), ("synapses", k))
        for k, p in enumerate(net.synapses)
    ]
    match = [o for o in owners if o[0] == owner]
    if not match:
        raise ValueError(
            f"Record: unknown name {record.name!r}; use 'v', 'Channel.state' or "
            f"'Projection.state' with one of {[o[0] for o in owners]}."
        )
    _, kind, elems, (field, k) = match[0]
    idx = elems if record.where is None else resolve(net, record.where, "Record", kind)
    missing = np.setdiff1d(idx, elems)
    if missing.size:
        raise ValueError(
            f"Record({record.name!r}): {kind} {missing[:5].tolist()} do not have "
            f"{owner}; select {kind} where it is present."
        )
    states = getattr(jax.eval_shape(lambda: init_state(net)), field)[k]
    if state_name not in states:
        raise ValueError(
            f"Record({record.name!r}): {owner} has no state {state_name!r}; its "
            f"states are {sorted(states)}."
        )
    pos = Ix(np.searchsorted(elems, idx)).index()
    return lambda s: getattr(s, field)[k][state_name][pos]


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
      records of one run share the same `every`.
    - `solver`: `dx.ImplicitEuler()` (default) or `dx.CrankNicolson()`.
    - `state`: start from this state instead of `init_state(net)`.
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
    observers = [_observer(net, r) for r in records]

    cur_idx, cur_w, cl_idx, cl_w, cl_g = [], [], [], [], []
    for s in stimuli:
        if isinstance(s, Stimulus):
            idx = resolve(net, s.where, "Stimulus")
            cur_idx.append(idx)
            cur_w.append(_waveform(s.current, n, len(idx), "Stimulus"))
        elif isinstance(s, VoltageClamp):
            idx = resolve(net, s.where, "VoltageClamp")
            cl_idx.append(idx)
            cl_w.append(_waveform(s.voltage, n, len(idx), "VoltageClamp"))
            cl_g.append(jnp.broadcast_to(1.0 / s.rs, (len(idx),)))
        else:
            raise TypeError(
                f"simulate: stimuli must be dx.Stimulus or dx.VoltageClamp, got "
                f"{type(s).__name__}."
            )
    cur_idx = Ix(np.concatenate(cur_idx)).index() if cur_idx else None
    cl_idx = np.concatenate(cl_idx) if cl_idx else None
    xs = (
        jnp.concatenate(cur_w, axis=1) if cur_w else None,
        jnp.concatenate(cl_w, axis=1) if cl_w else None,
    )
    clamp_g = jnp.concatenate(cl_g) if cl_g else None
    prep = _prepare(net)
    theta = solver.theta
    n_comp = len(net)

    def body(state, x):
        w, vc = x
        i_ext = None
        if w is not None:
            i_ext = jnp.zeros((n_comp,), w.dtype).at[cur_idx].add(w)
        drive = _Drive(i_ext, vc, clamp_g, cl_idx)
        return _advance(net, prep, state, drive, dt, theta), None

    def observe(state):
        return tuple(f(state) for f in observers)

    def block(state, x):
        state, _ = jax.lax.scan(body, state, x, length=every)
        return state, observe(state)

    if checkpoint:
        block = jax.checkpoint(block)

    if state is None:
        state0 = init_state(net)
    else:
        expected = jax.eval_shape(lambda: init_state(net))
        got = jax.tree.map(lambda x: (x.shape, x.dtype), state)
        if not isinstance(state, State) or got != jax.tree.map(
            lambda x: (x.shape, x.dtype), expected
        ):
            raise ValueError(
                "simulate: state= does not fit this network; pass a state from "
                "dx.init_state(net) or from a previous Solution of the same network."
            )
        state0 = state
    n_out = n // every
    head = jax.tree.map(
        lambda a: a[: n_out * every].reshape(n_out, every, *a.shape[1:]), xs
    )
    tail = jax.tree.map(lambda a: a[n_out * every :], xs)
    final, obs = jax.lax.scan(block, state0, head, length=n_out)
    if n - n_out * every:
        final, _ = jax.lax.scan(body, final, tail, length=n - n_out * every)
    obs0 = observe(state0)
    ys = tuple(jnp.concatenate([o0[None], o]) for o0, o in zip(obs0, obs))
    ts = jnp.arange(n_out + 1) * (every * dt)
    return Solution(ts=ts, ys=ys[0] if isinstance(record, Record) else ys, state=final)
