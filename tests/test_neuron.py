"""dendrax against NEURON on the same models (reference data: tests/reference).

Regenerate the references with `nox -s references`. The acceptance bar is
max |ΔV| <= 0.1 mV over the run and spike times within one step, for implicit
Euler and Crank–Nicolson at dt = 0.025 ms.
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
import cases  # noqa: E402

SOLVERS = {"ie": dx.ImplicitEuler(), "cn": dx.CrankNicolson()}


def _build(case) -> dx.Network:
    """The case as a dendrax network."""
    secs = case["sections"]
    branches = [
        dx.Branch([
            dx.Compartment(
                length=s["L"] / s["nseg"], radius=d / 2,
                axial_resistivity=s["Ra"], capacitance=s["cm"],
            )
            for d in np.broadcast_to(s["diam"], (s["nseg"],))
        ])
        for s in secs
    ]  # fmt: skip
    attach = [1.0 if s["attach"] is None else s["attach"] for s in secs]
    cell = dx.Cell(branches, [s["parent"] for s in secs], attach=attach)
    net = dx.Network(cell)
    for b, s in enumerate(secs):
        where = dx.select(net, branch=b)
        net = dx.insert(net, neuron_mechanism(s["mech"]), where=where)
    return dx.set(net, "v_init", cases.V_INIT)


def _inputs(net, case):
    t_max, dt = case["t_max"], cases.DT
    stimuli = [
        dx.Stimulus(
            dx.select(net, branch=sec, comp=seg),
            dx.step_current(delay, dur, amp, dt, t_max),
        )
        for sec, seg, delay, dur, amp in case["stimuli"]
    ]
    if "seclamp" in case:
        c = case["seclamp"]
        t = np.asarray(dx.stimulus_times(t_max, dt))
        edges = np.cumsum(c["dur"])
        level = np.searchsorted(edges, t, side="right")
        vc = np.asarray(c["amp"] + (c["amp"][-1],))[level]
        sec, seg = c["loc"]
        stimuli.append(
            dx.VoltageClamp(dx.select(net, branch=sec, comp=seg), vc, rs=c["rs"])
        )
    where = None
    for sec, seg in case["record"]:
        s = dx.select(net, branch=sec, comp=seg)
        where = s if where is None else where | s
    # Records come back in node order; the case lists them in that order too.
    return stimuli, dx.Record("v", where)


@eqx.filter_jit
def _run(net, stimuli, record, t_max, solver):
    return dx.simulate(
        net, t_max, cases.DT, stimuli=stimuli, record=record, solver=solver
    )


def _spike_steps(v, threshold=0.0):
    return np.flatnonzero((v[:-1] < threshold) & (v[1:] >= threshold))


@pytest.fixture(scope="module", params=sorted(cases.CASES))
def case_result(request):
    case = cases.CASES[request.param]
    ref = np.load(ROOT / "reference" / "data" / f"{case['name']}.npz")
    net = _build(case)
    stimuli, record = _inputs(net, case)
    out = {}
    for method, solver in SOLVERS.items():
        sol = _run(net, stimuli, record, case["t_max"], solver)
        out[method] = (np.asarray(sol.ts), np.asarray(sol.ys), ref[f"v_{method}"])
    return case, ref, out


@pytest.mark.parametrize("method", sorted(SOLVERS))
def test_voltage_matches_neuron(case_result, method):
    case, ref, out = case_result
    ts, ys, v_ref = out[method]
    np.testing.assert_allclose(ts, ref["t"], atol=1e-9)
    assert ys.shape == v_ref.shape
    err = np.abs(ys - v_ref).max()
    # The bar is 0.1 mV; the schemes are the same, so agreement is to round-off.
    assert err <= 1e-6, f"{case['name']} ({method}): max |ΔV| = {err:.3g} mV"


@pytest.mark.parametrize("method", sorted(SOLVERS))
def test_spike_times_match_neuron(case_result, method):
    case, _, out = case_result
    _, ys, v_ref = out[method]
    for k in range(v_ref.shape[1]):
        mine, theirs = _spike_steps(ys[:, k]), _spike_steps(v_ref[:, k])
        assert len(mine) == len(theirs), (case["name"], method, k)
        assert np.all(np.abs(mine - theirs) <= 1), (case["name"], method, k)
    if case["name"] != "clamp":
        assert len(_spike_steps(v_ref[:, 0])) > 0, "reference should spike"


def _current_records(net, case):
    """The records of the currents NEURON stored for a case (and, for the
    Crank–Nicolson comparison, v and hh's gates at the same place)."""
    sec, seg = case["record"][0]
    first = dx.select(net, branch=sec, comp=seg)
    records = []
    if case["sections"][sec]["mech"] == "hh":
        names = ("HH.ina", "HH.ik", "HH.il", "HH.i", "v", "HH.m", "HH.h", "HH.n")
        records += [dx.Record(name, first) for name in names]
    if case["stimuli"]:
        s = case["stimuli"][0]
        records.append(dx.Record("Stimulus.i", dx.select(net, branch=s[0], comp=s[1])))
    if "seclamp" in case:
        records.append(dx.Record("VoltageClamp.i"))
    return first, records


def _error(mine, theirs):
    return np.abs(mine - theirs).max() / np.abs(theirs).max()


@pytest.mark.parametrize("method", sorted(SOLVERS))
@pytest.mark.parametrize("name", sorted(cases.CASES))
def test_currents_match_neuron(name, method):
    """Recorded currents against NEURON's: the IClamp's and the SEClamp's (nA)
    as they are; hh's ina, ik, il (mA/cm²) one step later, since NEURON
    records at t the current it computed at the start of the step (at t - dt),
    and, with Crank–Nicolson (secondorder=2), the ion currents (not `il`)
    corrected to the step's midpoint by their conductance times half the
    step's change in v."""
    case = cases.CASES[name]
    ref = np.load(ROOT / "reference" / "data" / f"{name}.npz")
    net = _build(case)
    stimuli, _ = _inputs(net, case)
    first, records = _current_records(net, case)
    sol = _run(net, stimuli, records, case["t_max"], SOLVERS[method])
    errors = {}
    if f"ina_{method}" in ref:
        area = np.asarray(dx.cable_geometry(net).area)[first.index.array][0]
        nA = 1e-2 * area  # mA/cm² -> nA
        y = {r.name: np.asarray(sol[r.name])[:, 0] for r in records[:8]}
        hh = cases.HH
        conductance = {
            "ina": hh["gnabar"] * y["HH.m"] ** 3 * y["HH.h"],
            "ik": hh["gkbar"] * y["HH.n"] ** 4,
            "il": np.zeros_like(y["v"]),  # not an ion's: NEURON leaves it
        }
        half = np.diff(y["v"]) / 2 if method == "cn" else 0.0
        total = 0.0
        for k, g in conductance.items():
            mine = y[f"HH.{k}"][:-1] + nA * g[:-1] * half
            errors[k] = _error(mine, nA * ref[f"{k}_{method}"][1:])
            total = total + mine
        errors["i"] = _error(
            y["HH.i"][:-1] + (total - sum(y[f"HH.{k}"][:-1] for k in conductance)),
            nA * sum(ref[f"{k}_{method}"][1:] for k in conductance),
        )
    if f"istim_{method}" in ref:
        mine = np.asarray(sol["Stimulus.i"])[:, 0]
        errors["IClamp.i"] = _error(mine, ref[f"istim_{method}"])
    if f"i_{method}" in ref:
        mine = np.asarray(sol["VoltageClamp.i"])[:, 0]
        errors["SEClamp.i"] = _error(mine, ref[f"i_{method}"])
    assert errors, "the case should store currents"
    print(name, method, {k: f"{e:.2g}" for k, e in errors.items()})
    assert max(errors.values()) <= 1e-6, errors
