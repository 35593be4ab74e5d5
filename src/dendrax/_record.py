"""What a run records: `Record`, the observers that read it from the state at
each recording time, and `spike_times` to turn a recorded raster into spikes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from ._events import spiking_cells
from ._network import Network, map_params
from ._prepare import state_groups
from ._select import Selection, is_traced, locations
from ._state import init_state
from ._static import Ix
from .channels import ions


class Record(eqx.Module):
    """What to record: the membrane potential, spikes, a state, or a current,
    at a selection.

    **Arguments:**

    - `name`: one of
        - "v": the membrane potential (mV), per compartment;
        - "spikes": per spiking cell, in increasing cell id, the number of
          spikes since the previous recording time (a raster with `every=1`);
        - "Channel.state" (e.g. "HH.m"), per compartment;
        - "Projection.state": a graded synapse's state (e.g. "Ionotropic.s",
          per edge), an event synapse's receptor state (e.g. "Exp.g", per
          target compartment) or a plasticity state (e.g. "Exp.weight", per
          edge);
        - "Channel.i": a channel's current (nA, outward positive), per
          compartment, or a named part of it (per ion: "HH.ina", "HH.ik",
          "HH.il"; see the channel's `currents`);
        - "Projection.i": a synapse's current (nA, outward positive), per
          edge for graded synapses, per target compartment for event synapses;
        - "Stimulus.i": the current injected by all `dx.Stimulus` inputs (nA,
          positive into the cell, like NEURON's `IClamp.i`), per compartment
          (without `where`: at every stimulated one; if some stimulus sites
          are traced, at every site of every `Stimulus`, in order);
        - "VoltageClamp.i": the clamp current `(command - v) / rs` (nA,
          positive into the cell, like NEURON's `SEClamp.i`), per clamped
          compartment.

      Currents are those at the recorded time: a mechanism's at that time's v
      and states (NEURON records `ina` one step later: its value at `t` is the
      current at `t - dt`); an electrode's is the one it injects during the
      step that ends then (at t = 0: during the first step).
    - `where`: a node `Selection` (an edge `Selection` for per-edge values; for
      "spikes", the cells of the selected nodes); default: everywhere the
      variable exists. A traced selection (`dx.select` given jax arrays, e.g.
      inside `vmap` over recording sites) is read at run time: one column per
      selected element, in its order (for "spikes", the cell of each selected
      compartment), and the `Columns` then hold only each column's
      `position`, since which compartments they are is not known when
      tracing.
    - `every`: record every `every` steps (the initial state is always recorded).
    - `label`: the record's name in the `Solution` (`sol["label"]`); default
      `name`.
    """

    name: str = eqx.field(static=True)
    where: Selection | None = None
    every: int | np.integer = eqx.field(static=True, default=1)
    label: str | None = eqx.field(static=True, default=None)

    def __check_init__(self):
        if not isinstance(self.name, str):
            raise TypeError(
                f"Record: name must be a string such as 'v', 'spikes' or 'HH.m', got "
                f"{self.name!r}."
            )
        if self.label is not None and (
            not isinstance(self.label, str) or not self.label
        ):
            raise TypeError(
                f"Record: label must be a non-empty string (the record's name in "
                f"the Solution) or None, got {self.label!r}."
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
    row, col = np.nonzero(counts)  # (few: reading only those is much faster)
    reps = np.rint(counts[row, col]).astype(np.int64)
    keep = reps > 0
    row, col, reps = row[keep], col[keep], reps[keep]
    return np.repeat(ts[row], reps), np.repeat(col, reps)


class _Spec(NamedTuple):
    """What a `Record` reads.

    `field`: "v" (`pos`: nodes); "counts" (`pos`: cells); "channels",
    "synapses" or "plasticity": the `name` state of entry `k` of that `State`
    field, at positions `pos` within its elements (a mechanism's compartments,
    an event synapse's targets, or a projection's edges: `kind` "edges"; for
    graded synapses with shared states, `shared` maps each edge to its state);
    "channel_i" / "synapse_i": the current `name` of mechanism / projection
    `k` at positions `pos` within its elements; "stimulus" / "clamp" (`pos`:
    nodes): the electrodes' currents. `ids` are the global indices of what is
    read (nodes, edges or cells: `kind`), `unit` its unit."""

    field: str
    pos: np.ndarray
    k: int = -1
    name: str = ""
    kind: str = "nodes"
    shared: np.ndarray | None = None
    ids: np.ndarray | None = None
    unit: str = ""


class Columns(NamedTuple):
    """What each column of a recorded array is (`Solution.columns`).

    **Attributes:**

    - `label`: the record's label (its name unless `Record(label=)` was given).
    - `name`: the recorded variable, e.g. "v", "HH.ina", "Exp.g".
    - `kind`: "nodes" (compartments), "edges" (synapses) or "cells".
    - `unit`: e.g. "mV", "nA", "µS"; "" for dimensionless states.
    - `coords`: per column coordinates, as `(name, values)` pairs: `node`,
      `cell`, `branch`, `comp` for compartments; `edge`, `pre_node`,
      `post_node`, `pre_cell`, `post_cell` for synapses; `cell` for cells.
      For a record at a traced selection only `position` (0, 1, ...: the
      column's place in the selection), since the sites are known only at run
      time: read them from the selection itself (`sel.indices`, a traced array
      that the mapped function may return).
    """

    label: str
    name: str
    kind: str
    unit: str
    coords: tuple[tuple[str, Ix], ...]

    def coord(self, name: str) -> np.ndarray:
        """The coordinate `name` (a read-only NumPy array)."""
        for key, values in self.coords:
            if key == name:
                return values.array
        traced = [k for k, _ in self.coords] == ["position"]
        raise KeyError(
            f"{self.label!r} has no coordinate {name!r}; it has "
            f"{[k for k, _ in self.coords]}"
            + (
                " (it was recorded at a traced selection, whose sites are known "
                "only at run time: read them from the selection, sel.indices)."
                if traced
                else "."
            )
        )


def _columns(net: Network, record: Record, spec: _Spec) -> Columns:
    """The `Columns` of a record, from its spec."""
    nodes = net.nodes
    if is_traced(spec.ids):  # sites known only at run time
        coords = (("position", np.arange(spec.ids.shape[0])),)
    elif spec.kind == "cells":
        coords = (("cell", spec.ids),)
    elif spec.kind == "edges":
        pre = np.concatenate([p.pre.array for p in net.synapses])[spec.ids]
        post = np.concatenate([p.post.array for p in net.synapses])[spec.ids]
        cell = nodes.cell.array
        coords = (("edge", spec.ids), ("pre_node", pre), ("post_node", post),
                  ("pre_cell", cell[pre]), ("post_cell", cell[post]))  # fmt: skip
    else:
        coords = (("node", spec.ids), ("cell", nodes.cell.array[spec.ids]),
                  ("branch", nodes.branch.array[spec.ids]),
                  ("comp", nodes.comp.array[spec.ids]))  # fmt: skip
    label = record.name if record.label is None else record.label
    return Columns(
        label, record.name, spec.kind, spec.unit, tuple((k, Ix(v)) for k, v in coords)
    )


class _Now(NamedTuple):
    """What an observer may read at a recording time: the state, the spikes
    since the last recording time, the inputs of the step that ended (`x`:
    the scanned stimulus waveforms), the layout, the prepared parameters and
    the electrodes' sites (`drive`: `_resolve_stimuli`'s sites and clamp
    conductances)."""

    state: Any
    counts: Any
    x: Any
    lay: Any
    prep: Any
    drive: Any


def _reads(spec: _Spec):
    """What a record reads in a whole network's arrays: `spec.pos`, or for a
    shared synaptic state the state of each position's edge."""
    if is_traced(spec.pos):
        return spec.pos if spec.shared is None else jnp.asarray(spec.shared)[spec.pos]
    return Ix(spec.pos if spec.shared is None else spec.shared[spec.pos]).index()


def _observer(spec: _Spec, reads) -> Callable[[_Now], Array]:
    """A function `_Now -> recorded values`, reading `reads` (an indexer:
    `_reads(spec)` for a whole network, one device's slots on a mesh)."""
    k, name = spec.k, spec.name
    if spec.field == "v":
        return lambda now: now.state.v[reads]
    if spec.field == "counts":
        return lambda now: now.counts[reads]
    if spec.field == "channel_i":

        def channel_current(now):
            idx = now.lay.nodes[k]
            ch, st, v = now.prep.channels[k], now.state.channels[k], now.state.v[idx]
            if ch.ions:  # the ion values it reads, from the pools
                chans, states = now.prep.channels, now.state.channels
                values = ions._values(chans, now.lay.nodes, states, now.state.v)
                st = ions._with(ch, st, values, idx)
            i = ch.current(st, v) if name == "i" else ch.currents(st, v)[name]
            return (1e-2 * now.prep.area[idx] * i)[reads]  # mA/cm² × µm² → nA

        return channel_current
    if spec.field == "synapse_i":

        def synapse_current(now):
            syn, st, v = now.prep.synapses[k], now.state.synapses[k], now.state.v
            if now.lay.targets[k] is not None:  # an event synapse
                return syn.current(st, v[now.lay.targets[k]])[reads]
            groups = now.prep.groups[k]
            if groups is not None:  # shared states, read per edge
                st = {s: a[groups[1].index()] for s, a in st.items()}
            return syn.current(st, v[now.lay.pre[k]], v[now.lay.post[k]])[reads]

        return synapse_current
    if spec.field == "stimulus":

        def stimulus_current(now):
            v = now.state.v
            i = jnp.zeros(now.lay.topology.n_comp, v.dtype)
            for idx, w in zip(now.drive[0], now.x[0]):
                i = i.at[idx].add(w)
            return i[reads]

        return stimulus_current
    if spec.field == "clamp":

        def clamp_current(now):
            v, (_, g, sites) = now.state.v, now.drive
            i = g * (now.x[1] - v[sites])
            return jnp.zeros_like(v).at[sites].add(i)[reads]

        return clamp_current
    return lambda now: getattr(now.state, spec.field)[k][name][reads]


def _spec(net: Network, record: Record, dt: float, stimuli=None) -> _Spec:
    """The `_Spec` of a record on a network (checked against it, and, for
    electrode currents, against the run's `stimuli` when given)."""
    if not isinstance(record, Record):
        raise TypeError("simulate: record must be a dx.Record or a sequence of them.")
    if record.name == "v":
        nodes = locations(net, record.where, "Record")
        return _Spec("v", nodes, ids=nodes, unit="mV")
    if record.name == "spikes":
        cells = spiking_cells(net)
        if record.where is not None:
            nodes = locations(net, record.where, "Record")
            if is_traced(nodes):  # the cell of each selected compartment
                pos = _positions(
                    cells, jnp.asarray(net.nodes.cell.array)[nodes],
                    "Record('spikes'): a traced where= selected a compartment of a "
                    "cell that emits no spikes; select cells with a spiking "
                    "mechanism (e.g. dx.channels.LIF() or dx.channels.SpikeDetector"
                    "()).",
                )  # fmt: skip
                return _Spec("counts", pos, kind="cells", ids=pos, unit="spikes")
            cells = np.intersect1d(cells, net.nodes.cell.array[nodes])
        if not cells.size:
            raise ValueError(
                "Record('spikes'): no selected cell emits spikes; insert a spiking "
                "mechanism (e.g. dx.channels.LIF() or dx.channels.SpikeDetector())."
            )
        return _Spec("counts", cells, kind="cells", ids=cells, unit="spikes")
    owner, _, state_name = record.name.partition(".")
    if record.name in ("Stimulus.i", "VoltageClamp.i"):
        return _electrode_spec(net, record, stimuli)
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
            "'Stimulus.i', 'VoltageClamp.i', 'Channel.state', 'Channel.i', "
            "'Projection.state' or 'Projection.i' with one of "
            f"{sorted({o[0] for o in owners})}."
        )
    states = sorted(s for o in match for s in getattr(shapes, o[3][0])[o[3][1]])
    currents = _currents(net, match[0][3])
    found = [o for o in match if state_name in getattr(shapes, o[3][0])[o[3][1]]]
    field = None
    if found:  # a state (a state named like a current is read as the state)
        _, kind, elems, (field, k) = found[0]
    elif state_name in currents:
        _, kind, elems, (field, k) = match[0]
        field = "channel_i" if field == "channels" else "synapse_i"
    else:
        hint = ""
        if f"{owner}.{state_name}" in net.param_names():
            hint = (
                f" {state_name!r} is a parameter (read it with dx.get); weights "
                "become states with connect(..., plasticity=)."
            )
        raise ValueError(
            f"Record({record.name!r}): {owner} has no state or current "
            f"{state_name!r}; its states are {states} and its currents "
            f"{currents}.{hint}"
        )
    where = record.where
    idx = elems if where is None else locations(net, where, "Record", kind)
    if is_traced(idx):
        pos = _positions(
            elems, idx, f"Record({record.name!r}): a traced where= selected {kind} "
            f"without {owner}; select {kind} where it is present.",
        )  # fmt: skip
    else:
        missing = np.setdiff1d(idx, elems)
        if missing.size:
            raise ValueError(
                f"Record({record.name!r}): {kind} {missing[:5].tolist()} do not "
                f"have {owner}; select {kind} where it is present."
            )
        pos = np.searchsorted(elems, idx)
    shared = None
    if field == "synapses" and kind == "edges":
        groups = state_groups(net.synapses[k])
        if groups is not None:  # a shared state, read at each edge
            shared = groups[1].array
    unit = "nA" if field.endswith("_i") else _state_unit(record.name)
    return _Spec(field, pos, k, state_name, kind, shared, ids=idx, unit=unit)


def _currents(net: Network, where: tuple[str, int]) -> list[str]:
    """The recordable currents of a mechanism (`("channels", k)`) or a
    projection: "i" and, for channels, the parts their `currents` name."""
    field, k = where
    if field != "channels":
        return ["i"]
    ch = net.mechanisms[k].channel
    n = len(net.mechanisms[k].nodes)

    def parts():
        model, v = map_params(lambda f, p: jnp.zeros(n), ch), jnp.zeros(n)
        values = {name: jnp.ones(n) for name in ch.ions}
        st = ions._init(model, v, values, slice(None))
        return model.currents(ions._with(model, st, values, slice(None)), v)

    return ["i", *sorted(jax.eval_shape(parts))]


def _state_unit(name: str) -> str:
    """Units of the states whose unit is fixed by the package's conventions."""
    return {"g": "µS", "i_syn": "nA"}.get(name.partition(".")[2], "")


def _electrode_spec(net: Network, record: Record, stimuli) -> _Spec:
    """The spec of "Stimulus.i" or "VoltageClamp.i"."""
    from ._stimulus import Stimulus, VoltageClamp

    kind = Stimulus if record.name == "Stimulus.i" else VoltageClamp
    nodes = locations(net, record.where, "Record")
    if stimuli is not None:
        sites = [locations(net, s.where, kind.__name__) for s in stimuli
                 if isinstance(s, kind)]  # fmt: skip
        if not sites:
            raise ValueError(
                f"Record({record.name!r}): this run has no dx.{kind.__name__}; pass "
                f"one in simulate(..., stimuli=)."
            )
        traced = any(is_traced(x) for x in (nodes, *sites))
        if record.where is None and traced:  # every site, in order, repeats kept
            nodes = jnp.concatenate([jnp.asarray(x) for x in sites])
        elif record.where is None:
            nodes = np.unique(np.concatenate(sites))
        elif kind is VoltageClamp and traced:
            sites = jnp.concatenate([jnp.asarray(x) for x in sites])
            clamped = jnp.any(jnp.asarray(nodes)[:, None] == sites[None, :], axis=1)
            nodes = eqx.error_if(
                nodes,
                ~clamped,
                "Record('VoltageClamp.i'): a traced where= (or traced clamp sites) "
                "selected a compartment that is not clamped; select clamped "
                "compartments (or give no where).",
            )
        elif kind is VoltageClamp:
            missing = np.setdiff1d(nodes, np.concatenate(sites))
            if missing.size:
                raise ValueError(
                    f"Record('VoltageClamp.i'): nodes {missing[:5].tolist()} are not "
                    "clamped; select clamped compartments (or give no where)."
                )
    field = "stimulus" if kind is Stimulus else "clamp"
    return _Spec(field, nodes, ids=nodes, unit="nA")


def _positions(elems: np.ndarray, idx: Array, message: str) -> Array:
    """Positions of traced indices `idx` within sorted static `elems`, with a
    run-time error (`message`) if one is not among them."""
    elems = jnp.asarray(elems)
    pos = jnp.clip(jnp.searchsorted(elems, idx), 0, len(elems) - 1)
    return eqx.error_if(pos, jnp.any(elems[pos] != idx), message)
