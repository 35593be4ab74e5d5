import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402

import dendrax as dx  # noqa: E402
import dendrax.plot  # noqa: E402
from helpers import hh_net  # noqa: E402


def _lines(ax) -> LineCollection:
    (coll,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    return coll


def test_traces_one_line_per_recorded_compartment():
    net = hh_net(n_cells=2, ncomp=2)
    where = dx.select(net, comp=0)
    sol = dx.simulate(net, 2.0, 0.025, record=dx.Record("v", where))
    ax = dx.plot.traces(sol, labels=[f"c{i}" for i in range(len(where))])
    assert len(ax.lines) == len(where)
    np.testing.assert_allclose(ax.lines[0].get_xdata(), np.asarray(sol.ts))
    assert ax.get_xlabel() == "time (ms)"
    assert ax.get_ylabel() == "v (mV)"
    plt.close("all")


def test_traces_picks_one_of_several_records():
    net = hh_net(n_cells=1, ncomp=2)
    records = [dx.Record("v"), dx.Record("HH.m")]
    sol = dx.simulate(net, 1.0, 0.025, record=records)
    ax = dx.plot.traces(sol, record=1, ylabel="m")
    assert len(ax.lines) == len(net)
    with pytest.raises(IndexError, match="record"):
        dx.plot.traces(sol, record=2)
    plt.close("all")


def test_morphology_draws_two_halves_per_link():
    net = hh_net(n_cells=2, ncomp=2)
    ax = dx.plot.morphology(net)
    # Every compartment except each cell's root hangs from a parent compartment.
    n_links = len(net) - net.n_cells
    assert len(_lines(ax).get_segments()) == 2 * n_links
    plt.close("all")


def test_morphology_values_and_colorbar():
    net = hh_net(n_cells=2, ncomp=3)
    sol = dx.simulate(net, 1.0, 0.025)
    fig, ax = plt.subplots()
    dx.plot.morphology(net, ax=ax, values=sol.ys[-1], label="v (mV)")
    lines = _lines(ax)
    assert len(lines.get_segments()) == 2 * (len(net) - net.n_cells)
    assert len(lines.get_array()) == len(lines.get_segments())
    assert len(fig.axes) == 2  # the colorbar
    assert ax.get_aspect() == 1.0
    with pytest.raises(ValueError, match="one value per"):
        dx.plot.morphology(net, values=np.zeros(3))
    plt.close("all")


def test_morphology_single_compartment_cells_are_dots():
    cell = dx.Cell(dx.Branch(dx.Compartment(length=20.0, radius=10.0)))
    net = dx.Network([cell] * 3)
    ax = dx.plot.morphology(net, values=np.arange(3.0))
    assert len(_lines(ax).get_segments()) == 0
    (dots,) = [c for c in ax.collections if not isinstance(c, LineCollection)]
    assert len(dots.get_offsets()) == 3
    plt.close("all")


def test_morphology_swc_uses_its_coordinates():
    cell = dx.read_swc("tests/data/cell.swc", ncomp=2)
    net = dx.Network(cell)
    ax = dx.plot.morphology(net)
    segs = _lines(ax).get_segments()
    assert len(segs) == 2 * (len(net) - 1)
    xy = net.xyz.array[:, :2]

    def at_centre(p):
        return np.min(np.linalg.norm(xy - p, axis=1)) < 1e-9

    # Each half-link runs between a compartment centre and a link midpoint.
    assert all(at_centre(s[0]) or at_centre(s[1]) for s in segs)
    plt.close("all")
