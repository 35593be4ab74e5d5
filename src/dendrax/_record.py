"""What a run records: `Record`, the observers that read it from the state at
each recording time, and `spike_times` to turn a recorded raster into spikes."""

from __future__ import annotations

from typing import NamedTuple

import equinox as eqx
import jax
import numpy as np
from jaxtyping import ArrayLike, Float

from ._events import spiking_cells
from ._network import Network
from ._prepare import state_groups
from ._select import Selection, resolve
from ._state import init_state
from ._static import Ix


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
        if not isinstance(self.name, str):
            raise TypeError(
                f"Record: name must be a string such as 'v', 'spikes' or 'HH.m', got "
                f"{self.name!r}."
            )
        if self.where is not None and not isinstance(self.where, Selection):
            raise TypeError(
                f"Record: where must be a dx.Selection (from dx.select) or None, got "
                f"{type(self.where).__name__}."
            )
        if (
            isinstance(self.every, bool)
            or not isinstance(self.every, int | np.integer)
            or self.every < 1
        ):
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


class _Spec(NamedTuple):
    """What a `Record` reads: `field` "v" (`pos`: nodes), "counts" (`pos`:
    cells), or the `name` state of entry `k` of a `State` field ("channels",
    "synapses", "plasticity"), at positions `pos` within its elements: a
    mechanism's compartments, an event synapse's targets, or a projection's
    edges (`kind` "edges"; for graded synapses with shared states, `shared`
    maps each edge to its state)."""

    field: str
    pos: np.ndarray
    k: int = -1
    name: str = ""
    kind: str = "nodes"
    shared: np.ndarray | None = None


def _observer(net: Network, record: Record, dt: float):
    """A function `(state, spike counts) -> recorded values`."""
    spec = _spec(net, record, dt)
    if spec.field == "v":
        idx = Ix(spec.pos).index()
        return lambda s, c: s.v[idx]
    if spec.field == "counts":
        idx = Ix(spec.pos).index()
        return lambda s, c: c[idx]
    pos = spec.pos if spec.shared is None else spec.shared[spec.pos]
    pos = Ix(pos).index()
    return lambda s, c: getattr(s, spec.field)[spec.k][spec.name][pos]


def _spec(net: Network, record: Record, dt: float) -> _Spec:
    """The `_Spec` of a record on a network (checked against it)."""
    if not isinstance(record, Record):
        raise TypeError("simulate: record must be a dx.Record or a sequence of them.")
    if record.name == "v":
        return _Spec("v", resolve(net, record.where, "Record"))
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
        return _Spec("counts", cells)
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
    pos = np.searchsorted(elems, idx)
    shared = None
    if field == "synapses" and kind == "edges":
        groups = state_groups(net.synapses[k])
        if groups is not None:  # a shared state, read at each edge
            shared = groups[1].array
    return _Spec(field, pos, k, state_name, kind, shared)
