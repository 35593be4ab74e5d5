import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import (  # noqa: E402
    LineCollection,
    PatchCollection,
    PolyCollection,
)
from matplotlib.colors import to_rgba  # noqa: E402

import dendrax as dx  # noqa: E402
import dendrax.plot  # noqa: E402
from helpers import hh_net, lif_net  # noqa: E402


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


# dx.plot.morphology adds, in order: centrelines, pieces, joints, soma disks.
def _parts(ax):
    lines, pieces, joints, somas = ax.collections
    assert isinstance(lines, LineCollection)
    assert isinstance(pieces, PolyCollection)
    assert isinstance(joints, PolyCollection)
    assert isinstance(somas, PatchCollection)
    return lines, pieces, joints, somas


def _quads(pieces) -> np.ndarray:
    """(pieces, 4, 2): the corners p0 + r0 n, p1 + r1 n, p1 - r1 n, p0 - r0 n."""
    return np.stack([p.vertices[:4] for p in pieces.get_paths()])


def _tapered_cell() -> dx.Cell:
    """A root of three compartments of radii 1, 2, 3 µm and two children."""
    root = dx.Branch([dx.Compartment(length=30.0, radius=r) for r in (1.0, 2.0, 3.0)])
    child = dx.Branch(dx.Compartment(length=20.0, radius=0.5), ncomp=2)
    return dx.Cell([root, child, child], parents=[-1, 0, 0])


SWC_HEAD = "# id type x y z radius parent\n"


def _write(tmp_path, name, rows) -> str:
    path = tmp_path / name
    path.write_text(SWC_HEAD + "\n".join(rows) + "\n")
    return str(path)


def test_morphology_one_polygon_per_piece():
    net = dx.Network(_tapered_cell())
    ax = dx.plot.morphology(net)
    lines, pieces, joints, somas = _parts(ax)
    # A built cell has two points per compartment: one piece each.
    assert len(pieces.get_paths()) == len(net)
    assert len(lines.get_segments()) == len(net)
    # Joints where pieces meet: every compartment's start but the root's.
    assert len(joints.get_paths()) == len(net) - 1
    assert len(somas.get_paths()) == 0
    # An SWC cell: one piece per pair of consecutive points of a compartment.
    net = dx.Network(dx.read_swc("tests/data/morphologies/chain_soma.swc", 3))
    (outline,) = net.drawing.outlines
    comp = outline.array[:, 4]
    ax = dx.plot.morphology(net)
    _, pieces, _, _ = _parts(ax)
    assert len(pieces.get_paths()) == np.sum(comp[1:] == comp[:-1])
    plt.close("all")


def test_morphology_widths_are_diameters_to_scale():
    net = dx.Network(_tapered_cell())
    ax = dx.plot.morphology(net)
    _, pieces, joints, _ = _parts(ax)
    q = _quads(pieces)
    radius = np.asarray(net.nodes.radius.values())
    # Both ends of each piece are as wide as the compartment's diameter ...
    np.testing.assert_allclose(np.linalg.norm(q[:, 0] - q[:, 3], axis=1), 2 * radius)
    np.testing.assert_allclose(np.linalg.norm(q[:, 1] - q[:, 2], axis=1), 2 * radius)
    # ... across the piece, whose axis is as long as the compartment.
    axis = 0.5 * (q[:, 1] + q[:, 2]) - 0.5 * (q[:, 0] + q[:, 3])
    across = q[:, 0] - q[:, 3]
    np.testing.assert_allclose(np.sum(axis * across, axis=1), 0.0, atol=1e-9)
    length = np.asarray(net.nodes.length.values())
    np.testing.assert_allclose(np.linalg.norm(axis, axis=1), length)
    # The root runs along +x: its pieces span y = ±r.
    np.testing.assert_allclose(q[:3, 0, 1], radius[:3])
    np.testing.assert_allclose(q[:3, 3, 1], -radius[:3])
    # Joint disks have the local radius.
    half = [np.ptp(p.vertices[:, 0]) / 2 for p in joints.get_paths()]
    np.testing.assert_allclose(half, radius[1:], rtol=1e-12)
    # The limits hold the whole drawing.
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    assert x0 <= q[..., 0].min() and q[..., 0].max() <= x1
    assert y0 <= q[..., 1].min() and q[..., 1].max() <= y1
    assert ax.get_aspect() == 1.0
    plt.close("all")


def test_morphology_one_point_soma_is_a_disk(tmp_path):
    path = _write(
        tmp_path,
        "ball.swc",
        [
            "1 1 10.0 20.0 5.0 6.0 -1",
            "2 3 16.0 20.0 5.0 1.0 1",
            "3 3 40.0 20.0 5.0 1.0 2",
            "4 3 60.0 30.0 5.0 0.8 3",
        ],
    )
    net = dx.Network(dx.read_swc(path, 3))
    values = np.arange(len(net), dtype=float)
    ax = dx.plot.morphology(net, values=values)
    _, pieces, _, somas = _parts(ax)
    (disk,) = somas.get_paths()
    box = disk.get_extents()
    np.testing.assert_allclose([box.width, box.height], [12.0, 12.0], rtol=1e-6)
    np.testing.assert_allclose(box.get_points().mean(axis=0), [10.0, 20.0])
    # In the colour of the soma's middle compartment (soma(0.5)).
    (soma,) = [ix.array for name, ix in net.groups.items if name == "soma"]
    assert somas.get_array()[0] == values[soma[1]]
    # The soma's own pieces are not drawn; the dendrite's are.
    assert not np.isin(pieces.get_array(), values[soma]).any()
    plt.close("all")


def test_morphology_traced_soma_is_drawn_piece_by_piece(tmp_path):
    # A soma of three points whose radius varies is not sphere-like.
    path = _write(
        tmp_path,
        "pear.swc",
        [
            "1 1 0.0 0.0 0.0 4.0 -1",
            "2 1 0.0 6.0 0.0 6.0 1",
            "3 1 0.0 12.0 0.0 3.0 2",
            "4 3 0.0 14.0 0.0 1.0 3",
            "5 3 0.0 50.0 0.0 1.0 4",
        ],
    )
    net = dx.Network(dx.read_swc(path, 1))
    ax = dx.plot.morphology(net)
    _, pieces, _, somas = _parts(ax)
    assert len(somas.get_paths()) == 0
    q = _quads(pieces)
    # The soma's two pieces, 8 and 12 then 12 and 6 µm wide.
    np.testing.assert_allclose(np.ptp(q[0, :, 0]), 12.0)
    np.testing.assert_allclose(q[0, [0, 3], 0], [-4.0, 4.0], atol=1e-6)
    plt.close("all")


def test_morphology_values_colour_their_compartments():
    net = dx.Network([_tapered_cell()] * 2)
    values = np.linspace(-70.0, 20.0, len(net))
    fig, ax = plt.subplots()
    dx.plot.morphology(net, ax=ax, values=values, cmap="plasma", label="v (mV)")
    fig.canvas.draw()
    lines, pieces, joints, _ = _parts(ax)
    expected = plt.get_cmap("plasma")((values - values.min()) / np.ptp(values))
    # One piece per compartment, in order.
    np.testing.assert_allclose(pieces.get_facecolor(), expected)
    np.testing.assert_allclose(lines.get_color(), expected)
    # Joints take the colour of the compartment that starts there.
    starts = [k for k in range(len(net)) if k % (len(net) // 2) != 0]
    np.testing.assert_allclose(joints.get_facecolor(), expected[starts])
    # The colorbar.
    assert len(fig.axes) == 2
    assert fig.axes[1].get_ylabel() == "v (mV)"
    assert fig.axes[1].get_ylim() == (-70.0, 20.0)
    # vmin / vmax set the range.
    fig, ax = plt.subplots()
    dx.plot.morphology(net, ax=ax, values=values, vmin=-80.0, vmax=40.0)
    assert _parts(ax)[1].get_clim() == (-80.0, 40.0)
    plt.close("all")


def test_morphology_one_colour_without_values():
    net = dx.Network(_tapered_cell())
    fig, ax = plt.subplots()
    dx.plot.morphology(net, ax=ax, color="tab:red", min_width=1.5)
    lines, pieces, joints, _ = _parts(ax)
    red = matplotlib.colors.to_rgba("tab:red")
    for coll in (pieces, joints):
        assert np.allclose(coll.get_facecolor(), red)
    assert np.allclose(lines.get_color(), red)
    np.testing.assert_allclose(lines.get_linewidth(), 1.5)
    assert len(fig.axes) == 1  # no colorbar
    plt.close("all")


def test_morphology_projection_picks_the_coordinates(tmp_path):
    path = _write(
        tmp_path,
        "tilted.swc",
        [
            "1 1 0.0 0.0 0.0 5.0 -1",
            "2 3 0.0 0.0 6.0 1.0 1",
            "3 3 30.0 50.0 60.0 1.0 2",
        ],
    )
    net = dx.Network(dx.read_swc(path, 1))
    ax = dx.plot.morphology(net, dims=(0, 2))
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x (µm)", "z (µm)")
    _, pieces, _, somas = _parts(ax)
    (q,) = _quads(pieces)
    # The dendrite from (0, 6) to (30, 60) in the x-z plane, 2 µm wide.
    np.testing.assert_allclose(0.5 * (q[0] + q[3]), [0.0, 6.0], atol=1e-5)
    np.testing.assert_allclose(0.5 * (q[1] + q[2]), [30.0, 60.0], atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(q[0] - q[3]), 2.0, rtol=1e-6)
    assert ax.get_ylim()[1] >= 60.0
    ax = dx.plot.morphology(net, dims=(2, 1))
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("z (µm)", "y (µm)")
    plt.close("all")


def test_morphology_cells_side_by_side():
    one = dx.Network(_tapered_cell())
    three = dx.Network([_tapered_cell()] * 3)
    q1 = _quads(_parts(dx.plot.morphology(one))[1])
    q3 = _quads(_parts(dx.plot.morphology(three))[1])
    assert len(q3) == 3 * len(q1)
    shift = three.drawing.placement.array[:, 1]
    assert shift[0] == 0.0 and np.all(np.diff(shift) > 0)
    for c in range(3):
        block = q3[c * len(q1) : (c + 1) * len(q1)]
        np.testing.assert_allclose(block, q1 + [shift[c], 0.0])
    # Only some cells.
    q = _quads(_parts(dx.plot.morphology(three, cells=[2]))[1])
    np.testing.assert_allclose(q, q1 + [shift[2], 0.0])
    plt.close("all")


def test_morphology_draws_the_ca1_cell():
    net = dx.Network(dx.read_swc("tests/data/morphologies/ca1_n120.swc", 4))
    (outline,) = net.drawing.outlines
    comp = outline.array[:, 4]
    ax = dx.plot.morphology(net, values=np.asarray(net.xyz.array)[:, 1])
    _, pieces, joints, _ = _parts(ax)
    assert len(pieces.get_paths()) == np.sum(comp[1:] == comp[:-1])
    xyz, r = outline.array[:, :3], outline.array[:, 3]
    x0, x1 = ax.get_xlim()
    assert x0 <= (xyz[:, 0] - r).min() and (xyz[:, 0] + r).max() <= x1
    plt.close("all")


def test_morphology_errors():
    net = hh_net(n_cells=2, ncomp=3)
    with pytest.raises(ValueError, match="one value per"):
        dx.plot.morphology(net, values=np.zeros(3))
    for dims in [(0, 0), (0, 3), (-1, 1)]:
        with pytest.raises(ValueError, match="dims"):
            dx.plot.morphology(net, dims=dims)
    with pytest.raises(IndexError, match="cells"):
        dx.plot.morphology(net, cells=[2])
    with pytest.raises(TypeError, match="max_width was removed"):
        dx.plot.morphology(net, max_width=4.0)
    plt.close("all")


# dx.plot.raster: a small raster whose spikes and rates are counted by hand.
# 12 recording times 0.5 ms apart; row 0 is the initial state (no spikes).
RASTER_TS = 0.5 * np.arange(12)
RASTER = np.zeros((12, 4))
RASTER[1, 0] = 1  # t = 0.5
RASTER[2, 1] = 1  # t = 1.0
RASTER[2, 3] = 2  # t = 1.0, two spikes in one interval
RASTER[4, 2] = 1  # t = 2.0
RASTER[7, 0] = 1  # t = 3.5
RASTER[10, 3] = 1  # t = 5.0
RASTER[11, 1] = 1  # t = 5.5: in the incomplete last bin (5, 6] of 1 ms bins


def _offsets(ax) -> np.ndarray:
    """(time, column) of every spike drawn, over all the raster's scatters."""
    return np.concatenate([c.get_offsets() for c in ax.collections])


def _rates(ax_p) -> list:
    """(rates, edges) of every rate drawn."""
    out = []
    for patch in ax_p.patches:
        data = patch.get_data()
        out.append((np.asarray(data.values), np.asarray(data.edges)))
    return out


def test_raster_one_tick_per_spike():
    ax_r, ax_p = dx.plot.raster(RASTER_TS, RASTER, bin_width=1.0)
    drawn = _offsets(ax_r)
    assert len(drawn) == RASTER.sum() == 8  # the double spike is drawn twice
    times, cols = dx.spike_times(RASTER_TS, RASTER)
    order = np.lexsort((drawn[:, 1], drawn[:, 0]))
    np.testing.assert_array_equal(drawn[order], np.stack([times, cols], 1))
    assert ax_r.get_ylim() == (-0.5, 3.5)
    assert ax_p.get_xlabel() == "time (ms)"
    assert ax_r.get_shared_x_axes().joined(ax_r, ax_p)
    plt.close("all")


def test_raster_rate_is_a_hand_count():
    _, ax_p = dx.plot.raster(RASTER_TS, RASTER, bin_width=1.0)
    ((rates, edges),) = _rates(ax_p)
    # Bins (0, 1], (1, 2], ... ms; the spike at 5.5 ms is in no complete bin.
    np.testing.assert_allclose(edges, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    spikes = np.array([4, 1, 0, 1, 1])  # (0.5, 1.0 ×3), (2.0), (), (3.5), (5.0)
    np.testing.assert_allclose(rates, spikes / (4 * 1e-3))  # Hz per cell
    assert "1 ms bins" in ax_p.get_ylabel() and "Hz" in ax_p.get_ylabel()
    plt.close("all")
    _, ax_p = dx.plot.raster(RASTER_TS, RASTER, bin_width=2.5)
    ((rates, edges),) = _rates(ax_p)
    np.testing.assert_allclose(edges, [0.0, 2.5, 5.0])
    np.testing.assert_allclose(rates, np.array([5, 2]) / (4 * 2.5e-3))
    assert "2.5 ms bins" in ax_p.get_ylabel()
    plt.close("all")


def test_raster_groups_have_colours_legend_and_rates():
    for groups in (
        {"exc": range(3), "inh": [3]},
        {"exc": np.array([True, True, True, False]), "inh": slice(3, None)},
        ["exc", "exc", "exc", "inh"],
        np.array([0, 0, 0, 1]),
    ):
        ax_r, ax_p = dx.plot.raster(RASTER_TS, RASTER, bin_width=1.0, groups=groups)
        exc, inh = ax_r.collections
        assert len(exc.get_offsets()) == 5 and len(inh.get_offsets()) == 3
        assert set(exc.get_offsets()[:, 1]) == {0, 1, 2}
        assert set(inh.get_offsets()[:, 1]) == {3}
        colours = [tuple(c.get_edgecolor()[0]) for c in (exc, inh)]
        assert colours[0] != colours[1]
        legend = [t.get_text() for t in ax_r.get_legend().get_texts()]
        assert legend == (["0", "1"] if isinstance(groups, np.ndarray) else
                          ["exc", "inh"])  # fmt: skip
        handles = ax_r.get_legend().legend_handles
        assert [to_rgba(h.get_color()) for h in handles] == colours
        (r_exc, _), (r_inh, _) = _rates(ax_p)
        # Per cell of the group: 3 exc cells, 1 inh cell.
        np.testing.assert_allclose(r_exc, np.array([2, 1, 0, 1, 0]) / 3e-3)
        np.testing.assert_allclose(r_inh, np.array([2, 0, 0, 0, 1]) / 1e-3)
        plt.close("all")


def test_raster_ungrouped_columns_and_colours():
    ax_r, ax_p = dx.plot.raster(
        RASTER_TS, RASTER, groups={"a": [0], "b": [2]}, colors=["k", "m"] + ["y"]
    )
    assert [t.get_text() for t in ax_r.get_legend().get_texts()] == [
        "a",
        "b",
        "ungrouped",
    ]
    assert len(ax_r.collections) == len(ax_p.patches) == 3
    np.testing.assert_allclose(ax_r.collections[2].get_edgecolor()[0], to_rgba("y"))
    ax_r, _ = dx.plot.raster(RASTER_TS, RASTER, groups={"a": [0], "b": [2]})
    np.testing.assert_allclose(ax_r.collections[2].get_edgecolor()[0], to_rgba("0.6"))
    ax_r, _ = dx.plot.raster(
        RASTER_TS, RASTER, groups=["x", "y", "x", "y"], colors={"x": "r", "y": "b"}
    )
    np.testing.assert_allclose(ax_r.collections[1].get_edgecolor()[0], [0, 0, 1, 1])
    plt.close("all")


def test_raster_of_a_solution_and_its_axes():
    net = lif_net(3)
    drive = dx.Stimulus(dx.select(net, cell=[0, 2]), np.full(100, 0.3))  # nA
    records = [dx.Record("v", every=2), dx.Record("spikes", every=2)]
    sol = dx.simulate(net, 10.0, 0.1, stimuli=drive, record=records)
    counts = np.asarray(sol.ys[1])
    assert counts.sum() >= 2
    ax_r, ax_p = dx.plot.raster(sol, record=1, bin_width=1.0)
    assert len(_offsets(ax_r)) == counts.sum()
    assert "1 ms bins" in ax_p.get_ylabel()
    with pytest.raises(ValueError, match="spike counts"):
        dx.plot.raster(sol, record=0)  # the voltages
    with pytest.raises(IndexError, match="record"):
        dx.plot.raster(sol, record=2)
    with pytest.raises(ValueError, match="interval, 0.2 ms.*bin_width=0.4 or 0.6"):
        dx.plot.raster(sol, record=1, bin_width=0.5)  # recorded every 2 × 0.1 ms
    plt.close("all")
    # One Axes: the rate panel is added beneath it; a pair: both used.
    _, ax = plt.subplots()
    ax_r, ax_p = dx.plot.raster(sol, record=1, ax=ax, bin_width=1.0)
    assert ax_r is ax and ax_p in ax.figure.axes and ax_p is not ax
    assert ax_r.get_shared_x_axes().joined(ax_r, ax_p)
    _, pair = plt.subplots(2, 1)
    ax_r, ax_p = dx.plot.raster(sol, record=1, ax=pair, bin_width=1.0)
    assert ax_r is pair[0] and ax_p is pair[1] and len(ax_p.patches) == 1
    ax_r, ax_p = dx.plot.raster(sol, record=1, ax=ax, rate=False)
    assert ax_p is None and ax_r.get_xlabel() == "time (ms)"
    plt.close("all")


def test_raster_errors():
    with pytest.raises(ValueError, match=r"bin_width=0.7 ms is not a multiple.*"
                       r"bin_width=0.5 or 1"):  # fmt: skip
        dx.plot.raster(RASTER_TS, RASTER, bin_width=0.7)
    with pytest.raises(ValueError, match="bin_width=0.5"):
        dx.plot.raster(RASTER_TS, RASTER, bin_width=0.2)
    for bad in (0.0, -1.0):
        with pytest.raises(ValueError, match="positive bin width"):
            dx.plot.raster(RASTER_TS, RASTER, bin_width=bad)
    with pytest.raises(ValueError, match="longer than the recording"):
        dx.plot.raster(RASTER_TS, RASTER, bin_width=10.0)
    with pytest.raises(ValueError, match="shape"):
        dx.plot.raster(RASTER_TS, RASTER[1:])
    with pytest.raises(ValueError, match="equal steps"):
        dx.plot.raster(RASTER_TS**2, RASTER)
    with pytest.raises(TypeError, match="no spike counts"):
        dx.plot.raster(RASTER_TS)
    with pytest.raises(ValueError, match="spike counts"):
        dx.plot.raster(RASTER_TS, RASTER - 0.5)
    with pytest.raises(ValueError, match="column 1 is in groups 'a' and 'b'"):
        dx.plot.raster(RASTER_TS, RASTER, groups={"a": [0, 1], "b": [1]})
    with pytest.raises(ValueError, match="no column"):
        dx.plot.raster(RASTER_TS, RASTER, groups={"a": [], "b": [1]})
    with pytest.raises(IndexError, match="groups\\['a'\\] holds column 4"):
        dx.plot.raster(RASTER_TS, RASTER, groups={"a": [0, 4]})
    with pytest.raises(ValueError, match="one label per column"):
        dx.plot.raster(RASTER_TS, RASTER, groups=["exc", "inh"])
    with pytest.raises(TypeError, match="groups"):
        dx.plot.raster(RASTER_TS, RASTER, groups="exc")
    with pytest.raises(ValueError, match="one colour per group"):
        dx.plot.raster(RASTER_TS, RASTER, groups=["a", "a", "b", "b"], colors=["r"])
    with pytest.raises(ValueError, match=r"no colour for groups \['1'\]"):
        dx.plot.raster(RASTER_TS, RASTER, groups=[0, 0, 1, 1], colors={"0": "r"})
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="rate=False"):
        dx.plot.raster(RASTER_TS, RASTER, ax=(ax, ax), rate=False)
    with pytest.raises(TypeError, match="ax"):
        dx.plot.raster(RASTER_TS, RASTER, ax=(ax, ax, ax))
    plt.close("all")


def test_traces_are_labelled_from_the_solution():
    net = hh_net(n_cells=2, ncomp=1)
    records = [
        dx.Record("v", dx.select(net, cell=1, branch=[1, 2])),
        dx.Record("HH.ina", dx.select(net, branch=0), label="sodium"),
    ]
    sol = dx.simulate(net, 1.0, 0.025, record=records)
    ax = dx.plot.traces(sol)
    assert ax.get_ylabel() == "v (mV)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "branch 1", "branch 2",
    ]  # fmt: skip
    ax = dx.plot.traces(sol, record="sodium")
    assert ax.get_ylabel() == "HH.ina (nA)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["cell 0", "cell 1"]
    with pytest.raises(KeyError, match="traces: Solution: no record labelled 'm'"):
        dx.plot.traces(sol, record="m")
    plt.close("all")
