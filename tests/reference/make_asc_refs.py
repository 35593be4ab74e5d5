"""Import Neurolucida ASC morphologies with NEURON's own importer and store
reference data for tests/test_morphio.py.

Run from the repository root:

    python tests/reference/make_asc_refs.py               # all cases
    python tests/reference/make_asc_refs.py --case NAME   # one (repeatable)
    python tests/reference/make_asc_refs.py --h5          # also rewrite the .h5
                                                          # test files (morphio)

For every case in CASES this builds the cell in a FRESH Python subprocess (the
hoc ``create`` statements of one import would clash with those of the next)
with

    h.load_file("stdrun.hoc"); h.load_file("import3d.hoc")
    r = h.Import3d_Neurolucida3(); r.input(path)
    i3d = h.Import3d_GUI(r, 0); i3d.instantiate(None)

sets nseg = NSEG, Ra = RA, cm = CM in every section, inserts ``hh``
(cases.HH, h.usetable_hh = 0, h.celsius = cases.CELSIUS) in the soma and
``pas`` (cases.PAS) everywhere else, puts an IClamp at soma(0.5) (STIM) and
runs NEURON's fixed-step method for T_MAX ms at cases.DT twice,
h.secondorder = 0 ("ie", implicit Euler) and 2 ("cn", Crank-Nicolson):
h.finitialize(cases.V_INIT), then round(T_MAX / DT) calls of h.fadvance().
The worker depends only on neuron and numpy (not on dendrax or morphio).

Writes tests/reference/data/asc_<case>.npz (np.savez_compressed).

Section order ("import order"): the order of ``i3d.swc.sections`` after
instantiate (sections removed by Import3d's chk_valid are no longer in that
list): the soma outline first, then each tree in file order, depth first.  The
NEURON section of an entry is ``getattr(h, name)[nameindex]`` with name soma,
axon, dend, apic for types 1, 2, 3, 4.  The script checks that this covers
every NEURON section exactly once.

Stored arrays (float64 unless noted; nsec sections, nsegtot = nsec * NSEG):
    section_names    (nsec,)      str, NEURON names, e.g. "soma[0]", "dend[3]"
    section_type     (nsec,)      int, 1 soma, 2 axon, 3 dendrite, 4 apical
    section_parent   (nsec,)      int, index of the parent section in the same
                                  order, -1 for the root
    section_parentx  (nsec,)      sec.parentseg().x (-1.0 for the root)
    pt3d             (N, 4)       x3d, y3d, z3d, diam3d of every 3-D point of
                                  every section, concatenated in section order
    pt3d_offsets     (nsec + 1,)  int, points of section i are
                                  pt3d[pt3d_offsets[i]:pt3d_offsets[i + 1]]
    nseg             ()           int, segments per section
    seg_area         (nsegtot,)   seg.area() (um^2), sections in section order,
                                  segment k = 0..nseg-1 within each
    seg_ri           (nsegtot,)   seg.ri() (MOhm), same order
    record           (n_rec, 2)   int, (section index, segment index): row 0
                                  the soma's middle segment (where the IClamp
                                  is), then the distal segment of every leaf
                                  section in section order
    t                (T,)         NEURON's time, T = round(T_MAX / DT) + 1
    v_ie, v_cn       (T, n_rec)   membrane potential (mV) at ``record``
    dt, celsius, v_init, ra, cm   scalars
    neuron_version                str (0-d)
"""

import argparse
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT_DIR = os.path.join(HERE, "data")
MORPH_DIR = os.path.join(REPO_ROOT, "tests", "data", "morphologies")

import cases  # noqa: E402

# name -> ASC file in tests/data/morphologies
CASES = {
    "contour_soma": "contour_soma.asc",
    "irregular_soma": "irregular_soma.asc",
}
# ASC files also written as HDF5 by morphio (--h5): name -> (asc, h5)
H5_FILES = {"contour_soma": ("contour_soma.asc", "contour_soma.h5")}

NSEG = 4
RA = 100.0  # Ohm*cm
CM = 1.0  # uF/cm^2
T_MAX = 10.0  # ms
STIM = {"x": 0.5, "delay": 1.0, "dur": 5.0, "amp": 0.5}  # soma(x); ms, ms, nA
TYPE_NAMES = {1: "soma", 2: "axon", 3: "dend", 4: "apic"}

# Lines NEURON prints on import when there is no X display.
_DISPLAY_NOISE = (
    "Warning: no DISPLAY environment variable.",
    "--No graphics will be displayed.",
)


def _import(h, path):
    r = h.Import3d_Neurolucida3()
    r.input(path)
    i3d = h.Import3d_GUI(r, 0)
    i3d.instantiate(None)
    isecs = [s for s in i3d.swc.sections if not s.is_subsidiary]
    secs = [getattr(h, TYPE_NAMES[int(s.type)])[int(s.nameindex)] for s in isecs]
    names = [sec.name() for sec in secs]
    if len(set(names)) != len(names) or sorted(names) != sorted(
        sec.name() for sec in h.allsec()
    ):
        raise AssertionError(f"import order does not cover the sections: {names}")
    return isecs, secs


def _topology(secs):
    index = {sec.name(): i for i, sec in enumerate(secs)}
    parent, parentx = [], []
    for sec in secs:
        ps = sec.parentseg()
        parent.append(-1 if ps is None else index[ps.sec.name()])
        parentx.append(-1.0 if ps is None else float(ps.x))
    parent = np.array(parent, dtype=np.int64)
    if np.flatnonzero(parent < 0).tolist() != [0]:
        raise AssertionError(f"the root section is not first: {parent}")
    return parent, np.array(parentx)


def _simulate(h, secs, record, secondorder):
    h.cvode_active(0)
    h.secondorder = secondorder
    h.dt = cases.DT
    h.celsius = cases.CELSIUS
    h.usetable_hh = 0
    t_vec = h.Vector().record(h._ref_t)
    v_vecs = [
        h.Vector().record(secs[i]((k + 0.5) / secs[i].nseg)._ref_v) for i, k in record
    ]
    h.finitialize(cases.V_INIT)
    n = int(round(T_MAX / cases.DT))
    for _ in range(n):
        h.fadvance()
    t = np.array(t_vec)
    v = np.stack([np.array(x) for x in v_vecs], axis=1)
    assert t.shape == (n + 1,) and abs(t[-1] - T_MAX) < 1e-9, t[-1]
    return t, v


def run_case(name):
    """Import, simulate and save one case (call in a fresh process)."""
    from neuron import h

    h.load_file("stdrun.hoc")
    h.load_file("import3d.hoc")
    path = os.path.join(MORPH_DIR, CASES[name])
    print(f"--- import of {CASES[name]} ---", flush=True)
    isecs, secs = _import(h, path)
    print("--- end of import ---", flush=True)
    parent, parentx = _topology(secs)
    types = np.array([int(s.type) for s in isecs], dtype=np.int64)
    for sec, t in zip(secs, types):
        sec.nseg = NSEG
        sec.Ra = RA
        sec.cm = CM
        if t == 1:
            sec.insert("hh")
            for seg in sec:
                seg.hh.gnabar = cases.HH["gnabar"]
                seg.hh.gkbar = cases.HH["gkbar"]
                seg.hh.gl = cases.HH["gl"]
                seg.hh.el = cases.HH["el"]
        else:
            sec.insert("pas")
            for seg in sec:
                seg.pas.g = cases.PAS["g"]
                seg.pas.e = cases.PAS["e"]
    pts, offsets = [], [0]
    for sec in secs:
        pts += [
            (sec.x3d(j), sec.y3d(j), sec.z3d(j), sec.diam3d(j))
            for j in range(sec.n3d())
        ]
        offsets.append(len(pts))
    segs = [seg for sec in secs for seg in sec]
    soma = secs[0]
    ic = h.IClamp(soma(STIM["x"]))
    ic.delay, ic.dur, ic.amp = STIM["delay"], STIM["dur"], STIM["amp"]
    k_stim = min(int(NSEG * STIM["x"]), NSEG - 1)
    if abs(ic.get_segment().x - (k_stim + 0.5) / NSEG) > 1e-12:
        raise AssertionError("the IClamp is not in the soma's middle segment")
    has_child = np.zeros(len(secs), dtype=bool)
    has_child[parent[parent >= 0]] = True
    record = [(0, k_stim)] + [
        (i, NSEG - 1) for i in range(1, len(secs)) if not has_child[i]
    ]
    record = np.array(record, dtype=np.int64)
    out = {
        "section_names": np.array([sec.name() for sec in secs]),
        "section_type": types,
        "section_parent": parent,
        "section_parentx": parentx,
        "pt3d": np.array(pts, dtype=np.float64).reshape(-1, 4),
        "pt3d_offsets": np.array(offsets, dtype=np.int64),
        "nseg": np.int64(NSEG),
        "seg_area": np.array([seg.area() for seg in segs]),
        "seg_ri": np.array([seg.ri() for seg in segs]),
        "record": record,
        "dt": np.float64(cases.DT),
        "celsius": np.float64(cases.CELSIUS),
        "v_init": np.float64(cases.V_INIT),
        "ra": np.float64(RA),
        "cm": np.float64(CM),
        "neuron_version": np.array(str(h.nrnversion())),
    }
    spikes = {}
    for method, so in cases.METHODS.items():
        t, v = _simulate(h, secs, record, so)
        out["t"] = t
        out[f"v_{method}"] = v
        v0 = v[:, 0]
        spikes[method] = int(np.sum((v0[:-1] < 0) & (v0[1:] >= 0)))
    os.makedirs(OUT_DIR, exist_ok=True)
    fname = os.path.join(OUT_DIR, f"asc_{name}.npz")
    np.savez_compressed(fname, **out)
    print(
        f"{name}: {len(secs)} sections, total area {out['seg_area'].sum():.2f} um2, "
        f"soma spikes ie {spikes['ie']} cn {spikes['cn']}, "
        f"{os.path.relpath(fname, REPO_ROOT)} {os.path.getsize(fname) / 1024:.1f} KiB",
        flush=True,
    )


def write_h5():
    """The HDF5 test files: the ASC file read and written by morphio's mutable
    API (morphio writes the soma outline and every section's points, a child's
    first point being its parent's last)."""
    import morphio

    for asc, h5 in H5_FILES.values():
        m = morphio.mut.Morphology(os.path.join(MORPH_DIR, asc))
        m.write(os.path.join(MORPH_DIR, h5))
        print(f"wrote tests/data/morphologies/{h5} from {asc}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", action="append", choices=sorted(CASES))
    ap.add_argument("--h5", action="store_true", help="also write the .h5 files")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        run_case(args.worker)
        return 0
    if args.h5:
        write_h5()
    failed = []
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    for name in args.case or list(CASES):
        proc = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--worker", name],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for line in proc.stdout.splitlines():
            if line.strip() and line.strip() not in _DISPLAY_NOISE:
                print(line if line.startswith(name + ":") else f"  {line}")
        if proc.returncode != 0:
            print(f"{name}: FAILED (exit status {proc.returncode})")
            failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
