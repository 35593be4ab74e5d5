"""dendrax against Arbor 0.12 on detailed cells and HH populations, fresh processes.

The same models in both simulators: Hodgkin–Huxley (Arbor's own `hh` from its
default catalogue at 6.3 °C, its q10 reference, so no temperature factor;
`dx.channels.HH()`) in every compartment, cm = 1 µF/cm², implicit Euler
(Arbor's only method; dendrax's default), dt = 0.025 ms.

- d1: Jaxley's case d tree: 32 branches (parent(i) = (i-1)//2) × 8 comps of
  10 µm, radius 1 µm, Ra 5000 Ω·cm, v_init -70 mV, 0.1 nA into the first
  compartment from 1 to 6 ms; v at branch 0/comp 0 and branch 31/comp 7; 20 ms.
- d100: 100 independent copies of d1, each stimulated; v at both sites of cells
  0 and 99; 20 ms.
- ca1: tests/data/morphologies/ca1_n120.swc, Ra 5000, v_init -70, the stimulus
  into the soma at the SWC root and v there; 20 ms. Arbor: `load_swc_neuron`
  (NEURON's interpretation of SWC) and `(fixed-per-branch 4)`, the stimulus and
  probe at `(root)`; dendrax: `dx.read_swc(path, 4)`, branch 0/comp 0.
- p4: 1000 single-compartment cells, L = diam = 20 µm, v_init -65, each its own
  current (0.1–0.5 nA, linearly spaced) from 10 to 90 ms; v of 5 cells; 100 ms.
- b_nosyn: Jaxley's network b without synapses: 100 cells × (4 branches × 4
  comps, parents [-1, 0, 0, 1]), Ra 5000, v_init -70, 0.1 nA from 1 to 6 ms into
  cell 0; v at branch 0/comp 0 of cells 0, 1 and 99; 100 ms.

Arbor's branches run between forks, so a branch with a single child is merged with
it (in d1, branch 15 and its only child 31 form one Arbor branch of 160 µm; in
b_nosyn, branches 1 and 3). `(fixed-per-branch 8)` would give such a branch 8 CVs
in all; the policy used here gives every merged branch 8 CVs per original branch
(`(replace (fixed-per-branch 8) (fixed-per-branch 16 (branch 15)))` for d1), so
both simulators have the same compartments. Arbor adds a CV of zero length at
each fork, as dendrax adds a node without membrane at each branch point.

Timed in each process: the build (the recipe, or the dendrax network), the first
call (Arbor: `arbor.simulation(recipe, context)` + samplers + one run; dendrax:
trace + compile + one run of `jax.jit(simulate)`), the median of `--repeats`
further calls (Arbor: `reset()` + `run()`), and the peak RSS. Arbor runs with 1
thread and with all threads (`arbor.proc_allocation(threads=os.cpu_count())`),
dendrax in this interpreter, Arbor in its own virtual environment (`arbor==0.12.2`,
created on first use under $DENDRAX_PEER_ENVS unless `--arbor-python` names one).
Every (simulator, case) is a fresh process; the three alternate within each
round, in an order that rotates from round to round. Agreement (first round):
spike counts (upward crossings of 0 mV) at the recorded sites, the spike-time
shift and max |ΔV|; both start from v_init with the gates at steady state.

    python benchmarks/arbor_peer.py [--cases d1,p4] [--rounds 3] [--repeats 5]
                                    [--quick] [--json PATH] [--arbor-python PY]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _peers as P  # noqa: E402

DT = 0.025
SWC = P.REPO / "tests" / "data" / "morphologies" / "ca1_n120.swc"
TREE32 = [-1] + [(i - 1) // 2 for i in range(1, 32)]
P4_CELLS, P4_AMPS = 1000, (0.1, 0.5)
CASES = {
    "d1": dict(
        cells=1, parents=TREE32, ncomp=8, t_max=20.0, sites=[(0, 0, 0), (0, 31, 7)]
    ),
    "d100": dict(
        cells=100,
        parents=TREE32,
        ncomp=8,
        t_max=20.0,
        stim_all=True,
        sites=[(0, 0, 0), (0, 31, 7), (99, 0, 0), (99, 31, 7)],
    ),
    "ca1": dict(swc=True, t_max=20.0),
    "p4": dict(p4=True, t_max=100.0),
    "b_nosyn": dict(
        cells=100,
        parents=[-1, 0, 0, 1],
        ncomp=4,
        t_max=100.0,
        sites=[(0, 0, 0), (1, 0, 0), (99, 0, 0)],
    ),
}
COLUMNS = ["build_s", "first_s", "run_s", "rss_mib"]
COLUMN_NAMES = {
    "build_s": "build [s]",
    "first_s": "1st call [s]",
    "run_s": "run [s]",
    "rss_mib": "peak RSS [MiB]",
}
ARBOR_REQ = ["arbor==0.12.2", "numpy"]


def p4_sites() -> list[int]:
    return [int(i) for i in np.unique(np.linspace(0, P4_CELLS - 1, 5).round())]


# --- dendrax worker ------------------------------------------------------------------


def dendrax_case(case: str, repeats: int, npz: Path, config: str) -> dict:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    import dendrax as dx

    spec = CASES[case]
    t_max = spec["t_max"]
    t0 = time.perf_counter()
    if spec.get("swc"):
        cell = dx.read_swc(SWC, 4, axial_resistivity=5000.0)
        net = dx.insert(dx.set(dx.Network(cell), "v_init", -70.0), dx.channels.HH())
        site = rec = dx.select(net, cell=0, branch=0, comp=0)
        stim = dx.Stimulus(site, dx.step_current(1.0, 5.0, 0.1, DT, t_max))
    elif spec.get("p4"):
        cell = dx.Cell(dx.Branch(dx.Compartment(length=20.0, radius=10.0)))
        net = dx.insert(dx.Network([cell] * P4_CELLS), dx.channels.HH())
        unit = dx.step_current(0.1 * t_max, 0.8 * t_max, 1.0, DT, t_max)
        amps = jnp.asarray(np.linspace(*P4_AMPS, P4_CELLS), dtype=unit.dtype)
        stim = dx.Stimulus(dx.select(net), unit[:, None] * amps[None, :])
        rec = dx.select(net, cell=p4_sites())
    else:
        comp = dx.Compartment(
            length=10.0, radius=1.0, axial_resistivity=5000.0, v_init=-70.0
        )
        cell = dx.Cell(dx.Branch(comp, ncomp=spec["ncomp"]), parents=spec["parents"])
        net = dx.insert(dx.Network([cell] * spec["cells"]), dx.channels.HH())
        where = (
            dx.select(net, branch=0, comp=0)
            if spec.get("stim_all")
            else dx.select(net, cell=0, branch=0, comp=0)
        )
        stim = dx.Stimulus(where, dx.step_current(1.0, 5.0, 0.1, DT, t_max))
        rec = None
        for c, b, k in spec["sites"]:
            s = dx.select(net, cell=c, branch=b, comp=k)
            rec = s if rec is None else rec | s
    record = dx.Record("v", rec)
    params, static = dx.partition(net)
    build = time.perf_counter() - t0

    def simulate(p):
        return dx.simulate(
            dx.combine(p, static), t_max, DT, stimuli=stim, record=record
        ).ys

    fn = jax.jit(simulate)
    first, runs, v = P.time_calls(lambda: jax.block_until_ready(fn(params)), repeats)
    res = {
        "build_s": build,
        "first_s": first,
        "runs": runs,
        "run_s": float(np.median(runs)),
        "rss_mib": P.peak_rss_mib(),
        "n_comp": len(net),
        "n_cells": int(getattr(net, "n_cells", 0)),
        "n_sites": len(rec),
    }
    if "agree" in config:
        np.savez(npz, v=np.asarray(v, dtype=np.float64))
    return res


# --- Arbor worker --------------------------------------------------------------------


def arbor_case(case: str, repeats: int, npz: Path, config: str) -> dict:
    import arbor as A
    from arbor import units as U

    opts = dict(kv.split("=") for kv in config.split(";") if "=" in kv)
    threads = int(opts.get("threads", 1))
    spec = CASES[case]
    t_max = spec["t_max"]
    t0 = time.perf_counter()

    def props(v_init, ra):
        p = A.neuron_cable_properties()
        p.set_property(
            Vm=v_init * U.mV,
            rL=ra * U.Ohm * U.cm,
            cm=1.0 * U.uF / U.cm2,
            tempK=(6.3 + 273.15) * U.Kelvin,
        )
        return p

    def tree_cell(parents, ncomp, stim):
        """Branches of 10 µm × ncomp along +x, each starting where its parent ends."""
        tree, seg, end = A.segment_tree(), {}, {}
        for i, p in enumerate(parents):
            x0 = 0.0 if p < 0 else end[p]
            end[i] = x0 + 10.0 * ncomp
            seg[i] = tree.append(
                A.mnpos if p < 0 else seg[p],
                A.mpoint(x0, 0, 0, 1.0),
                A.mpoint(end[i], 0, 0, 1.0),
                tag=3,
            )
        morph = A.morphology(tree)
        merged = [len(morph.branch_segments(b)) for b in range(morph.num_branches)]
        extra = "".join(
            f" (fixed-per-branch {ncomp * m} (branch {b}))"
            for b, m in enumerate(merged)
            if m > 1
        )
        policy = (
            f"(replace (fixed-per-branch {ncomp}){extra})"
            if extra
            else f"(fixed-per-branch {ncomp})"
        )
        decor = A.decor().paint("(all)", A.density("hh"))
        if stim:
            first = f"(on-components {0.5 / ncomp} (segment 0))"
            decor.place(first, A.i_clamp(1.0 * U.ms, 5.0 * U.ms, 0.1 * U.nA))
        cell = A.cable_cell(morph, decor, A.label_dict(), A.cv_policy(policy))
        return cell, policy, morph.num_branches

    def tree_site(branch, comp, ncomp):
        return f"(on-components {(comp + 0.5) / ncomp} (segment {branch}))"

    info = {}
    if spec.get("swc"):
        loaded = A.load_swc_neuron(str(SWC))
        decor = (
            A.decor()
            .paint("(all)", A.density("hh"))
            .place("(root)", A.i_clamp(1.0 * U.ms, 5.0 * U.ms, 0.1 * U.nA))
        )
        policy = "(fixed-per-branch 4)"
        the_cell = A.cable_cell(
            loaded.morphology, decor, loaded.labels, A.cv_policy(policy)
        )
        n_cells, gp = 1, props(-70.0, 5000.0)
        cells = lambda gid: the_cell  # noqa: E731
        probes = {0: ["(root)"]}
        info.update(n_branches=loaded.morphology.num_branches, policy=policy)
    elif spec.get("p4"):
        tree = A.segment_tree()
        tree.append(A.mnpos, A.mpoint(0, 0, 0, 10.0), A.mpoint(20, 0, 0, 10.0), tag=1)
        amps = np.linspace(*P4_AMPS, P4_CELLS)
        n_cells, gp = P4_CELLS, props(-65.0, 35.4)

        def cells(gid):
            d = A.decor().paint("(all)", A.density("hh"))
            clamp = A.i_clamp(0.1 * t_max * U.ms, 0.8 * t_max * U.ms, amps[gid] * U.nA)
            d.place("(location 0 0.5)", clamp)
            return A.cable_cell(tree, d, A.label_dict(), A.cv_policy("(single)"))

        probes = {g: ["(location 0 0.5)"] for g in p4_sites()}
        info.update(policy="(single)")
    else:
        n_cells, gp = spec["cells"], props(-70.0, 5000.0)
        stim_cell, policy, nb = tree_cell(spec["parents"], spec["ncomp"], True)
        quiet_cell = (
            stim_cell
            if spec.get("stim_all")
            else tree_cell(spec["parents"], spec["ncomp"], False)[0]
        )
        cells = lambda gid: stim_cell if gid == 0 else quiet_cell  # noqa: E731
        probes = {}
        for c, b, k in spec["sites"]:
            probes.setdefault(c, []).append(tree_site(b, k, spec["ncomp"]))
        info.update(n_branches=nb, policy=policy)

    class Recipe(A.recipe):
        def __init__(self):
            A.recipe.__init__(self)

        def num_cells(self):
            return n_cells

        def cell_kind(self, gid):
            return A.cell_kind.cable

        def cell_description(self, gid):
            return cells(gid)

        def probes(self, gid):
            return [
                A.cable_probe_membrane_voltage(loc, f"v{i}")
                for i, loc in enumerate(probes.get(gid, []))
            ]

        def global_properties(self, kind):
            return gp

    recipe = Recipe()
    build = time.perf_counter() - t0
    sampled = [(g, f"v{i}") for g in sorted(probes) for i in range(len(probes[g]))]
    state = {}

    def first_call():
        ctx = A.context(A.proc_allocation(threads=threads))
        sim = A.simulation(recipe, ctx)
        sched = A.regular_schedule(DT * U.ms)
        state["handles"] = [sim.sample(pid, sched) for pid in sampled]
        sim.run(t_max * U.ms, DT * U.ms)
        state["sim"] = sim

    def again():
        state["sim"].reset()
        state["sim"].run(t_max * U.ms, DT * U.ms)

    first, _ = P.clock(first_call)
    runs = [P.clock(again)[0] for _ in range(repeats)]
    sim = state["sim"]
    traces = [sim.samples(h)[0][0] for h in state["handles"]]
    v = np.stack([t[:, 1] for t in traces], axis=1)  # (time, site)
    n_cv = sum(A.cv_data(cells(g)).num_cv for g in range(min(n_cells, 1)))
    res = {
        "build_s": build,
        "first_s": first,
        "runs": runs,
        "run_s": float(np.median(runs)),
        "rss_mib": P.peak_rss_mib(),
        "threads": threads,
        "n_cv_per_cell": int(n_cv),
        "n_cv": int(sum(A.cv_data(cells(g)).num_cv for g in range(n_cells))),
        "n_cells": n_cells,
        "n_sites": int(v.shape[1]),
        "t_first_sample": float(traces[0][0, 0]),
        **info,
    }
    if "agree" in config:
        np.savez(npz, v=v)
    return res


def run_case(sim: str, case: str, repeats: int, npz: Path, config: str) -> dict:
    if sim == "dendrax":
        return dendrax_case(case, repeats, npz, config)
    if sim == "arbor":
        return arbor_case(case, repeats, npz, config)
    raise ValueError(f"unknown simulator {sim!r}")


# --- parent --------------------------------------------------------------------------

VERSIONS_ARBOR = (
    "import json, arbor, numpy; print(json.dumps({'arbor': arbor.__version__, "
    "'numpy': numpy.__version__, 'arch': arbor.config().get('arch'), "
    "'vectorize': arbor.config().get('vectorize')}))"
)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cases", default=",".join(CASES), help=f"({','.join(CASES)})")
    p.add_argument("--rounds", type=int, default=None, help="rounds (3; --quick 1)")
    p.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="timed calls after the first (5; --quick 2)",
    )
    p.add_argument(
        "--quick", action="store_true", help="1 round, 2 repeats (smoke test)"
    )
    p.add_argument("--json", default=None, help="write all measurements to this file")
    p.add_argument(
        "--report",
        default=None,
        metavar="JSON",
        help="only print the tables of an earlier --json file",
    )
    p.add_argument("--arbor-python", default=None, help="interpreter with arbor 0.12")
    p.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count() or 1,
        help="Arbor's 'all threads' configuration (os.cpu_count())",
    )
    p.add_argument(
        "--dendrax-src",
        default=None,
        help="directory with the dendrax package to time instead of the installed "
        "one (put first on the workers' PYTHONPATH), e.g. an export of a commit",
    )
    p.add_argument(
        "--dendrax-rev",
        default=None,
        help="time dendrax as of this git revision of the repository (its src/ is "
        "exported to a temporary directory); overrides --dendrax-src",
    )
    p.add_argument(
        "--timeout", type=float, default=1800.0, help="per process, s (1800)"
    )
    a = p.parse_args(argv)
    a.cases = [c.strip() for c in a.cases.split(",") if c.strip()]
    unknown = [c for c in a.cases if c not in CASES]
    if unknown:
        p.error(f"unknown cases {unknown}; choose from {list(CASES)}")
    a.rounds = a.rounds or (1 if a.quick else 3)
    a.repeats = a.repeats or (2 if a.quick else 5)
    if a.rounds < 1 or a.repeats < 1 or a.threads < 1:
        p.error("--rounds, --repeats and --threads must be >= 1")
    return a


def main(argv=None):
    args = parse_args(argv)
    if args.report:
        return report_from_json(args)
    t_start = time.perf_counter()
    ar_py = P.peer_python("arbor-0.12.2", ARBOR_REQ, "import arbor", args.arbor_python)
    threads = sorted({1, args.threads})
    tmp = Path(tempfile.mkdtemp(prefix=f"{Path(__file__).stem}_"))
    dx_commit = None
    if args.dendrax_rev:
        args.dendrax_src, dx_commit = P.export_revision(args.dendrax_rev, tmp / "rev")
    dx_env = P.dendrax_env(args.dendrax_src)
    sims = {"dendrax": (sys.executable, "dendrax", "", dx_env)}
    for t in threads:
        sims[f"arbor {t}t"] = (ar_py, "arbor", f"threads={t}", {})
    meta = {
        "script": "arbor_peer.py",
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": P.machine(),
        "git": P.git_state(),
        "versions": {
            "dendrax_env": P.versions_in(sys.executable, P.VERSIONS_DENDRAX, dx_env),
            "arbor_env": P.versions_in(ar_py, VERSIONS_ARBOR),
            "python": sys.version.split()[0],
        },
        "settings": {
            "rounds": args.rounds,
            "repeats": args.repeats,
            "dt": DT,
            "cases": args.cases,
            "arbor_threads": threads,
            "arbor_python": ar_py,
            "dendrax_src": args.dendrax_src,
            "dendrax_rev": dx_commit,
        },
    }
    print(f"machine: {meta['machine']}")
    print(f"versions: {meta['versions']}")
    print(f"git: {meta['git']}; {args.rounds} rounds x {args.repeats} repeats\n")

    runner = P.Runner(Path(__file__).resolve(), tmp, args.timeout)
    names = list(sims)
    rounds = {c: {s: [] for s in sims} for c in args.cases}
    traces = {}
    for r in range(args.rounds):
        for case in args.cases:
            k = r % len(names)
            for name in names[k:] + names[:k]:
                python, worker, config, env = sims[name]
                agree = r == 0 and name in ("dendrax", f"arbor {threads[0]}t")
                cfg = ";".join(x for x in (config, "agree" if agree else "") if x)
                res, out = runner.run(
                    python, worker, case, args.repeats, f"r{r}", env=env, config=cfg
                )
                rounds[case][name].append(res)
                if agree:
                    traces[(case, worker)] = out.with_suffix(".npz")
                status = (
                    f"first {res['first_s']:.2f} s, run {res['run_s']:.4f} s, "
                    f"RSS {res['rss_mib']:.0f} MiB"
                    if res.get("ok")
                    else f"FAILED: {res.get('error')}"
                )
                print(
                    f"round {r + 1}/{args.rounds} {case:<8} {name:<9} {status}",
                    flush=True,
                )

    results = {}
    for case in args.cases:
        a, b = traces.get((case, "dendrax")), traces.get((case, "arbor"))
        if a and b and a.exists() and b.exists():
            agree = P.compare_traces(np.load(a)["v"], np.load(b)["v"], DT)
        else:
            agree = {"error": "no traces"}
        results[case] = {
            "spec": {k: v for k, v in CASES[case].items() if k != "parents"},
            "rounds": rounds[case],
            "summary": P.summarise(rounds[case], COLUMNS, "dendrax"),
            "agreement": agree,
        }
    shutil.rmtree(tmp, ignore_errors=True)
    meta["wall_s"] = time.perf_counter() - t_start
    meta["machine"]["loadavg_end"] = list(os.getloadavg())
    print_report(args, results, names)
    print(f"\nwall time {meta['wall_s']:.0f} s")
    P.write_json(args.json, {**meta, "cases": results})
    return 0


def report_from_json(args):
    data = json.loads(Path(args.report).read_text())
    args.rounds, args.repeats = data["settings"]["rounds"], data["settings"]["repeats"]
    names = list(next(iter(data["cases"].values()))["rounds"])
    print_report(args, data["cases"], names)
    return 0


def _first_ok(rs, key):
    for r in rs:
        if r.get("ok") and key in r:
            return r[key]
    return None


def print_report(args, results, names):
    print(
        f"\n## dendrax vs Arbor 0.12 — median (min–max) of {args.rounds} rounds, "
        f"each a fresh process; run = median of {args.repeats} calls after the first\n"
    )
    header = ["case", "sim", "comps / CVs", *[COLUMN_NAMES[c] for c in COLUMNS]]
    rows = []
    for case, res in results.items():
        s = res["summary"]
        for name in names:
            rs = res["rounds"][name]
            cells = [P.fmt_s(s["per_sim"][name][c]) for c in COLUMNS]
            if not any(r.get("ok") for r in rs):
                err = next((r.get("error") for r in rs), "")
                cells = [f"failed: {str(err)[:60]}"] + [""] * (len(COLUMNS) - 1)
            size = _first_ok(rs, "n_comp") or _first_ok(rs, "n_cv")
            rows.append([case, name, str(size or "–"), *cells])
        for name in names[1:]:
            ratio = s["ratios"].get(name, {})
            rows.append(
                [
                    case,
                    f"**ratio to {name}**",
                    "",
                    *[P.fmt_s(ratio.get(c), 2) for c in COLUMNS],
                ]
            )
    print(P.markdown_table(header, rows, "ll" + "r" * (len(header) - 2)))
    print(
        f"\n{P.RATIO_NOTE}; its median and min–max over the rounds. Arbor's CVs "
        "include one of zero length per fork."
    )
    print("\n### Agreement (first round; spikes = upward crossings of 0 mV)\n")
    header = [
        "case",
        "sites",
        "spikes dendrax / Arbor",
        "max spike shift [ms]",
        "max \\|ΔV\\| [mV]",
    ]
    rows = []
    for case, res in results.items():
        a = res["agreement"]
        shift = a.get("max_spike_shift_ms")
        rows.append(
            [
                case,
                str(a.get("n_sites", "–")),
                P.spikes_cell(a.get("spikes_a"), a.get("spikes_b")),
                "–" if shift is None else f"{shift:.3g}",
                f"{a['max_abs_dv_mV']:.3g}"
                if "max_abs_dv_mV" in a
                else a.get("error", "–"),
            ]
        )
    print(P.markdown_table(header, rows, "lrlrr"))


if __name__ == "__main__":
    if "--worker" in sys.argv:
        sys.exit(P.worker_main(run_case))
    sys.exit(main())
