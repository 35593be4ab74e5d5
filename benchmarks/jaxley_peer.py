"""dendrax against Jaxley 0.14 on the peer workloads, each run in a fresh process.

The workloads are those of Jaxley's own benchmarks (WORKLOADS.md), built with the
same settings in both simulators: dt = 0.025 ms, compartments of 10 µm × 1 µm
radius, Ra = 5000 Ω·cm, cm = 1 µF/cm², v_init = -70 mV, Hodgkin–Huxley
(`jaxley.channels.HH` / `dx.channels.HH()`) in every compartment, Ionotropic
synapses (gS = 1e-4 µS) from branch 0/comp 0 to branch 0/comp 0, a step of
0.1 nA from 1 to 6 ms into cell 0, branch 0, comp 0, and v recorded at
branch 0/comp 0 of every cell. Trainables (cases a-c): gS shared by presynaptic
cell and gNa per cell; the gradient is that of mean(v**2) over all traces and
steps.

- a: 6 cells × (2 branches × 2 comps, parents [-1, 0]), cells 0-2 → 3-5 fully
  connected (9 synapses), 10 ms.
- a_vmap: case a under `jax.vmap` over 64 gS vectors (64 × 3: base gS ×
  linspace(0.5, 50, 64)), 10 ms.
- b: 100 cells × (4 branches × 4 comps, parents [-1, 0, 0, 1]),
  `default_rng(1).random((100, 100)) < 0.1` without the diagonal (1003
  synapses), 100 ms.
- c: 1000 point cells, the same with `default_rng(2)` (99,553 synapses), 100 ms.
- c_sparse: 1000 point cells, `default_rng(3)`, p = 0.01 (9,820 synapses), 100 ms.
- d: 1 cell, 32 branches × 8 comps, parent(i) = (i-1)//2; v also at branch
  31/comp 7, 20 ms.
- ca1: tests/data/morphologies/ca1_n120.swc, 4 comps per branch (dendrax:
  `dx.read_swc(path, 4)`; Jaxley: `jx.read_swc(path, ncomp=4)`), HH everywhere,
  the stimulus into the soma and v recorded there, 20 ms. dendrax's branch 0/comp 0
  is the soma compartment next to the SWC root; Jaxley's branch 0 is a dendrite
  tip, so there the compartment nearest to the SWC root point is used.
- ca1_dlambda: the same cell with d_lambda = 0.1 at 100 Hz (dendrax:
  `dx.read_swc(path, dx.DLambda(), axial_resistivity=5000.0)`, NEURON's rule;
  Jaxley: the rule of its how-to guide, per branch from the diameter of the
  branch read with one compartment, then `set_ncomp`), 20 ms.

Timed in each process (`time.perf_counter()` after `jax.block_until_ready`):
the build (network construction, after the imports), the first call of the
jitted simulation (trace + compile + one run), the median of `--repeats`
further calls, the same two for `jax.jit(jax.grad(loss))` (cases a and b), and
the peak RSS (`ru_maxrss`) of the process. dendrax jits
`simulate(dx.combine(params, static), ...)` over `params, static =
dx.partition(net)`; Jaxley jits `jx.integrate(net, params=p, ...)` (its defaults:
`bwd_euler`, `jaxley.dhs`).

Each (simulator, case) is a fresh process; within a round the two simulators
alternate (their order flips every round), and `--rounds` rounds give the
medians, the spread (min-max) and the paired ratio dendrax / Jaxley per round.
dendrax runs in this interpreter; Jaxley in its own virtual environment
(`jaxley==0.14.0`, JAX_ENABLE_X64=1, or 0 with `--float32`), created on first use under
$DENDRAX_PEER_ENVS (default ~/.cache/dendrax/peer-envs) unless `--jaxley-python`
names one.

Agreement (first round): Jaxley starts its HH gates and synaptic `s` at 0.2 and
updates gates before currents; dendrax starts from steady state. The table gives
the spike counts (upward crossings of 0 mV) at the recorded sites and max |ΔV|,
both for dendrax's own initial state and for dendrax started from Jaxley's
initial states (a separate, untimed run after the RSS is taken).

    python benchmarks/jaxley_peer.py [--cases a,b,d] [--rounds 3] [--repeats 5]
                                     [--quick] [--json PATH] [--jaxley-python PY]
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
STIM = (1.0, 5.0, 0.1)  # delay, duration (ms), amplitude (nA)
G_S = 1e-4  # µS, Ionotropic default
SWC = P.REPO / "tests" / "data" / "morphologies" / "ca1_n120.swc"
TREE32 = [-1] + [(i - 1) // 2 for i in range(1, 32)]

CASES = {
    "a": dict(cells=6, ncomp=2, parents=[-1, 0], t_max=10.0, conn="a", grad=True),
    "a_vmap": dict(cells=6, ncomp=2, parents=[-1, 0], t_max=10.0, conn="a", vmap=64),
    "b": dict(
        cells=100,
        ncomp=4,
        parents=[-1, 0, 0, 1],
        t_max=100.0,
        conn=(1, 0.1),
        grad=True,
        n_syn=1003,
    ),
    "c": dict(
        cells=1000, ncomp=1, parents=[-1], t_max=100.0, conn=(2, 0.1), n_syn=99553
    ),
    "c_sparse": dict(
        cells=1000, ncomp=1, parents=[-1], t_max=100.0, conn=(3, 0.01), n_syn=9820
    ),
    "d": dict(cells=1, ncomp=8, parents=TREE32, t_max=20.0, conn=None, tip=(31, 7)),
    "ca1": dict(swc=4, t_max=20.0),
    "ca1_dlambda": dict(swc="dlambda", t_max=20.0),
}
TRAINABLE = ("a", "a_vmap", "b", "c", "c_sparse")
COLUMNS = ["build_s", "first_s", "run_s", "grad_first_s", "grad_run_s", "rss_mib"]
COLUMN_NAMES = {
    "build_s": "build [s]",
    "first_s": "1st call [s]",
    "run_s": "run [s]",
    "grad_first_s": "grad 1st [s]",
    "grad_run_s": "grad run [s]",
    "rss_mib": "peak RSS [MiB]",
}
JAXLEY_REQ = ["jaxley==0.14.0"]


def connectivity(seed: int, p: float, n: int) -> np.ndarray:
    mask = np.random.default_rng(seed).random((n, n)) < p
    np.fill_diagonal(mask, False)
    return mask


def swc_root() -> np.ndarray:
    data = np.loadtxt(SWC, comments="#", ndmin=2)
    return data[data[:, 6] == -1][0, 2:5]


def gs_batch(k: int) -> np.ndarray:
    return G_S * np.linspace(0.5, 50.0, k)[:, None] * np.ones((1, 3))


# --- dendrax worker ------------------------------------------------------------------


def dendrax_case(case: str, repeats: int, npz: Path, config: str) -> dict:
    import jax

    # --float32 sets DENDRAX_BENCH_FLOAT32=1 for both simulators.
    jax.config.update("jax_enable_x64", os.environ.get("DENDRAX_BENCH_FLOAT32") != "1")
    import equinox as eqx
    import jax.numpy as jnp

    import dendrax as dx

    spec = CASES[case]
    t_max = spec["t_max"]
    t_build0 = time.perf_counter()
    if "swc" in spec:
        ncomp = 4 if spec["swc"] == 4 else dx.DLambda()
        cell = dx.read_swc(SWC, ncomp, axial_resistivity=5000.0)
        net = dx.set(dx.Network(cell), "v_init", -70.0)
        net = dx.insert(net, dx.channels.HH())
        site = dx.select(net, cell=0, branch=0, comp=0)  # the soma, at the SWC root
        rec_sel = site
    else:
        comp = dx.Compartment(
            length=10.0, radius=1.0, axial_resistivity=5000.0, v_init=-70.0
        )
        cell = dx.Cell(dx.Branch(comp, ncomp=spec["ncomp"]), parents=spec["parents"])
        net = dx.insert(dx.Network([cell] * spec["cells"]), dx.channels.HH())
        site = dx.select(net, cell=0, branch=0, comp=0)
        rec_sel = dx.select(net, branch=0, comp=0)
        if "tip" in spec:
            b, c = spec["tip"]
            rec_sel = rec_sel | dx.select(net, branch=b, comp=c)
        if spec["conn"] == "a":
            pre = dx.select(net, cell=[0, 1, 2], branch=0, comp=0)
            post = dx.select(net, cell=[3, 4, 5], branch=0, comp=0)
            net = dx.connect(net, pre, post, dx.synapses.Ionotropic())
        elif spec["conn"] is not None:
            mask = connectivity(*spec["conn"], spec["cells"])
            somata = dx.select(net, branch=0, comp=0)
            rule = dx.conn.FromMatrix(mask)
            net = dx.connect(net, somata, somata, dx.synapses.Ionotropic(), rule=rule)
        if case in TRAINABLE:
            net = dx.make_trainable(net, "Ionotropic.gS", by="pre_cell", verbose=False)
            net = dx.make_trainable(net, "HH.gNa", by="cell", verbose=False)
    stim = dx.Stimulus(site, dx.step_current(*STIM, DT, t_max))
    record = dx.Record("v", rec_sel)
    params, static = dx.partition(net)
    jax.block_until_ready(params)
    build = time.perf_counter() - t_build0

    def simulate(p, state=None):
        net_p = dx.combine(p, static)
        return dx.simulate(
            net_p, t_max, DT, stimuli=stim, record=record, state=state
        ).ys

    res = {
        "build_s": build,
        "n_comp": len(net),
        "n_branches_per_cell": len(cell.branches),
        "n_syn": int(getattr(net, "n_edges", 0)),
        "n_sites": len(rec_sel),
        "n_trainable": int(dx.n_trainable(net)),
        "jax_x64": bool(jax.config.jax_enable_x64),
    }
    if "vmap" in spec:
        edge_sels = [
            dx.select(net, edges=lambda e, k=k: e.pre_cell == k) for k in range(3)
        ]

        def one(g, state=None):
            net_g = dx.combine(params, static)
            for k, sel in enumerate(edge_sels):  # one tied gS per presynaptic cell
                net_g = dx.set(net_g, "Ionotropic.gS", g[k], where=sel)
            return dx.simulate(
                net_g, t_max, DT, stimuli=stim, record=record, state=state
            ).ys

        arg = jnp.asarray(gs_batch(spec["vmap"]))
        fn = jax.jit(jax.vmap(one))
        res["batch"] = spec["vmap"]
    else:
        arg, fn = params, jax.jit(simulate)

    first, runs, v = P.time_calls(lambda: jax.block_until_ready(fn(arg)), repeats)
    res.update(first_s=first, runs=runs, run_s=float(np.median(runs)))
    if spec.get("grad"):

        def loss(p):
            return jnp.mean(simulate(p) ** 2)

        grad = jax.jit(jax.grad(loss))
        gfirst, gruns, g = P.time_calls(
            lambda: jax.block_until_ready(grad(arg)), repeats
        )
        res.update(
            grad_first_s=gfirst, grad_runs=gruns, grad_run_s=float(np.median(gruns))
        )
    res["rss_mib"] = P.peak_rss_mib()

    if config == "agree":
        arrays = {"v": np.asarray(v, dtype=np.float64)}
        # Jaxley's initial states: every HH gate and every synaptic s at 0.2.
        try:
            st = dx.init_state(net, DT)
            st = eqx.tree_at(
                lambda s: (s.channels, s.synapses),
                st,
                (
                    tuple(
                        {k: jnp.full_like(x, 0.2) for k, x in d.items()}
                        for d in st.channels
                    ),
                    tuple(
                        {k: jnp.full_like(x, 0.2) for k, x in d.items()}
                        for d in st.synapses
                    ),
                ),
            )
            if "vmap" in spec:
                vm = jax.jit(jax.vmap(lambda g: one(g, st)))(arg)
            else:
                vm = jax.jit(lambda p: simulate(p, st))(params)
            arrays["v_matched"] = np.asarray(vm, dtype=np.float64)
        except Exception as e:  # the State layout is dendrax's to change
            res["matched_error"] = f"{type(e).__name__}: {e}"
        np.savez(npz, **arrays)
    return res


# --- Jaxley worker -------------------------------------------------------------------


def jaxley_case(case: str, repeats: int, npz: Path, config: str) -> dict:
    import jax
    import jax.numpy as jnp
    import jaxley as jx
    from jaxley.channels import HH
    from jaxley.connect import connectivity_matrix_connect, fully_connect
    from jaxley.synapses import IonotropicSynapse

    spec = CASES[case]
    t_max = spec["t_max"]
    current = jx.step_current(*STIM, DT, t_max)
    t_build0 = time.perf_counter()
    info = {}
    if "swc" in spec:
        if spec["swc"] == 4:
            net = jx.read_swc(str(SWC), ncomp=4)
        else:  # d_lambda as in Jaxley's how-to guide (per branch, its mean diameter)
            net = jx.read_swc(str(SWC), ncomp=1)
            for b in range(len(net.nodes)):
                nd = net.branch(b).nodes
                diam = 2.0 * float(nd["radius"].iloc[0])
                cm = float(nd["capacitance"].iloc[0])
                ra = float(nd["axial_resistivity"].iloc[0])
                length = float(nd["length"].iloc[0])
                lam = 1e5 * np.sqrt(diam / (4 * np.pi * 100.0 * cm * ra))
                n = int((length / (0.1 * lam) + 0.9) / 2) * 2 + 1
                net.branch(b).set_ncomp(n, initialize=False)
            net.initialize()
        net.insert(HH())
        xyz = net.nodes[["x", "y", "z"]].to_numpy()
        soma = int(np.argmin(np.sum((xyz - swc_root()) ** 2, axis=1)))
        info["site_branch"] = int(net.nodes["global_branch_index"].iloc[soma])
        net.select(nodes=[soma]).stimulate(current, verbose=False)
        net.select(nodes=[soma]).record("v", verbose=False)
        n_cells = 1
    else:
        comp = jx.Compartment()
        branch = jx.Branch(comp, ncomp=spec["ncomp"])
        cell = jx.Cell(branch, parents=spec["parents"])
        n_cells = spec["cells"]
        net = jx.Network([cell] * n_cells) if n_cells > 1 else cell
        net.insert(HH())
        if spec["conn"] == "a":
            fully_connect(net.cell([0, 1, 2]), net.cell([3, 4, 5]), IonotropicSynapse())
        elif spec["conn"] is not None:
            mask = connectivity(*spec["conn"], n_cells)
            connectivity_matrix_connect(
                net.cell("all"), net.cell("all"), IonotropicSynapse(), mask
            )
        if n_cells > 1:
            net.cell(0).branch(0).comp(0).stimulate(current, verbose=False)
            for i in range(n_cells):
                net.cell(i).branch(0).comp(0).record("v", verbose=False)
        else:
            net.branch(0).comp(0).stimulate(current, verbose=False)
            net.branch(0).comp(0).record("v", verbose=False)
            if "tip" in spec:
                b, c = spec["tip"]
                net.branch(b).comp(c).record("v", verbose=False)
        if case in TRAINABLE:
            net.copy_node_property_to_edges("global_cell_index")
            net.edges["controlled_by_param"] = net.edges["pre_global_cell_index"]
            net.make_trainable("IonotropicSynapse_gS", verbose=False)
            net.cell("all").make_trainable("HH_gNa", verbose=False)
    params = net.get_parameters()
    build = time.perf_counter() - t_build0

    def simulate(p):
        return jx.integrate(net, params=p, t_max=t_max, delta_t=DT)

    res = {
        "build_s": build,
        "n_comp": int(len(net.nodes)),
        "n_branches_per_cell": int(net.nodes["global_branch_index"].nunique())
        // n_cells,
        "n_syn": int(len(net.edges)),
        "n_sites": int(len(net.recordings)),
        "n_trainable": int(sum(np.size(v) for p in params for v in p.values())),
        "jax_x64": bool(jax.config.jax_enable_x64),
        **info,
    }
    if "vmap" in spec:
        gna = [p for p in params if "HH_gNa" in p]

        def one(g):
            return simulate([{"IonotropicSynapse_gS": g}, *gna])

        arg, fn = jnp.asarray(gs_batch(spec["vmap"])), jax.jit(jax.vmap(one))
        res["batch"] = spec["vmap"]
    else:
        arg, fn = params, jax.jit(simulate)

    first, runs, v = P.time_calls(lambda: jax.block_until_ready(fn(arg)), repeats)
    res.update(first_s=first, runs=runs, run_s=float(np.median(runs)))
    if spec.get("grad"):

        def loss(p):
            return jnp.mean(simulate(p) ** 2)

        grad = jax.jit(jax.grad(loss))
        gfirst, gruns, g = P.time_calls(
            lambda: jax.block_until_ready(grad(arg)), repeats
        )
        res.update(
            grad_first_s=gfirst, grad_runs=gruns, grad_run_s=float(np.median(gruns))
        )
    res["rss_mib"] = P.peak_rss_mib()
    if config == "agree":
        # Jaxley records (sites, time); store (..., time, site) as dendrax does.
        np.savez(npz, v=np.swapaxes(np.asarray(v, dtype=np.float64), -1, -2))
    return res


def run_case(sim: str, case: str, repeats: int, npz: Path, config: str) -> dict:
    if sim == "dendrax":
        return dendrax_case(case, repeats, npz, config)
    if sim == "jaxley":
        return jaxley_case(case, repeats, npz, config)
    raise ValueError(f"unknown simulator {sim!r}")


# --- parent --------------------------------------------------------------------------

VERSIONS_JAXLEY = (
    "import json, jax, jaxlib, numpy, jaxley; print(json.dumps({'jaxley': "
    "jaxley.__version__, 'jax': jax.__version__, 'jaxlib': jaxlib.__version__, "
    "'numpy': numpy.__version__}))"
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
        "--float32",
        action="store_true",
        help="both simulators in float32 (default float64: JAX_ENABLE_X64=1)",
    )
    p.add_argument(
        "--report",
        default=None,
        metavar="JSON",
        help="only print the tables of an earlier --json file",
    )
    p.add_argument("--jaxley-python", default=None, help="interpreter with jaxley 0.14")
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
    if a.rounds < 1 or a.repeats < 1:
        p.error("--rounds and --repeats must be >= 1")
    return a


def agreement(dx_npz: Path, jx_npz: Path) -> dict:
    if not (dx_npz.exists() and jx_npz.exists()):
        return {"error": "no traces"}
    d, j = np.load(dx_npz), np.load(jx_npz)
    out = {"default_init": P.compare_traces(d["v"], j["v"], DT)}
    if "v_matched" in d:
        out["jaxley_init"] = P.compare_traces(d["v_matched"], j["v"], DT)
    return out


def main(argv=None):
    args = parse_args(argv)
    if args.report:
        return report_from_json(args)
    t_start = time.perf_counter()
    jx_py = P.peer_python(
        "jaxley-0.14.0", JAXLEY_REQ, "import jaxley", args.jaxley_python
    )
    jx_env = {"JAX_ENABLE_X64": "0" if args.float32 else "1"}
    if args.float32:
        jx_env["DENDRAX_BENCH_FLOAT32"] = "1"
    tmp = Path(tempfile.mkdtemp(prefix=f"{Path(__file__).stem}_"))
    dx_commit = None
    if args.dendrax_rev:
        args.dendrax_src, dx_commit = P.export_revision(args.dendrax_rev, tmp / "rev")
    dx_env = P.dendrax_env(args.dendrax_src)
    if args.float32:
        dx_env["DENDRAX_BENCH_FLOAT32"] = "1"
    meta = {
        "script": "jaxley_peer.py",
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": P.machine(),
        "git": P.git_state(),
        "versions": {
            "dendrax_env": P.versions_in(sys.executable, P.VERSIONS_DENDRAX, dx_env),
            "jaxley_env": P.versions_in(jx_py, VERSIONS_JAXLEY),
            "python": sys.version.split()[0],
        },
        "settings": {
            "float32": args.float32,
            "rounds": args.rounds,
            "repeats": args.repeats,
            "dt": DT,
            "cases": args.cases,
            "jaxley_python": jx_py,
            "dendrax_src": args.dendrax_src,
            "dendrax_rev": dx_commit,
        },
    }
    print(f"machine: {meta['machine']}")
    print(f"versions: {meta['versions']}")
    print(f"git: {meta['git']}; {args.rounds} rounds x {args.repeats} repeats\n")

    runner = P.Runner(Path(__file__).resolve(), tmp, args.timeout)
    sims = {"dendrax": (sys.executable, dx_env), "jaxley": (jx_py, jx_env)}
    rounds = {c: {s: [] for s in sims} for c in args.cases}
    traces = {}
    for r in range(args.rounds):
        for case in args.cases:
            order = list(sims) if r % 2 == 0 else list(sims)[::-1]
            for sim in order:
                python, env = sims[sim]
                config = "agree" if r == 0 else ""
                res, out = runner.run(
                    python, sim, case, args.repeats, f"r{r}", env=env, config=config
                )
                rounds[case][sim].append(res)
                if r == 0:
                    traces[(case, sim)] = out.with_suffix(".npz")
                status = (
                    f"first {res['first_s']:.2f} s, run {res['run_s']:.4f} s, "
                    f"RSS {res['rss_mib']:.0f} MiB"
                    if res.get("ok")
                    else f"FAILED: {res.get('error')}"
                )
                want = CASES[case].get("n_syn")
                if res.get("ok") and want is not None and res.get("n_syn") != want:
                    status += f"; WARNING: {res.get('n_syn')} synapses, not {want}"
                print(
                    f"round {r + 1}/{args.rounds} {case:<12} {sim:<8} {status}",
                    flush=True,
                )

    results = {}
    for case in args.cases:
        summ = P.summarise(rounds[case], COLUMNS, "dendrax")
        agree = agreement(traces[(case, "dendrax")], traces[(case, "jaxley")])
        results[case] = {
            "spec": {k: v for k, v in CASES[case].items() if k != "parents"},
            "rounds": rounds[case],
            "summary": summ,
            "agreement": agree,
        }
    shutil.rmtree(tmp, ignore_errors=True)
    meta["wall_s"] = time.perf_counter() - t_start
    meta["machine"]["loadavg_end"] = list(os.getloadavg())
    print_report(args, results)
    print(f"\nwall time {meta['wall_s']:.0f} s")
    P.write_json(args.json, {**meta, "cases": results})
    return 0


def report_from_json(args):
    data = json.loads(Path(args.report).read_text())
    args.rounds, args.repeats = data["settings"]["rounds"], data["settings"]["repeats"]
    args.float32 = data["settings"].get("float32", False)
    print_report(args, data["cases"])
    return 0


def _first_ok(rs: list[dict], key: str):
    for r in rs:
        if r.get("ok") and key in r:
            return r[key]
    return None


def print_report(args, results):
    print(
        f"\n## dendrax vs Jaxley 0.14, "
        f"{'float32' if getattr(args, 'float32', False) else 'float64'} — "
        f"median (min–max) of {args.rounds} rounds, "
        f"each a fresh process; run = median of {args.repeats} calls after the first\n"
    )
    header = ["case", "sim", "comps", "synapses", *[COLUMN_NAMES[c] for c in COLUMNS]]
    rows = []
    for case, res in results.items():
        s = res["summary"]
        for sim in ("dendrax", "jaxley"):
            rs = res["rounds"][sim]
            err = next((r.get("error") for r in rs if not r.get("ok")), None)
            cells = [P.fmt_s(s["per_sim"][sim][c]) for c in COLUMNS]
            if err and not any(r.get("ok") for r in rs):
                cells = [f"failed: {err[:60]}"] + [""] * (len(COLUMNS) - 1)
            rows.append(
                [
                    case,
                    sim,
                    str(_first_ok(rs, "n_comp") or "–"),
                    str(
                        _first_ok(rs, "n_syn")
                        if _first_ok(rs, "n_syn") is not None
                        else "–"
                    ),
                    *cells,
                ]
            )
        ratio = s["ratios"].get("jaxley", {})
        rows.append(
            [case, "**ratio**", "", "", *[P.fmt_s(ratio.get(c), 2) for c in COLUMNS]]
        )
    print(P.markdown_table(header, rows, "ll" + "r" * (len(header) - 2)))
    print(f"\n{P.RATIO_NOTE}; its median and min–max over the rounds.")

    print("\n### Agreement (first round; spikes = upward crossings of 0 mV)\n")
    header = [
        "case",
        "sites",
        "spikes dendrax / Jaxley",
        "max \\|ΔV\\| [mV]",
        "spikes, dendrax from Jaxley's init / Jaxley",
        "max \\|ΔV\\| [mV]",
        "max spike shift [ms]",
    ]
    rows = []
    for case, res in results.items():
        a = res["agreement"]
        d, m = a.get("default_init", {}), a.get("jaxley_init", {})

        def cell(x, key):
            if x.get(key) is None:
                return x.get("error", "–")
            return f"{x[key]:.3g}"

        rows.append(
            [
                case,
                str(d.get("n_sites", "–")),
                P.spikes_cell(d.get("spikes_a"), d.get("spikes_b")),
                cell(d, "max_abs_dv_mV"),
                P.spikes_cell(m.get("spikes_a"), m.get("spikes_b")),
                cell(m, "max_abs_dv_mV"),
                cell(m, "max_spike_shift_ms"),
            ]
        )
    print(P.markdown_table(header, rows, "lrlrlrr"))
    print(
        "\nThe last three columns compare dendrax started from Jaxley's initial "
        "states (HH gates and s at 0.2); the spike shift is over the sites with "
        "equal counts."
    )


if __name__ == "__main__":
    if "--worker" in sys.argv:
        sys.exit(P.worker_main(run_case))
    sys.exit(main())
