"""`simulate`: resolve every input once (event plans, records, stimuli, the
gathered parameters, the initial state), then scan `_advance` over the steps,
observing the state at each recording time; and its result, `Solution`."""

from __future__ import annotations

import functools
import math
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from typing import ClassVar, Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh
from jaxtyping import Array, Float, Int, PRNGKeyArray

from ._custom_types import Number
from ._events import _plans
from ._inputs import (
    Rate,
    SpikeRaster,
    SpikeTimes,
    _resolve_inputs,
    _source_key,
    _SourceDrive,
)
from ._network import Network, map_params, param_fields
from ._prepare import _prepare, _Prepared
from ._record import Columns, Record, _columns, _Now, _observer, _reads, _spec
from ._sharding import error_if, vary, varying_axes
from ._solver import AbstractSolver, ImplicitEuler
from ._state import State, _check_state, init_state
from ._step import _advance, _Drive, _Layout, _layout
from ._stimulus import Stimulus, VoltageClamp, _resolve_stimuli, n_steps


class Solution(eqx.Module):
    """The result of `simulate`.

    **Attributes:**

    - `ts`: recording times (ms), shape (times,).
    - `ys`: recorded values, shape (times, len(where)) for one `Record`, or a tuple
      of such arrays for a sequence of records.
    - `state`: the final `State` (continue from it with `simulate(..., state=)`).
    - `result`: `Solution.SUCCESSFUL` (0), or `Solution.NONFINITE` (1) when some
      state became NaN or infinite (an array, so that it can be `vmap`ped).
    - `failed_step`: the first step after which the state was not finite (0:
      the initial state), -1 if none; `failed_time` is that time in ms.
    - `failed_variable`: which state it was, as an index into `variables` (e.g.
      "v", "HH.m", "Exp.g"), -1 if none.
    - `columns`: per record, what its columns are (`dx.Columns`: label, name,
      unit, and the cell/branch/comp or edge of each column).

    A record is also found by its label: `sol["v"]`, `sol["HH.ina"]` (the
    label is the record's name unless `Record(label=)` gave one).
    `sol.to_pandas()` and `sol.to_xarray()` return the records with their
    coordinates. `failure` describes a failure in words (when the arrays are
    concrete).
    Without `on_nonfinite="raise"` (the default) you see these only with
    `on_nonfinite="report"`: by default such a run raises instead.
    """

    SUCCESSFUL: ClassVar[int] = 0
    NONFINITE: ClassVar[int] = 1

    ts: Float[Array, " times"]
    ys: Float[Array, "times _sel"] | tuple[Float[Array, "times _sel"], ...]
    state: State
    result: Int[Array, ""]
    failed_step: Int[Array, ""]
    failed_time: Float[Array, ""]
    failed_variable: Int[Array, ""]
    variables: tuple[str, ...] = eqx.field(static=True)
    columns: tuple[Columns, ...] = eqx.field(static=True, default=())

    def _find(self, record: str | int) -> int:
        labels = [c.label for c in self.columns]
        if isinstance(record, int | np.integer) and not isinstance(record, bool):
            if not -len(labels) <= record < len(labels):
                raise IndexError(
                    f"Solution: record {record} is out of range; this run has "
                    f"{len(labels)} records: {labels}."
                )
            return int(record) % len(labels)
        if not isinstance(record, str):
            raise TypeError(
                f"Solution: a record is found by its label (a string) or its "
                f"position (an int), got {type(record).__name__}."
            )
        hits = [k for k, label in enumerate(labels) if label == record]
        if not hits:
            raise KeyError(
                f"Solution: no record labelled {record!r}; the records are {labels}."
            )
        if len(hits) > 1:
            raise KeyError(
                f"Solution: {len(hits)} records are labelled {record!r}; give them "
                "distinct labels with dx.Record(..., label=...) or use positions."
            )
        return hits[0]

    def __getitem__(self, record: str | int) -> Float[Array, "*batch times _sel"]:
        """The recorded array of the record with this label (or position)."""
        k = self._find(record)
        return self.ys[k] if isinstance(self.ys, tuple) else self.ys

    def to_pandas(self, record: str | int | None = None):
        """One record as a `pandas.DataFrame` (needs pandas: `dendrax[tables]`).

        **Arguments:**

        - `record`: the record's label or position; may be omitted when the
          run has one record.

        **Returns:**

        A DataFrame indexed by time (ms, named "t"), one column per recorded
        compartment, edge or cell, labelled by a `MultiIndex` of the record's
        coordinates (e.g. `cell`, `branch`, `comp`). Its `attrs` hold the
        record's `label`, `name` and `unit`.
        """
        pd = _optional("pandas", "to_pandas")
        if record is None:
            if len(self.columns) != 1:
                raise ValueError(
                    "Solution.to_pandas: this run has several records "
                    f"{[c.label for c in self.columns]}; name one, e.g. "
                    f"sol.to_pandas({self.columns[0].label!r})."
                )
            record = 0
        cols = self.columns[self._find(record)]
        y = np.asarray(self[record])
        if y.ndim != 2:
            raise ValueError(
                f"Solution.to_pandas: the record has shape {y.shape}: a batch of "
                "runs (from vmap); take one (jax.tree.map(lambda a: a[i], sol)) or "
                "use to_xarray, which keeps batch dimensions."
            )
        names = [k for k, _ in cols.coords]
        columns = pd.MultiIndex.from_arrays(
            [v.array for _, v in cols.coords], names=names
        )
        frame = pd.DataFrame(
            y, index=pd.Index(np.asarray(self.ts), name="t"), columns=columns
        )
        frame.attrs.update(label=cols.label, name=cols.name, unit=cols.unit)
        return frame

    def to_xarray(self):
        """Every record as an `xarray.Dataset` (needs xarray: `dendrax[tables]`).

        **Returns:**

        A Dataset with one variable per record, named by its label, over the
        dimensions `t` (ms) and `{label}_column`, the latter carrying the
        record's coordinates as `{label}_cell`, `{label}_branch`, ... (so that
        records of different places stay apart); runs batched with `vmap` add
        leading dimensions `batch_0`, `batch_1`, .... Each variable's `attrs`
        hold its `name` and `units`.
        """
        xr = _optional("xarray", "to_xarray")
        labels = [c.label for c in self.columns]
        if len(set(labels)) != len(labels):
            raise ValueError(
                f"Solution.to_xarray: the record labels {labels} repeat; give them "
                "distinct labels with dx.Record(..., label=...)."
            )
        ts = np.asarray(self.ts)
        variables, coords = {}, {"t": ts.reshape(-1, ts.shape[-1])[0]}
        for k, cols in enumerate(self.columns):
            y = np.asarray(self[k])
            column = f"{cols.label}_column"
            batch = [f"batch_{i}" for i in range(y.ndim - 2)]
            variables[cols.label] = xr.Variable(
                (*batch, "t", column), y, attrs={"name": cols.name, "units": cols.unit}
            )
            for name, values in cols.coords:
                coords[f"{cols.label}_{name}"] = (column, values.array)
        return xr.Dataset(variables, coords=coords)

    @property
    def failure(self) -> str | None:
        """What went wrong, in words (None after a successful run)."""
        if not np.any(np.asarray(self.result) != self.SUCCESSFUL):
            return None
        return _failure(
            np.asarray(self.failed_step),
            np.asarray(self.failed_time),
            np.asarray(self.failed_variable),
            self.variables,
        )


def _optional(module: str, who: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(
            f"Solution.{who} needs {module}, an optional dependency: "
            f'pip install "dendrax[tables]" (or pip install {module}).'
        ) from None


def _failure(step, time, var, variables) -> str:
    """The words of a non-finite failure (for batched arrays: the first one)."""
    k = int(np.flatnonzero(np.ravel(step) >= 0)[0]) if np.ndim(step) else 0
    step, time, var = (int(np.ravel(step)[k]), float(np.ravel(time)[k]),
                       int(np.ravel(var)[k]))  # fmt: skip
    where = f" (run {k} of the batch)" if np.ndim(step) else ""
    return (
        f"simulate: the state became non-finite (NaN or inf) in {variables[var]!r} "
        f"at step {step} (t = {time:g} ms){where}. Common causes: a step too long "
        "for the fastest channel (reduce dt), a current or conductance too large, a "
        "NaN in a stimulus or parameter. Pass on_nonfinite='report' to get the "
        "Solution anyway (its result says what failed)."
    )


_SOURCE_INPUTS = (Rate, SpikeTimes, SpikeRaster)
_INPUTS = (Stimulus, VoltageClamp, *_SOURCE_INPUTS)
Input = Stimulus | VoltageClamp | Rate | SpikeTimes | SpikeRaster

# Voltages a gate must follow during a run, and how many of the fastest gate's
# time constants one step may span before `simulate` warns.
_V_RANGE = np.linspace(-80.0, 40.0, 121)
_COARSE = 2.0


def fastest_time_constant(net: Network) -> tuple[float, str] | None:
    """The fastest gating time constant of a network's channels over -80..40 mV.

    Each channel reports its gates' time constants (`time_constants`), at its
    own parameter values (temperature, ...). `simulate` warns when `dt` is more
    than twice this: exponential Euler stays stable, but the gates, and with
    them the spikes, are then poorly resolved (HH at 6.3 °C: 0.108 ms, so dt up
    to 0.2 ms passes; at dt = 2 ms it misses every spike).

    **Arguments:**

    - `net`: the network (its values must be concrete, not traced).

    **Returns:**

    `(tau in ms, "Channel.gate at v mV")`, or None when no channel reports
    time constants (or the values are traced).
    """
    best = None
    for m in net.mechanisms:
        ch = m.channel
        fields = param_fields(ch)
        values = [getattr(ch, f).values() for f in fields]
        if any(isinstance(x, jax.core.Tracer) for x in values):
            return None
        # One evaluation per distinct parameter set (usually one; at most
        # 4096, spread over them), padded to a power of two so that few shapes
        # are compiled.
        if not fields:  # nothing to vary: one evaluation
            values = [np.zeros(1)]
        combos = np.unique(np.stack([np.asarray(x) for x in values], 1), axis=0)
        if len(combos) > 4096:
            combos = combos[np.linspace(0, len(combos) - 1, 4096).astype(int)]
        size = 1 << (len(combos) - 1).bit_length()
        combos = np.concatenate([combos, np.repeat(combos[-1:], size - len(combos), 0)])
        columns = dict(zip(fields, combos.T))
        model = map_params(lambda f, _: jnp.asarray(columns[f]), ch)
        for gate, tau in _time_constants(model).items():
            tau = np.asarray(tau)
            k = np.unravel_index(np.argmin(tau), tau.shape)
            if best is None or tau[k] < best[0]:
                where = f"{m.name}.{gate} at {_V_RANGE[k[0]]:.0f} mV"
                best = (float(tau[k]), where)
    return best


@eqx.filter_jit
def _time_constants(model):
    # One small program per channel class (compiled once), rather than one
    # eager dispatch per operation.
    return model.time_constants(jnp.asarray(_V_RANGE)[:, None])


def _warn_if_coarse(net: Network, dt: float) -> None:
    fastest = fastest_time_constant(net)
    if fastest is not None and dt > _COARSE * fastest[0]:
        tau, where = fastest
        warnings.warn(
            f"simulate: dt={dt} ms is more than twice the fastest gating time "
            f"constant, {tau:.3g} ms ({where}); the run is likely too coarse to "
            f"follow it (spikes may be missed). Use dt <= {_COARSE * tau:.2g} ms, "
            "or compare against a run at dt / 2.",
            stacklevel=3,
        )


def _variables(net: Network, state: State) -> tuple[str, ...]:
    """Names of the state's floating-point variables, in `_finite` order."""
    names = ["v"]
    owners = [m.name for m in net.mechanisms], [p.name for p in net.synapses]
    for group, who in zip(
        (state.channels, state.synapses, state.plasticity), (owners[0], *owners[1:] * 2)
    ):
        names += [f"{name}.{k}" for d, name in zip(group, who) for k in sorted(d)]
    return (*names, "spikes")


def _finite(state: State, check: str = "all") -> Array:
    """Per variable of `_variables` (only the first, v, for `check="v"`),
    whether it holds a non-finite value."""
    leaves = [state.v]
    if check == "v":
        return ~jnp.all(jnp.isfinite(state.v))[None]
    for group in (state.channels, state.synapses, state.plasticity):
        leaves += [d[k] for d in group for k in sorted(d)]
    leaves.append(state.spikes)
    return jnp.stack([~jnp.all(jnp.isfinite(x)) for x in leaves])


def simulate(
    net: Network,
    t_max: Number,
    dt: Number,
    *,
    stimuli: Input | Sequence[Input] = (),
    record: Record | Sequence[Record] = Record("v"),
    solver: AbstractSolver = ImplicitEuler(),
    state: State | None = None,
    checkpoint: bool | None = None,
    mesh: Mesh | None = None,
    on_nonfinite: Literal["raise", "report", "off"] = "raise",
    progress: bool | Callable[[int, int], None] = False,
    key: PRNGKeyArray | None = None,
) -> Solution:
    """Simulate a network for `t_max` ms with fixed steps of `dt` ms.

    A pure function of its inputs: wrap it in `jax.jit` / `eqx.filter_jit`,
    `jax.vmap` it over parameters or stimuli, differentiate it with `jax.grad`.

    **Arguments:**

    - `net`: the network.
    - `t_max`: duration in ms (a Python number).
    - `dt`: step in ms (a Python number).
    - `stimuli`: the run's inputs: electrodes (`Stimulus`, `VoltageClamp`)
      and inputs of spike sources (`Rate`, `SpikeTimes`, `SpikeRaster`).
    - `record`: a `Record` (default: v everywhere) or a sequence of them; all
      records of one run share the same `every`. `Record("spikes")` gives, per
      recording time, each spiking cell's number of spikes since the previous
      one (a raster when `every=1`).
    - `solver`: `dx.ImplicitEuler()` (default) or `dx.CrankNicolson()`.
    - `state`: start from this state instead of `init_state(net, dt)`.
    - `checkpoint`: keep the memory of gradients small: the run is cut into
      about √n segments of about √n steps (n recording times, and within each
      recording interval likewise), and in the backward pass each segment is
      recomputed from its start instead of stored, so memory grows as √n
      rather than n, for about one more forward pass. `None` (the default)
      checkpoints when storing every step would take more than about 16 MiB
      (estimated as 16 times the size of the `State`, per step): every run but
      short ones of small networks, whose gradients are faster stored. `True`
      or `False` force it. (It changes nothing when no gradient is taken.)
    - `mesh`: a `jax.sharding.Mesh` with an axis named "cells": split the
      cells over its devices (balanced by compartments) and advance each part
      on its own device, exchanging spikes once per minimum synaptic delay and
      the presynaptic voltages of graded synapses that cross devices once per
      step (see the "Many devices" docs page). The results, records and final
      state come back as from one device. Call it inside `jax.jit`.
    - `on_nonfinite`: what to do when the state becomes NaN or infinite (a
      blow-up: a step too long, a current too large, a NaN given in). Every
      step checks the membrane potential, which a failing channel or synapse
      state reaches within a step (one reduction per step). "raise" (the
      default): raise `eqx.EquinoxRuntimeError`; outside `jit` it says the
      step, the time and the variable that failed first (found by running
      again with every variable checked, only after a failure). "report":
      return the `Solution`, whose `result`, `failed_step`, `failed_time` and
      `failed_variable` say the same (inside `jit`: the step at which v failed).
      "off": do not check.
    - `progress`: report the progress of the run while it runs, also inside
      `jit`: `True` prints a line (steps done, percentage, time elapsed and
      left) to stderr after the first step and every 5% of the run; a
      function `f(steps_done, n_steps)` is called instead (e.g. to update a
      tqdm bar). It is called from the host through `jax.debug.callback`
      (about 20 times per run, each a short pause of the device); `False`,
      the default, adds nothing to the program. Not available with `mesh`.
      (Under `grad` with checkpointing the backward pass recomputes steps and
      may repeat a report.)
    - `key`: a `jax.random` key for the network's random spike sources
      (`dx.channels.PoissonSource`); needed when it holds one. The same key
      gives the same spikes; each step draws from the key folded with the
      step's index, so a run continued from its final `state` draws new
      numbers. `vmap` over keys for independent trials.

    **Returns:**

    A `Solution` with `ts`, `ys`, the final `state` and the `result`.
    """
    if on_nonfinite not in ("raise", "report", "off"):
        raise ValueError(
            "simulate: on_nonfinite must be 'raise', 'report' or 'off', got "
            f"{on_nonfinite!r}."
        )
    if not isinstance(net, Network):
        raise TypeError(
            f"simulate: net must be a dx.Network, got {type(net).__name__}."
        )
    n = n_steps(t_max, dt)
    _warn_if_coarse(net, dt)
    if not isinstance(solver, AbstractSolver):
        raise TypeError(
            "simulate: solver must be dx.ImplicitEuler() or dx.CrankNicolson()."
        )
    stimuli = [stimuli] if isinstance(stimuli, _INPUTS) else list(stimuli)
    bad = [s for s in stimuli if not isinstance(s, _INPUTS)]
    if bad:
        raise TypeError(
            "simulate: stimuli must be dx.Stimulus, dx.VoltageClamp, dx.Rate, "
            f"dx.SpikeTimes or dx.SpikeRaster, got {type(bad[0]).__name__}."
        )
    inputs = [s for s in stimuli if isinstance(s, _SOURCE_INPUTS)]
    stimuli = [s for s in stimuli if not isinstance(s, _SOURCE_INPUTS)]
    run_key = _source_key(net, key, "simulate")
    if isinstance(record, str) or not isinstance(record, Record | Sequence):
        raise TypeError(
            f"simulate: record must be a dx.Record or a sequence of them, got "
            f"{record!r}; write e.g. record=dx.Record('v')."
        )
    records = [record] if isinstance(record, Record) else list(record)
    if not all(isinstance(r, Record) for r in records):
        raise TypeError("simulate: record must be a dx.Record or a sequence of them.")
    if not records:
        raise ValueError("simulate: record must name at least one Record.")
    every = records[0].every
    if any(r.every != every for r in records):
        raise ValueError("simulate: all records of one run must share the same every.")
    if state is not None and not isinstance(state, State):
        raise TypeError(
            f"simulate: state must be a dx.State (a Solution's .state, or "
            f"dx.init_state), got {type(state).__name__}."
        )
    if state is not None:
        _check_state(net, state, dt, "simulate")
    meter = _meter(progress, n, mesh)
    if mesh is not None:  # each site's device is chosen when tracing
        from ._select import refuse_traced

        refuse_traced(stimuli, records, "simulate(mesh=)")
    specs = [_spec(net, r, dt, stimuli) for r in records]
    columns = tuple(_columns(net, r, s) for r, s in zip(records, specs))

    def solve(check: str | None) -> Solution:
        if mesh is not None:
            from ._partition import simulate_on_mesh

            if inputs or run_key is not None:
                raise ValueError(
                    "simulate: spike sources driven by dx.Rate, dx.SpikeTimes, "
                    "dx.SpikeRaster or a key (PoissonSource) are not yet supported "
                    "with mesh=; run without mesh=."
                )

            ts, ys, final, health = simulate_on_mesh(
                net, n, dt, stimuli, records, solver.theta, state, checkpoint, mesh,
                check,
            )  # fmt: skip
            shapes = state
            if state is None:
                shapes = jax.eval_shape(lambda: init_state(net, dt))
        else:
            plans = _plans(net, dt)
            observers = [_observer(s, _reads(s)) for s in specs]
            drive = _resolve_stimuli(net, stimuli, n)
            prep = _prepare(net, plans)
            shapes = init_state(net, dt) if state is None else state
            sources = _resolve_inputs(net, inputs, n, dt)
            ts, ys, final, health = _run(
                _layout(net), prep, plans, shapes, drive, observers, n, every, dt,
                solver.theta, checkpoint, check=check, context=net, progress=meter,
                sources=sources, key=run_key,
            )  # fmt: skip
        first, var = health
        failed = first < _NONE
        return Solution(
            ts=ts,
            ys=ys[0] if isinstance(record, Record) else ys,
            state=final,
            result=jnp.where(failed, Solution.NONFINITE, Solution.SUCCESSFUL),
            failed_step=jnp.where(failed, first, -1),
            failed_time=jnp.where(failed, first * dt, jnp.nan),
            failed_variable=jnp.where(failed, var, -1),
            variables=_variables(net, shapes),
            columns=columns,
        )

    # Each step checks v, which a failing channel or synapse state reaches
    # within a step; after a failure seen outside `jit`, the run is repeated
    # with every variable checked, to say which failed first.
    sol = solve(None if on_nonfinite == "off" else "v")
    failed = sol.result != Solution.SUCCESSFUL
    if isinstance(failed, jax.core.Tracer):
        if on_nonfinite == "raise":
            # The message is fixed when tracing: it cannot hold the step.
            message = (
                "simulate: the membrane potential became non-finite (NaN or inf). "
                "Run outside jit (or pass on_nonfinite='report' and read the "
                "Solution's failed_step, failed_time) for when and where it "
                "started; common causes: a step too long for the fastest channel "
                "(reduce dt), a current or conductance too large, a NaN in a "
                "stimulus or parameter."
            )
            sol = error_if(sol, jnp.any(failed), [message])
        return sol
    if on_nonfinite != "off" and bool(np.any(failed)):
        sol = solve("all")
        if on_nonfinite == "raise":
            raise eqx.EquinoxRuntimeError(sol.failure)
    return sol


class _Meter:
    """`simulate`'s progress report, called on the host with the steps done.

    The same meter serves every call of a compiled run: a report of the first
    step starts the clock; later reports of no more steps than already
    reported (a run's backward pass recomputing checkpointed steps) are
    dropped."""

    def __init__(self, report: Callable[[int, int], None] | None, n: int):
        self.report, self.n = report, n
        self.every = max(1, n // 20)
        self.start, self.last = time.perf_counter(), 0

    def __call__(self, done) -> None:
        done = int(np.max(done))  # (the same for every run of a batch)
        if done == 1:
            self.start, self.last = time.perf_counter(), 0
        if done <= self.last:
            return
        self.last = done
        if self.report is not None:
            self.report(done, self.n)
            return
        elapsed = time.perf_counter() - self.start
        left = elapsed * (self.n - done) / done
        print(
            f"simulate: {done}/{self.n} steps ({100 * done / self.n:.0f}%), "
            f"{elapsed:.1f} s elapsed, ~{left:.1f} s left",
            file=sys.stderr,
            flush=True,
        )


def _meter(progress, n: int, mesh) -> _Meter | None:
    if progress is False or progress is None:
        return None
    if progress is not True and not callable(progress):
        raise TypeError(
            "simulate: progress must be True, False or a function "
            f"f(steps_done, n_steps), got {progress!r}."
        )
    if mesh is not None:
        raise ValueError(
            "simulate: progress is not available with mesh= (each device would "
            "report); time a shorter run instead, or drop progress."
        )
    return _Meter(None if progress is True else progress, n)


# "No failure" in the loop's record of the first non-finite step.
_NONE = np.iinfo(np.int32).max


def _run(
    lay: _Layout,
    prep: _Prepared,
    plans: tuple,
    state0: State,
    drive: tuple,
    observers: list,
    n: int,
    every: int,
    dt: float,
    theta: float,
    checkpoint: bool | None,
    exchange=None,
    check: str | None = "v",
    context=None,
    progress: _Meter | None = None,
    sources: _SourceDrive | None = None,
    key: Array | None = None,
):
    """The time loop of `simulate`, for a whole network or one device's part
    of it: `n` steps of `_advance`, observed every `every` steps.

    `drive` is `_resolve_stimuli`'s result; `exchange = (m, f)`, if given,
    replaces the state by `f(state)` after every step `k` with
    `(k + 1) % m == 0`; `context` holds the values the loop closes over (they
    fix the carry's mesh-axis type). With `check` ("v": the membrane
    potential; "all": every variable), the loop notes the first step after
    which the state is not finite, and which variable (`_finite`).
    `progress`, if given, is called from the host after the first step and
    every `progress.every` steps. `sources` (`_resolve_inputs`) and `key`
    drive the spike sources. Returns the recording times, the
    observations, the final state and `(first non-finite step or _NONE, its
    variable)`."""
    cur_idx, xs, clamp_g, cl_idx = drive
    n_comp = lay.topology.n_comp
    if checkpoint is None:
        state_bytes = sum(x.size * x.dtype.itemsize for x in jax.tree.leaves(state0))
        checkpoint = _TAPE_PER_STATE * state_bytes * n > _TAPE_BUDGET
    # Inside `shard_map`, the loop's carry must vary over the same mesh axes in
    # and out; it varies over every axis any input varies over.
    axes = varying_axes((context, prep, xs, clamp_g, state0))
    state0 = vary(state0, axes)

    def no_spikes():
        return vary(jnp.zeros((lay.n_cells,), state0.v.dtype), axes)

    def first(a):
        return a[0]

    def last(a):
        return a[-1]

    flags = None
    if exchange is not None:
        flags = jnp.asarray((np.arange(n) + 1) % exchange[0] == 0)
    if sources is None:
        sources = _SourceDrive((), (), None)
    xs = (*xs, flags, sources.rates, sources.events, sources.rasters)

    def watch(health, state):
        k, first, var = health
        if not check:
            return health
        bad = _finite(state, check)
        new = jnp.any(bad) & (first == _NONE)
        k = k + 1
        var = jnp.where(new, jnp.argmax(bad).astype(var.dtype), var)
        return k, jnp.where(new, k, first), var

    def body(carry, x):
        state, counts, health = carry
        w, vc, flag, rates, events, rasters = x
        i_ext = None
        if w:
            i_ext = jnp.zeros((n_comp,), state.v.dtype)
            for idx, wk in zip(cur_idx, w):
                i_ext = i_ext.at[idx].add(wk)
        rates = tuple((k, pos, r) for (k, pos), r in zip(sources.rate_sites, rates))
        rasters = tuple(zip(sources.raster_cells, rasters))
        drive = _Drive(i_ext, vc, clamp_g, cl_idx, key, rates, events, rasters)
        state, fired = _advance(lay, prep, plans, state, drive, dt, theta)
        if flag is not None:
            state = jax.lax.cond(flag, exchange[1], lambda s: s, state)
        if progress is not None:
            done = state.step - state0.step
            due = (done == 1) | (done % progress.every == 0) | (done == n)
            jax.lax.cond(
                due, lambda d: jax.debug.callback(progress, d), lambda d: None, done
            )
        return (state, counts + fired, watch(health, state)), None

    def observe(state, counts, x):
        now = _Now(state, counts, x, lay, prep, (cur_idx, clamp_g, cl_idx))
        return tuple(f(now) for f in observers)

    def block(carry, x):
        state, health = carry
        carry = (state, no_spikes(), health)
        (state, counts, health), _ = _scan(body, carry, x, every, checkpoint)
        # The inputs of the block's last step: an electrode's current then.
        return (state, health), observe(state, counts, jax.tree.map(last, x))

    n_out = n // every
    head = jax.tree.map(
        lambda a: a[: n_out * every].reshape(n_out, every, *a.shape[1:]), xs
    )
    tail = jax.tree.map(lambda a: a[n_out * every :], xs)
    bad0 = _finite(state0, check) if check else jnp.zeros(1, bool)
    health = (
        jnp.int32(0),
        jnp.where(jnp.any(bad0), 0, _NONE).astype(jnp.int32),
        jnp.argmax(bad0).astype(jnp.int32),
    )
    health = vary(health, axes)
    (final, health), obs = _scan(block, (state0, health), head, n_out, checkpoint)
    if n - n_out * every:
        tail_n = n - n_out * every
        carry = (final, no_spikes(), health)
        (final, _, health), _ = _scan(body, carry, tail, tail_n, checkpoint)
    obs0 = observe(state0, no_spikes(), jax.tree.map(first, xs))
    ys = tuple(jnp.concatenate([o0[None], o]) for o0, o in zip(obs0, obs))
    ts = jnp.arange(n_out + 1) * (every * dt)
    return ts, ys, final, health[1:]


# What a gradient stores per step, as a multiple of the state's size: 8-16 for
# HH cells and Ionotropic synapses (XLA's memory analysis of the compiled
# gradient); and the tape above which `simulate` checkpoints by default.
_TAPE_PER_STATE = 16
_TAPE_BUDGET = 16 * 2**20


def _scan(f, carry, xs, length: int, checkpoint: bool):
    """`lax.scan(f, carry, xs, length)`, or, with `checkpoint`, the same cut into
    about √length segments of about √length steps, each recomputed in the
    backward pass instead of stored (memory √length instead of length)."""
    root = math.isqrt(length)
    if not checkpoint or root < 4:
        return jax.lax.scan(f, carry, xs, length=length)
    # A segment length that divides the run, so no remainder needs a scan (and
    # a compiled copy of the step) of its own; else pad with steps that keep
    # the carry as it is.
    divisors = [k for k in range(root // 2, 2 * root + 1) if length % k == 0]
    size = min(divisors, key=lambda k: abs(k - root), default=root)
    n_seg = -(-length // size)
    pad = n_seg * size - length

    def masked(carry, x):
        x, valid = x
        new, y = f(carry, x)
        return jax.tree.map(lambda a, b: jnp.where(valid, a, b), new, carry), y

    step = f
    if pad:
        valid = jnp.arange(n_seg * size) < length
        xs = (
            jax.tree.map(
                lambda a: jnp.concatenate([a, jnp.zeros((pad, *a.shape[1:]), a.dtype)]),
                xs,
            ),
            valid,
        )
        step = masked

    # Inside a scan, CSE cannot merge the recomputation into the forward pass,
    # so its barriers are not needed (they cost compile time).
    @functools.partial(jax.checkpoint, prevent_cse=False)
    def segment(carry, xs_segment):
        return jax.lax.scan(step, carry, xs_segment, length=size)

    xs = jax.tree.map(lambda a: a.reshape(n_seg, size, *a.shape[1:]), xs)
    carry, ys = jax.lax.scan(segment, carry, xs, length=n_seg)
    ys = jax.tree.map(lambda a: a.reshape(n_seg * size, *a.shape[2:])[:length], ys)
    return carry, ys
