"""Morphology: Compartment, Branch, Cell, read_swc and the derived Topology."""

from pathlib import Path

import numpy as np
import pytest

import dendrax as dx
from helpers import small_cell

SWC = Path(__file__).parent / "data" / "cell.swc"


def _branch_points(cell: dx.Cell) -> int:
    """Distinct (parent branch, end) locations children attach to."""
    return len({(p, a) for p, a in zip(cell.parents, cell.attach) if p >= 0})


def _depths(parent: np.ndarray) -> np.ndarray:
    depth = np.full(len(parent), -1)
    for i in range(len(parent)):
        chain, j = [], i
        while parent[j] >= 0:
            chain.append(j)
            j = parent[j]
            assert len(chain) <= len(parent), "parent pointers contain a cycle"
        depth[i] = len(chain)
    return depth


def _expected_graph(cells: list[dx.Cell]):
    """Compartment-compartment edges and, per branch point, its compartments."""
    comp_edges, bp_sets, off = set(), [], 0
    for cell in cells:
        starts = np.cumsum([0] + [b.ncomp for b in cell.branches]) + off
        for b, br in enumerate(cell.branches):
            for j in range(1, br.ncomp):
                comp_edges.add(frozenset((starts[b] + j - 1, starts[b] + j)))
        points = {}
        for b, (p, x) in enumerate(zip(cell.parents, cell.attach)):
            if p >= 0:
                end = starts[p] if x == 0.0 else starts[p + 1] - 1
                points.setdefault((p, x), {int(end)}).add(int(starts[b]))
        bp_sets += [frozenset(v) for v in points.values()]
        off += cell.ncomp
    return comp_edges, sorted(bp_sets, key=sorted)


def _check_edges(net: dx.Network, cells: list[dx.Cell]):
    topo = net.topology
    parent = topo.parent.array
    n_comp = topo.n_comp
    comp_edges, bp_sets = set(), {}
    for i, p in enumerate(parent):
        if p < 0:
            continue
        if i < n_comp and p < n_comp:
            comp_edges.add(frozenset((i, int(p))))
        else:
            bp, comp = (i, p) if i >= n_comp else (p, i)
            assert comp < n_comp, "two branch points joined directly"
            bp_sets.setdefault(int(bp), set()).add(int(comp))
    exp_comp, exp_bp = _expected_graph(cells)
    assert comp_edges == exp_comp
    assert sorted((frozenset(v) for v in bp_sets.values()), key=sorted) == exp_bp


def _check_topology(net: dx.Network, cells: list[dx.Cell]):
    topo = net.topology
    n_comp = sum(c.ncomp for c in cells)
    assert topo.n_comp == n_comp == len(net)
    assert topo.n_total == n_comp + sum(_branch_points(c) for c in cells)
    parent = topo.parent.array
    assert parent.shape == (topo.n_total,)
    roots = np.flatnonzero(parent < 0)
    # One root per cell, among that cell's compartments.
    assert len(roots) == len(cells)
    assert np.all(roots < n_comp)
    assert sorted(net.nodes.cell.array[roots].tolist()) == list(range(len(cells)))
    non_root = np.flatnonzero(parent >= 0)
    assert np.all(parent[non_root] < topo.n_total)
    assert np.all(parent[non_root] != non_root)
    _check_edges(net, cells)
    depth = _depths(parent)
    # Levels: every non-root node exactly once, at its depth; padding is n_total.
    levels = topo.levels.array
    assert levels.shape[0] == depth.max()
    listed = levels[levels != topo.n_total]
    assert sorted(listed.tolist()) == sorted(non_root.tolist())
    for d, row in enumerate(levels, start=1):
        row = row[row != topo.n_total]
        assert np.all(depth[row] == d)
    # Every edge has at least one half-compartment resistance, owned by a
    # compartment; branch points (index >= n_comp) own none.
    ha, hb = topo.half_a.array, topo.half_b.array
    assert np.all(ha[non_root] >= 0) and np.all(ha[non_root] < n_comp)
    assert np.all(hb < n_comp)
    assert np.all(ha[roots] == -1) and np.all(hb[roots] == -1)


def test_compartment_defaults():
    c = dx.Compartment()
    assert (c.length, c.radius, c.axial_resistivity, c.capacitance, c.v_init) == (
        10.0,
        1.0,
        35.4,
        1.0,
        -65.0,
    )


def test_branch_repeats_and_sequence():
    a, b = dx.Compartment(length=5.0), dx.Compartment(length=7.0)
    assert dx.Branch(a, ncomp=3).comps == (a, a, a)
    assert dx.Branch(a).ncomp == 1
    assert dx.Branch([a, b, a]).comps == (a, b, a)
    assert dx.Branch([a, b], ncomp=2).ncomp == 2


def test_python_ints_are_accepted():
    # NEURON users write L=10, diam=2; numbers should not need a trailing ".0".
    c = dx.Compartment(length=10, radius=2)
    assert c.length == 10 and c.radius == 2
    cell = dx.Cell(dx.Branch(c), parents=[-1, 0, 0], attach=[1, 1, 0])
    assert cell.attach == (1.0, 1.0, 0.0)


def test_cell_single_branch_broadcast():
    cell = dx.Cell(dx.Branch(dx.Compartment(), ncomp=2), parents=[-1, 0, 0, 1])
    assert len(cell.branches) == 4 and cell.ncomp == 8
    assert cell.attach == (1.0,) * 4


@pytest.mark.parametrize(
    "parents, attach",
    [
        ([-1], None),
        ([-1, 0, 0], None),
        ([-1, 0, 1, 1, 0], None),
        ([1, -1, 1], None),  # root is not branch 0
        ([-1, 0, 0, 1], [1.0, 0.0, 1.0, 0.0]),  # proximal attachments
    ],
)
@pytest.mark.parametrize("ncomp", [1, 3])
def test_topology_sanity(parents, attach, ncomp):
    cell = dx.Cell(
        dx.Branch(dx.Compartment(), ncomp=ncomp), parents=parents, attach=attach
    )
    other = small_cell(2)
    cells = [cell, other, cell]
    _check_topology(dx.Network(cells), cells)


def test_topology_connects_children_to_parent_end():
    # Soma (2 comps) with two children at its distal end and one at its proximal end.
    cell = dx.Cell(
        dx.Branch(dx.Compartment(), ncomp=2),
        parents=[-1, 0, 0, 0],
        attach=[1.0, 1.0, 1.0, 0.0],
    )
    topo = dx.Network(cell).topology
    parent = topo.parent.array
    # Two branch points: node 8 (soma distal) and node 9 (soma proximal).
    assert topo.n_total == 10
    bp_distal = parent[2]
    bp_prox = parent[6]
    assert {bp_distal, bp_prox} == {8, 9}
    assert parent[4] == bp_distal
    assert parent[bp_distal] == 1  # the distal soma compartment
    assert parent[bp_prox] == 0  # the proximal soma compartment
    # Within a branch compartments are chained.
    assert parent[3] == 2 and parent[1] == 0


def test_read_swc_groups_and_structure():
    cell = dx.read_swc(SWC, ncomp=2)
    assert dict(cell.groups).keys() == {"soma", "axon", "basal", "apical"}
    assert all(b.ncomp == 2 for b in cell.branches)
    xyz = np.asarray(getattr(cell.xyz, "array", cell.xyz))
    assert xyz.shape == (cell.ncomp, 3)
    # Compartment centres lie on the soma axis for the soma branch.
    np.testing.assert_allclose(xyz[:2, 1:], 0.0, atol=1e-12)
    groups = dict(cell.groups)
    # One soma branch (the root), one unbranched axon, bifurcating dendrites.
    assert groups["soma"] == (cell.parents.index(-1),)
    assert len(groups["axon"]) == 1
    assert len(groups["apical"]) == 3 and len(groups["basal"]) == 3
    all_b = sorted(sum((list(v) for v in groups.values()), []))
    assert all_b == list(range(len(cell.branches)))
    # The axon leaves from the root point: proximal end of the soma branch.
    assert cell.attach[groups["axon"][0]] == 0.0
    net = dx.Network(cell)
    _check_topology(net, [cell])
    sel = dx.select(net, group="apical")
    assert len(sel) == 3 * 2


def test_read_swc_geometry():
    cell = dx.read_swc(SWC, ncomp=1)
    soma = cell.branches[cell.parents.index(-1)].comps[0]
    # Soma: points (0,0,0) r 9, (10,0,0) r 10, (20,0,0) r 8.5 -> length 20, centre r 10
    assert soma.length == pytest.approx(20.0, rel=1e-12)
    assert soma.radius == pytest.approx(10.0, rel=1e-12)
    axon = cell.branches[dict(cell.groups)["axon"][0]].comps[0]
    # Axon path starts at the root point (0,0,0).
    pts = np.array(
        [
            [0, 0, 0],
            [-20, -3, 0],
            [-40, -5, 0],
            [-60, -6, 0],
            [-80, -6, 0],
            [-100, -7, 0],
        ],
        float,
    )
    assert axon.length == pytest.approx(
        np.linalg.norm(np.diff(pts, axis=0), axis=1).sum(), rel=1e-12
    )
