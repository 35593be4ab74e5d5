"""Quick matplotlib views of a network and of a simulation.

Needs the optional extra `dendrax[plots]` (matplotlib); `import dendrax` itself never
imports matplotlib. Import this module explicitly:

    import dendrax.plot

    dendrax.plot.traces(sol)
    dendrax.plot.morphology(net, values=sol.ys[-1])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from jaxtyping import ArrayLike, Float

try:
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Colormap, Normalize
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


def _segments(net: Network, dims: tuple[int, int]):
    """Half-links from every non-root compartment to its parent compartment.

    Returns (segments (m, 2, 2), owner compartment per segment (m,)).
    """
    topo = net.topology
    xy = np.asarray(net.xyz.array)[:, list(dims)]
    parent = topo.parent.array[: topo.n_comp]
    # A branch point sits at the centre of the compartment it hangs from.
    where = np.concatenate([np.arange(topo.n_comp), topo.half_a.array[topo.n_comp :]])
    child = np.flatnonzero(parent >= 0)
    up = where[parent[child]]
    mid = 0.5 * (xy[child] + xy[up])
    # Each link is drawn in two halves, each in the colour and width of the
    # compartment it belongs to.
    segs = np.concatenate(
        [np.stack([xy[child], mid], 1), np.stack([mid, xy[up]], 1)], axis=0
    )
    owner = np.concatenate([child, up])
    return segs, owner


def morphology(
    net: Network,
    ax: Axes | None = None,
    values: Float[ArrayLike, " comp"] | None = None,
    cmap: str | Colormap = "viridis",
    *,
    dims: tuple[int, int] = (0, 1),
    max_width: float = 6.0,
    colorbar: bool = True,
    label: str | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    **kwargs,
) -> Axes:
    """Draw every compartment of a network in 2D.

    Each compartment is joined to its parent compartment by a line drawn in two
    halves; each half has the colour and width of the compartment it belongs to.
    Line widths are proportional to the radius (the widest compartment gets
    `max_width` points, with a floor of 0.5 points so thin dendrites stay visible).
    Cells made of a single compartment are drawn as a dot. Positions come from
    `net.xyz`: SWC coordinates for `dx.read_swc` cells, a planar layout otherwise,
    with every cell shifted along x so that the cells sit side by side.

    **Arguments:**

    - `net`: the network.
    - `ax`: the axes to draw in; default a new figure.
    - `values`: optional, one value per compartment (e.g. a voltage snapshot
      `sol.ys[k]` recorded everywhere), colour-mapped with a colorbar. Without it
      everything is drawn in one colour (`color=` in `kwargs`, default black).
    - `cmap`: the colormap for `values`.
    - `dims`: which two coordinates (0 = x, 1 = y, 2 = z) to draw.
    - `max_width`: line width, in points, of the widest compartment.
    - `colorbar`: whether to add a colorbar when `values` are given.
    - `label`: the colorbar label.
    - `vmin`, `vmax`: the colour range; default the range of `values`.
    - `**kwargs`: passed on to the `LineCollection` (e.g. `alpha`, `color`).

    **Returns:**

    The matplotlib `Axes`.
    """
    n = len(net)
    radius = np.asarray(net.nodes.radius.values())
    widths = np.maximum(0.5, max_width * radius / radius.max())
    if values is not None:
        values = np.asarray(values, dtype=float).reshape(-1)
        if values.shape != (n,):
            raise ValueError(
                f"morphology: values has {values.size} entries; give one value per "
                f"compartment ({n}), e.g. a voltage snapshot recorded everywhere."
            )
        norm = Normalize(
            vmin=np.min(values) if vmin is None else vmin,
            vmax=np.max(values) if vmax is None else vmax,
        )
    if ax is None:
        _, ax = plt.subplots()
    segs, owner = _segments(net, dims)
    lines = LineCollection(segs, linewidths=widths[owner], capstyle="round", **kwargs)
    if values is not None:
        lines.set_array(values[owner])
        lines.set_cmap(cmap)
        lines.set_norm(norm)
    elif "color" not in kwargs and "colors" not in kwargs:
        lines.set_color("k")
    ax.add_collection(lines)

    # Cells of one compartment have no links: draw them as dots.
    xy = np.asarray(net.xyz.array)[:, list(dims)]
    cells = net.nodes.cell.array
    alone = np.flatnonzero(np.bincount(cells)[cells] == 1)
    if alone.size:
        style = (
            dict(c=values[alone], cmap=cmap, norm=norm)
            if values is not None
            else dict(color=kwargs.get("color", "k"))
        )
        dots = ax.scatter(
            xy[alone, 0],
            xy[alone, 1],
            s=(2 * widths[alone]) ** 2,
            zorder=lines.get_zorder() + 0.1,
            **style,
        )
        mappable = dots if not len(segs) else lines
    else:
        mappable = lines

    lo, hi = xy.min(axis=0), xy.max(axis=0)
    pad = 0.05 * float(np.max(hi - lo)) + float(radius.max())
    ax.set_xlim(lo[0] - pad, hi[0] + pad)
    ax.set_ylim(lo[1] - pad, hi[1] + pad)
    ax.set_aspect("equal")
    names = "xyz"
    ax.set_xlabel(f"{names[dims[0]]} (µm)")
    ax.set_ylabel(f"{names[dims[1]]} (µm)")
    if values is not None and colorbar:
        # A colorbar axes as tall as the (equal-aspect) drawing, not the figure.
        cax = make_axes_locatable(ax).append_axes("right", size="4%", pad=0.1)
        ax.figure.colorbar(mappable, cax=cax, label=label)
    return ax
