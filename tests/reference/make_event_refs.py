"""NEURON references for event synapses with delays (ExpSyn, Exp2Syn, NetCon).

Run from the repository root:

    python tests/reference/make_event_refs.py

Writes tests/reference/data/<case>.npz for every case in EVENT_CASES. The
case descriptions below are plain constants, imported by
tests/test_neuron_events.py (NEURON is imported only when references are
made). Each case is simulated with NEURON's fixed step twice, h.secondorder = 0
("ie") and 2 ("cn").

Model
-----
Every cell is the single HH compartment of cases.HH_SOMA (L = diam = 20 um,
cm = 1, hh with cases.HH parameters, exact rates: usetable_hh = 0), at
cases.CELSIUS, starting at cases.V_INIT. Presynaptic cells are driven by an
IClamp. One synapse (ExpSyn or Exp2Syn) sits on the postsynaptic cell; every
edge is one NetCon from a presynaptic cell's v (threshold THRESHOLD) to it, with
its own delay and weight. Spike times of every cell are recorded with
NetCon.record (a NetCon without target for the postsynaptic cell).

NEURON's fixed-step event semantics (neuronsimulator/nrn: src/nrnoc/fadvance.cpp
nrn_fixed_step_thread and nrn_fixed_step_lastpart; src/nrncvode/netcvode.cpp
NetCvode::check_thresh, ConditionEvent::check, NetCvode::deliver_net_events;
src/nrncvode/cvodestb.cpp deliver_net_events, nrn_deliver_events), checked on
every run by _check_semantics():

1. A step from t to t + dt starts with deliver_net_events: check_thresh
   compares v(t) (the voltage at the end of the previous step) with the
   threshold; on the first v > threshold (strict) after v <= threshold it sends
   an event at t + 1e-10 (teps); NetCon.record stores that time. So the spike
   time is the end of the step in which v crossed, plus 1e-10 ms, with no
   interpolation. Then every queued event due by t + dt/2 is delivered
   (NET_RECEIVE: ExpSyn g += w; Exp2Syn A += w factor, B += w factor), at once,
   so a delay-0 event acts in the step right after the spike.
2. Then the currents are evaluated (at v(t), with the delivered jumps), v is
   solved and the states integrated (cnexp: g *= exp(-dt/tau)), t becomes
   t + dt, the Vector records are taken, and nrn_deliver_events delivers the
   events due by the new t. An event due at t_k + delay + 1e-10 (spike at the
   step end t_k) is thus delivered at the START of the step beginning at
   t_k + delay, after the record at t_k + delay: a recorded state at the
   arrival time still shows the value before the jump; the jump appears
   (decayed by one step) at the next sample.

Stored arrays (float64 unless noted), T = round(t_max / DT) + 1 samples at
t = i * DT (NEURON's t agrees to < 1e-9 ms, asserted):
    v_ie, v_cn           (T,)  membrane potential of the postsynaptic cell
    g_ie, g_cn           (T,)  ExpSyn.g (uS)                    [Exp cases]
    A_ie, A_cn, B_ie, B_cn (T,) Exp2Syn states (uS); g = B - A  [Exp2 cases]
    i_ie, i_cn           (T,)  the synapse's current i (nA, outward positive)
    spike_t_ie, spike_t_cn     spike times (ms) of all cells, as NetCon.record
    spike_cell_ie, spike_cell_cn  int, the cell of each spike
    factor               Exp2Syn's factor (1.0 for ExpSyn), see exp2syn_factor
    dt, celsius, v_init, threshold, t_max    scalars
    edge_pre (int), edge_weight, edge_delay  one per NetCon, as in the case
    neuron_version       string array
Only the postsynaptic voltage is stored (the presynaptic cells are plain
driven HH cells, checked by hh_soma.npz; their spike times are stored).
"""

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT_DIR = os.path.join(HERE, "data")

import cases  # noqa: E402

THRESHOLD = 10.0  # mV, NetCon default

# Each case: cells 0 .. n_cells - 1, all HH; `post` is the postsynaptic cell.
# stimuli: (cell, delay, dur, amp nA) IClamps; edges: (pre cell, weight uS,
# delay ms) NetCons onto the one synapse of `post`.
EVENTS_EXP = {
    "name": "events_exp",
    "t_max": 30.0,
    "n_cells": 2,
    "post": 1,
    "synapse": {"kind": "ExpSyn", "tau": 2.0, "e": 0.0},
    "stimuli": [(0, 2.0, 100.0, 0.5)],
    # 3 presynaptic spikes; the 1st and 3rd EPSPs make the post cell fire
    "edges": [(0, 0.002, 1.0)],
}

EVENTS_EXP2 = {
    "name": "events_exp2",
    "t_max": 30.0,
    "n_cells": 2,
    "post": 1,
    "synapse": {"kind": "Exp2Syn", "tau1": 0.5, "tau2": 3.0, "e": 0.0},
    "stimuli": [(0, 2.0, 100.0, 0.5)],
    "edges": [(0, 0.002, 1.0)],
}

EVENTS_DELAYS = {
    "name": "events_delays",
    "t_max": 30.0,
    "n_cells": 3,
    "post": 2,
    "synapse": {"kind": "ExpSyn", "tau": 2.0, "e": 0.0},
    "stimuli": [(0, 2.0, 100.0, 0.5), (1, 4.0, 100.0, 0.3)],
    # delay 0 (same-step arrival) and a long delay from a second source
    "edges": [(0, 0.0012, 0.0), (1, 0.0015, 2.5)],
}

EVENT_CASES = {c["name"]: c for c in (EVENTS_EXP, EVENTS_EXP2, EVENTS_DELAYS)}


def build(case, h):
    """NEURON objects for a case (a dict that keeps them alive)."""
    soma = cases.HH_SOMA["sections"][0]
    secs = []
    for i in range(case["n_cells"]):
        sec = h.Section(name=f"{case['name']}_cell{i}")
        sec.nseg = 1
        sec.L, sec.diam = soma["L"], soma["diam"]
        sec.Ra, sec.cm = soma["Ra"], soma["cm"]
        sec.insert("hh")
        seg = sec(0.5)
        seg.hh.gnabar = cases.HH["gnabar"]
        seg.hh.gkbar = cases.HH["gkbar"]
        seg.hh.gl = cases.HH["gl"]
        seg.hh.el = cases.HH["el"]
        secs.append(sec)
    stims = []
    for cell, delay, dur, amp in case["stimuli"]:
        ic = h.IClamp(secs[cell](0.5))
        ic.delay, ic.dur, ic.amp = delay, dur, amp
        stims.append(ic)
    spec = case["synapse"]
    post = secs[case["post"]](0.5)
    if spec["kind"] == "ExpSyn":
        syn = h.ExpSyn(post)
        syn.tau, syn.e = spec["tau"], spec["e"]
    else:
        syn = h.Exp2Syn(post)
        syn.tau1, syn.tau2, syn.e = spec["tau1"], spec["tau2"], spec["e"]
    netcons = []
    for pre, weight, delay in case["edges"]:
        nc = h.NetCon(secs[pre](0.5)._ref_v, syn, sec=secs[pre])
        nc.threshold, nc.delay, nc.weight[0] = THRESHOLD, delay, weight
        netcons.append(nc)
    # One spike recorder per cell (NetCons sharing a source share its PreSyn,
    # hence its threshold; a separate detector keeps this explicit).
    spike_vecs, detectors = [], []
    for sec in secs:
        nc = h.NetCon(sec(0.5)._ref_v, None, sec=sec)
        nc.threshold = THRESHOLD
        vec = h.Vector()
        nc.record(vec)
        detectors.append(nc)
        spike_vecs.append(vec)
    return {
        "secs": secs,
        "stims": stims,
        "syn": syn,
        "netcons": netcons,
        "detectors": detectors,
        "spike_vecs": spike_vecs,
    }


def run(model, case, secondorder, h):
    h.cvode_active(0)
    h.secondorder = secondorder
    h.dt = cases.DT
    h.celsius = cases.CELSIUS
    h.usetable_hh = 0
    syn = model["syn"]
    exp2 = case["synapse"]["kind"] == "Exp2Syn"
    t_vec = h.Vector().record(h._ref_t)
    v_vec = h.Vector().record(model["secs"][case["post"]](0.5)._ref_v)
    names = ("A", "B", "i") if exp2 else ("g", "i")
    state_vecs = {k: h.Vector().record(getattr(syn, f"_ref_{k}")) for k in names}
    h.finitialize(cases.V_INIT)
    n = int(round(case["t_max"] / cases.DT))
    for _ in range(n):
        h.fadvance()

    t = np.array(t_vec, dtype=np.float64)
    assert t.shape == (n + 1,)
    assert np.abs(t - cases.DT * np.arange(n + 1)).max() < 1e-9
    out = {"v": np.array(v_vec, dtype=np.float64)}
    out.update({k: np.array(vec, dtype=np.float64) for k, vec in state_vecs.items()})
    times, cells = [], []
    for c, vec in enumerate(model["spike_vecs"]):
        times.extend(vec)
        cells.extend([c] * len(vec))
    order = np.lexsort((cells, times))
    out["spike_t"] = np.asarray(times, np.float64)[order]
    out["spike_cell"] = np.asarray(cells, np.int64)[order]
    _check_semantics(case, out, exp2syn_factor(case["synapse"]) if exp2 else 1.0)
    return out


def exp2syn_factor(spec):
    """Exp2Syn's `factor` (computed in its INITIAL block, not readable from
    Python): a weight-1 event peaks at conductance 1. The semantics check in
    run() confirms it against the recorded jumps."""
    tau1, tau2 = spec["tau1"], spec["tau2"]
    tau1 = min(max(tau1, 1e-9 * tau2), 0.9999 * tau2)
    tp = (tau1 * tau2) / (tau2 - tau1) * np.log(tau2 / tau1)
    return 1.0 / (-np.exp(-tp / tau1) + np.exp(-tp / tau2))


def _check_semantics(case, out, factor):
    """The event semantics described in the module docstring, on this run."""
    dt = cases.DT
    # spike times are step ends plus teps = 1e-10 ms
    k = np.round(out["spike_t"] / dt)
    assert np.abs(out["spike_t"] - (k * dt + 1e-10)).max() < 1e-9
    # the synaptic state jumps first in the sample after the arrival time, by
    # the weight decayed over one step
    spec = case["synapse"]
    key, tau = ("B", spec["tau2"]) if spec["kind"] == "Exp2Syn" else ("g", spec["tau"])
    x = out[key]
    decay = np.exp(-dt / tau)
    jump = x[1:] - x[:-1] * decay  # input between samples i and i+1
    expected = np.zeros_like(jump)
    for pre, weight, delay in case["edges"]:
        for s in out["spike_t"][out["spike_cell"] == pre]:
            i = int(round((s + delay) / dt))  # arrival sample
            if i < len(jump):
                expected[i] += weight * factor * decay
    assert np.abs(jump - expected).max() < 1e-12, np.abs(jump - expected).max()


def main():
    from neuron import h

    os.makedirs(OUT_DIR, exist_ok=True)
    h.load_file("stdrun.hoc")
    version = str(h.nrnversion())
    for name, case in EVENT_CASES.items():
        model = build(case, h)
        exp2 = case["synapse"]["kind"] == "Exp2Syn"
        edges = case["edges"]
        out = {
            "dt": np.float64(cases.DT),
            "celsius": np.float64(cases.CELSIUS),
            "v_init": np.float64(cases.V_INIT),
            "threshold": np.float64(THRESHOLD),
            "t_max": np.float64(case["t_max"]),
            "factor": np.float64(exp2syn_factor(case["synapse"]) if exp2 else 1.0),
            "edge_pre": np.array([e[0] for e in edges], dtype=np.int64),
            "edge_weight": np.array([e[1] for e in edges], dtype=np.float64),
            "edge_delay": np.array([e[2] for e in edges], dtype=np.float64),
            "neuron_version": np.array(version),
        }
        msg = []
        for meth, so in cases.METHODS.items():
            res = run(model, case, so, h)
            for key, value in res.items():
                out[f"{key}_{meth}"] = value
            per_cell = np.bincount(res["spike_cell"], minlength=case["n_cells"])
            msg.append(f"{meth}: spikes per cell {per_cell.tolist()}")
        path = os.path.join(OUT_DIR, f"{name}.npz")
        np.savez_compressed(path, **out)
        size = os.path.getsize(path) / 1024
        rel = os.path.relpath(path, REPO_ROOT)
        print(f"{name:14s} {', '.join(msg)}  -> {rel} ({size:.0f} kB)")
        model.clear()
        del model


if __name__ == "__main__":
    main()
