"""Neurolucida ASC and HDF5 morphologies (`read_morphology`, through morphio)
against NEURON's own importer (`Import3d_Neurolucida3` +
`Import3d_GUI.instantiate`), in float64 for both integrators.

The references (tests/reference/data/asc_*.npz) hold what NEURON made of each
ASC file: sections, 3-D points, connections, per-segment areas and resistances
and voltages. Regenerate them with `python tests/reference/make_asc_refs.py`.
"""

import sys
import warnings
from pathlib import Path

import equinox as eqx
import numpy as np
import pytest

morphio = pytest.importorskip("morphio")

import dendrax as dx  # noqa: E402
from dendrax._morphio import _cell, contour_centroid, read_morphology  # noqa: E402
from helpers import neuron_mechanism  # noqa: E402

ROOT = Path(__file__).parent
DATA = ROOT / "data" / "morphologies"
sys.path.insert(0, str(ROOT / "reference"))
import cases  # noqa: E402
import make_asc_refs  # noqa: E402

SOLVERS = {"ie": dx.ImplicitEuler(), "cn": dx.CrankNicolson()}
CASES = sorted(make_asc_refs.CASES)


def _reference(name):
    path = ROOT / "reference" / "data" / f"asc_{name}.npz"
    if not path.exists():
        pytest.skip(f"no {path.name}; run tests/reference/make_asc_refs.py")
    return np.load(path)


def _cell_of(name, ncomp=make_asc_refs.NSEG):
    return read_morphology(
        DATA / make_asc_refs.CASES[name], ncomp, axial_resistivity=make_asc_refs.RA
    )


@pytest.mark.parametrize("name", CASES)
def test_sections_points_and_connections(name):
    ref = _reference(name)
    cell = _cell_of(name)
    assert len(cell.branches) == len(ref["section_names"])
    assert cell.parents == tuple(ref["section_parent"].tolist())
    child = ref["section_parent"] >= 0
    np.testing.assert_array_equal(
        np.array(cell.attach)[child], ref["section_parentx"][child]
    )
    offsets = ref["pt3d_offsets"]
    for b, branch in enumerate(cell.branches):
        pts = ref["pt3d"][offsets[b] : offsets[b + 1]]
        mine = branch.points.array
        # The same single-precision numbers NEURON holds, the soma's centroid
        # line included.
        np.testing.assert_array_equal(mine[:, :3], np.float32(pts[:, :3]))
        np.testing.assert_array_equal(2 * mine[:, 3], np.float32(pts[:, 3]))
    types = {"soma": 1, "axon": 2, "basal": 3, "apical": 4}
    grouped = sorted(i for _, members in cell.groups for i in members)
    assert grouped == list(range(len(cell.branches)))
    for group, members in cell.groups:
        assert np.all(ref["section_type"][list(members)] == types[group]), group


@pytest.mark.parametrize("name", CASES)
def test_segment_areas_and_resistances(name):
    ref = _reference(name)
    net = dx.Network(_cell_of(name))
    area, proximal, distal = (np.asarray(x) for x in dx.cable_geometry(net))
    # NEURON's seg.ri(): from the previous segment's centre (the parent's node
    # for a section's first segment, which adds none of the parent's halves).
    first = net.nodes.comp.array == 0
    ri = proximal + np.where(first, 0.0, np.roll(distal, 1))
    np.testing.assert_allclose(area, ref["seg_area"], rtol=1e-12)
    np.testing.assert_allclose(ri, ref["seg_ri"], rtol=1e-12)


def _network(cell) -> dx.Network:
    net = dx.Network(cell)
    net = dx.set(net, "v_init", cases.V_INIT)
    soma = dict(cell.groups)["soma"]
    rest = [b for b in range(len(cell.branches)) if b not in soma]
    net = dx.insert(net, neuron_mechanism("hh"), where=dx.select(net, group="soma"))
    return dx.insert(net, neuron_mechanism("pas"), where=dx.select(net, branch=rest))


@eqx.filter_jit
def _run(net, stimulus, solver):
    return dx.simulate(
        net, make_asc_refs.T_MAX, cases.DT, stimuli=stimulus, solver=solver
    )


@pytest.fixture(scope="module", params=CASES)
def simulated(request):
    name = request.param
    ref = _reference(name)
    cell = _cell_of(name)
    net = _network(cell)
    st = make_asc_refs.STIM
    k = min(int(make_asc_refs.NSEG * st["x"]), make_asc_refs.NSEG - 1)
    current = dx.step_current(
        st["delay"], st["dur"], st["amp"], cases.DT, make_asc_refs.T_MAX
    )
    stimulus = dx.Stimulus(dx.select(net, branch=0, comp=k), current)
    out = {m: np.asarray(_run(net, stimulus, s).ys) for m, s in SOLVERS.items()}
    starts = np.cumsum([0] + [b.ncomp for b in cell.branches])
    return name, ref, out, starts


@pytest.mark.parametrize("method", sorted(SOLVERS))
def test_voltages_match_neuron(simulated, method):
    name, ref, out, starts = simulated
    ys = out[method]
    sites = starts[ref["record"][:, 0]] + ref["record"][:, 1]
    err = np.abs(ys[:, sites] - ref[f"v_{method}"]).max()
    assert err <= 1e-6, f"{name} ({method}): max |ΔV| = {err:.3g} mV"
    v0 = ref[f"v_{method}"][:, 0]
    assert np.sum((v0[:-1] < 0) & (v0[1:] >= 0)) >= 1  # the soma spikes


def test_h5_reads_as_the_asc():
    asc = read_morphology(DATA / "contour_soma.asc", 3)
    h5 = read_morphology(DATA / "contour_soma.h5", 3)
    assert h5.parents == asc.parents
    assert h5.attach == asc.attach
    assert h5.groups == asc.groups
    for a, b in zip(asc.branches, h5.branches):
        np.testing.assert_array_equal(a.points.array, b.points.array)
        assert a.comps == b.comps


def test_contour_centroid_of_an_ellipse():
    # An ellipse of semi-axes 12 (along (cos 30°, sin 30°)) and 5: the centroid
    # line runs along the long axis, the diameter across it is 2 · 5 sqrt(1 - u²).
    th = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
    x, y = 12 * np.cos(th), 5 * np.sin(th)
    xyz = np.stack([3 + c * x - s * y, -2 + s * x + c * y, np.full_like(x, 4)], 1)
    line, diam = contour_centroid(xyz)
    assert line.shape == (21, 3) and diam.shape == (21,)
    u = (line - [3, -2, 4]) @ [c, s, 0] / 12
    np.testing.assert_allclose(line - [3, -2, 4], np.outer(12 * u, [c, s, 0]), atol=0.1)
    np.testing.assert_allclose(diam[1:-1], 10 * np.sqrt(1 - u[1:-1] ** 2), rtol=0.02)
    # From near one end to near the other (the second-lowest and second-highest
    # outline points along the axis).
    assert -1 < u[0] < -0.95 and 0.95 < u[-1] < 1


def test_ncomp_rules():
    path = DATA / "contour_soma.asc"
    cell = read_morphology(path, list(range(1, 9)))
    assert [b.ncomp for b in cell.branches] == list(range(1, 9))
    rule = dx.DLambda(0.1, 100.0)
    cell = read_morphology(path, rule, axial_resistivity=100.0)
    assert [b.ncomp for b in cell.branches] == [
        b.with_ncomp(rule).ncomp for b in cell.branches
    ]
    with pytest.raises(ValueError, match="ncomp has 2 entries but .* 8 branches"):
        read_morphology(path, [1, 2])


def test_swc_files_go_to_read_swc():
    path = DATA / "one_point_soma.swc"
    mine, theirs = read_morphology(path, 2), dx.read_swc(path, 2)
    assert mine.parents == theirs.parents and mine.attach == theirs.attach
    for a, b in zip(mine.branches, theirs.branches):
        np.testing.assert_array_equal(a.points.array, b.points.array)


# The soma kinds morphio finds in SWC files, converted with the rules of
# read_swc (ASC and HDF5 somas are outlines in morphio 3.5).
SOMAS = {
    "one_point": ["1 1 0 0 0 8 -1"],
    "three_point": ["1 1 0 0 0 6 -1", "2 1 0 -6 0 6 1", "3 1 0 6 0 6 1"],
    "cylinders": ["1 1 0 -6 0 5 -1", "2 1 0 0 0 6 1", "3 1 0 6 0 4 2"],
}
KINDS = {
    "one_point": "SOMA_SINGLE_POINT",
    "three_point": "SOMA_NEUROMORPHO_THREE_POINT_CYLINDERS",
    "cylinders": "SOMA_CYLINDERS",
}
NEURITES = [
    "11 3 -7 1 0 1.2 {p}",
    "12 3 -30 2 1 1.0 11",
    "13 3 -50 10 2 0.8 12",
    "14 3 -55 -8 2 0.7 12",
    "21 4 2 9 0 1.5 {p}",
    "22 4 3 40 1 1.2 21",
    "31 2 1 -12 0 0.6 {p}",
    "32 2 2 -40 0 0.5 31",
    "41 3 5 1 4 0.9 {p}",  # a single point: it starts at the soma point
]


@pytest.mark.parametrize("soma", sorted(SOMAS))
def test_other_somas_follow_read_swc(soma, tmp_path):
    parent = "2" if soma == "cylinders" else "1"  # an interior soma point
    lines = SOMAS[soma] + [n.format(p=parent) for n in NEURITES]
    path = tmp_path / f"{soma}.swc"
    path.write_text("\n".join(lines) + "\n")
    m = morphio.Morphology(str(path))
    assert m.soma_type.name == KINDS[soma]
    mine = _cell(m, path, 2, axial_resistivity=100.0, capacitance=1.0)
    theirs = dx.read_swc(path, 2, axial_resistivity=100.0)
    assert mine.parents == theirs.parents
    assert mine.attach == theirs.attach
    assert mine.groups == theirs.groups
    for a, b in zip(mine.branches, theirs.branches):
        np.testing.assert_array_equal(a.points.array, b.points.array)


def test_errors(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="no file .*missing.asc"):
        read_morphology(tmp_path / "missing.asc")
    bad = tmp_path / "bad.asc"
    bad.write_text("((( not a morphology\n")
    with pytest.raises(ValueError, match="morphio cannot read .*bad.asc"):
        read_morphology(bad)
    empty = tmp_path / "empty.asc"
    empty.write_text("; nothing here\n\n")
    with pytest.raises(ValueError, match="empty.asc contains no morphology"):
        read_morphology(empty)
    other = tmp_path / "cell.txt"
    other.write_text("1 1 0 0 0 5 -1\n")
    with pytest.raises(ValueError, match="morphio cannot read .*cell.txt"):
        read_morphology(other)
    two = tmp_path / "two_point_soma.asc"
    two.write_text(
        '("CellBody" (CellBody) (0 0 0 0) (5 0 0 0))\n'
        "((Dendrite) (0 0 0 1) (9 0 0 1))\n"
    )
    with pytest.raises(ValueError, match="two_point_soma.asc: unsupported soma"):
        read_morphology(two)
    trees = tmp_path / "trees.asc"
    trees.write_text("((Dendrite) (0 0 0 1) (9 0 0 1))\n((Axon) (0 0 0 1) (-9 0 0 1))")
    with pytest.raises(ValueError, match="trees.asc has no soma and 2 trees"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            read_morphology(trees)
    monkeypatch.setitem(sys.modules, "morphio", None)
    with pytest.raises(ImportError, match=r'pip install "dendrax\[morphio\]"'):
        read_morphology(DATA / "contour_soma.asc")


def test_a_single_tree_without_soma(tmp_path):
    path = tmp_path / "tree.asc"
    path.write_text("((Dendrite) (0 0 0 2) (10 0 0 2) ((20 5 0 1) | (20 -5 0 1)))\n")
    with pytest.warns(UserWarning, match="tree.asc: .*soma"):
        cell = read_morphology(path)
    assert cell.parents == (-1, 0, 0)
    assert dict(cell.groups) == {"basal": (0, 1, 2)}
    np.testing.assert_array_equal(cell.branches[1].points.array[0], [10, 0, 0, 0.5])
