"""Gap junctions in NEURON: two cells coupled implicitly (LinearMechanism) and
explicitly (two half gaps with POINTERs, mod/gap_halfgap.mod).

Run from the repository root (needs NEURON with nrnivmodl and a C compiler):

    python tests/reference/make_gap_refs.py

Writes tests/reference/data/<case>.npz for every case in CASES. Each case is
two cells (NEURON sections described as in cases.py: sections in creation
order, `parent` an index into the cell's list, `attach` the x on the parent)
with junctions between segments, run at DT. A junction of conductance g (µS)
between segments a and b is

* implicit: one LinearMechanism over the two segments, `g y = b` with
  `g = [[k_a, -k_a], [-k_b, k_b]]`, `k = 100 g / area` (S/cm²; the rows are
  added to the segments' current balance equations, in mA/cm², outward
  positive), `y` the two membrane potentials, `b = 0`; NEURON then solves the
  whole system, cables and junctions, with its general sparse solver: exact.
  NEURON refuses LinearMechanism with Crank–Nicolson ("NrnDAEs only work with
  secondorder==0"), so these runs are implicit Euler only (h.secondorder = 0);
* explicit: one GapHalfExplicit point process in each segment, `vgap`
  pointing at the other segment's v (NEURON's HalfGap idiom), run with
  h.secondorder = 0 ("ie") and 2 ("cn").

Does not depend on dendrax. Stored arrays (float64):
    t                      (T,)        recorded times, T = round(t_max/DT) + 1
    v_ie                   (T, n_rec)  implicit junctions, at CASES[...]["record"]
    v_half_ie, v_half_cn   (T, n_rec)  explicit half gaps (absent where they
                                       diverge: gap_dendrites with cn)
    dt, celsius, v_init    scalars;  neuron_version  string array
"""

import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
OUT_DIR = os.path.join(HERE, "data")
MOD_DIR = os.path.join(HERE, "mod")

import cases  # noqa: E402

DT, CELSIUS, V_INIT = cases.DT, cases.CELSIUS, cases.V_INIT


def _section(name, parent, attach, L, diam, nseg, mech):
    return dict(
        name=name, parent=parent, attach=attach, L=L, diam=diam, nseg=nseg,
        Ra=35.4, cm=1.0, mech=mech,
    )  # fmt: skip


SOMA = [_section("soma", -1, None, 20.0, 20.0, 1, "hh")]
# A passive cell: soma and two dendrites at soma(1).
PASSIVE = [
    _section("soma", -1, None, 15.0, 15.0, 1, "pas"),
    _section("dend1", 0, 1.0, 200.0, 2.0, 5, "pas"),
    _section("dend2", 0, 1.0, 150.0, 1.5, 4, "pas"),
]
# An HH cell: HH soma and an HH dendrite attached at the soma's middle.
ACTIVE = [
    _section("soma", -1, None, 20.0, 20.0, 1, "hh"),
    _section("dend", 0, 0.5, 120.0, 2.0, 4, "hh"),
]

# Locations are (cell, section, segment); a junction is (location, location,
# g in µS); a stimulus (cell, section, segment, delay, dur, amp in nA).
CASES = {
    # Two HH somata, strongly coupled (C / g = 0.013 ms < dt): the regime where
    # an explicit junction fails.
    "gap_somata": dict(
        cells=[SOMA, SOMA],
        junctions=[((0, 0, 0), (1, 0, 0), 1.0)],
        stimuli=[(0, 0, 0, 2.0, 15.0, 0.6)],
        record=[(0, 0, 0), (1, 0, 0)],
        t_max=20.0,
    ),
    # The same somata weakly coupled (20 nS): the second cell follows with a
    # delay.
    "gap_somata_weak": dict(
        cells=[SOMA, SOMA],
        junctions=[((0, 0, 0), (1, 0, 0), 0.02)],
        stimuli=[(0, 0, 0, 2.0, 15.0, 0.3)],
        record=[(0, 0, 0), (1, 0, 0)],
        t_max=20.0,
    ),
    # A passive cell and an HH cell joined between dendrites (non-root
    # compartments), plus a junction within the passive cell between its two
    # dendrites; current into the HH soma.
    "gap_dendrites": dict(
        cells=[PASSIVE, ACTIVE],
        junctions=[((0, 1, 3), (1, 1, 2), 0.05), ((0, 1, 4), (0, 2, 3), 0.2)],
        stimuli=[(1, 0, 0, 2.0, 15.0, 0.4)],
        record=[(0, 0, 0), (0, 1, 3), (0, 2, 3), (1, 0, 0), (1, 1, 2)],
        t_max=20.0,
    ),
}


def n_steps(case):
    return int(round(case["t_max"] / DT))


def _x(k, nseg):
    return (k + 0.5) / nseg


def _build_cell(h, specs, tag):
    secs = []
    for spec in specs:
        sec = h.Section(name=f"{tag}_{spec['name']}")
        sec.nseg, sec.L, sec.diam = spec["nseg"], spec["L"], spec["diam"]
        sec.Ra, sec.cm = spec["Ra"], spec["cm"]
        sec.insert(spec["mech"])
        for seg in sec:
            if spec["mech"] == "hh":
                seg.hh.gnabar, seg.hh.gkbar = cases.HH["gnabar"], cases.HH["gkbar"]
                seg.hh.gl, seg.hh.el = cases.HH["gl"], cases.HH["el"]
            else:
                seg.pas.g, seg.pas.e = cases.PAS["g"], cases.PAS["e"]
        if spec["parent"] >= 0:
            sec.connect(secs[spec["parent"]](spec["attach"]), 0)
        secs.append(sec)
    return secs


def build(h, case, explicit):
    cells = [_build_cell(h, c, f"c{i}") for i, c in enumerate(case["cells"])]

    def seg(loc):
        c, s, k = loc
        sec = cells[c][s]
        return sec, _x(k, sec.nseg)

    keep = []
    for a, b, g in case["junctions"]:
        (sa, xa), (sb, xb) = seg(a), seg(b)
        if explicit:
            for (s1, x1), (s2, x2) in (((sa, xa), (sb, xb)), ((sb, xb), (sa, xa))):
                half = h.GapHalfExplicit(s1(x1))
                half.g = g
                half._ref_vgap = s2(x2)._ref_v
                keep.append(half)
            continue
        ka, kb = 100.0 * g / sa(xa).area(), 100.0 * g / sb(xb).area()
        gm = h.Matrix(2, 2)
        gm.setval(0, 0, ka)
        gm.setval(0, 1, -ka)
        gm.setval(1, 0, -kb)
        gm.setval(1, 1, kb)
        cm = h.Matrix(2, 2, 2)  # sparse, empty: no capacitance of its own
        y, rhs = h.Vector(2), h.Vector(2)
        sl = h.SectionList()
        sl.append(sec=sa)
        sl.append(sec=sb)
        xvec = h.Vector([xa, xb])
        keep.append(
            (gm, cm, y, rhs, sl, xvec, h.LinearMechanism(cm, gm, y, rhs, sl, xvec))
        )
    stims = []
    for c, s, k, delay, dur, amp in case["stimuli"]:
        sec, x = seg((c, s, k))
        ic = h.IClamp(sec(x))
        ic.delay, ic.dur, ic.amp = delay, dur, amp
        stims.append(ic)
    return dict(cells=cells, seg=seg, keep=keep, stims=stims)


def run(h, case, explicit, secondorder):
    model = build(h, case, explicit)
    h.cvode_active(0)
    h.secondorder = secondorder
    h.dt = DT
    h.celsius = CELSIUS
    h.usetable_hh = 0
    t_vec = h.Vector().record(h._ref_t)
    vecs = []
    for loc in case["record"]:
        sec, x = model["seg"](loc)
        vecs.append(h.Vector().record(sec(x)._ref_v))
    h.finitialize(V_INIT)
    for _ in range(n_steps(case)):
        h.fadvance()
    t = np.array(t_vec)
    v = np.stack([np.array(x) for x in vecs], axis=1)
    assert t.shape == (n_steps(case) + 1,) and abs(t[-1] - case["t_max"]) < 1e-6
    return t, v


def compile_mechanisms(build_dir):
    """nrnivmodl on the gap_*.mod files; returns the library's path."""
    for f in sorted(os.listdir(MOD_DIR)):
        if f.startswith("gap_") and f.endswith(".mod"):
            shutil.copy(os.path.join(MOD_DIR, f), build_dir)
    nrnivmodl = shutil.which("nrnivmodl") or os.path.join(
        os.path.dirname(sys.executable), "nrnivmodl"
    )
    subprocess.run([nrnivmodl], cwd=build_dir, check=True, stdout=subprocess.DEVNULL)
    for d in os.listdir(build_dir):
        lib = os.path.join(build_dir, d, "libnrnmech.so")
        if os.path.exists(lib):
            return lib
    raise RuntimeError(f"nrnivmodl built no libnrnmech.so in {build_dir}")


def main():
    from neuron import h

    build_dir = tempfile.mkdtemp(prefix="dendrax_gap_")
    try:
        h.nrn_load_dll(compile_mechanisms(build_dir))
    finally:
        shutil.rmtree(build_dir, ignore_errors=True)
    h.load_file("stdrun.hoc")
    os.makedirs(OUT_DIR, exist_ok=True)
    for name, case in CASES.items():
        out = dict(
            dt=np.float64(DT),
            celsius=np.float64(CELSIUS),
            v_init=np.float64(V_INIT),
            neuron_version=np.array(str(h.nrnversion())),
        )
        msg = []
        out["t"], out["v_ie"] = run(h, case, False, 0)
        for meth, so in cases.METHODS.items():
            _, v_half = run(h, case, True, so)
            if np.abs(v_half).max() > 1e3:  # the explicit form diverged
                msg.append(f"explicit half gaps ({meth}) diverge, not stored")
                continue
            out[f"v_half_{meth}"] = v_half
        err = np.abs(out["v_half_ie"] - out["v_ie"]).max()
        msg.append(f"explicit half gaps (ie) off by max {err:.3g} mV")
        path = os.path.join(OUT_DIR, f"{name}.npz")
        np.savez_compressed(path, **out)
        print(f"{name:16s} {'; '.join(msg)} -> {os.path.relpath(path)}")


if __name__ == "__main__":
    main()
