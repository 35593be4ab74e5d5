"""What drives a run from outside: the time grid (`n_steps`, `stimulus_times`),
current waveforms (`step_current`), the `Stimulus` and `VoltageClamp` inputs, and
their resolution against a network into per-step waveforms."""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from ._check import check, off_grid
from ._custom_types import Number, RealScalarLike
from ._network import Network
from ._select import Selection, is_traced, locations
from ._static import Ix


def n_steps(t_max: Number, dt: Number) -> int:
    """Number of steps of a run, `t_max / dt`, after checking both.

    **Arguments:**

    - `t_max`: duration in ms: a multiple of `dt` (to 1e-9 relative; anything
      else is an error, never rounded), at least `dt`.
    - `dt`: step in ms (positive).

    **Returns:**

    The number of steps.
    """
    for name, value in (("dt", dt), ("t_max", t_max)):
        if isinstance(value, bool):
            value = None  # refused below
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
    n, bad = off_grid(t_max, dt)
    if bad:
        below, above = math.floor(t_max / dt), math.ceil(t_max / dt)
        raise ValueError(
            f"t_max={t_max} is not a multiple of dt={dt} ({t_max / dt:.6g} steps); "
            f"runs are never rounded to the grid: use t_max={below * dt:.10g} "
            f"({below} steps) or {above * dt:.10g} ({above}), or a dt that divides "
            "t_max."
        )
    return int(n)


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

    - `where`: a node `Selection`, static or traced (`dx.select` given jax
      arrays, e.g. inside `vmap` over stimulus sites: the sites are then
      read at run time).
    - `current`: one value per step, shape (steps,), the same for every selected
      compartment, or shape (steps, len(where)).
    """

    where: Selection
    current: Float[Array, " step"] | Float[Array, "step sel"]

    def __init__(self, where: Selection, current: Float[ArrayLike, ...]):
        self.where = _selection(where, "Stimulus")
        # A copy: never the caller's buffer.
        self.current = jnp.array(check(current, "Stimulus", "current"), dtype=float)


class VoltageClamp(eqx.Module):
    """A single-electrode voltage clamp (NEURON's `SEClamp`).

    The electrode injects `(voltage - v) / rs` nA, treated implicitly.

    **Arguments:**

    - `where`: a node `Selection`, static or traced (as for `Stimulus`).
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
        self.where = _selection(where, "VoltageClamp")
        # Copies, as above.
        self.voltage = jnp.array(check(voltage, "VoltageClamp", "voltage"), dtype=float)
        self.rs = jnp.array(check(rs, "VoltageClamp", "rs", "positive"), dtype=float)


def _selection(where, who: str) -> Selection:
    if not isinstance(where, Selection):
        raise TypeError(
            f"{who}: where must be a dx.Selection (from dx.select), got "
            f"{type(where).__name__}; for every compartment of a network, "
            "use dx.select(net, cell='all')."
        )
    return where


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


def _resolve_stimuli(net: Network, stimuli: list, n: int):
    """Resolve `stimuli` against `net` for a run of `n` steps.

    **Returns:**

    `(cur_idx, xs, clamp_g, cl_idx)`: the compartments of each `Stimulus`
    (static indexers, or traced arrays for traced selections); the
    scanned waveforms `(one current per Stimulus, clamp voltages or None)`; the
    clamps' conductances (µS) and sites, or None without a clamp.
    """
    # Each stimulus keeps its own (steps, 1 or sites) waveform: a current shared by
    # many sites is never materialised per site.
    cur_idx, cur_w, cl_idx, cl_w, cl_g = [], [], [], [], []
    for s in stimuli:
        if isinstance(s, Stimulus):
            idx = locations(net, s.where, "Stimulus")
            cur_idx.append(idx if is_traced(idx) else Ix(idx).index())
            cur_w.append(_waveform(s.current, n, len(idx), "Stimulus"))
        elif isinstance(s, VoltageClamp):
            idx = locations(net, s.where, "VoltageClamp")
            cl_idx.append(idx)
            w = _waveform(s.voltage, n, len(idx), "VoltageClamp")
            cl_w.append(jnp.broadcast_to(w, (n, len(idx))))
            cl_g.append(jnp.broadcast_to(1.0 / s.rs, (len(idx),)))
        else:
            raise TypeError(
                f"simulate: stimuli must be dx.Stimulus or dx.VoltageClamp, got "
                f"{type(s).__name__}."
            )
    if any(is_traced(i) for i in cl_idx):  # sites known at run time
        cl_idx = jnp.concatenate([jnp.asarray(i) for i in cl_idx])
    else:
        cl_idx = np.concatenate(cl_idx) if cl_idx else None
    xs = (tuple(cur_w), jnp.concatenate(cl_w, axis=1) if cl_w else None)
    clamp_g = jnp.concatenate(cl_g) if cl_g else None
    return cur_idx, xs, clamp_g, cl_idx
