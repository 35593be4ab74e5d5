"""Quick matplotlib views of a network and of a simulation.

Needs the optional extra `dendrax[plots]` (matplotlib); `import dendrax` itself never
imports matplotlib. Import this module explicitly:

    import dendrax.plot

    dendrax.plot.traces(sol)
    dendrax.plot.morphology(net, values=sol.ys[-1])
    dendrax.plot.raster(sol, record=1)  # a Record("spikes") raster
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
from jaxtyping import ArrayLike, Float, Shaped

try:
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes
    from matplotlib.collections import LineCollection, PatchCollection, PolyCollection
    from matplotlib.colors import Colormap, Normalize
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle
    from matplotlib.ticker import MaxNLocator
    from matplotlib.typing import ColorType
    from mpl_toolkits.axes_grid1 import make_axes_locatable
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        "dendrax.plot needs matplotlib, which is an optional dependency; install it "
        'with `pip install "dendrax[plots]"` (or `pip install matplotlib`).'
    ) from e

from ._network import Network
from ._simulate import Solution

__all__ = ["morphology", "raster", "traces"]


def traces(
    sol: Solution,
    ax: Axes | None = None,
    labels: Sequence[str] | None = None,
    *,
    record: int | str = 0,
    ylabel: str | None = None,
    **kwargs,
) -> Axes:
    """Plot recorded traces against time, one line per recorded column.

    **Arguments:**

    - `sol`: a `dx.Solution` from `dx.simulate`.
    - `ax`: the axes to draw in; default a new figure.
    - `labels`: optional, one legend label per recorded column; by default,
      up to 8 columns are labelled from the solution (e.g. "cell 0, branch 1,
      comp 2"; for one cell "branch 1, comp 2"), more are not.
    - `record`: which record to plot, by label (e.g. "v", "HH.ina") or
      position, when `simulate` was given a sequence of `Record`s.
    - `ylabel`: label of the y axis; by default the record's variable and unit
      (e.g. "v (mV)", "HH.ina (nA)").
    - `**kwargs`: passed on to `ax.plot` (e.g. `color`, `lw`, `alpha`).

    **Returns:**

    The matplotlib `Axes`.
    """
    ys, cols = _record(sol, record, "traces")
    ts = np.asarray(sol.ts)
    ys = np.asarray(ys).reshape(len(ts), -1)
    if labels is not None:
        labels = list(labels)
        if len(labels) != ys.shape[1]:
            raise ValueError(
                f"traces: {len(labels)} labels for {ys.shape[1]} recorded traces; give "
                "one label per recorded column."
            )
    elif cols is not None and 1 < ys.shape[1] <= _AUTO_LEGEND:
        labels = _column_labels(cols)
    if ax is None:
        _, ax = plt.subplots()
    lines = ax.plot(ts, ys, **kwargs)
    if labels is not None:
        for line, label in zip(lines, labels):
            line.set_label(label)
        ax.legend()
    ax.set_xlabel("time (ms)")
    if ylabel is None:
        ylabel = "v (mV)" if cols is None else cols.name
        if cols is not None and cols.unit:
            ylabel = f"{cols.name} ({cols.unit})"
    ax.set_ylabel(ylabel)
    ax.set_xlim(ts[0], ts[-1])
    return ax


# Up to this many traces are labelled from the solution by default.
_AUTO_LEGEND = 8


def _record(sol: Solution, record: int | str, who: str):
    """A record's array and `Columns` (None for a solution without them)."""
    if sol.columns:
        try:
            k = sol._find(record)
        except (IndexError, KeyError, TypeError) as e:
            raise type(e)(f"{who}: {e.args[0]}") from None
        return sol[k], sol.columns[k]
    ys = sol.ys
    if isinstance(ys, tuple):
        if not isinstance(record, int) or not -len(ys) <= record < len(ys):
            raise IndexError(
                f"{who}: record={record!r} but the solution holds {len(ys)} records; "
                f"use an index in [0, {len(ys) - 1}]."
            )
        return ys[record], None
    if record not in (0, -1):
        raise IndexError(
            f"{who}: record={record!r} but the solution holds one record; leave "
            "record at 0."
        )
    return ys, None


def _column_labels(cols) -> list[str]:
    """Short legend labels for a record's columns: the coordinates that vary
    (cell, branch, comp; edge; cell)."""
    if cols.kind == "edges":
        pre, post = cols.coord("pre_cell"), cols.coord("post_cell")
        return [f"edge {e} (cell {a} → {b})" for e, a, b in
                zip(cols.coord("edge"), pre, post)]  # fmt: skip
    names = ("cell",) if cols.kind == "cells" else ("cell", "branch", "comp")
    values = {n: cols.coord(n) for n in names}
    shown = [n for n in names if len(np.unique(values[n])) > 1] or [names[-1]]
    return [
        ", ".join(f"{n} {values[n][k]}" for n in shown)
        for k in range(len(values[names[0]]))
    ]


# Colours of the groups of a raster, in order: excitatory blue, inhibitory red, ...
_GROUP_COLOURS = (
    "tab:blue", "tab:red", "tab:green", "tab:orange", "tab:purple",
    "tab:brown", "tab:pink", "tab:olive", "tab:cyan",
)  # fmt: skip
_UNGROUPED = "ungrouped"


def _raster_data(sol, counts, record: int | str) -> tuple[np.ndarray, np.ndarray]:
    """(ts, counts) from a Solution or from explicit arrays, checked."""
    if isinstance(sol, Solution):
        if counts is not None:
            raise TypeError(
                "raster: give either a dx.Solution, raster(sol, record=k), or "
                "explicit arrays, raster(ts, counts), not both."
            )
        ys, _ = _record(sol, record, "raster")
        ts, counts = np.asarray(sol.ts), np.asarray(ys)
    else:
        if counts is None:
            raise TypeError(
                "raster: no spike counts; call raster(sol) with a dx.Solution "
                "holding a Record('spikes'), or raster(ts, counts) with the "
                "recording times and the raster, shape (times, cells)."
            )
        ts, counts = np.asarray(sol), np.asarray(counts)
    if ts.ndim != 1 or ts.size < 2:
        raise ValueError(
            f"raster: the recording times have shape {ts.shape}; give a 1-D array "
            "of at least two times (for a vmapped Solution, plot one run: "
            "raster(sol.ts[k], sol.ys[k]))."
        )
    if counts.ndim != 2 or counts.shape[0] != ts.size:
        raise ValueError(
            f"raster: counts has shape {counts.shape}; give a Record('spikes') raster "
            f"of shape (times, cells) = ({ts.size}, cells), one row per recording "
            "time."
        )
    if not counts.shape[1]:
        raise ValueError("raster: counts has no columns; record at least one cell.")
    if not (
        np.issubdtype(counts.dtype, np.number) or np.issubdtype(counts.dtype, np.bool_)
    ):
        raise TypeError(
            f"raster: counts must be numbers (spike counts), got dtype {counts.dtype}."
        )
    return ts.astype(float), counts


def _recording_interval(ts: np.ndarray) -> float:
    """The (uniform) interval between recording times, checked."""
    step = (ts[-1] - ts[0]) / (ts.size - 1)
    # Loose: float32 times of a long run are off by many ulps.
    if not step > 0 or np.abs(np.diff(ts) - step).max() > 0.1 * step:
        raise ValueError(
            "raster: the recording times must increase in equal steps (as "
            "Solution.ts does: every `Record.every` steps of dt), got "
            f"{ts[:4].tolist()}..."
        )
    return float(step)


def _bin_rows(bin_width, interval: float, duration: float) -> int:
    """How many recording intervals make one bin of `bin_width` ms, checked."""
    if isinstance(bin_width, bool) or not isinstance(
        bin_width, int | float | np.integer | np.floating
    ):
        raise TypeError(f"raster: bin_width must be a number of ms, got {bin_width!r}.")
    if not bin_width > 0:
        raise ValueError(
            f"raster: bin_width={bin_width} ms; give a positive bin width, a "
            f"multiple of the recording interval ({interval:g} ms)."
        )
    k = bin_width / interval
    rows = round(k)
    if rows < 1 or abs(k - rows) > 1e-3:
        lower = max(math.floor(k), 1) * interval
        upper = max(math.ceil(k), 1) * interval
        choices = f"{lower:g}" if lower == upper else f"{lower:g} or {upper:g}"
        raise ValueError(
            f"raster: bin_width={bin_width:g} ms is not a multiple of the recording "
            f"interval, {interval:g} ms (dt × Record.every); use bin_width={choices}, "
            "or record more often."
        )
    if rows * interval > duration * (1 + 1e-9):
        raise ValueError(
            f"raster: bin_width={bin_width:g} ms is longer than the recording "
            f"({duration:g} ms); use a bin width of at most {duration:g} ms."
        )
    return rows


def _spikes(ts, counts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(times, rows, columns) of every spike: as `dx.spike_times`, but reading
    only the nonzero entries (10 times faster on a 4000 × 40000 raster)."""
    row, col = np.nonzero(counts)
    n = counts[row, col].astype(float)
    bad = ~np.isfinite(n) | (n < 0) | (np.abs(n - np.rint(n)) > 1e-6)
    if bad.any():
        k = np.flatnonzero(bad)[0]
        raise ValueError(
            f"raster: counts must hold spike counts (whole numbers >= 0), got "
            f"{n[k]:g} at row {row[k]}, column {col[k]}; plot a Record('spikes') "
            "raster (with several records, pick it with record=)."
        )
    n = np.rint(n).astype(np.int64)
    return np.repeat(ts[row], n), np.repeat(row, n), np.repeat(col, n)


def _indices(name, idx, n_cols: int) -> np.ndarray:
    """The columns of one group of a mapping, as a boolean mask."""
    if isinstance(idx, slice):
        idx = np.arange(n_cols)[idx]
    arr = np.asarray(idx)
    if arr.dtype == bool:
        if arr.shape != (n_cols,):
            raise ValueError(
                f"raster: groups[{name!r}] is a boolean mask of shape {arr.shape}; "
                f"give one entry per column ({n_cols},)."
            )
        return arr
    if arr.ndim > 1 or not (arr.size == 0 or np.issubdtype(arr.dtype, np.integer)):
        raise TypeError(
            f"raster: groups[{name!r}] must be column indices (a range, slice or "
            f"integer array) or a boolean mask, got {idx!r}."
        )
    arr = np.atleast_1d(arr).astype(np.int64)
    outside = arr[(arr < -n_cols) | (arr >= n_cols)]
    if outside.size:
        raise IndexError(
            f"raster: groups[{name!r}] holds column {outside[0]} but the raster has "
            f"{n_cols} columns; use indices in [0, {n_cols - 1}]."
        )
    mask = np.zeros(n_cols, bool)
    mask[arr] = True
    return mask


def _groups(groups, n_cols: int) -> tuple[list[str], np.ndarray]:
    """Group names and the group (an index into the names) of every column."""
    if groups is None:
        return ["all"], np.zeros(n_cols, np.int64)
    if isinstance(groups, Mapping):
        if not groups:
            raise ValueError("raster: groups is empty; give at least one group.")
        names = [str(name) for name in groups]
        which = np.full(n_cols, -1, np.int64)
        for k, (name, idx) in enumerate(groups.items()):
            mask = _indices(name, idx, n_cols)
            if not mask.any():
                raise ValueError(
                    f"raster: groups[{name!r}] holds no column; every group needs "
                    "at least one cell (its rate is per cell)."
                )
            twice = mask & (which >= 0)
            if twice.any():
                c = int(np.flatnonzero(twice)[0])
                raise ValueError(
                    f"raster: column {c} is in groups {names[which[c]]!r} and "
                    f"{name!r}; give every column at most one group."
                )
            which[mask] = k
        if (which < 0).any():  # columns in no group
            which[which < 0] = len(names)
            names.append(_UNGROUPED)
        return names, which
    if isinstance(groups, str) or not isinstance(groups, Sequence | np.ndarray):
        raise TypeError(
            "raster: groups must be a mapping from name to columns (e.g. "
            '{"exc": range(3200), "inh": range(3200, 4000)}) or one label per '
            f"column (e.g. a list of 'exc' / 'inh'), got {type(groups).__name__}."
        )
    labels = np.asarray(groups)
    if labels.shape != (n_cols,):
        raise ValueError(
            f"raster: groups has shape {labels.shape}; give one label per column of "
            f"the raster ({n_cols}), or a mapping from group name to columns."
        )
    # Groups in the order in which their labels first appear.
    found, first, which = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return [str(x) for x in found[order]], rank[which.reshape(-1)]


def _colours(colors, names: list[str]) -> list:
    """One colour per group."""
    if colors is None:
        if names == ["all"]:
            return ["black"]
        palette = _GROUP_COLOURS * (len(names) // len(_GROUP_COLOURS) + 1)
        return ["0.6" if name == _UNGROUPED else c for name, c in zip(names, palette)]
    if isinstance(colors, Mapping):
        missing = [name for name in names if name not in colors]
        if missing:
            raise ValueError(
                f"raster: colors has no colour for groups {missing}; give one per "
                f"group ({names})."
            )
        return [colors[name] for name in names]
    if isinstance(colors, str) or not isinstance(colors, Sequence | np.ndarray):
        raise TypeError(
            "raster: colors must be a sequence of colours (one per group) or a "
            f"mapping from group name to colour, got {colors!r}."
        )
    colors = list(colors)
    if len(colors) != len(names):
        raise ValueError(
            f"raster: {len(colors)} colors for {len(names)} groups ({names}); give "
            "one colour per group."
        )
    return colors


def _raster_axes(ax, rate: bool) -> tuple[Axes, Axes | None]:
    """The raster's axes and the rate panel's."""
    if ax is None:
        if not rate:
            return plt.subplots()[1], None
        _, (ax_r, ax_p) = plt.subplots(
            2, 1, sharex=True, gridspec_kw=dict(height_ratios=[3, 1])
        )
        return ax_r, ax_p
    if isinstance(ax, Axes):
        if not rate:
            return ax, None
        ax_p = make_axes_locatable(ax).append_axes(
            "bottom", size="33%", pad=0.1, sharex=ax
        )
        return ax, ax_p
    if isinstance(ax, Sequence | np.ndarray) and len(ax) == 2:
        ax_r, ax_p = ax
        if isinstance(ax_r, Axes) and isinstance(ax_p, Axes):
            if not rate:
                raise ValueError(
                    "raster: two axes given but rate=False; pass one Axes to draw "
                    "the raster alone."
                )
            return ax_r, ax_p
    raise TypeError(
        "raster: ax must be None (a new figure), one matplotlib Axes (the rate "
        "panel is added beneath it) or a pair (raster axes, rate axes), got "
        f"{ax!r}."
    )


def raster(
    sol: Solution | Shaped[ArrayLike, " _times"],
    counts: Shaped[ArrayLike, "_times _cells"] | None = None,
    *,
    ax: Axes | Sequence[Axes] | np.ndarray | None = None,
    record: int | str = 0,
    bin_width: float | int = 5.0,
    groups: Mapping | Sequence | np.ndarray | None = None,
    colors: Sequence[ColorType] | Mapping[str, ColorType] | None = None,
    rate: bool = True,
    legend: bool = True,
    ylabel: str = "cell",
    **kwargs,
) -> tuple[Axes, Axes | None]:
    """Plot a spike raster with the population rate beneath it.

    The raster draws one tick per spike at its time (the recording time that
    closes its interval, as `dx.spike_times` reports it) and its column of the
    raster: the recorded cells in increasing cell id. The panel beneath shares
    the time axis and draws the population rate in Hz per cell, spikes /
    (cells × bin seconds), in bins of `bin_width` ms starting at `ts[0]`, as
    steps: bin `j` counts the spikes recorded at times in
    `(ts[0] + j·bin_width, ts[0] + (j + 1)·bin_width]` (row 0, the initial
    state, is empty in a `dx` raster). A last bin shorter than `bin_width` is
    left out of the rate. The bin width is stated in the rate's y label.

    With `groups` the cells of each group are drawn in their own colour, with a
    legend, and the rate panel draws one rate per group (per cell of that
    group). Columns in no group of a mapping form one more group, "ungrouped",
    drawn in grey.

    Large rasters draw quickly: the spikes are read from the nonzero entries
    only and drawn as one scatter per group (4000 cells × 40000 steps: about a
    second).

    **Arguments:**

    - `sol`: a `dx.Solution` from `dx.simulate` holding a `Record("spikes")`
      raster, or the recording times `ts` (ms, equally spaced, e.g. `sol.ts`)
      when `counts` is given.
    - `counts`: the raster, shape (times, cells): the number of spikes of each
      column since the previous recording time; only with `ts`.
    - `ax`: where to draw: None (a new figure with two panels), one `Axes` (the
      raster; the rate panel is appended beneath it, sharing its x axis) or a
      pair `(raster axes, rate axes)`.
    - `record`: which record is the spike raster, by label (e.g. "spikes") or
      position, when `simulate` was given a sequence of `Record`s.
    - `bin_width`: the width of the rate's bins in ms, a multiple of the
      recording interval (`dt × Record.every`).
    - `groups`: optional, cell groups: a mapping from name to the columns of the
      group (a range, slice, integer array or boolean mask), e.g.
      `{"exc": range(3200), "inh": range(3200, 4000)}`, or one label (a string
      or an integer) per column, e.g. `["exc"] * 3200 + ["inh"] * 800`; groups
      then follow the order of their labels' first appearance.
    - `colors`: optional, one colour per group: a sequence in the order of the
      groups or a mapping from group name to colour. By default blue, red,
      green, ... (black without groups).
    - `rate`: whether to draw the rate panel.
    - `legend`: whether to draw a legend of the groups (when there are groups).
    - `ylabel`: label of the raster's y axis.
    - `**kwargs`: passed on to `ax.scatter` for the spikes (e.g. `s`, the tick
      length squared in points², `marker`, `linewidths`, `alpha`). By default
      each spike is a vertical tick about as long as a row is high (at least
      1.5 points), rasterised in vector output.

    **Returns:**

    `(raster axes, rate axes)`; the rate axes are None when `rate=False`. The
    raster axes hold one `PathCollection` per group (its offsets are the
    spikes' (time, column)); the rate axes hold one `StepPatch` per group (its
    `get_data()` gives the rates and the bin edges).
    """
    ts, counts = _raster_data(sol, counts, record)
    interval = _recording_interval(ts)
    duration = ts[-1] - ts[0]
    rows_per_bin = _bin_rows(bin_width, interval, duration)
    n_cols = counts.shape[1]
    names, which = _groups(groups, n_cols)
    colours = _colours(colors, names)
    times, rows, cols = _spikes(ts, counts)
    ax_r, ax_p = _raster_axes(ax, rate)

    # Spikes: one scatter per group.
    height = ax_r.get_window_extent().height * 72.0 / ax_r.figure.dpi  # points
    tick = float(np.clip(0.9 * height / n_cols, 1.5, 12.0))
    style = dict(
        marker="|",
        s=tick**2,
        linewidths=0.6 if tick < 4.0 else 1.0,
        rasterized=True,
    )
    style.update(kwargs)
    group_of_spike = which[cols]
    for k, (name, colour) in enumerate(zip(names, colours)):
        mine = group_of_spike == k
        ax_r.scatter(times[mine], cols[mine], color=colour, label=name, **style)
    ax_r.set_xlim(ts[0], ts[-1])
    ax_r.set_ylim(-0.5, n_cols - 0.5)
    ax_r.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax_r.set_ylabel(ylabel)
    if legend and groups is not None:
        handles = [
            Line2D([], [], ls="", marker="s", ms=7, color=c, label=name)
            for name, c in zip(names, colours)
        ]
        # Above the raster, on the right: it hides no spike.
        ax_r.legend(
            handles=handles,
            loc="lower right",
            bbox_to_anchor=(1.0, 1.0),
            ncols=len(names),
            frameon=False,
            borderaxespad=0.1,
            handletextpad=0.2,
            columnspacing=1.0,
        )
    if ax_p is None:
        ax_r.set_xlabel("time (ms)")
        return ax_r, None

    # Population rates, per group, in Hz per cell.
    n_bins = (ts.size - 1) // rows_per_bin
    bin_of_spike = np.maximum(rows - 1, 0) // rows_per_bin
    counted = bin_of_spike < n_bins
    edges = ts[0] + rows_per_bin * interval * np.arange(n_bins + 1)
    seconds = rows_per_bin * interval / 1000.0
    cells_per_group = np.bincount(which, minlength=len(names))
    for k, (name, colour) in enumerate(zip(names, colours)):
        mine = counted & (group_of_spike == k)
        spikes = np.bincount(bin_of_spike[mine], minlength=n_bins)[:n_bins]
        ax_p.stairs(
            spikes / (cells_per_group[k] * seconds),
            edges,
            baseline=None,
            color=colour,
            label=name,
            lw=1.0,
        )
    ax_r.tick_params(labelbottom=False)
    ax_r.set_xlabel("")
    ax_p.set_xlim(ts[0], ts[-1])
    ax_p.set_ylim(bottom=0.0)
    ax_p.set_xlabel("time (ms)")
    ax_p.set_ylabel(f"rate (Hz)\n{bin_width:g} ms bins")
    return ax_r, ax_p


# Disks (joints) are drawn as regular polygons of this many corners.
_DISK_CORNERS = 24
_UNIT_DISK = np.stack(
    [
        np.cos(np.linspace(0.0, 2 * np.pi, _DISK_CORNERS, endpoint=False)),
        np.sin(np.linspace(0.0, 2 * np.pi, _DISK_CORNERS, endpoint=False)),
    ],
    axis=1,
)
# A soma branch is drawn as one disk when its radius varies by at most this much
# (relative) and its length equals its diameter within this much.
_SPHERE_RTOL = 0.01


class _Parts(NamedTuple):
    """What `morphology` draws, in 3-D µm (not yet projected).

    - `ends` (pieces, 2, 3), `end_r` (pieces, 2), `piece_comp` (pieces,): each piece
      between consecutive points of one compartment, its radii at both ends and its
      (global) compartment.
    - `joint_xyz` (joints, 3), `joint_r`, `joint_comp`: the round joints.
    - `soma_xyz` (somas, 3), `soma_r`, `soma_comp`: somas drawn as disks.
    """

    ends: np.ndarray
    end_r: np.ndarray
    piece_comp: np.ndarray
    joint_xyz: np.ndarray
    joint_r: np.ndarray
    joint_comp: np.ndarray
    soma_xyz: np.ndarray
    soma_r: np.ndarray
    soma_comp: np.ndarray


def _sphere(xyz: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, float] | None:
    """(centre, radius) if the polyline is sphere-like (one radius, length equal to
    the diameter), else None."""
    step = np.linalg.norm(np.diff(xyz, axis=0), axis=1)
    length = step.sum()
    radius = 0.5 * (r.max() + r.min())
    if r.max() - r.min() > _SPHERE_RTOL * radius:
        return None
    if abs(length - 2 * radius) > _SPHERE_RTOL * 2 * radius:
        return None
    arc = np.concatenate([[0.0], np.cumsum(step)])
    centre = np.array([np.interp(length / 2, arc, xyz[:, k]) for k in range(3)])
    return centre, float(radius)


def _parts(net: Network, cells: np.ndarray) -> _Parts:
    """Pieces, joints and soma disks of the given cells, placed and with global
    compartment indices. Cells sharing an outline and the same soma compartments
    are handled together."""
    cell_of = np.asarray(net.nodes.cell.array)
    first = np.searchsorted(cell_of, np.arange(net.n_cells + 1))
    branch_of = np.asarray(net.nodes.branch.array)
    parent = np.asarray(net.topology.parent.array[: net.topology.n_comp])
    in_soma = np.zeros(len(net), bool)
    for name, ix in net.groups.items:
        if name == "soma":
            in_soma[np.asarray(ix.array)] = True
    placement = np.asarray(net.drawing.placement.array)

    kinds: dict[tuple[int, bytes], list[int]] = {}
    for c in cells:
        k = int(placement[c, 0])
        soma = in_soma[first[c] : first[c + 1]]
        kinds.setdefault((k, soma.tobytes()), []).append(c)

    out = {f: [] for f in _Parts._fields}
    for (k, _), group in kinds.items():
        o = np.asarray(net.drawing.outlines[k].array)
        xyz, r, comp = o[:, :3], o[:, 3], o[:, 4].astype(np.int64)
        c0 = group[0]
        lo, hi = first[c0], first[c0 + 1]
        n = hi - lo
        soma = in_soma[lo:hi]
        branch = branch_of[lo:hi]
        bounds = np.searchsorted(comp, np.arange(n + 1))  # points of each compartment
        # Soma branches drawn as disks.
        as_disk = np.zeros(n, bool)
        disk_xyz, disk_r, disk_comp = [], [], []
        for b in np.unique(branch[soma]):
            members = np.flatnonzero(branch == b)
            if not soma[members].all():
                continue
            pts = slice(bounds[members[0]], bounds[members[-1] + 1])
            found = _sphere(xyz[pts], r[pts])
            if found is None:
                continue
            as_disk[members] = True
            disk_xyz.append(found[0])
            disk_r.append(found[1])
            disk_comp.append(members[len(members) // 2])
        # Pieces: consecutive points of one compartment.
        start = np.flatnonzero((comp[:-1] == comp[1:]) & ~as_disk[comp[:-1]])
        # Joints: every point where two pieces meet: the interior points of a
        # compartment, and the first point of every compartment but the root's
        # (a boundary inside a branch, or where a branch leaves its parent).
        is_first = np.zeros(len(comp), bool)
        is_first[bounds[:-1]] = True
        is_last = np.zeros(len(comp), bool)
        is_last[bounds[1:] - 1] = True
        root = parent[lo:hi] < 0
        joint = np.flatnonzero(~is_last & ~(is_first & root[comp]) & ~as_disk[comp])
        shift = placement[group, 1:4][:, None, :]  # (cells, 1, 3)
        offset = first[group][:, None]  # (cells, 1)
        cells_n = len(group)
        ends = np.stack([xyz[start], xyz[start + 1]], axis=1)
        out["ends"].append((ends[None] + shift[:, :, None, :]).reshape(-1, 2, 3))
        out["end_r"].append(
            np.tile(np.stack([r[start], r[start + 1]], 1), (cells_n, 1))
        )
        out["piece_comp"].append((comp[start][None] + offset).reshape(-1))
        out["joint_xyz"].append((xyz[joint][None] + shift).reshape(-1, 3))
        out["joint_r"].append(np.tile(r[joint], cells_n))
        out["joint_comp"].append((comp[joint][None] + offset).reshape(-1))
        disk_xyz = np.reshape(disk_xyz, (-1, 3))
        out["soma_xyz"].append((disk_xyz[None] + shift).reshape(-1, 3))
        out["soma_r"].append(np.tile(np.asarray(disk_r, float), cells_n))
        out["soma_comp"].append(
            (np.asarray(disk_comp, np.int64)[None] + offset).reshape(-1)
        )
    return _Parts(**{f: np.concatenate(v) for f, v in out.items()})


def _check_dims(dims) -> tuple[int, int]:
    try:
        d0, d1 = (operator.index(d) for d in dims)
    except (TypeError, ValueError):
        d0 = d1 = -1
    if not (0 <= d0 <= 2 and 0 <= d1 <= 2 and d0 != d1):
        raise ValueError(
            f"morphology: dims={dims!r}; give two different coordinates out of "
            "0 (x), 1 (y) and 2 (z), e.g. dims=(0, 2) to look along y."
        )
    return d0, d1


def _check_cells(net: Network, cells) -> np.ndarray:
    if cells is None:
        return np.arange(net.n_cells)
    idx = np.atleast_1d(np.asarray(cells))
    if idx.ndim != 1 or not idx.size or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(
            f"morphology: cells={cells!r}; give a cell index or a non-empty sequence "
            "of cell indices."
        )
    if idx.min() < -net.n_cells or idx.max() >= net.n_cells:
        raise IndexError(
            f"morphology: cells={cells!r} but the network has {net.n_cells} cells; "
            f"use indices in [0, {net.n_cells - 1}]."
        )
    return np.unique(idx % net.n_cells)


def morphology(
    net: Network,
    ax: Axes | None = None,
    values: Float[ArrayLike, " comp"] | None = None,
    cmap: str | Colormap = "viridis",
    *,
    dims: tuple[int, int] = (0, 1),
    cells: int | Sequence[int] | np.ndarray | None = None,
    color: ColorType = "black",
    min_width: float = 0.5,
    colorbar: bool = True,
    label: str | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    **kwargs,
) -> Axes:
    """Draw the cells of a network in a 2-D projection, with diameters to scale.

    Every compartment is drawn along its 3-D points (`net.drawing`): the real
    points for cells read by `dx.read_swc`, a planar layout of straight pieces for
    cells built from `Compartment`s and `Branch`es, with the cells set side by side
    along x. Each piece between two consecutive points is drawn as the projection
    of its frustum: a quadrilateral, in µm, as wide as the diameter at either end.
    Where pieces meet (inside a compartment, between compartments, where a branch
    leaves its parent) a disk of the local radius rounds the joint. Every piece
    also gets a centreline `min_width` points wide, beneath the polygons, so that
    processes thinner than a pixel stay visible.

    A soma drawn as a disk: a branch of the "soma" group whose radius is constant
    and whose length equals its diameter (both within 1%) is drawn as one disk of
    that radius at its midpoint, in the colour of its middle compartment
    (`ncomp // 2`). That is what `dx.read_swc` makes of a one-point (or
    NeuroMorpho three-point) soma: a cylinder of length and diameter 2r. Somas
    traced by several points (contours, chains) are drawn piece by piece like the
    rest of the cell.

    **Arguments:**

    - `net`: the network.
    - `ax`: the axes to draw in; default a new figure.
    - `values`: optional, one value per compartment of the network (e.g. a
      voltage snapshot `sol.ys[k]` recorded everywhere, or `sol.ys.max(axis=0)`),
      colour-mapped with a colorbar. Without it everything is drawn in `color`.
    - `cmap`: the colormap for `values`.
    - `dims`: which two coordinates (0 = x, 1 = y, 2 = z) to draw along the
      horizontal and vertical axes: `(0, 1)` looks down the z axis, `(0, 2)`
      along y.
    - `cells`: optional, a cell index or indices; only these cells are drawn
      (`values` still holds one value per compartment of the whole network).
    - `color`: the colour of everything when no `values` are given.
    - `min_width`: width, in points, of the centrelines that keep thin
      processes visible; 0 draws none.
    - `colorbar`: whether to add a colorbar when `values` are given.
    - `label`: the colorbar label.
    - `vmin`, `vmax`: the colour range; default the range of the drawn `values`.
    - `**kwargs`: passed on to the `PolyCollection`s of pieces and joints and the
      `PatchCollection` of soma disks (e.g. `alpha`, `zorder`, `rasterized`);
      `alpha` and `zorder` apply to the centrelines too. (`max_width` of earlier
      versions is gone: widths are now to scale.)

    **Returns:**

    The matplotlib `Axes`. Its collections are, in order: the centrelines
    (`LineCollection`, one segment per piece), the pieces (`PolyCollection`, one
    quadrilateral per piece), the joints (`PolyCollection`) and the soma disks
    (`PatchCollection` of `Circle`s).
    """
    if "max_width" in kwargs:
        raise TypeError(
            "morphology: max_width was removed; widths are now drawn to scale (in "
            "µm). Use min_width (points) to set how thin processes are drawn."
        )
    d0, d1 = _check_dims(dims)
    drawn = _check_cells(net, cells)
    n = len(net)
    if values is not None:
        values = np.asarray(values, dtype=float).reshape(-1)
        if values.shape != (n,):
            raise ValueError(
                f"morphology: values has {values.size} entries; give one value per "
                f"compartment ({n}), e.g. a voltage snapshot recorded everywhere."
            )
    parts = _parts(net, drawn)
    if values is not None:
        shown = np.concatenate([parts.piece_comp, parts.joint_comp, parts.soma_comp])
        norm = Normalize(
            vmin=np.nanmin(values[shown]) if vmin is None else vmin,
            vmax=np.nanmax(values[shown]) if vmax is None else vmax,
        )
    if ax is None:
        _, ax = plt.subplots()

    # Pieces: projected frustums.
    ends = parts.ends[:, :, [d0, d1]]
    step = ends[:, 1] - ends[:, 0]
    length = np.linalg.norm(step, axis=1, keepdims=True)
    along = np.divide(step, length, out=np.zeros_like(step), where=length > 0)
    normal = np.stack([-along[:, 1], along[:, 0]], axis=1)[:, None, :]
    side = parts.end_r[:, :, None] * normal  # (pieces, 2, 2)
    quads = np.concatenate([ends + side, (ends - side)[:, ::-1]], axis=1)
    centre = parts.joint_xyz[:, [d0, d1]]
    disks = centre[:, None, :] + parts.joint_r[:, None, None] * _UNIT_DISK
    soma = parts.soma_xyz[:, [d0, d1]]

    zorder = kwargs.pop("zorder", 2.0)
    alpha = kwargs.get("alpha")
    lines = LineCollection(
        ends, linewidths=min_width, capstyle="round", zorder=zorder, alpha=alpha
    )
    style = dict(edgecolors="none", linewidths=0.0, zorder=zorder + 0.01)
    pieces = PolyCollection(quads, **style, **kwargs)
    joints = PolyCollection(disks, **style, **kwargs)
    somas = PatchCollection(
        [Circle(tuple(p), r) for p, r in zip(soma, parts.soma_r)],
        **(style | dict(zorder=zorder + 0.02)),
        **kwargs,
    )
    owners = (parts.piece_comp, parts.piece_comp, parts.joint_comp, parts.soma_comp)
    for coll, owner in zip((lines, pieces, joints, somas), owners):
        if values is not None:
            coll.set_array(values[owner])
            coll.set_cmap(cmap)
            coll.set_norm(norm)
        elif coll is lines:
            coll.set_color(color)
        else:
            coll.set_facecolor(color)
        if coll is not lines or min_width > 0:
            ax.add_collection(coll, autolim=False)

    # Fit the limits to the drawing, radii included.
    points = np.concatenate([ends.reshape(-1, 2), centre, soma])
    radii = np.concatenate([parts.end_r.reshape(-1), parts.joint_r, parts.soma_r])
    ax.update_datalim(
        np.stack([(points - radii[:, None]).min(0), (points + radii[:, None]).max(0)])
    )
    ax.autoscale_view()
    ax.set_aspect("equal")
    names = "xyz"
    ax.set_xlabel(f"{names[d0]} (µm)")
    ax.set_ylabel(f"{names[d1]} (µm)")
    if values is not None and colorbar:
        # A colorbar axes as tall as the (equal-aspect) drawing, not the figure.
        cax = make_axes_locatable(ax).append_axes("right", size="4%", pad=0.1)
        ax.figure.colorbar(pieces, cax=cax, label=label)
    return ax
