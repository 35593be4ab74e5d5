"""Quick matplotlib views of a network and of a simulation.

Needs the optional extra `dendrax[plots]` (matplotlib); `import dendrax` itself never
imports matplotlib. Import this module explicitly:

    import dendrax.plot

    dendrax.plot.traces(sol)
    dendrax.plot.morphology(net, values=sol.ys[-1])
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from jaxtyping import ArrayLike, Float

try:
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes
    from matplotlib.collections import LineCollection, PatchCollection, PolyCollection
    from matplotlib.colors import Colormap, Normalize
    from matplotlib.patches import Circle
    from matplotlib.typing import ColorType
    from mpl_toolkits.axes_grid1 import make_axes_locatable
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        "dendrax.plot needs matplotlib, which is an optional dependency; install it "
        'with `pip install "dendrax[plots]"` (or `pip install matplotlib`).'
    ) from e

from ._network import Network
from ._simulate import Solution

__all__ = ["morphology", "traces"]


def traces(
    sol: Solution,
    ax: Axes | None = None,
    labels: Sequence[str] | None = None,
    *,
    record: int = 0,
    ylabel: str = "v (mV)",
    **kwargs,
) -> Axes:
    """Plot recorded traces against time, one line per recorded compartment.

    **Arguments:**

    - `sol`: a `dx.Solution` from `dx.simulate`.
    - `ax`: the axes to draw in; default a new figure.
    - `labels`: optional, one legend label per recorded compartment.
    - `record`: when `simulate` was given a sequence of `Record`s (so `sol.ys` is a
      tuple), which of them to plot.
    - `ylabel`: label of the y axis (change it when recording a gate, e.g. "HH.m").
    - `**kwargs`: passed on to `ax.plot` (e.g. `color`, `lw`, `alpha`).

    **Returns:**

    The matplotlib `Axes`.
    """
    ys = sol.ys
    if isinstance(ys, tuple):
        if not -len(ys) <= record < len(ys):
            raise IndexError(
                f"traces: record={record} but the solution holds {len(ys)} records; "
                f"use an index in [0, {len(ys) - 1}]."
            )
        ys = ys[record]
    ts = np.asarray(sol.ts)
    ys = np.asarray(ys).reshape(len(ts), -1)
    if labels is not None:
        labels = list(labels)
        if len(labels) != ys.shape[1]:
            raise ValueError(
                f"traces: {len(labels)} labels for {ys.shape[1]} recorded traces; give "
                "one label per recorded compartment."
            )
    if ax is None:
        _, ax = plt.subplots()
    lines = ax.plot(ts, ys, **kwargs)
    if labels is not None:
        for line, label in zip(lines, labels):
            line.set_label(label)
        ax.legend()
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(ylabel)
    ax.set_xlim(ts[0], ts[-1])
    return ax


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
