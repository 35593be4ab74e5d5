"""Build the reference cases in NEURON and store voltage traces.

Run from the repository root:

    python tests/reference/make_neuron_refs.py

Writes tests/reference/data/<case>.npz for every case in cases.CASES.  Each
case is simulated with NEURON's fixed-step method twice: h.secondorder = 0
(implicit Euler, "ie") and h.secondorder = 2 (Crank-Nicolson, "cn").
Does not depend on dendrax.

Stored arrays (float64 unless noted):
    t                (T,)        NEURON's recorded time, T = round(t_max/DT) + 1
    v_ie, v_cn       (T, n_rec)  membrane potential at cases.<CASE>["record"]
    i_ie, i_cn       (T,)        SEClamp current (clamp case only), nA
    ina_ie, ik_ie, il_ie (T,)    hh's currents at the first recorded segment
                                 (mA/cm², when it has hh; also _cn)
    istim_ie, istim_cn (T,)      the first IClamp's current, nA (if any)
    record           (n_rec, 2)  int, (section_index, segment_index)
    dt, celsius, v_init          scalars
    neuron_version               string array

SWC morphologies are imported by NEURON's own importer in
make_morphology_refs.py.
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
from neuron import h  # noqa: E402


def _seg_x(k, nseg):
    return (k + 0.5) / nseg


def _insert_mech(sec, mech):
    sec.insert(mech)
    for seg in sec:
        if mech == "hh":
            seg.hh.gnabar = cases.HH["gnabar"]
            seg.hh.gkbar = cases.HH["gkbar"]
            seg.hh.gl = cases.HH["gl"]
            seg.hh.el = cases.HH["el"]
        elif mech == "pas":
            seg.pas.g = cases.PAS["g"]
            seg.pas.e = cases.PAS["e"]
        else:
            raise ValueError(mech)


def build(case):
    """Create NEURON objects for a case. Returns a dict keeping them alive."""
    specs = case["sections"]

    secs = []
    for spec in specs:
        sec = h.Section(name=spec["name"])
        sec.nseg = spec["nseg"]
        sec.L = spec["L"]
        sec.Ra = spec["Ra"]
        sec.cm = spec["cm"]
        diam = spec["diam"]
        if np.ndim(diam) == 0:
            sec.diam = diam
        else:
            assert len(diam) == sec.nseg
            for k, d in enumerate(diam):
                sec(_seg_x(k, sec.nseg)).diam = d
        _insert_mech(sec, spec["mech"])
        if spec["parent"] >= 0:
            sec.connect(secs[spec["parent"]](spec["attach"]), 0)
        secs.append(sec)

    def seg(loc):
        si, k = loc
        return secs[si](_seg_x(k, secs[si].nseg))

    stims = []
    for si, k, delay, dur, amp in case["stimuli"]:
        ic = h.IClamp(seg((si, k)))
        ic.delay, ic.dur, ic.amp = delay, dur, amp
        stims.append(ic)

    vc = None
    if "seclamp" in case:
        c = case["seclamp"]
        vc = h.SEClamp(seg(c["loc"]))
        vc.rs = c["rs"]
        vc.dur1, vc.dur2, vc.dur3 = c["dur"]
        vc.amp1, vc.amp2, vc.amp3 = c["amp"]

    return {"secs": secs, "seg": seg, "stims": stims, "seclamp": vc}


def run(model, case, secondorder):
    h.cvode_active(0)
    h.secondorder = secondorder
    h.dt = cases.DT
    h.celsius = cases.CELSIUS
    h.usetable_hh = 0

    t_vec = h.Vector().record(h._ref_t)
    v_vecs = [h.Vector().record(model["seg"](loc)._ref_v) for loc in case["record"]]
    i_vec = None
    if model["seclamp"] is not None:
        i_vec = h.Vector().record(model["seclamp"]._ref_i)
    first = model["seg"](case["record"][0])
    currents = {}
    if hasattr(first, "hh"):
        currents = {
            k: h.Vector().record(getattr(first, f"_ref_{k}")) for k in ("ina", "ik")
        }
        currents["il"] = h.Vector().record(first.hh._ref_il)
    if model["stims"]:
        currents["istim"] = h.Vector().record(model["stims"][0]._ref_i)

    h.finitialize(cases.V_INIT)
    # sanity: mechanism/ion parameters as described in cases.py
    for sec in model["secs"]:
        for seg in sec:
            if hasattr(seg, "hh"):
                assert abs(seg.ena - cases.HH["ena"]) < 1e-12, seg.ena
                assert abs(seg.ek - cases.HH["ek"]) < 1e-12, seg.ek
    n = cases.n_steps(case)
    for _ in range(n):
        h.fadvance()

    t = np.array(t_vec, dtype=np.float64)
    v = np.stack([np.array(x, dtype=np.float64) for x in v_vecs], axis=1)
    assert t.shape == (n + 1,), t.shape
    assert v.shape == (n + 1, len(case["record"]))
    assert abs(t[-1] - case["t_max"]) < 1e-6, t[-1]
    i = None if i_vec is None else np.array(i_vec, dtype=np.float64)
    currents = {k: np.array(x, dtype=np.float64) for k, x in currents.items()}
    return t, v, i, currents


def count_spikes(v, thresh=0.0):
    return int(np.sum((v[:-1] < thresh) & (v[1:] >= thresh)))


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    h.load_file("stdrun.hoc")
    version = str(h.nrnversion())
    for name, case in cases.CASES.items():
        model = build(case)
        out = {
            "record": np.array(case["record"], dtype=np.int64).reshape(-1, 2),
            "dt": np.float64(cases.DT),
            "celsius": np.float64(cases.CELSIUS),
            "v_init": np.float64(cases.V_INIT),
            "neuron_version": np.array(version),
        }
        msg = []
        t_ref = None
        for meth, so in cases.METHODS.items():
            t, v, i, currents = run(model, case, so)
            if t_ref is None:
                t_ref = t
            else:
                assert np.array_equal(t, t_ref)
            out[f"v_{meth}"] = v
            if i is not None:
                out[f"i_{meth}"] = i
            for k, x in currents.items():
                out[f"{k}_{meth}"] = x
            msg.append(f"{meth}: {count_spikes(v[:, 0])} spikes")
        out["t"] = t_ref
        path = os.path.join(OUT_DIR, f"{name}.npz")
        np.savez_compressed(path, **out)
        print(f"{name:16s} {', '.join(msg)}  -> {os.path.relpath(path, REPO_ROOT)}")
        # drop NEURON objects before building the next case
        model.clear()
        del model


if __name__ == "__main__":
    main()
