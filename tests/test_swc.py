"""Geometry from 3-D points, discretisation rules and bad SWC input.

The comparison with NEURON's own importer is in test_morphology_neuron.py.
"""

import math
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx

DATA = Path(__file__).parent / "data"


def test_cylinder_from_points_is_the_plain_cylinder():
    pts = [[0, 0, 0, 1.5], [40, 0, 0, 1.5], [100, 0, 0, 1.5]]
    branch = dx.Branch.from_points(pts, 3)
    plain = dx.Branch(dx.Compartment(length=100 / 3, radius=1.5), 3)
    for a, b in zip(branch.comps, plain.comps):
        assert a.length == pytest.approx(b.length, rel=1e-14)
        assert a.radius == pytest.approx(b.radius, rel=1e-14)
        np.testing.assert_allclose(a.profile, 1.0, rtol=1e-13)


def test_cone_area_and_resistance_are_exact():
    r1, r2, length, ra = 2.0, 0.5, 60.0, 150.0
    pts = [[0, 0, 0, r1], [0, length, 0, r2]]
    cell = dx.Cell(dx.Branch.from_points(pts, 1, axial_resistivity=ra))
    area, prox, dist = (np.asarray(x)[0] for x in dx.cable_geometry(dx.Network(cell)))
    assert area == pytest.approx(
        math.pi * (r1 + r2) * math.hypot(length, r2 - r1), rel=1e-13
    )
    rm = (r1 + r2) / 2
    # Ra ∫ dx / (π r²) over each half of a linear radius: Ra Δx / (π r_a r_b).
    assert prox == pytest.approx(1e-2 * ra * (length / 2) / (math.pi * r1 * rm))
    assert dist == pytest.approx(1e-2 * ra * (length / 2) / (math.pi * rm * r2))
    # The radius is the mean along the path; the profile holds the rest.
    assert cell.branches[0].comps[0].radius == pytest.approx(rm)


def test_boundaries_split_the_frustums():
    # Two compartments of a path with a point off the boundary: the sums over
    # the compartments equal the whole branch, whatever the cut.
    pts = [[0, 0, 0, 3.0], [7, 0, 0, 1.0], [10, 4, 0, 2.0], [10, 4, 9, 0.7]]
    whole = dx.Network(dx.Cell(dx.Branch.from_points(pts, 1)))
    cut = dx.Network(dx.Cell(dx.Branch.from_points(pts, 5)))
    a1, p1, d1 = dx.cable_geometry(whole)
    a5, p5, d5 = dx.cable_geometry(cut)
    assert float(a5.sum()) == pytest.approx(float(a1[0]), rel=1e-12)
    assert float(p5.sum() + d5.sum()) == pytest.approx(float(p1[0] + d1[0]))


def test_scaling_radius_scales_the_shape():
    pts = [[0, 0, 0, 3.0], [7, 0, 0, 1.0], [10, 4, 0, 2.0]]
    net = dx.Network(dx.Cell(dx.Branch.from_points(pts, 2)))
    a, p, d = dx.cable_geometry(net)
    big = dx.set(net, "radius", 2 * dx.get(net, "radius"))
    a2, p2, d2 = dx.cable_geometry(big)
    np.testing.assert_allclose(a2, 2 * a, rtol=1e-14)
    np.testing.assert_allclose(p2, p / 4, rtol=1e-14)
    np.testing.assert_allclose(d2, d / 4, rtol=1e-14)


def test_cable_geometry_under_jit_vmap_grad():
    net = dx.Network(dx.read_swc(DATA / "cell.swc", 2))

    def total_area(scale):
        return dx.cable_geometry(dx.set(net, "radius", scale)).area.sum()

    radius = dx.get(net, "radius")
    a = jax.jit(total_area)(radius)
    assert a == pytest.approx(float(dx.cable_geometry(net).area.sum()))
    batch = jax.vmap(total_area)(jnp.stack([radius, 2 * radius]))
    np.testing.assert_allclose(batch, [a, 2 * a], rtol=1e-13)
    # The area is linear in every radius.
    g = jax.grad(total_area)(radius)
    np.testing.assert_allclose(g * radius, dx.cable_geometry(net).area, rtol=1e-12)


def test_dlambda_cylinder_matches_the_formula():
    # λ(100 Hz) = 1e5 sqrt(d / (4π f Ra cm)) µm; n = odd, L / (0.1 λ) rounded up.
    d, ra, cm, length = 2.0, 100.0, 1.0, 1000.0
    lam = 1e5 * math.sqrt(d / (4 * math.pi * 100 * ra * cm))
    expected = int((length / (0.1 * lam) + 0.9) / 2) * 2 + 1
    comp = dx.Compartment(length=length / 4, radius=d / 2, axial_resistivity=ra)
    cell = dx.Cell(dx.Branch(comp, 4), ncomp=dx.DLambda())
    assert cell.branches[0].ncomp == expected == 25
    assert cell.branches[0].length == pytest.approx(length)
    coarse = dx.Cell(dx.Branch(comp, 4), ncomp=dx.DLambda(d_lambda=0.3))
    assert coarse.branches[0].ncomp % 2 == 1
    assert coarse.branches[0].ncomp < 25


def test_cell_ncomp_int_sequence_and_rule():
    swc = DATA / "cell.swc"
    cell = dx.read_swc(swc, 1)
    n = len(cell.branches)
    assert dx.Cell(cell.branches, cell.parents, ncomp=3).ncomp == 3 * n
    per = list(range(1, n + 1))
    rebuilt = dx.Cell(cell.branches, cell.parents, attach=cell.attach, ncomp=per)
    assert [b.ncomp for b in rebuilt.branches] == per
    # The same choice for imported and rebuilt cells.
    assert [b.ncomp for b in dx.read_swc(swc, per).branches] == per
    rule = dx.DLambda(d_lambda=0.05)
    a = dx.read_swc(swc, rule, axial_resistivity=200.0)
    b = dx.Cell([br.with_ncomp(1) for br in a.branches], a.parents, attach=a.attach)
    b = dx.Cell(b.branches, b.parents, attach=b.attach, ncomp=rule)
    assert [x.ncomp for x in a.branches] == [x.ncomp for x in b.branches]
    assert all(x.ncomp % 2 == 1 for x in a.branches)
    with pytest.raises(ValueError, match="one count per branch"):
        dx.read_swc(swc, [1, 2])
    with pytest.raises(ValueError, match="one count per branch"):
        dx.Cell(cell.branches, cell.parents, ncomp=[1, 2])


def test_with_ncomp_needs_one_cable():
    mixed = dx.Branch([dx.Compartment(radius=1.0), dx.Compartment(radius=2.0)])
    with pytest.raises(ValueError, match="differ"):
        mixed.with_ncomp(3)


@pytest.mark.parametrize(
    "bad, match",
    [
        ([[0, 0, 0, 1]], "at least two"),
        ([[0, 0, 0, 1], [1, 0, 0, 0]], "radius must be positive|every radius"),
        ([[0, 0, 0, 1], [0, 0, 0, 1]], "zero total length"),
        ([[0, 0, 0, 1], [1, 0, np.nan, 1]], "finite"),
        ([[0, 0, 1], [1, 0, 1]], r"\(x, y, z, radius\)"),
    ],
)
def test_from_points_rejects_bad_points(bad, match):
    with pytest.raises(ValueError, match=match):
        dx.Branch.from_points(bad)


def test_from_points_does_not_keep_the_callers_array():
    pts = np.array([[0, 0, 0, 1.0], [10, 0, 0, 1.0]])
    branch = dx.Branch.from_points(pts, 2)
    pts[1, 0] = 50.0
    assert branch.points.array[1, 0] == 10.0
    assert branch.length == pytest.approx(10.0)


SWC_ERRORS = {
    "cycle": ("1 1 0 0 0 5 -1\n2 3 10 0 0 1 3\n3 3 20 0 0 1 2\n", "form a cycle"),
    "roots": ("1 1 0 0 0 5 -1\n2 3 10 0 0 1 1\n3 3 20 0 0 1 -1\n", "2 trees"),
    "missing": (
        "1 1 0 0 0 5 -1\n2 3 10 0 0 1 1\n3 3 20 0 0 1 7\n",
        "line 3, column 7: point 3 has parent 7, which is not in the file",
    ),
    "zero_radius": (
        "1 1 0 0 0 5 -1\n2 3 10 0 0 0 1\n",
        "line 2, column 6: radius 0 is not",
    ),
    "negative_radius": ("1 1 0 0 0 5 -1\n2 3 10 0 0 -0.2 1\n", "radius -0.2"),
    "float_id": ("1 1 0 0 0 5 -1\n3.7 3 10 0 0 1 1\n", "id 3.7 is not an integer"),
    "float_type": ("1 1 0 0 0 5 -1\n2 3.5 10 0 0 1 1\n", "type 3.5 is not an"),
    "text_type": ("1 1 0 0 0 5 -1\n2 dend 10 0 0 1 1\n", "'dend', not a number"),
    "duplicate": (
        "1 1 0 0 0 5 -1\n2 3 10 0 0 1 1\n2 3 20 0 0 1 1\n",
        "id 2 appears twice, on lines 2 and 3",
    ),
    "columns": ("1 1 0 0 0 5 -1\n2 3 10 0 0 1\n", "line 2: has 6 columns"),
    "parent_after": (
        "1 1 0 0 0 5 -1\n2 3 10 0 0 1 3\n3 3 20 0 0 1 1\n",
        "not smaller than its id",
    ),
    "empty": ("# nothing\n", "contains no points"),
    "one_point": ("1 1 0 0 0 5 -1\n", "single point"),
}


@pytest.mark.parametrize("name", sorted(SWC_ERRORS))
def test_bad_swc_files_name_file_line_and_fix(tmp_path, name):
    text, match = SWC_ERRORS[name]
    path = tmp_path / f"{name}.swc"
    path.write_text(text)
    with pytest.raises(ValueError, match=match) as info:
        dx.read_swc(path, 1)
    assert str(path) in str(info.value)


def test_swc_comments_blank_lines_and_extra_columns(tmp_path):
    path = tmp_path / "ok.swc"
    path.write_text(
        "# header\n\n1 1 0 0 0 5 -1  # the soma\n2 3 10 0 0 1 1 extra\n3 3 20 0 0 1 2\n"
    )
    cell = dx.read_swc(path, 1)
    assert len(cell.branches) == 2
    with pytest.raises(FileNotFoundError):
        dx.read_swc(tmp_path / "missing.swc", 1)


POINT_SOMA = """\
# one-point soma with a basal and an apical process
1 1   0 0 0 5.0 -1
2 3   6 0 0 1.0  1
3 3  96 0 0 1.0  2
4 4  -6 0 0 1.0  1
5 4 -40 0 0 0.5  4
"""


def test_point_soma_is_a_sphere_and_processes_are_wired(tmp_path):
    path = tmp_path / "point.swc"
    path.write_text(POINT_SOMA)
    cell = dx.read_swc(path, ncomp=1)
    assert dict(cell.groups)["soma"] == (0,)
    # Processes join soma(0.5) by a wire: they start at their own first point.
    assert cell.parents == (-1, 0, 0) and cell.attach == (1.0, 0.5, 0.5)
    assert cell.branches[1].length == pytest.approx(90.0)
    np.testing.assert_array_equal(cell.branches[1].points.array[0], [6, 0, 0, 1])
    # The soma: a cylinder of length and diameter 2r along x, the sphere's area.
    np.testing.assert_array_equal(
        cell.branches[0].points.array, [[-5, 0, 0, 5], [0, 0, 0, 5], [5, 0, 0, 5]]
    )
    area = dx.cable_geometry(dx.Network(cell)).area
    assert float(area[0]) == pytest.approx(4 * np.pi * 5.0**2, rel=1e-13)
    with pytest.raises(ValueError, match="ncomp"):
        dx.read_swc(path, ncomp=0)
