"""`simulate`: resolve every input once (event plans, records, stimuli, the
gathered parameters, the initial state), then scan `_advance` over the steps,
observing the state at each recording time; and its result, `Solution`."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh
from jaxtyping import Array, Float

from ._custom_types import Number
from ._events import _plans
from ._network import Network
from ._prepare import _prepare, _Prepared
from ._record import Record, _observer
from ._sharding import vary, varying_axes
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
    """

    ts: Float[Array, " times"]
    ys: Float[Array, "times _sel"] | tuple[Float[Array, "times _sel"], ...]
    state: State


def simulate(
    net: Network,
    t_max: Number,
    dt: Number,
    *,
    stimuli: Stimulus | VoltageClamp | Sequence[Stimulus | VoltageClamp] = (),
    record: Record | Sequence[Record] = Record("v"),
    solver: AbstractSolver = ImplicitEuler(),
    state: State | None = None,
    checkpoint: bool | None = None,
    mesh: Mesh | None = None,
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
    if state is not None:
        _check_state(net, state, dt, "simulate")
    if mesh is not None:
        from ._partition import simulate_on_mesh

        ts, ys, final = simulate_on_mesh(
            net, n, dt, stimuli, records, solver.theta, state, checkpoint, mesh
        )
    else:
        plans = _plans(net, dt)
        observers = [_observer(net, r, dt) for r in records]
        drive = _resolve_stimuli(net, stimuli, n)
        prep = _prepare(net, plans)
        state0 = init_state(net, dt) if state is None else state
        ts, ys, final = _run(
            _layout(net), prep, plans, state0, drive, observers, n, every, dt,
            solver.theta, checkpoint, context=net,
        )  # fmt: skip
    return Solution(ts=ts, ys=ys[0] if isinstance(record, Record) else ys, state=final)


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
    context=None,
):
    """The time loop of `simulate`, for a whole network or one device's part
    of it: `n` steps of `_advance`, observed every `every` steps.

    `drive` is `_resolve_stimuli`'s result; `exchange = (m, f)`, if given,
    replaces the state by `f(state)` after every step `k` with
    `(k + 1) % m == 0`; `context` holds the values the loop closes over (they
    fix the carry's mesh-axis type).
    Returns the recording times, the observations and the final state."""
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

    flags = None
    if exchange is not None:
        flags = jnp.asarray((np.arange(n) + 1) % exchange[0] == 0)
    xs = (*xs, flags)

    def body(carry, x):
        state, counts = carry
        w, vc, flag = x
        i_ext = None
        if w:
            i_ext = jnp.zeros((n_comp,), state.v.dtype)
            for idx, wk in zip(cur_idx, w):
                i_ext = i_ext.at[idx].add(wk)
        drive = _Drive(i_ext, vc, clamp_g, cl_idx)
        state, fired = _advance(lay, prep, plans, state, drive, dt, theta)
        if flag is not None:
            state = jax.lax.cond(flag, exchange[1], lambda s: s, state)
        return (state, counts + fired), None

    def observe(state, counts):
        return tuple(f(state, counts) for f in observers)

    def block(state, x):
        (state, counts), _ = _scan(body, (state, no_spikes()), x, every, checkpoint)
        return state, observe(state, counts)

    n_out = n // every
    head = jax.tree.map(
        lambda a: a[: n_out * every].reshape(n_out, every, *a.shape[1:]), xs
    )
    tail = jax.tree.map(lambda a: a[n_out * every :], xs)
    final, obs = _scan(block, state0, head, n_out, checkpoint)
    if n - n_out * every:
        tail_n = n - n_out * every
        (final, _), _ = _scan(body, (final, no_spikes()), tail, tail_n, checkpoint)
    obs0 = observe(state0, no_spikes())
    ys = tuple(jnp.concatenate([o0[None], o]) for o0, o in zip(obs0, obs))
    ts = jnp.arange(n_out + 1) * (every * dt)
    return ts, ys, final


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
