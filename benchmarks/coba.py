"""The COBA network at three sizes: dendrax against BrainPy 2.8 and Brian2.

The model is the one of examples/coba.py (Brette et al. 2007, after Vogels and
Abbott 2005): 80 % excitatory and 20 % inhibitory LIF cells (C = 200 pF,
g_leak = 10 nS, E_L = V_reset = -60 mV, V_th = -50 mV, 5 ms refractory),
exponential conductance synapses (6 nS, 5 ms, 0 mV excitatory; 67 nS, 10 ms,
-80 mV inhibitory; no delays), a constant 0.2 nA into every cell, initial
voltages uniform in [V_reset, V_th], 1 s at dt = 0.1 ms. Every cell receives a
fixed number of inputs, `--in-degree` (80: 64 excitatory and 16 inhibitory, as
Bernoulli p = 0.02 gives at 4000 cells on average), from distinct cells other
than itself, so the work per cell is the same at every size (`--cells`,
default 4000, 16000 and 64000).

Each (simulator, size) runs in a fresh process; within a round the simulators
alternate (their order turns every round), and `--rounds` rounds give medians,
their spread (min–max) and the ratios dendrax / peer paired per round. Timed
in each process: the build (after the imports; connectivity included), the
first run (trace + compile + run; Brian2: code generation + run), the median of
`--repeats` further runs (each started from the stored initial state) and the
peak RSS (`ru_maxrss`) of the process.

- **dendrax** (float32 unless `--float64`): `dx.conn.FixedInDegree` from the
  excitatory and from the inhibitory cells to all, one projection each,
  `dx.conn.EventDriven(max_spikes=...)` delivery (`--max-spikes`, default 32
  per 4000 cells for each projection; the two are delivered together, with
  room for 64 per 4000, about nine times the mean number of spikes per step),
  the spike count of each cell over the run recorded (`dx.Record("spikes",
  every=)` summing all steps), `eqx.filter_jit`.
- **BrainPy 2.8** (float32, its own environment: `--brainpy-python`) runs the
  voltage form of the same equations (`bp.dyn.LifRef`, `bp.dyn.Expon` +
  `bp.dyn.COBA` in units of g_leak: tau 20 ms, weights 0.6 and 6.7, drive
  20 mV), each projection a `bp.dyn.ProjAlignPostMg2` with `bp.dnn.EventCSRLinear`,
  brainevent's event-driven CSR operator (a numba kernel behind an XLA FFI call),
  the steps a `bm.for_loop` inside `bm.jit`. Two layouts: `brainpy4`, that of
  BrainPy's own COBA example (E and I groups, four projections, connectivity by
  its `bp.conn.FixedPreNum`), and `brainpy2`, dendrax's (one group, two
  projections, the graph drawn with NumPy and handed over as CSR).
- **Brian2** (float64, `numpy` code generation target, no compiler needed; its
  own environment: `--brian2-python`), forward Euler as in its COBA example, the
  NumPy graph through `Synapses.connect(i=, j=)`, a `SpikeMonitor`.

The networks are chaotic and each simulator draws its own graph, so they agree in
their rates, not in every spike; the table gives both rates.

    python -m venv /tmp/b2 && /tmp/b2/bin/pip install brian2 "numpy<2.4"
    python -m venv /tmp/bp && /tmp/bp/bin/pip install "brainpy[cpu]==2.8.2"
    python benchmarks/coba.py --brian2-python /tmp/b2/bin/python \\
                              --brainpy-python /tmp/bp/bin/python

Without those options the peers run in environments made on first use under
$DENDRAX_PEER_ENVS (default ~/.cache/dendrax/peer-envs). The defaults take about
25 minutes on 2 cores, most of it in the peers at 64000 cells; `--quick` (4000
cells, 200 ms, one round) about one.

    python benchmarks/coba.py [--cells 4000,16000,64000] [--sims dendrax,brainpy4,
        brainpy2,brian2] [--rounds 3] [--repeats 2] [--t-max MS] [--float64]
        [--max-spikes K] [--in-degree 80] [--quick] [--json PATH] [--report JSON]
"""

import argparse
import json
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _peers as P  # noqa: E402

FRACTION_EXC = 0.8
AREA, RADIUS = 20000.0, 10.0  # µm²: C = 200 pF at 1 µF/cm²; µm
G_LEAK, E_LEAK, V_TH, V_RESET, T_REF = 5e-5, -60.0, -50.0, -60.0, 5.0  # S/cm², mV, ms
W_EXC, TAU_EXC, E_EXC = 0.006, 5.0, 0.0  # µS, ms, mV
W_INH, TAU_INH, E_INH = 0.067, 10.0, -80.0
I_DRIVE = 0.2  # nA
SIMS = ("dendrax", "brainpy4", "brainpy2", "brian2")
BRAINPY_REQ = ["brainpy[cpu]==2.8.2"]
BRIAN2_REQ = ["brian2==2.9.0", "numpy<2.4"]
COLUMNS = ["build_s", "compile_s", "run_s", "rss_mib"]
COLUMN_NAMES = {
    "build_s": "build [s]",
    "compile_s": "compile [s]",
    "run_s": "run [s]",
    "rss_mib": "peak RSS [MiB]",
}


# --- the model, shared by the workers --------------------------------------------


class Config:
    """The settings a worker needs, passed as `key=value,...` (`--config`)."""

    KEYS = {"t": float, "dt": float, "f64": int, "ms": int, "k": int, "seed": int}

    def __init__(self, **kw):
        self.__dict__.update(kw)

    @classmethod
    def parse(cls, text: str) -> "Config":
        pairs = dict(item.split("=") for item in text.split(","))
        return cls(**{k: cls.KEYS[k](v) for k, v in pairs.items()})

    def __str__(self):
        return ",".join(f"{k}={getattr(self, k)}" for k in self.KEYS)


def populations(n: int) -> tuple[int, int]:
    n_exc = round(FRACTION_EXC * n)
    return n_exc, n - n_exc


def in_degrees(k: int) -> tuple[int, int]:
    k_exc = round(FRACTION_EXC * k)
    return k_exc, k - k_exc


def _distinct(rng, lo: int, hi: int, k: int, post: np.ndarray) -> np.ndarray:
    """(len(post), k) distinct cells of [lo, hi) per row, none equal to its post."""
    own = (post >= lo) & (post < hi)  # rows whose own cell is in the pool
    size = (hi - lo) - own  # pool size per row, the own cell left out
    if np.any(size < k):
        raise ValueError(f"in-degree {k} > {int(size.min())} candidate cells")

    def draw(rows, cols):
        x = (rng.random(cols.shape) * size[rows]).astype(np.int64)
        return x + (own[rows] & (x >= post[rows] - lo))  # skip the own cell

    out = draw(np.arange(len(post))[:, None], np.zeros((len(post), k)))
    while True:  # redraw repeats within a row until there are none
        order = np.argsort(out, axis=1)
        srt = np.take_along_axis(out, order, axis=1)
        dup = np.zeros_like(out, dtype=bool)
        dup[:, 1:] = srt[:, 1:] == srt[:, :-1]
        if not dup.any():
            return out + lo
        rows, cols = np.nonzero(dup)
        cols = order[rows, cols]
        out[rows, cols] = draw(rows, cols)


def numpy_graph(n: int, k: int, seed: int):
    """(pre_exc, post_exc, pre_inh, post_inh), global cell ids: every cell gets
    k_exc excitatory and k_inh inhibitory inputs from distinct other cells."""
    n_exc, _ = populations(n)
    k_exc, k_inh = in_degrees(k)
    rng = np.random.default_rng(seed)
    post = np.arange(n)
    pre_e = _distinct(rng, 0, n_exc, k_exc, post)
    pre_i = _distinct(rng, n_exc, n, k_inh, post)
    return (
        pre_e.ravel(),
        np.repeat(post, k_exc),
        pre_i.ravel(),
        np.repeat(post, k_inh),
    )


def initial_v(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(V_RESET, V_TH, n)


def rates(counts: np.ndarray, n_exc: int, seconds: float) -> dict:
    """Spike total and the mean rates of both populations from per-cell counts."""
    n_inh = counts.size - n_exc
    return {
        "spikes": int(counts.sum()),
        "exc_hz": float(counts[:n_exc].sum() / (n_exc * seconds)),
        "inh_hz": float(counts[n_exc:].sum() / (n_inh * seconds)),
    }


def timed_runs(run, repeats: int) -> dict:
    first, runs, out = P.time_calls(run, repeats)
    med = float(np.median(runs))
    return {"first_s": first, "runs": runs, "run_s": med, "compile_s": first - med}


# --- dendrax -------------------------------------------------------------------------


def dendrax_case(n: int, cfg: Config, repeats: int) -> dict:
    import jax

    jax.config.update("jax_enable_x64", bool(cfg.f64))
    import equinox as eqx
    import jax.numpy as jnp

    import dendrax as dx

    n_exc, _ = populations(n)
    k_exc, k_inh = in_degrees(cfg.k)
    t0 = time.perf_counter()
    k_e, k_i, k_v = jax.random.split(jax.random.key(cfg.seed), 3)
    length = AREA / (2 * math.pi * RADIUS)
    cell = dx.Cell(dx.Branch(dx.Compartment(length=length, radius=RADIUS)))
    lif = dx.channels.LIF(G_LEAK, E_LEAK, V_TH, V_RESET, T_REF)
    net = dx.insert(dx.Network([cell] * n), lif)
    everyone = dx.select(net, cell="all")
    delivery = dx.conn.EventDriven(max_spikes=cfg.ms)
    for name, cells, syn, k, key in (
        ("exc", np.arange(n_exc), dx.synapses.Exp(W_EXC, TAU_EXC, E_EXC), k_exc, k_e),
        (
            "inh",
            np.arange(n_exc, n),
            dx.synapses.Exp(W_INH, TAU_INH, E_INH),
            k_inh,
            k_i,
        ),
    ):
        rule = dx.conn.FixedInDegree(k, self_connections=False)
        pre = dx.select(net, cell=cells)
        net = dx.connect(
            net, pre, everyone, syn, rule, key=key, name=name, delivery=delivery
        )
    net = dx.set(
        net, "v_init", jax.random.uniform(k_v, (n,), minval=V_RESET, maxval=V_TH)
    )
    jax.block_until_ready(jax.tree.leaves(net))
    build = time.perf_counter() - t0

    steps = dx.n_steps(cfg.t, cfg.dt)
    drive = dx.Stimulus(everyone, jnp.full((steps,), I_DRIVE))
    record = dx.Record("spikes", every=steps)  # one count per cell, as the peers

    @eqx.filter_jit
    def simulate(net):
        return dx.simulate(net, cfg.t, cfg.dt, stimuli=drive, record=record).ys

    res = timed_runs(lambda: jax.block_until_ready(simulate(net)), repeats)
    counts = np.asarray(simulate(net)).sum(axis=0)
    return {
        **res,
        "build_s": build,
        "synapses": [len(p) for p in net.synapses],
        **rates(counts, n_exc, cfg.t / 1000.0),
        "dtype": str(jnp.zeros(()).dtype),
        "versions": {"jax": jax.__version__, "dendrax": dx.__version__},
    }


# --- BrainPy (its own environment; imports neither dendrax nor this one's jax) ------


def brainpy_case(n: int, cfg: Config, repeats: int, projections: int) -> dict:
    import brainevent
    import brainpy as bp
    import brainpy.math as bm
    import jax

    t0 = time.perf_counter()
    bm.set_platform("cpu")
    bm.set_dt(cfg.dt)
    n_exc, n_inh = populations(n)
    k_exc, k_inh = in_degrees(cfg.k)
    g_leak = G_LEAK * AREA * 1e-8 * 1e6  # µS
    tau_m = 1e3 * 1e-6 / G_LEAK  # ms: C / g_leak at 1 µF/cm²
    lif = dict(V_rest=E_LEAK, V_th=V_TH, V_reset=V_RESET, tau=tau_m, tau_ref=T_REF)
    drive = I_DRIVE / g_leak  # mV (nA / µS)
    exc, inh = (W_EXC, TAU_EXC, E_EXC), (W_INH, TAU_INH, E_INH)

    def projection(pre, post, conn, w, tau, e):
        return bp.dyn.ProjAlignPostMg2(
            pre=pre,
            delay=None,
            comm=bp.dnn.EventCSRLinear(conn, w / g_leak),
            syn=bp.dyn.Expon.desc(post.varshape, tau=tau),
            out=bp.dyn.COBA.desc(E=e),
            post=post,
        )

    def csr(pre, post):
        order = np.argsort(pre, kind="stable")
        indptr = np.concatenate([[0], np.cumsum(np.bincount(pre, minlength=n))])
        conn = bp.conn.CSRConn(post[order].astype(np.int32), indptr.astype(np.int32))
        return conn(n, n)

    class COBA(bp.DynamicalSystem):
        def __init__(self):
            super().__init__()
            if projections == 4:
                e, i = bp.dyn.LifRef(n_exc, **lif), bp.dyn.LifRef(n_inh, **lif)
                groups = [e, i]
                pairs = [(e, e), (e, i), (i, e), (i, i)]
                kinds = [exc, exc, inh, inh]
                conns = [
                    bp.conn.FixedPreNum(
                        k_exc if a is e else k_inh,
                        include_self=a is not b,  # FixedPreNum's name for "may"
                        seed=4 * cfg.seed + j,
                        pre=a.num,
                        post=b.num,
                    )
                    for j, (a, b) in enumerate(pairs)
                ]
            else:
                cells = bp.dyn.LifRef(n, **lif)
                groups = [cells]
                pairs = [(cells, cells)] * 2
                kinds = [exc, inh]
                pre_e, post_e, pre_i, post_i = numpy_graph(n, cfg.k, cfg.seed)
                conns = [csr(pre_e, post_e), csr(pre_i, post_i)]
            self.kinds = kinds
            projs = [
                projection(a, b, c, *kind)
                for (a, b), c, kind in zip(pairs, conns, kinds)
            ]
            # Registered, so that net.vars() finds the states to reset.
            self.groups = bm.NodeList(groups)
            self.projs = bm.NodeList(projs)
            self.counts = bm.Variable(bm.zeros(n, dtype=bm.int32))

        def update(self):
            for proj in self.projs:
                proj()
            for group in self.groups:
                group(drive)
            spikes = bm.concatenate([group.spike.value for group in self.groups])
            self.counts.value += spikes

    net = COBA()
    v0 = initial_v(n, cfg.seed).astype(np.float32)
    start = 0
    for group in net.groups:
        group.V.value = bm.asarray(v0[start : start + group.num])
        start += group.num
    variables = net.vars().unique()
    found = {id(v) for v in variables.values()}
    assert all(id(g.t_last_spike) in found for g in net.groups), "states not found"
    initial = {k: v.value for k, v in variables.items()}
    indices = bm.arange(int(round(cfg.t / cfg.dt)))

    @bm.jit  # without it, for_loop traces and compiles on every call
    def loop():
        bm.for_loop(net.step_run, indices, progress_bar=False)

    synapses = [0, 0]
    for proj, kind in zip(net.projs, net.kinds):
        synapses[kind is inh] += len(proj.comm.indices)
    build = time.perf_counter() - t0

    def run():
        for k, v in variables.items():
            v.value = initial[k]
        loop()
        jax.block_until_ready(net.counts.value)

    res = timed_runs(run, repeats)
    try:  # a private module: the backend is only reported
        from brainevent._csr.binary import binary_csrmv_p

        backend = brainevent.config.get_backend("cpu") or binary_csrmv_p.defaults["cpu"]
    except (ImportError, AttributeError, KeyError):
        backend = "?"
    return {
        **res,
        "build_s": build,
        "synapses": synapses,
        **rates(np.asarray(net.counts.value), n_exc, cfg.t / 1000.0),
        "dtype": str(net.groups[0].V.value.dtype),
        "versions": {
            "brainpy": bp.__version__,
            "brainevent": brainevent.__version__,
            "backend": backend,
            "jax": jax.__version__,
        },
    }


# --- Brian2 (its own environment; imports neither jax nor dendrax) -----------------


def brian2_case(n: int, cfg: Config, repeats: int) -> dict:
    import brian2 as b2
    from brian2 import ms, mV, nA, nS, pF

    t0 = time.perf_counter()
    b2.prefs.codegen.target = "numpy"
    b2.defaultclock.dt = cfg.dt * ms
    b2.seed(cfg.seed)
    n_exc, _ = populations(n)
    area_cm2 = AREA * 1e-8
    ns = {
        "C": 1e-6 * area_cm2 * 1e12 * pF,  # 1 µF/cm²
        "g_l": G_LEAK * area_cm2 * 1e9 * nS,
        "E_l": E_LEAK * mV,
        "E_e": E_EXC * mV,
        "E_i": E_INH * mV,
        "tau_e": TAU_EXC * ms,
        "tau_i": TAU_INH * ms,
        "I_drive": I_DRIVE * nA,
        "V_th": V_TH * mV,
        "V_reset": V_RESET * mV,
        "w_e": 1e3 * W_EXC * nS,
        "w_i": 1e3 * W_INH * nS,
    }
    eqs = """
    dv/dt = (g_l*(E_l - v) + ge*(E_e - v) + gi*(E_i - v) + I_drive) / C
        : volt (unless refractory)
    dge/dt = -ge / tau_e : siemens
    dgi/dt = -gi / tau_i : siemens
    """
    cells = b2.NeuronGroup(
        n,
        eqs,
        threshold="v > V_th",
        reset="v = V_reset",
        refractory=T_REF * ms,
        method="euler",
        namespace=ns,
    )
    cells.v = initial_v(n, cfg.seed) * mV
    pre_e, post_e, pre_i, post_i = numpy_graph(n, cfg.k, cfg.seed)
    exc = b2.Synapses(cells[:n_exc], cells, on_pre="ge_post += w_e", namespace=ns)
    exc.connect(i=pre_e, j=post_e)
    inh = b2.Synapses(cells[n_exc:], cells, on_pre="gi_post += w_i", namespace=ns)
    inh.connect(i=pre_i - n_exc, j=post_i)
    monitor = b2.SpikeMonitor(cells)
    net = b2.Network(cells, exc, inh, monitor)
    net.store()
    build = time.perf_counter() - t0

    def run():
        net.restore()
        net.run(cfg.t * ms)

    res = timed_runs(run, repeats)
    counts = np.bincount(np.asarray(monitor.i), minlength=n)
    return {
        **res,
        "build_s": build,
        "synapses": [len(exc), len(inh)],
        **rates(counts, n_exc, cfg.t / 1000.0),
        "dtype": "float64",
        "versions": {"brian2": b2.__version__, "numpy": np.__version__},
    }


def run_case(sim: str, case: str, repeats: int, npz: Path, config: str) -> dict:
    cfg, n = Config.parse(config), int(case)
    if sim == "dendrax":
        res = dendrax_case(n, cfg, repeats)
    elif sim.startswith("brainpy"):
        res = brainpy_case(n, cfg, repeats, int(sim[-1]))
    elif sim == "brian2":
        res = brian2_case(n, cfg, repeats)
    else:
        raise ValueError(f"unknown simulator {sim!r}")
    res["rss_mib"] = P.peak_rss_mib()
    return res


# --- the parent ----------------------------------------------------------------------


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cells", default=None, help="sizes (4000,16000,64000)")
    p.add_argument("--sims", default=",".join(SIMS), help=f"({','.join(SIMS)})")
    p.add_argument("--rounds", type=int, default=None, help="(3; --quick 1)")
    p.add_argument("--repeats", type=int, default=2, help="runs after the first (2)")
    p.add_argument("--t-max", type=float, default=None, help="ms (1000; --quick 200)")
    p.add_argument("--dt", type=float, default=0.1, help="ms (0.1)")
    p.add_argument("--in-degree", type=int, default=80, help="inputs per cell (80)")
    p.add_argument("--float64", action="store_true", help="dendrax in float64")
    p.add_argument(
        "--max-spikes",
        type=int,
        default=None,
        help="dendrax EventDriven(max_spikes=) (32 per 4000 cells)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="4000 cells, 200 ms, 1 round")
    p.add_argument("--json", default=None, help="write all measurements to this file")
    p.add_argument("--report", default=None, metavar="JSON", help="print a --json file")
    p.add_argument("--brainpy-python", default=None, help="interpreter with brainpy")
    p.add_argument("--brian2-python", default=None, help="interpreter with brian2")
    p.add_argument("--timeout", type=float, default=1800.0, help="per process, s")
    a = p.parse_args(argv)
    a.cells = [
        int(c)
        for c in (a.cells or ("4000" if a.quick else "4000,16000,64000")).split(",")
    ]
    a.sims = [s.strip() for s in a.sims.split(",") if s.strip()]
    if set(a.sims) - set(SIMS) or "dendrax" not in a.sims:
        p.error(f"--sims: dendrax and any of {SIMS[1:]}")
    a.rounds = a.rounds or (1 if a.quick else 3)
    a.t_max = a.t_max or (200.0 if a.quick else 1000.0)
    if a.rounds < 1 or a.repeats < 1 or min(a.cells) < 2 * a.in_degree:
        p.error("need rounds, repeats >= 1 and cells >= 2 x in-degree")
    return a


def config_for(args, n: int) -> Config:
    ms = args.max_spikes or max(32, round(32 * n / 4000))
    return Config(
        t=args.t_max,
        dt=args.dt,
        f64=int(args.float64),
        ms=ms,
        k=args.in_degree,
        seed=args.seed,
    )


def main(argv=None):
    args = parse_args(argv)
    if args.report:
        data = json.loads(Path(args.report).read_text())
        print_report(data["settings"], data["sizes"])
        return 0
    t_start = time.perf_counter()
    pythons = {"dendrax": sys.executable}
    if any(s.startswith("brainpy") for s in args.sims):
        py = P.peer_python(
            "brainpy-2.8.2", BRAINPY_REQ, "import brainpy", args.brainpy_python
        )
        pythons.update(brainpy4=py, brainpy2=py)
    if "brian2" in args.sims:
        pythons["brian2"] = P.peer_python(
            "brian2-2.9.0", BRIAN2_REQ, "import brian2", args.brian2_python
        )
    sims = [s for s in SIMS if s in args.sims]
    settings = {
        "cells": args.cells,
        "sims": sims,
        "rounds": args.rounds,
        "repeats": args.repeats,
        "t_max": args.t_max,
        "dt": args.dt,
        "in_degree": args.in_degree,
        "float64": args.float64,
        "pythons": {s: pythons[s] for s in sims},
    }
    meta = {
        "script": "coba.py",
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": P.machine(),
        "git": P.git_state(),
        "settings": settings,
    }
    print(f"machine: {meta['machine']}\ngit: {meta['git']}")
    print(f"{args.rounds} rounds x {args.repeats} repeats, {args.t_max:g} ms\n")
    tmp = Path(tempfile.mkdtemp(prefix="coba_"))
    runner = P.Runner(Path(__file__).resolve(), tmp, args.timeout)
    rounds = {n: {s: [] for s in sims} for n in args.cells}
    for r in range(args.rounds):
        for n in args.cells:
            cfg = config_for(args, n)
            k = r % len(sims)
            for sim in sims[k:] + sims[:k]:
                res, _ = runner.run(
                    pythons[sim], sim, str(n), args.repeats, f"r{r}", config=str(cfg)
                )
                res["config"] = str(cfg)
                rounds[n][sim].append(res)
                status = (
                    f"build {res['build_s']:.2f} s, first {res['first_s']:.2f} s, run "
                    f"{res['run_s']:.3f} s, RSS {res['rss_mib']:.0f} MiB, "
                    f"{res['exc_hz']:.1f}/{res['inh_hz']:.1f} Hz"
                    if res.get("ok")
                    else f"FAILED: {res.get('error')}"
                )
                print(
                    f"round {r + 1}/{args.rounds} {n:>6} {sim:<9} {status}", flush=True
                )
    shutil.rmtree(tmp, ignore_errors=True)
    sizes = {
        str(n): {
            "rounds": rounds[n],
            "summary": P.summarise(rounds[n], COLUMNS, "dendrax"),
        }
        for n in args.cells
    }
    meta["wall_s"] = time.perf_counter() - t_start
    print_report(settings, sizes)
    print(f"\nwall time {meta['wall_s']:.0f} s")
    P.write_json(args.json, {**meta, "sizes": sizes})
    return 0


def _first_ok(rs: list[dict], key: str):
    return next((r[key] for r in rs if r.get("ok") and key in r), None)


def print_report(settings: dict, sizes: dict):
    steps = round(settings["t_max"] / settings["dt"])
    print(
        f"\n## COBA, in-degree {settings['in_degree']}, {settings['t_max']:g} ms "
        f"({steps} steps) — median (min–max) of {settings['rounds']} rounds, each a "
        f"fresh process; run = median of {settings['repeats']} runs after the first\n"
    )
    header = ["cells", "simulator", "synapses", *[COLUMN_NAMES[c] for c in COLUMNS]]
    header += ["µs / step", "exc / inh [Hz]"]
    rows = []
    for n, res in sizes.items():
        s = res["summary"]
        for sim, rs in res["rounds"].items():
            syn = _first_ok(rs, "synapses")
            if not any(r.get("ok") for r in rs):
                err = next((r.get("error") for r in rs), "")
                rows.append([n, sim, "–", f"failed: {str(err)[:60]}", *[""] * 5])
                continue
            run = s["per_sim"][sim]["run_s"]
            per_step = {k: v * 1e6 / steps for k, v in run.items() if k != "n"} | {
                "n": run["n"]
            }
            hz = f"{_first_ok(rs, 'exc_hz'):.1f} / {_first_ok(rs, 'inh_hz'):.1f}"
            rows.append(
                [
                    n,
                    sim,
                    str(sum(syn)),
                    *[P.fmt_s(s["per_sim"][sim][c]) for c in COLUMNS],
                    P.fmt_s(per_step),
                    hz,
                ]
            )
        for sim, ratio in s["ratios"].items():
            rows.append(
                [
                    n,
                    f"**dendrax / {sim}**",
                    "",
                    *[P.fmt_s(ratio.get(c), 2) for c in COLUMNS],
                    "",
                    "",
                ]
            )
    print(P.markdown_table(header, rows, "ll" + "r" * (len(header) - 2)))
    print(f"\n{P.RATIO_NOTE}; its median and min–max over the rounds.")


if __name__ == "__main__":
    if "--worker" in sys.argv:
        P.worker_main(run_case)
        sys.exit(0)
    sys.exit(main())
