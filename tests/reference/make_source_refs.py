"""NEURON reference for given spike times: NetStim events -> NetCon -> ExpSyn.

Run from the repository root:

    python tests/reference/make_source_refs.py

Writes tests/reference/data/vecstim.npz. Two sources play the spike times
of CASE (on and off the time grid)
through NetCons with their own delays and weights into one ExpSyn. VecStim
(vecevent.mod) is not compiled into the neuron wheel, so each spike is a
NetStim with number = 1, start = its time, noise = 0 (it emits one event at
exactly `start`, as VecStim would), with one NetCon per edge and spike on the HH
soma of cases.HH_SOMA (cases.HH parameters, exact rates, cases.CELSIUS,
cases.V_INIT), fixed step cases.DT, h.secondorder 0 ("ie") and 2 ("cn").
Stored: dt, t_max, the case, and per method the soma's v and the synapse's g
(T = round(t_max / dt) + 1 samples). tests/test_sources.py plays the same
times with dx.SpikeTimes into dx.synapses.Exp.
"""

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cases  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "data", "vecstim.npz")

CASE = {
    "t_max": 30.0,
    # spike times (ms) per source: on the grid, and off it (no time exactly
    # halfway between step ends: there NEURON's choice of step depends on the
    # round-off of its accumulated t)
    "times": [[2.0, 5.0, 5.025, 12.5, 21.0], [3.01, 3.02, 7.337, 15.2, 22.49]],
    "tau": 2.0,
    "e": 0.0,
    # (source, weight uS, delay ms)
    "edges": [(0, 0.004, 0.0), (0, 0.002, 1.0), (1, 0.006, 0.5)],
}


def main():
    from neuron import h

    h.load_file("stdrun.hoc")
    soma = cases.HH_SOMA["sections"][0]
    sec = h.Section(name="post")
    sec.nseg = 1
    sec.L, sec.diam, sec.Ra, sec.cm = soma["L"], soma["diam"], soma["Ra"], soma["cm"]
    sec.insert("hh")
    seg = sec(0.5)
    seg.hh.gnabar, seg.hh.gkbar = cases.HH["gnabar"], cases.HH["gkbar"]
    seg.hh.gl, seg.hh.el = cases.HH["gl"], cases.HH["el"]
    syn = h.ExpSyn(seg)
    syn.tau, syn.e = CASE["tau"], CASE["e"]
    stims, netcons = [], []
    for src, weight, delay in CASE["edges"]:
        for t in CASE["times"][src]:
            stim = h.NetStim()
            stim.number, stim.start, stim.noise, stim.interval = 1, t, 0, 1e9
            nc = h.NetCon(stim, syn)
            nc.weight[0], nc.delay = weight, delay
            stims.append(stim)
            netcons.append(nc)
    out = {
        "dt": np.float64(cases.DT),
        "t_max": np.float64(CASE["t_max"]),
        "neuron_version": np.array(str(h.nrnversion())),
    }
    n = int(round(CASE["t_max"] / cases.DT))
    for meth, so in cases.METHODS.items():
        h.cvode_active(0)
        h.secondorder = so
        h.dt = cases.DT
        h.celsius = cases.CELSIUS
        h.usetable_hh = 0
        v = h.Vector().record(seg._ref_v)
        g = h.Vector().record(syn._ref_g)
        h.finitialize(cases.V_INIT)
        for _ in range(n):
            h.fadvance()
        out[f"v_{meth}"] = np.array(v, np.float64)
        out[f"g_{meth}"] = np.array(g, np.float64)
        assert len(out[f"v_{meth}"]) == n + 1
    np.savez_compressed(OUT, **out)
    size = os.path.getsize(OUT) / 1024
    print(f"vecstim: peak v {out['v_ie'].max():.2f} mV -> "
          f"{os.path.relpath(OUT, REPO_ROOT)} ({size:.0f} kB)")  # fmt: skip


if __name__ == "__main__":
    main()
