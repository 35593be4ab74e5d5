"""Reconstructed cells against NEURON's own importer (`Import3d_SWC_read` +
`Import3d_GUI.instantiate`), in float64 for both integrators.

The references (tests/reference/data/morph_*.npz) hold what NEURON made of each
SWC file: sections, 3-D points, connections, per-segment areas and resistances,
d_lambda segment counts and voltages. Regenerate them with `nox -s references`.
"""

import sys
from pathlib import Path

import equinox as eqx
import numpy as np
import pytest

import dendrax as dx
from helpers import neuron_mechanism

ROOT = Path(__file__).parent
sys.path.insert(0, str(ROOT / "reference"))
import morph_cases  # noqa: E402

SOLVERS = {"ie": dx.ImplicitEuler(), "cn": dx.CrankNicolson()}
CASES = sorted(morph_cases.CASES)


def _reference(name):
    return np.load(ROOT / "reference" / "data" / f"morph_{name}.npz")


def _cell(case) -> dx.Cell:
    ncomp = case["nseg"]
    if ncomp == "dlambda":
        ncomp = dx.DLambda(case["d_lambda"], case["d_lambda_freq"])
    return dx.read_swc(
        ROOT.parent / case["swc_file"],
        ncomp,
        axial_resistivity=case["Ra"],
        capacitance=case["cm"],
    )


@pytest.mark.parametrize("name", CASES)
def test_sections_points_and_connections(name):
    case, ref = morph_cases.CASES[name], _reference(name)
    cell = _cell(case)
    assert len(cell.branches) == len(ref["section_names"])
    assert cell.parents == tuple(ref["section_parent"].tolist())
    parentx = ref["section_parentx"]
    attach = np.array(cell.attach)[ref["section_parent"] >= 0]
    np.testing.assert_array_equal(attach, parentx[ref["section_parent"] >= 0])
    offsets = ref["pt3d_offsets"]
    for b, branch in enumerate(cell.branches):
        pts = ref["pt3d"][offsets[b] : offsets[b + 1]]
        mine = branch.points.array
        # The same single-precision numbers NEURON holds.
        np.testing.assert_array_equal(mine[:, :3], np.float32(pts[:, :3]))
        np.testing.assert_array_equal(2 * mine[:, 3], np.float32(pts[:, 3]))
    # Groups follow the sections' SWC types.
    types = dict(zip(["soma", "axon", "basal", "apical"], [1, 2, 3, 4]))
    for group, branches in cell.groups:
        t = types.get(group) or int(group.removeprefix("type_"))
        assert np.all(ref["section_type"][list(branches)] == t), group


@pytest.mark.parametrize("name", CASES)
def test_segment_areas_resistances_and_counts(name):
    case, ref = morph_cases.CASES[name], _reference(name)
    cell = _cell(case)
    assert [b.ncomp for b in cell.branches] == ref["nseg"].tolist()
    rule = dx.DLambda(case["d_lambda"], case["d_lambda_freq"])
    counts = [b.with_ncomp(rule).ncomp for b in cell.branches]
    assert counts == ref["nseg_dlambda"].tolist()
    net = dx.Network(cell)
    area, proximal, distal = (np.asarray(x) for x in dx.cable_geometry(net))
    # NEURON's seg.ri(): from the previous segment's centre (the parent's node
    # for a section's first segment, which adds none of the parent's halves).
    first = net.nodes.comp.array == 0
    ri = proximal + np.where(first, 0.0, np.roll(distal, 1))
    np.testing.assert_allclose(area, ref["seg_area"], rtol=1e-12)
    np.testing.assert_allclose(ri, ref["seg_ri"], rtol=1e-12)
    diam = 2 * np.asarray(dx.get(net, "radius"))
    np.testing.assert_allclose(diam, ref["seg_diam"], rtol=1e-12)


def _network(case, ref, cell) -> dx.Network:
    net = dx.Network(cell)
    net = dx.set(net, "v_init", morph_cases.V_INIT)
    has_soma = bool(np.any(ref["section_type"] == 1))
    mech = [
        morph_cases.section_mech(case, t, b == 0, has_soma)
        for b, t in enumerate(ref["section_type"])
    ]
    for name in ("hh", "pas"):
        branches = [b for b, m in enumerate(mech) if m == name]
        if branches:
            where = dx.select(net, branch=branches)
            net = dx.insert(net, neuron_mechanism(name), where=where)
    return net


@eqx.filter_jit
def _run(net, stimulus, t_max, solver):
    return dx.simulate(net, t_max, morph_cases.DT, stimuli=stimulus, solver=solver)


@pytest.fixture(scope="module", params=CASES)
def simulated(request):
    name = request.param
    case, ref = morph_cases.CASES[name], _reference(name)
    cell = _cell(case)
    net = _network(case, ref, cell)
    stim = case["stim"]
    n0 = cell.branches[0].ncomp
    site = dx.select(net, branch=0, comp=min(int(n0 * stim["x"]), n0 - 1))
    current = dx.step_current(
        stim["delay"], stim["dur"], stim["amp"], morph_cases.DT, case["t_max"]
    )
    out = {
        method: np.asarray(
            _run(net, dx.Stimulus(site, current), case["t_max"], solver).ys
        )
        for method, solver in SOLVERS.items()
    }
    starts = np.cumsum([0] + [b.ncomp for b in cell.branches])
    return name, ref, out, starts


@pytest.mark.parametrize("method", sorted(SOLVERS))
def test_voltages_match_neuron(simulated, method):
    name, ref, out, starts = simulated
    ys = out[method]
    sites = starts[ref["record"][:, 0]] + ref["record"][:, 1]
    err = np.abs(ys[:, sites] - ref[f"v_{method}"]).max()
    assert err <= 1e-6, f"{name} ({method}): max |ΔV| = {err:.3g} mV at the sites"
    snap = np.abs(ys[ref["snap_steps"]] - ref[f"snap_{method}"]).max()
    assert snap <= 1e-6, f"{name} ({method}): max |ΔV| = {snap:.3g} mV everywhere"
    # The same number of spikes at the stimulus site.
    v0 = ref[f"v_{method}"][:, 0]
    assert np.sum((v0[:-1] < 0) & (v0[1:] >= 0)) == np.sum(
        (ys[:-1, sites[0]] < 0) & (ys[1:, sites[0]] >= 0)
    )
