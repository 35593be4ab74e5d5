"""Morphology: Compartment, Branch, Cell, read_swc and the derived Topology."""

from pathlib import Path

import numpy as np
import pytest

import dendrax as dx
from helpers import small_cell

SWC = Path(__file__).parent / "data" / "cell.swc"


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


def _node_of(cell: dx.Cell, starts, b: int, x: float):
    """NEURON's node for position x of branch b: ("end", b, 0 or 1) for a
    zero-area end node, or a compartment index."""
    if x >= 1.0:
        return ("end", b, 1)
    if x <= 0.0:
        p = cell.parents[b]
        return ("end", b, 0) if p < 0 else _node_of(cell, starts, p, cell.attach[b])
    n = cell.branches[b].ncomp
    return int(starts[b] + min(int(n * x), n - 1))


def _expected_graph(cells: list[dx.Cell]):
    """Compartment-compartment edges and, per end node, its compartments."""
    comp_edges, ends, off = set(), {}, 0
    for k, cell in enumerate(cells):
        starts = np.cumsum([0] + [b.ncomp for b in cell.branches]) + off
        for b, br in enumerate(cell.branches):
            for j in range(1, br.ncomp):
                comp_edges.add(frozenset((starts[b] + j - 1, starts[b] + j)))
        for b, (p, x) in enumerate(zip(cell.parents, cell.attach)):
            if p < 0:
                continue
            node = _node_of(cell, starts, p, x)
            if isinstance(node, int):
                comp_edges.add(frozenset((int(starts[b]), node)))
                continue
            _, eb, distal = node
            own = starts[eb + 1] - 1 if distal else starts[eb]
            ends.setdefault((k, eb, distal), {int(own)}).add(int(starts[b]))
        off += cell.ncomp
    return comp_edges, sorted((frozenset(v) for v in ends.values()), key=sorted)


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
    return len(exp_bp)


def _check_topology(net: dx.Network, cells: list[dx.Cell]):
    topo = net.topology
    n_comp = sum(c.ncomp for c in cells)
    assert topo.n_comp == n_comp == len(net)
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
    n_ends = _check_edges(net, cells)
    assert topo.n_total == n_comp + n_ends
    _depths(parent)  # a tree: every node leads to a root
    # The solve's plan: every node once, in a chain or as a junction.
    plan = topo.plan
    chains = plan.chain_node.array
    listed = np.concatenate([chains[chains < topo.n_total], plan.junction.array])
    assert sorted(listed.tolist()) == list(range(topo.n_total))
    # Every edge has at least one half-compartment resistance: a proximal (2c) or
    # distal (2c + 1) half of one of the two compartments it joins.
    ha, hb = topo.half_a.array, topo.half_b.array
    assert np.all(ha[non_root] >= 0) and np.all(ha[non_root] < 2 * n_comp)
    assert np.all(hb < 2 * n_comp)
    assert np.all(ha[roots] == -1) and np.all(hb[roots] == -1)
    for i in non_root:
        owners = {int(h) // 2 for h in (ha[i], hb[i]) if h >= 0}
        assert owners <= {int(i), int(parent[i])}


def test_compartment_defaults():
    c = dx.Compartment()
    assert (c.length, c.radius, c.axial_resistivity, c.capacitance, c.v_init) == (
        10.0,
        1.0,
        35.4,
        1.0,
        -65.0,
    )


def _point(comp: dx.Compartment) -> dx.Network:
    return dx.Network(dx.Cell(dx.Branch(comp)))


@pytest.mark.parametrize("aspect", [1.0, 0.25, 7])
@pytest.mark.parametrize("area", [100.0, 20_000, 28_100.0])
def test_compartment_from_area_has_that_area_in_the_solver(area, aspect):
    comp = dx.Compartment.from_area(area, aspect=aspect, capacitance=0.9)
    assert comp.length == pytest.approx(2 * aspect * comp.radius, rel=1e-14)
    assert comp.capacitance == 0.9 and comp.profile == (1.0, 1.0, 1.0)
    geometry = dx.cable_geometry(_point(comp))
    assert float(geometry.area[0]) == pytest.approx(area, rel=1e-13)


@pytest.mark.parametrize("capacitance", [1.0, 0.75, 2])
@pytest.mark.parametrize("total", [0.2, 0.281, 1])  # nF
def test_compartment_from_capacitance_has_that_capacitance(total, capacitance):
    comp = dx.Compartment.from_capacitance(total, capacitance=capacitance)
    net = _point(comp)
    # The solver's capacitance: µF/cm² × µm² = 1e-5 nF.
    c_nf = 1e-5 * dx.get(net, "capacitance")[0] * dx.cable_geometry(net).area[0]
    assert float(c_nf) == pytest.approx(total, rel=1e-13)
    # 0.2 nF at 1 µF/cm² is the 20,000 µm² point neuron of the tutorials.
    if capacitance == 1.0 and total == 0.2:
        hand = dx.Compartment(length=1000 / np.pi, radius=10.0)
        hand_area = dx.cable_geometry(_point(hand)).area[0]
        assert float(dx.cable_geometry(net).area[0]) == pytest.approx(
            float(hand_area), rel=1e-13
        )


@pytest.mark.parametrize(
    "channel", [dx.channels.LIF(), dx.channels.HH()], ids=["LIF", "HH"]
)
def test_point_neuron_from_area_runs_as_the_hand_built_one(channel):
    dt, t_max = 0.025, 40.0
    hand = dx.Compartment(length=1000 / np.pi, radius=10.0)  # 20,000 µm²
    runs = []
    for comp in (hand, dx.Compartment.from_area(20_000.0)):
        net = dx.insert(_point(comp), channel)
        stim = dx.Stimulus(dx.select(net), dx.step_current(5.0, 30.0, 0.5, dt, t_max))
        sol = dx.simulate(net, t_max, dt, stimuli=stim)
        runs.append(np.asarray(sol.ys[:, 0]))
    fired = np.sum(np.diff(runs[0]) < -5.0)  # LIF resets by 10 mV
    assert runs[0].max() > 0.0 or fired >= 2  # HH spikes; LIF resets
    np.testing.assert_allclose(runs[1], runs[0], rtol=0, atol=1e-8)


@pytest.mark.parametrize(
    "make, exc, match",
    [
        (lambda: dx.Compartment.from_area(0.0), ValueError, "area must be a positive"),
        (lambda: dx.Compartment.from_area(-5.0), ValueError, "area must be a positive"),
        (lambda: dx.Compartment.from_area(100.0, aspect=0.0), ValueError, "aspect"),
        (
            lambda: dx.Compartment.from_capacitance(float("nan")),
            ValueError,
            "total must be a positive",
        ),
        (
            lambda: dx.Compartment.from_capacitance(0.2, capacitance=-1.0),
            ValueError,
            "capacitance must be a positive",
        ),
        (
            lambda: dx.Compartment.from_area(100.0, v_init=float("inf")),
            ValueError,
            "v_init must be a finite",
        ),
    ],
)
def test_compartment_from_area_and_capacitance_refuse_bad_input(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


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
        ([-1, 0, 1, 1, 0], [1.0, 0.5, 0.0, 0.3, 1.0]),  # interior, x = 0 of a child
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
    groups = dict(cell.groups)
    assert groups.keys() == {"soma", "axon", "basal", "apical"}
    assert all(b.ncomp == 2 for b in cell.branches)
    # Branches in the importer's order: the soma chain, then new sections by
    # their first point's id: apical trunk and branches, basal trunk and
    # branches, then the axon (ids 26-30).
    assert groups["soma"] == (0,)
    assert groups["apical"] == (1, 2, 3) and groups["basal"] == (4, 5, 6)
    assert groups["axon"] == (7,)
    assert cell.parents == (-1, 0, 1, 1, 0, 4, 4, 0)
    # The trunks leave the last soma point: x = 1; the axon leaves the root
    # point, the first point of the soma section: x = 0.
    assert cell.attach == (1.0,) * 7 + (0.0,)
    net = dx.Network(cell)
    _check_topology(net, [cell])
    assert len(dx.select(net, group="apical")) == 3 * 2
    # Every branch keeps its 3-D points; the centres follow them.
    assert net.xyz.array.shape == (cell.ncomp, 3)
    np.testing.assert_allclose(net.xyz.array[:2, 1:], 0.0, atol=1e-12)


def test_read_swc_points_as_neurons_importer():
    cell = dx.read_swc(SWC, ncomp=1)
    soma, trunk, axon = (cell.branches[b] for b in (0, 1, 7))
    # Soma: points (0,0,0) r 9, (10,0,0) r 10, (20,0,0) r 8.5: length 20, the
    # radius averaged along the path, ((9 + 10) / 2 + (10 + 8.5) / 2) / 2.
    assert soma.comps[0].length == pytest.approx(20.0, rel=1e-12)
    assert soma.comps[0].radius == pytest.approx(9.375, rel=1e-12)
    # A process leaving the soma starts at its parent point, with the radius of
    # its own first point; points are held in single precision, as in NEURON.
    assert trunk.points.array.dtype == np.float32
    np.testing.assert_array_equal(
        trunk.points.array[:2], np.float32([[20, 0, 0, 1.5], [24, 35, 0, 1.5]])
    )
    np.testing.assert_array_equal(
        axon.points.array[:2], np.float32([[0, 0, 0, 0.9], [-20, -3, 0, 0.9]])
    )
    path = np.array([[0, 0, 0], [-20, -3, 0], [-40, -5, 0], [-60, -6, 0],
                     [-80, -6, 0], [-100, -7, 0]], float)  # fmt: skip
    length = np.linalg.norm(np.diff(path, axis=0), axis=1).sum()
    assert axon.comps[0].length == pytest.approx(length, rel=1e-12)
