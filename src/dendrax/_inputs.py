"""Inputs to spike sources given to `simulate`: `Rate` (a time-varying rate for
`PoissonSource` cells), `SpikeTimes` and `SpikeRaster` (the spikes of
`SpikeTrain` cells, as times or per step)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from ._check import check
from ._network import Network
from ._select import Selection, resolve
from ._stimulus import _selection, _waveform
from .channels.sources import PoissonSource, SpikeTrain


class Rate(eqx.Module):
    """A time-varying rate (Hz) for `PoissonSource` cells: an inhomogeneous
    Poisson process.

    During the run the sources at `where` spike at this rate instead of their
    `rate` parameter. The waveform is an input like a `Stimulus` current:
    `vmap` over it, differentiate with respect to it.

    **Arguments:**

    - `where`: a node `Selection` of compartments holding a `PoissonSource`.
    - `rate`: Hz per step, shape (steps,) for every selected source or
      (steps, len(where)), e.g. `20 * (1 + jnp.sin(2 * jnp.pi * t / 100))`
      with `t = dx.stimulus_times(t_max, dt)`.
    """

    where: Selection
    rate: Float[Array, " step"] | Float[Array, "step sel"]

    def __init__(self, where: Selection, rate: Float[ArrayLike, ...]):
        self.where = _selection(where, "Rate")
        self.rate = jnp.array(check(rate, "Rate", "rate", "nonnegative"), dtype=float)


class SpikeTimes(eqx.Module):
    """Given spike times for `SpikeTrain` cells (NEURON's `VecStim`).

    (For spikes that are traced, e.g. a batch of patterns under `vmap`, give
    them per step with `SpikeRaster`.)

    A spike at time `t` is emitted at the end of the step that ends nearest
    to `t` (exactly halfway: the earlier; NEURON's choice there depends on the
    round-off of its time), as a spiking cell whose threshold is
    crossed in that step, so that it reaches a synapse with delay `d` in the
    same step as NEURON delivers a `VecStim` event at `t + d` (NEURON
    delivers an event at the start of the step whose midpoint it precedes).
    A time nearer 0 than `dt` is emitted in the first step (NEURON would
    deliver it one step earlier, at `d`). Times after the run are ignored.

    **Arguments:**

    - `where`: a node `Selection` of compartments holding a `SpikeTrain`
      (one per cell).
    - `times`: spike times (ms, ≥ 0): one sequence per selected compartment,
      in the selection's order, or a single sequence when `where` selects one.
      They fix the program's shapes, so they must be concrete (not traced).
    """

    where: Selection
    times: tuple[tuple[float, ...], ...] = eqx.field(static=True)

    def __init__(
        self,
        where: Selection,
        times: Sequence[float | Sequence[float] | Float[ArrayLike, " _"]]
        | Float[ArrayLike, " _"]
        | Float[ArrayLike, "sel _"],
    ):
        self.where = _selection(where, "SpikeTimes")
        if any(isinstance(t, jax.core.Tracer) for t in jax.tree.leaves(times)):
            raise TypeError(
                "SpikeTimes: times are traced (inside jit or vmap); they fix the "
                "shapes of the run, so give concrete numbers (build the "
                "SpikeTimes outside the transformed function)."
            )
        rows = _rows(times)
        if rows and all(np.ndim(r) == 0 for r in rows):
            if len(self.where) != 1:
                raise ValueError(
                    f"SpikeTimes: times is one flat sequence but where selects "
                    f"{len(self.where)} compartments; give one sequence of times "
                    "per compartment, e.g. [[1.0, 5.0], [2.0]]."
                )
            rows = [rows]
        out = []
        for i, row in enumerate(rows):
            try:
                t = np.asarray(row, dtype=float).reshape(-1)
            except (TypeError, ValueError):
                raise TypeError(
                    f"SpikeTimes: times[{i}] is not a sequence of numbers; give one "
                    "sequence of spike times (ms) per selected compartment."
                ) from None
            if not np.all(np.isfinite(t)) or np.any(t < 0):
                raise ValueError(
                    f"SpikeTimes: times[{i}] holds {t[~np.isfinite(t) | (t < 0)][0]}; "
                    "spike times must be finite and >= 0 ms."
                )
            out.append(tuple(np.sort(t).tolist()))
        if len(out) != len(self.where):
            raise ValueError(
                f"SpikeTimes: {len(out)} sequences of times for {len(self.where)} "
                "selected compartments; give one sequence per compartment (in the "
                "selection's order)."
            )
        self.times = tuple(out)


class SpikeRaster(eqx.Module):
    """Spikes of `SpikeTrain` cells given per step: a raster.

    The traced counterpart of `SpikeTimes`: an array like a `Stimulus`
    current, so `vmap` runs a batch of input patterns at once and `grad`
    differentiates with respect to the input spikes.

    **Arguments:**

    - `where`: a node `Selection` of compartments holding a `SpikeTrain`.
    - `spikes`: the number of spikes each emits at the end of each step, shape
      (steps, len(where)) (or (steps,) for all), usually 0 or 1.
    """

    where: Selection
    spikes: Float[Array, "step sel"] | Float[Array, " step"]

    def __init__(self, where: Selection, spikes: Float[ArrayLike, ...]):
        self.where = _selection(where, "SpikeRaster")
        self.spikes = jnp.array(
            check(spikes, "SpikeRaster", "spikes", "nonnegative"), dtype=float
        )


def _rows(times) -> list:
    """The sequences of `times`: a 1-D array is one sequence."""
    if isinstance(times, np.ndarray | jax.Array) and np.ndim(times) <= 1:
        return [times]
    return list(times)


class _SourceDrive(NamedTuple):
    """What `_advance` needs of the inputs to sources: per `Rate`, the
    mechanism index and the positions of its sites among the mechanism's
    compartments (static); the scanned inputs: per `Rate` its waveform,
    per step the cells that spike by `SpikeTimes` (padded with `n_cells`,
    dropped), and per `SpikeRaster` its cells and counts."""

    rate_sites: tuple[tuple[int, np.ndarray], ...]
    rates: tuple[Array, ...]
    events: Array | None
    raster_cells: tuple[np.ndarray, ...] = ()  # per `SpikeRaster`, its cells
    rasters: tuple[Array, ...] = ()  # and its counts per step


def _site_positions(net: Network, idx: np.ndarray, cls, who: str):
    """`(k, positions)`: the mechanism of class `cls` and where the nodes `idx`
    are among its compartments; an error naming `who` if some lack it."""
    for k, m in enumerate(net.mechanisms):
        if isinstance(m.channel, cls):
            nodes = m.nodes.array
            pos = np.searchsorted(nodes, idx)
            pos = np.minimum(pos, len(nodes) - 1)
            missing = nodes[pos] != idx
            if not missing.any():
                return k, pos
            break
    else:
        missing = np.ones(len(idx), bool)
    raise ValueError(
        f"{who}: compartment {int(idx[missing][0])} holds no {cls.__name__}; "
        f"insert one there first, e.g. dx.insert(net, dx.channels.{cls.__name__}"
        "(), where)."
    )


def _resolve_inputs(net: Network, inputs: list, n: int, dt: float) -> _SourceDrive:
    """Resolve the `Rate`, `SpikeTimes` and `SpikeRaster` inputs of a run of
    `n` steps."""
    sites, rates, step_cells, cells, rasters = [], [], [], [], []
    cell = net.nodes.cell.array
    for s in inputs:
        if isinstance(s, Rate):
            idx = resolve(net, s.where, "Rate")
            sites.append(_site_positions(net, idx, PoissonSource, "Rate"))
            rates.append(_waveform(s.rate, n, len(idx), "Rate"))
        elif isinstance(s, SpikeRaster):
            idx = resolve(net, s.where, "SpikeRaster")
            _site_positions(net, idx, SpikeTrain, "SpikeRaster")
            cells.append(cell[idx])
            rasters.append(_waveform(s.spikes, n, len(idx), "SpikeRaster"))
        else:
            idx = resolve(net, s.where, "SpikeTimes")
            _site_positions(net, idx, SpikeTrain, "SpikeTimes")
            for c, t in zip(cell[idx], s.times):
                t = np.asarray(t, float)
                # The step ending at the step end nearest t (halves down), as
                # NEURON delivers a VecStim event; near 0: the first step.
                k = np.maximum(np.ceil(t / dt - 0.5 - 1e-9).astype(np.int64) - 1, 0)
                k = k[k < n]
                step_cells.append(np.stack([k, np.full_like(k, c)], 1))
    events = None
    if step_cells:
        both = np.concatenate(step_cells)
        if len(both):
            counts = np.bincount(both[:, 0], minlength=n)
            width = int(counts.max())
            order = np.lexsort((both[:, 1], both[:, 0]))
            both = both[order]
            start = np.concatenate([[0], np.cumsum(counts)[:-1]])
            slot = np.arange(len(both)) - start[both[:, 0]]
            table = np.full((n, width), net.n_cells, np.int32)
            table[both[:, 0], slot] = both[:, 1]
            events = jnp.asarray(table)
    return _SourceDrive(
        tuple(sites), tuple(rates), events, tuple(cells), tuple(rasters)
    )


def _source_key(net: Network, key, who: str) -> Array | None:
    """The key for the random sources of `net` (checked), None if it has none."""
    random = [m.name for m in net.mechanisms if getattr(m.channel, "random", False)]
    if not random:
        return None
    if key is None:
        raise ValueError(
            f"{who}: the network holds random spike sources ({', '.join(random)}); "
            "pass key=jax.random.key(0) (the same key gives the same spikes)."
        )
    dtype = getattr(key, "dtype", None)
    typed = dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key)
    if not typed and (jnp.shape(key) != (2,) or dtype != jnp.uint32):
        raise TypeError(
            f"{who}: key must be a jax.random key (jax.random.key(0) or "
            f"jax.random.PRNGKey(0)), got {type(key).__name__}."
        )
    return key
