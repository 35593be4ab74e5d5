"""Import SWC morphologies with NEURON's own importer and store reference data.

Run from the repository root:

    python tests/reference/make_morphology_refs.py              # all cases
    python tests/reference/make_morphology_refs.py --case NAME   # one (repeatable)

For every case in morph_cases.CASES this builds the cell in a FRESH Python
subprocess (the hoc ``create`` statements executed by one import would clash
with those of the next) with

    h.load_file("stdrun.hoc"); h.load_file("import3d.hoc")
    swc = h.Import3d_SWC_read(); swc.input(path)
    i3d = h.Import3d_GUI(swc, 0); i3d.instantiate(None)

sets Ra, cm and nseg in every section, inserts the mechanisms, puts an IClamp
in the root section and runs NEURON's fixed-step method twice,
h.secondorder = 0 ("ie", implicit Euler) and h.secondorder = 2 ("cn",
Crank-Nicolson): h.finitialize(v_init), then round(t_max / dt) calls of
h.fadvance().  Depends only on neuron and numpy (not on dendrax).

Writes tests/reference/data/morph_<case>.npz (np.savez_compressed).

Section order ("import order"): the order of ``i3d.swc.sections`` after
instantiate (entries with ``is_subsidiary`` skipped; sections removed by
Import3d's chk_valid are no longer in that list).  The NEURON section of an
entry is ``getattr(h, type2name(type))[nameindex]`` (type2name: 1 soma,
2 axon, 3 dend, 4 apic, n > 4 dend_n).  The script checks that this covers
every NEURON section exactly once.  Section 0 is the root.

Stored arrays (float64 unless noted; nsec sections, nsegtot = sum(nseg)):
    section_names    (nsec,)      str, NEURON names, e.g. "soma[0]", "dend_5[0]"
    section_type     (nsec,)      int, SWC type of the section
    section_parent   (nsec,)      int, index of the parent section in the same
                                  order, -1 for the root
    section_parentx  (nsec,)      sec.parentseg().x: location on the parent to
                                  which the section's x = 0 end is connected
                                  (-1.0 for the root)
    section_L        (nsec,)      sec.L (um)
    nseg             (nsec,)      int, number of segments used in the simulation
    nseg_dlambda     (nsec,)      int, d_lambda rule count (Ra 100, cm 1,
                                  d_lambda 0.1 at 100 Hz), stored for every case
                                  (also those simulated with nseg = 4):
                                  int((L/(d_lambda*lambda_f(freq)) + 0.9)/2)*2 + 1
                                  with lambda_f from NEURON's stdlib.hoc
    pt3d             (N, 4)       x3d, y3d, z3d, diam3d of every 3-D point of every
                                  section after instantiate, concatenated in
                                  section order (um)
    pt3d_offsets     (nsec + 1,)  int, points of section i are
                                  pt3d[pt3d_offsets[i]:pt3d_offsets[i + 1]]
    seg_area         (nsegtot,)   seg.area() (um^2)
    seg_ri           (nsegtot,)   seg.ri() (MOhm)
    seg_diam         (nsegtot,)   seg.diam (um)
                                  per-segment arrays: sections in section order,
                                  segment k = 0..nseg-1 (centre (k + 0.5)/nseg)
                                  within each section
    record           (n_rec, 2)   int, (section index, segment index k):
                                  row 0 the stimulus site (root section,
                                  k = min(int(nseg * 0.5), nseg - 1), checked to
                                  be the segment NEURON's root(0.5) refers to);
                                  then k = nseg - 1 of up to 12 leaf sections
                                  spread evenly over the import order; then the
                                  middle segment k = min(int(nseg * 0.5), nseg - 1)
                                  of up to 6 further sections, spread evenly over
                                  the sections not yet recorded (root excluded)
    t                (T,)         NEURON's recorded time, T = round(t_max/dt) + 1
    v_ie, v_cn       (T, n_rec)   membrane potential (mV) at ``record``
    snap_steps       (k,)         int, step numbers 120, 240, 400 (t = step*dt)
    snap_ie, snap_cn (k, nsegtot) v at every segment (per-segment order above)
                                  after that many fadvance() calls
    dt, celsius, v_init           scalars
    neuron_version                str array (0-d)

Printed per case: number of sections, total membrane area, spikes (upward
0 mV crossings) at the stimulus site, file size, plus anything NEURON printed
while importing.
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

import morph_cases  # noqa: E402

SIZE_LIMIT = 300 * 1024  # bytes, soft limit (warning only)

# Lines NEURON prints on import when there is no X display.
_DISPLAY_NOISE = (
    "Warning: no DISPLAY environment variable.",
    "--No graphics will be displayed.",
)


# ---------------------------------------------------------------------------
# worker: one case, in its own process
# ---------------------------------------------------------------------------
def _mid_k(nseg):
    return min(int(nseg * 0.5), nseg - 1)


def _spread(items, n):
    """Up to n items spread evenly over a list (first and last included)."""
    items = list(items)
    if len(items) <= n:
        return items
    idx = np.round(np.linspace(0, len(items) - 1, n)).astype(int)
    assert len(set(idx.tolist())) == n
    return [items[i] for i in idx]


def _insert_mech(sec, mech):
    sec.insert(mech)
    for seg in sec:
        if mech == "hh":
            seg.hh.gnabar = morph_cases.HH["gnabar"]
            seg.hh.gkbar = morph_cases.HH["gkbar"]
            seg.hh.gl = morph_cases.HH["gl"]
            seg.hh.el = morph_cases.HH["el"]
        elif mech == "pas":
            seg.pas.g = morph_cases.PAS["g"]
            seg.pas.e = morph_cases.PAS["e"]
        else:
            raise ValueError(mech)


def _count_spikes(v, thresh=0.0):
    return int(np.sum((v[:-1] < thresh) & (v[1:] >= thresh)))


def _import_cell(h, path):
    """Import with NEURON's Import3d; return (import3d sections, NEURON sections)."""
    swc = h.Import3d_SWC_read()
    swc.input(path)
    i3d = h.Import3d_GUI(swc, 0)
    i3d.instantiate(None)
    isecs = [s for s in i3d.swc.sections if not s.is_subsidiary]
    secs = [getattr(h, morph_cases.type2name(s.type))[int(s.nameindex)] for s in isecs]
    names = [sec.name() for sec in secs]
    all_names = [sec.name() for sec in h.allsec()]
    if len(set(names)) != len(names):
        raise AssertionError(f"a NEURON section appears twice: {names}")
    if sorted(names) != sorted(all_names):
        raise AssertionError(
            f"import order does not cover the NEURON sections: {names} vs {all_names}"
        )
    swc_types = {int(t) for t in swc.type}
    return swc, i3d, isecs, secs, swc_types


def _topology(isecs, secs):
    names = [sec.name() for sec in secs]
    index = {n: i for i, n in enumerate(names)}
    parent = []
    parentx = []
    for i, (s, sec) in enumerate(zip(isecs, secs)):
        ps = sec.parentseg()
        if ps is None:
            parent.append(-1)
            parentx.append(-1.0)
            if s.parentsec is not None:
                raise AssertionError(
                    f"{names[i]}: Import3d parent but no NEURON parent"
                )
            continue
        p = index[ps.sec.name()]
        parent.append(p)
        parentx.append(float(ps.x))
        # cross-check with Import3d's own bookkeeping
        pi = isecs[p]
        ps3 = s.parentsec
        if not (
            int(ps3.type) == int(pi.type) and int(ps3.nameindex) == int(pi.nameindex)
        ):
            raise AssertionError(f"{names[i]}: Import3d parent != NEURON parent")
        if float(s.parentx) != parentx[-1]:
            raise AssertionError(f"{names[i]}: parentx {s.parentx} vs {parentx[-1]}")
    parent = np.array(parent, dtype=np.int64)
    roots = np.flatnonzero(parent < 0)
    if roots.tolist() != [0]:
        raise AssertionError(f"root section is not first: {roots}")
    return parent, np.array(parentx, dtype=np.float64)


def _record_sites(parent, nseg):
    nsec = len(parent)
    has_child = np.zeros(nsec, dtype=bool)
    has_child[parent[parent >= 0]] = True
    record = [(0, _mid_k(int(nseg[0])))]
    leaves = [i for i in range(1, nsec) if not has_child[i]]
    chosen_leaves = _spread(leaves, morph_cases.N_LEAF_RECORD)
    record += [(i, int(nseg[i]) - 1) for i in chosen_leaves]
    used = {0, *chosen_leaves}
    rest = [i for i in range(1, nsec) if i not in used]
    record += [
        (i, _mid_k(int(nseg[i]))) for i in _spread(rest, morph_cases.N_MID_RECORD)
    ]
    return np.array(record, dtype=np.int64).reshape(-1, 2)


def _simulate(h, case, secs, segs, record, secondorder):
    h.cvode_active(0)
    h.secondorder = secondorder
    h.dt = morph_cases.DT
    h.celsius = morph_cases.CELSIUS
    h.usetable_hh = 0

    def seg_of(si, k):
        return secs[si]((k + 0.5) / secs[si].nseg)

    t_vec = h.Vector().record(h._ref_t)
    v_vecs = [h.Vector().record(seg_of(si, k)._ref_v) for si, k in record]

    h.finitialize(morph_cases.V_INIT)
    for sec in secs:
        for seg in sec:
            if hasattr(seg, "hh"):
                assert abs(seg.ena - morph_cases.HH["ena"]) < 1e-12, seg.ena
                assert abs(seg.ek - morph_cases.HH["ek"]) < 1e-12, seg.ek
    n = morph_cases.n_steps(case)
    snap_steps = list(morph_cases.SNAP_STEPS)
    assert max(snap_steps) <= n
    snaps = {}
    for step in range(1, n + 1):
        h.fadvance()
        if step in snap_steps:
            snaps[step] = np.array([seg.v for seg in segs], dtype=np.float64)

    t = np.array(t_vec, dtype=np.float64)
    v = np.stack([np.array(x, dtype=np.float64) for x in v_vecs], axis=1)
    assert t.shape == (n + 1,), t.shape
    assert v.shape == (n + 1, len(record)), v.shape
    assert abs(t[-1] - case["t_max"]) < 1e-6, t[-1]
    snap = np.stack([snaps[s] for s in snap_steps])
    return t, v, snap


def run_case(name):
    """Build, simulate and save one case (call in a fresh process)."""
    case = morph_cases.CASES[name]
    from neuron import h

    h.load_file("stdrun.hoc")
    h.load_file("import3d.hoc")
    path = os.path.join(REPO_ROOT, case["swc_file"])
    print(f"--- import of {case['swc_file']} ---", flush=True)
    swc, i3d, isecs, secs, swc_types = _import_cell(h, path)
    print("--- end of import ---", flush=True)

    nsec = len(secs)
    parent, parentx = _topology(isecs, secs)
    sec_type = np.array([int(s.type) for s in isecs], dtype=np.int64)
    has_soma = 1 in swc_types

    # passive properties first: lambda_f depends on Ra and cm
    for sec in secs:
        sec.Ra = case["Ra"]
        sec.cm = case["cm"]
    nseg_dl = np.array(
        [
            morph_cases.dlambda_nseg(
                sec.L,
                h.lambda_f(case["d_lambda_freq"], sec=sec),
                case["d_lambda"],
            )
            for sec in secs
        ],
        dtype=np.int64,
    )
    if case["nseg"] == "dlambda":
        nseg = nseg_dl.copy()
    else:
        nseg = np.full(nsec, int(case["nseg"]), dtype=np.int64)
    for sec, n in zip(secs, nseg):
        sec.nseg = int(n)
    for i, sec in enumerate(secs):
        assert sec.nseg == nseg[i]
        _insert_mech(sec, morph_cases.section_mech(case, sec_type[i], i == 0, has_soma))

    # geometry after nseg is final
    pts = []
    offsets = [0]
    for sec in secs:
        for j in range(sec.n3d()):
            pts.append((sec.x3d(j), sec.y3d(j), sec.z3d(j), sec.diam3d(j)))
        offsets.append(len(pts))
    segs = [seg for sec in secs for seg in sec]
    assert len(segs) == int(nseg.sum())
    seg_area = np.array([seg.area() for seg in segs], dtype=np.float64)
    seg_ri = np.array([seg.ri() for seg in segs], dtype=np.float64)
    seg_diam = np.array([seg.diam for seg in segs], dtype=np.float64)

    # stimulus in the root section
    st = case["stim"]
    root = secs[0]
    k_stim = min(int(root.nseg * st["x"]), root.nseg - 1)
    ic = h.IClamp(root(st["x"]))
    ic.delay, ic.dur, ic.amp = st["delay"], st["dur"], st["amp"]
    x_ic = ic.get_segment().x
    x_k = (k_stim + 0.5) / root.nseg
    if abs(x_ic - x_k) > 1e-12:
        raise AssertionError(f"IClamp at x={x_ic}, expected segment {k_stim} ({x_k})")
    if root(st["x"]).node_index() != root(x_k).node_index():
        raise AssertionError("root(0.5) is not segment k_stim")

    record = _record_sites(parent, nseg)
    assert tuple(record[0]) == (0, k_stim)

    out = {
        "section_names": np.array([sec.name() for sec in secs]),
        "section_type": sec_type,
        "section_parent": parent,
        "section_parentx": parentx,
        "section_L": np.array([sec.L for sec in secs], dtype=np.float64),
        "nseg": nseg,
        "nseg_dlambda": nseg_dl,
        "pt3d": np.array(pts, dtype=np.float64).reshape(-1, 4),
        "pt3d_offsets": np.array(offsets, dtype=np.int64),
        "seg_area": seg_area,
        "seg_ri": seg_ri,
        "seg_diam": seg_diam,
        "record": record,
        "snap_steps": np.array(morph_cases.SNAP_STEPS, dtype=np.int64),
        "dt": np.float64(morph_cases.DT),
        "celsius": np.float64(morph_cases.CELSIUS),
        "v_init": np.float64(morph_cases.V_INIT),
        "neuron_version": np.array(str(h.nrnversion())),
    }
    t_ref = None
    spikes = {}
    for meth, so in morph_cases.METHODS.items():
        t, v, snap = _simulate(h, case, secs, segs, record, so)
        if t_ref is None:
            t_ref = t
        else:
            assert np.array_equal(t, t_ref)
        out[f"v_{meth}"] = v
        out[f"snap_{meth}"] = snap
        spikes[meth] = _count_spikes(v[:, 0])
    out["t"] = t_ref

    os.makedirs(OUT_DIR, exist_ok=True)
    fname = os.path.join(OUT_DIR, f"morph_{name}.npz")
    np.savez_compressed(fname, **out)
    size = os.path.getsize(fname)
    mechs = {
        morph_cases.section_mech(case, sec_type[i], i == 0, has_soma)
        for i in range(nsec)
    }
    print(
        f"{name}: {nsec} sections, {int(nseg.sum())} segments, "
        f"total area {seg_area.sum():.2f} um2, "
        f"spikes at root ie {spikes['ie']} cn {spikes['cn']}, "
        f"mechanisms {sorted(mechs)}, "
        f"{os.path.relpath(fname, REPO_ROOT)} {size / 1024:.1f} KiB"
        + ("  WARNING: larger than 300 KiB" if size > SIZE_LIMIT else ""),
        flush=True,
    )


# ---------------------------------------------------------------------------
# driver
# ---------------------------------------------------------------------------
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--case",
        action="append",
        choices=sorted(morph_cases.CASES),
        help="case to build (repeatable; default: all)",
    )
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        run_case(args.worker)
        return 0

    names = args.case or list(morph_cases.CASES)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    failed = []
    for name in names:
        proc = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--worker", name],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for line in proc.stdout.splitlines():
            if line.strip() in _DISPLAY_NOISE:
                continue
            print(f"  {line}" if not line.startswith(name + ":") else line)
        if proc.returncode != 0:
            print(f"{name}: FAILED (exit status {proc.returncode})")
            failed.append(name)
    if failed:
        print("failed cases:", ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
