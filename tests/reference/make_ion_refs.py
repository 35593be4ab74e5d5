"""NEURON references for the channel library and Ca pools (tests/test_ion_channels.py).

Run from the repository root (needs NEURON with nrnivmodl and a C compiler):

    python tests/reference/make_ion_refs.py

Compiles its .mod files in tests/reference/mod/ (MOD_FILES) (written from the papers'
equations, see each file's COMMENT) with nrnivmodl in a temporary directory
(nothing compiled is left in the repository), then runs every case of CASES
twice, h.secondorder = 0 ("ie") and 2 ("cn"), and writes
tests/reference/data/<case>.npz. The case descriptions are plain constants,
imported by the tests (NEURON is imported only here, in main()).

Each case is one cylindrical compartment (nseg = 1) with the listed NEURON
mechanisms and parameters, fixed na/k reversals (`ena`, `ek`: no na or k pool),
NEURON's default Ca concentrations (cai0 = 5e-5, cao0 = 2 mM) and one or more
IClamps, at the case's `celsius`, from `v_init`, at DT.

NEURON facts this relies on, asserted below on every run:

* A mechanism that WRITEs cai (cadms, cadexp) makes NEURON compute eca from
  cai and cao by Nernst at the start of every step (the ca ion's style);
  eca is recorded and checked against Nernst of the recorded cai.
* States advance mechanism by mechanism in registration order, which is the
  order of the _*_reg() calls in nrnivmodl's mod_func.cpp: the .mod files in
  sorted name order. The pools (cad*.mod) come before the channels that read
  cai (kbk, kca_ms), so those read the pool's new cai, as dendrax does.

Stored arrays (float64), T = round(t_max / DT) + 1 samples at t = i * DT:
    t                          (T,)
    v_ie, v_cn                 (T,)  membrane potential (mV)
    cai_ie, cai_cn             (T,)  cai (mM)            [cases with a pool]
    <mech>_<i>_ie              (T,)  a mechanism's ion current (mA/cm²), as
                                     NEURON records it: computed at the start
                                     of the step ending at t (or at t = 0)
    dt, celsius, v_init, t_max scalars
    neuron_version             string array
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT_DIR = os.path.join(HERE, "data")
MOD_DIR = os.path.join(HERE, "mod")

DT = 0.025  # ms
METHODS = {"ie": 0, "cn": 2}  # name -> NEURON h.secondorder

# Pospischil et al. 2008's regular-spiking cell (their Table 1, "RS").
_RS = {
    "napos": {"gnabar": 0.056, "vtraub": -56.2},
    "kdpos": {"gkbar": 0.006, "vtraub": -56.2},
}

CASES = {
    "ions_pospischil_rs": {
        "L": 61.4,
        "diam": 61.4,
        "celsius": 36.0,
        "v_init": -70.3,
        "ena": 50.0,
        "ek": -90.0,
        "mechs": {
            **_RS,
            "kmpos": {"gkbar": 7.5e-5, "taumax": 608.0},
            "pas": {"g": 2.05e-5, "e": -70.3},
        },
        "stimuli": [(10.0, 80.0, 0.3)],
        "t_max": 100.0,
        "currents": [("napos", "ina"), ("kmpos", "ik")],
    },
    # Intrinsically bursting (IB): with the L-type Ca current.
    "ions_pospischil_ib": {
        "L": 96.0,
        "diam": 96.0,
        "celsius": 36.0,
        "v_init": -70.0,
        "ena": 50.0,
        "ek": -90.0,
        "mechs": {
            "napos": {"gnabar": 0.05, "vtraub": -56.2},
            "kdpos": {"gkbar": 0.005, "vtraub": -56.2},
            "kmpos": {"gkbar": 3e-5, "taumax": 608.0},
            "calpos": {"gcabar": 2e-4},
            "pas": {"g": 1e-5, "e": -70.0},
        },
        "stimuli": [(10.0, 80.0, 0.6)],
        "t_max": 100.0,
        "currents": [("calpos", "ica"), ("kdpos", "ik")],
    },
    # Low-threshold spiking (LTS): T-type Ca (a rebound burst after a
    # hyperpolarising step), and a Ca pool with Destexhe's cadecay parameters
    # (depth 1 um, taur 5 ms, cainf 2.4e-4 mM) that the fixed-reversal T
    # current fills without feedback.
    "ions_pospischil_lts": {
        "L": 86.0,
        "diam": 86.0,
        "celsius": 36.0,
        "v_init": -54.0,
        "ena": 50.0,
        "ek": -90.0,
        "mechs": {
            "cadms": {"depth": 1.0, "taur": 5.0, "cainf": 2.4e-4},
            "napos": {"gnabar": 0.05, "vtraub": -50.0},
            "kdpos": {"gkbar": 0.004, "vtraub": -50.0},
            "kmpos": {"gkbar": 2.8e-5, "taumax": 4000.0},
            "catpos": {"gcabar": 4e-4, "vx": -7.0},
            "pas": {"g": 1.9e-5, "e": -50.0},
        },
        "stimuli": [(10.0, 40.0, -0.3), (75.0, 15.0, 0.2)],
        "t_max": 100.0,
        "currents": [("catpos", "ica"), ("napos", "ina")],
        "pool": "cadms",
    },
    # Mainen & Sejnowski 1996: their soma's channel set with the Ca pool; cad
    # drives eca (Nernst) and kca.
    "ions_mainen": {
        "L": 20.0,
        "diam": 20.0,
        "celsius": 37.0,
        "v_init": -70.0,
        "ena": 60.0,
        "ek": -90.0,
        "mechs": {
            "cams": {"gbar": 3.0},
            "cadms": {"depth": 0.1, "taur": 200.0, "cainf": 1e-4},
            "kcams": {"gbar": 3.0},
            "kmms": {"gbar": 0.5},
            "kvms": {"gbar": 300.0},
            "nams": {"gbar": 500.0},
            "pas": {"g": 1.0 / 30000.0, "e": -70.0},
        },
        "stimuli": [(10.0, 80.0, 0.1)],
        "t_max": 100.0,
        "currents": [("cams", "ica"), ("kcams", "ik")],
        "pool": "cadms",
    },
    # BK (Moczydlowski & Latorre 1983) driven by a Ca pool integrated by
    # cnexp, filled by Mainen's HVA Ca channel (reads the pool's eca).
    "ions_bk": {
        "L": 20.0,
        "diam": 20.0,
        "celsius": 34.0,
        "v_init": -70.0,
        "ena": 50.0,
        "ek": -90.0,
        "mechs": {
            "cams": {"gbar": 2.0},
            "cadexp": {"depth": 0.1, "taur": 50.0, "cainf": 1e-4},
            "kbk": {"gkbar": 0.01},
            **_RS,
            "pas": {"g": 5e-5, "e": -70.0},
        },
        "stimuli": [(10.0, 80.0, 0.1)],
        "t_max": 100.0,
        "currents": [("kbk", "ik"), ("cams", "ica")],
        "pool": "cadexp",
    },
    # Ih (Kole et al. 2006): sag under a hyperpolarising step, then spikes.
    "ions_ih": {
        "L": 30.0,
        "diam": 30.0,
        "celsius": 34.0,
        "v_init": -70.0,
        "ena": 50.0,
        "ek": -90.0,
        "mechs": {
            "ihkole": {"gbar": 1e-3, "ehcn": -45.0},
            **_RS,
            "pas": {"g": 3e-5, "e": -70.0},
        },
        "stimuli": [(10.0, 50.0, -0.1), (70.0, 25.0, 0.15)],
        "t_max": 100.0,
        "currents": [("ihkole", "ihcn")],
    },
}

# Which mechanisms read the pool's cai in their state update (must be
# registered after the pools).
CAI_READERS = ("kcams", "kbk")
POOLS = ("cadms", "cadexp")
# This script's .mod files in tests/reference/mod (other scripts keep theirs there).
MOD_FILES = (
    "ca_hva_ms",
    "cad_ms",
    "cadexp",
    "cal_pos",
    "cat_pos",
    "ih_kole",
    "kbk",
    "kca_ms",
    "kd_pos",
    "km_ms",
    "km_pos",
    "kv_ms",
    "na_ms",
    "na_pos",
)


def n_steps(case):
    return int(round(case["t_max"] / DT))


def compile_mechanisms(build_dir):
    """nrnivmodl on copies of MOD_FILES; returns (library, registration order)."""
    for f in MOD_FILES:
        shutil.copy(os.path.join(MOD_DIR, f"{f}.mod"), build_dir)
    nrnivmodl = shutil.which("nrnivmodl") or os.path.join(
        os.path.dirname(sys.executable), "nrnivmodl"
    )
    subprocess.run([nrnivmodl], cwd=build_dir, check=True, capture_output=True)
    arch = [
        d for d in os.listdir(build_dir) if os.path.isdir(os.path.join(build_dir, d))
    ]
    for d in arch:
        lib = os.path.join(build_dir, d, "libnrnmech.so")
        if os.path.exists(lib):
            with open(os.path.join(build_dir, d, "mod_func.cpp")) as f:
                calls = re.findall(r"^\s*_(\w+)_reg\(\);", f.read(), re.M)
            return lib, calls
    raise RuntimeError(f"nrnivmodl built no libnrnmech.so in {build_dir}")


def suffixes():
    """SUFFIX of every .mod file, by file stem."""
    out = {}
    for f in MOD_FILES:
        with open(os.path.join(MOD_DIR, f"{f}.mod")) as fh:
            out[f] = re.search(r"SUFFIX\s+(\w+)", fh.read()).group(1)
    return out


def build(h, case):
    sec = h.Section(name="soma")
    sec.nseg = 1
    sec.L, sec.diam, sec.cm, sec.Ra = case["L"], case["diam"], 1.0, 100.0
    seg = sec(0.5)
    for mech, params in case["mechs"].items():
        sec.insert(mech)
        for k, x in params.items():
            setattr(getattr(seg, mech), k, x)
    sec.ena, sec.ek = case["ena"], case["ek"]
    stims = []
    for delay, dur, amp in case["stimuli"]:
        ic = h.IClamp(seg)
        ic.delay, ic.dur, ic.amp = delay, dur, amp
        stims.append(ic)
    return sec, stims


def run(h, case, secondorder):
    sec, stims = build(h, case)
    seg = sec(0.5)
    h.cvode_active(0)
    h.secondorder = secondorder
    h.dt = DT
    h.celsius = case["celsius"]
    rec = {"t": h.Vector().record(h._ref_t), "v": h.Vector().record(seg._ref_v)}
    if "pool" in case:
        rec["cai"] = h.Vector().record(seg._ref_cai)
        rec["eca"] = h.Vector().record(seg._ref_eca)
    for mech, name in case["currents"]:
        ref = getattr(getattr(seg, mech), f"_ref_{name}")
        rec[f"{mech}_{name}"] = h.Vector().record(ref)
    h.finitialize(case["v_init"])
    assert abs(seg.ena - case["ena"]) < 1e-12 and abs(seg.ek - case["ek"]) < 1e-12
    for _ in range(n_steps(case)):
        h.fadvance()
    out = {k: np.array(x, dtype=np.float64) for k, x in rec.items()}
    assert out["t"].shape == (n_steps(case) + 1,)
    assert abs(out["t"][-1] - case["t_max"]) < 1e-6
    if "pool" in case:
        # NEURON's eca recorded at t is Nernst of cai at the start of the step
        # ending at t (at t - dt; after finitialize, of the initial cai).
        ktf = 1e3 * 8.3144626181532395 * (case["celsius"] + 273.15) / 96485.33212331001
        nernst = ktf / 2 * np.log(2.0 / out["cai"])
        assert abs(out["eca"][0] - nernst[0]) < 1e-9, "eca(0) is not Nernst(cai)"
        err = np.abs(out["eca"][1:] - nernst[:-1]).max()
        assert err < 1e-9, f"eca is not Nernst(cai) at the step's start: {err}"
    del stims, sec
    return out


def spikes(v, thresh=0.0):
    return int(np.sum((v[:-1] < thresh) & (v[1:] >= thresh)))


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    build_dir = tempfile.mkdtemp(prefix="dendrax_mod_")
    try:
        lib, order = compile_mechanisms(build_dir)
        from neuron import h

        h.nrn_load_dll(lib)
        h.load_file("stdrun.hoc")
        version = str(h.nrnversion())
        suffix = suffixes()
        registered = [suffix[stem] for stem in order]
        print("registration (state update) order:", " ".join(registered))
        for pool in POOLS:
            for reader in CAI_READERS:
                assert registered.index(pool) < registered.index(reader), (
                    pool,
                    reader,
                )
        for name, case in CASES.items():
            out = {
                "dt": np.float64(DT),
                "celsius": np.float64(case["celsius"]),
                "v_init": np.float64(case["v_init"]),
                "t_max": np.float64(case["t_max"]),
                "neuron_version": np.array(version),
            }
            msg = []
            for meth, so in METHODS.items():
                r = run(h, case, so)
                out["t"] = r.pop("t")
                out[f"v_{meth}"] = r.pop("v")
                if "cai" in r:
                    out[f"cai_{meth}"] = r.pop("cai")
                    r.pop("eca")  # checked in run(); Nernst of cai
                for k, x in r.items():
                    if meth == "ie":
                        out[f"{k}_ie"] = x
                extra = (
                    f", cai max {out[f'cai_{meth}'].max():.3g}"
                    if "pool" in case
                    else ""
                )
                msg.append(f"{meth}: {spikes(out[f'v_{meth}'])} spikes{extra}")
            path = os.path.join(OUT_DIR, f"{name}.npz")
            np.savez_compressed(path, **out)
            size = os.path.getsize(path) / 1024
            print(f"{name:22s} {'; '.join(msg)}  -> {path} ({size:.0f} kB)")
    finally:
        shutil.rmtree(build_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
