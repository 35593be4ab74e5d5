"""The COBA network (4000 LIF cells): dendrax's spike deliveries, Brian2 and BrainPy.

The model is the one of examples/coba.py (Brette et al. 2007, after Vogels and
Abbott 2005): 3200 excitatory and 800 inhibitory LIF cells (C = 200 pF,
g_leak = 10 nS, E_L = V_reset = -60 mV, V_th = -50 mV, 5 ms refractory),
Bernoulli connectivity with p = 0.02 and no self connections, exponential
conductance synapses (6 nS, 5 ms, 0 mV excitatory; 67 nS, 10 ms, -80 mV
inhibitory; no delays), a constant 0.2 nA into every cell, initial voltages
uniform in [V_reset, V_th], 1 s at dt = 0.1 ms. Spikes are recorded.

Timed, for each delivery strategy of `dx.connect` (`Segment`, `Dense`,
`EventDriven`): the network build (`dx.connect` included), the compilation
(`eqx.filter_jit(...).lower(net).compile()`: trace + XLA) and the run (median
of `--repeats` calls of the compiled function, each ended by
`block_until_ready`; the repeats of the three are interleaved). Each row also
gives the excitatory and inhibitory rates; the network is chaotic, so the
strategies (which differ in summation order) agree in their rates, not in
every spike.

The peers run in child processes (`--brian2-python`, `--brainpy-python`,
default: this interpreter), so each can live in its own environment; if one
cannot be imported there, its row says why and the rest of the table stands.
Their builds exclude the import and include the connectivity; their first run
minus the median run is reported as "compile"; every run starts from the
stored initial state.

Brian2 runs with the `numpy` code generation target (no compiler needed),
forward Euler as in Brian2's own COBA example, float64, spikes recorded by a
`SpikeMonitor`, runs started from `Network.restore`. brian2 2.9.0 does not
import with numpy >= 2.4 (it wraps `np.ndarray.ptp`), so it may need its own
environment.

BrainPy (2.8) runs the voltage form of the same equations (`bp.dyn.LifRef`,
`bp.dyn.Expon` + `bp.dyn.COBA` in units of g_leak: tau 20 ms, weights 0.6 and
6.7, drive 20 mV) in float32 on the CPU, each projection a
`bp.dyn.ProjAlignPostMg2` with `bp.dnn.EventCSRLinear`, brainevent's
event-driven CSR operator, whose CPU kernel is numba called through an XLA FFI
target; the steps are a `bm.for_loop` inside `bm.jit`, and spikes are counted
in a state variable. Two rows: the layout of BrainPy's own COBA example (E and
I groups, four projections, `bp.conn.FixedProb`) and dendrax's (one group, two
projections, Bernoulli connectivity drawn with NumPy). Its "compile" includes
the numba compilation of the kernels; its build, the numba compilation of
`FixedProb`'s sampler.

    python -m venv /tmp/b2 && /tmp/b2/bin/pip install brian2 "numpy<2.4"
    python -m venv /tmp/bp && /tmp/bp/bin/pip install "brainpy[cpu]==2.8.2"
    python benchmarks/coba.py --brian2-python /tmp/b2/bin/python \\
                              --brainpy-python /tmp/bp/bin/python

The defaults take about 5 minutes on 2 cores (4 before the BrainPy rows), most
of it in `Dense`; `--deliveries segment,event` skips it (about 75 s in all).

    python benchmarks/coba.py [--t-max MS] [--repeats R] [--float64]
                              [--deliveries segment,dense,event] [--max-spikes K]
                              [--scale F] [--no-brian2 | --brian2-python PATH]
                              [--no-brainpy | --brainpy-python PATH]
"""

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

N_EXC, N_INH, P_CONNECT = 3200, 800, 0.02
AREA, RADIUS = 20000.0, 10.0  # µm²: C = 200 pF at 1 µF/cm²; µm
G_LEAK, E_LEAK, V_TH, V_RESET, T_REF = 5e-5, -60.0, -50.0, -60.0, 5.0  # S/cm², mV, ms
W_EXC, TAU_EXC, E_EXC = 0.006, 5.0, 0.0  # µS, ms, mV
W_INH, TAU_INH, E_INH = 0.067, 10.0, -80.0
I_DRIVE = 0.2  # nA
EVERY = 10  # spike counts per EVERY steps (1 ms at dt = 0.1 ms)
DELIVERIES = ("segment", "dense", "event")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--t-max", type=float, default=1000.0, help="ms (1000)")
    p.add_argument("--dt", type=float, default=0.1, help="ms (0.1)")
    p.add_argument("--repeats", type=int, default=3, help="timed runs each (3)")
    p.add_argument("--float64", action="store_true", help="dendrax in float64")
    p.add_argument(
        "--deliveries",
        default=",".join(DELIVERIES),
        help="comma-separated subset of segment,dense,event (all)",
    )
    p.add_argument(
        "--max-spikes", type=int, default=32, help="EventDriven(max_spikes=) (32)"
    )
    p.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="fraction of the 4000 cells; p grows as 1/scale, so every cell keeps "
        "its ~80 inputs (1.0)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-brian2", action="store_true", help="skip the Brian2 peer")
    p.add_argument(
        "--brian2-python",
        default=sys.executable,
        help="Python interpreter that has brian2 (default: this one)",
    )
    p.add_argument("--brian2-worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--no-brainpy", action="store_true", help="skip the BrainPy peer")
    p.add_argument(
        "--brainpy-python",
        default=sys.executable,
        help="Python interpreter that has brainpy (default: this one)",
    )
    p.add_argument("--brainpy-worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument(
        "--brainpy-projections",
        type=int,
        default=4,
        choices=(2, 4),
        help=argparse.SUPPRESS,
    )
    args = p.parse_args(argv)
    args.deliveries = [d.strip() for d in args.deliveries.split(",") if d.strip()]
    unknown = set(args.deliveries) - set(DELIVERIES)
    if unknown:
        p.error(f"unknown deliveries {sorted(unknown)}; choose from {DELIVERIES}")
    if args.repeats < 1 or args.max_spikes < 1:
        p.error("--repeats and --max-spikes must be >= 1")
    if not 0 < args.scale <= 1 or args.dt <= 0 or args.t_max < args.dt:
        p.error("need 0 < scale <= 1, dt > 0 and t-max >= dt")
    args.n_exc, args.n_inh = round(N_EXC * args.scale), round(N_INH * args.scale)
    args.p = P_CONNECT / args.scale
    return args


def _clock(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


# --- Brian2 (child process; imports neither jax nor dendrax) -------------------------


def brian2_worker(args):
    """Build and run the network in Brian2; print one JSON line of results."""
    t_import0 = time.perf_counter()
    import brian2 as b2
    from brian2 import ms, mV, nA, nS, pF

    t_build0 = time.perf_counter()
    b2.prefs.codegen.target = "numpy"
    b2.defaultclock.dt = args.dt * ms
    b2.seed(args.seed)
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
    n = args.n_exc + args.n_inh
    cells = b2.NeuronGroup(
        n,
        eqs,
        threshold="v > V_th",
        reset="v = V_reset",
        refractory=T_REF * ms,
        method="euler",
        namespace=ns,
    )
    cells.v = "V_reset + rand() * (V_th - V_reset)"
    exc = b2.Synapses(cells[: args.n_exc], cells, on_pre="ge_post += w_e", namespace=ns)
    exc.connect(condition="i != j", p=args.p)
    inh = b2.Synapses(cells[args.n_exc :], cells, on_pre="gi_post += w_i", namespace=ns)
    inh.connect(condition=f"i + {args.n_exc} != j", p=args.p)
    monitor = b2.SpikeMonitor(cells)
    net = b2.Network(cells, exc, inh, monitor)
    net.store()
    t_build = time.perf_counter() - t_build0

    def run():
        net.restore()
        t0 = time.perf_counter()
        net.run(args.t_max * ms)
        return time.perf_counter() - t0

    first = run()  # code generation + run
    runs = [run() for _ in range(args.repeats)]
    i = np.asarray(monitor.i)
    seconds = args.t_max / 1000.0
    out = {
        "version": b2.__version__,
        "numpy": np.__version__,
        "import": t_build0 - t_import0,
        "build": t_build,
        "first": first,
        "runs": runs,
        "synapses": [len(exc), len(inh)],
        "spikes": int(i.size),
        "exc_hz": float(np.sum(i < args.n_exc) / (args.n_exc * seconds)),
        "inh_hz": float(np.sum(i >= args.n_exc) / (args.n_inh * seconds)),
    }
    print(json.dumps(out))


# --- BrainPy (child process; imports neither dendrax nor this environment's jax) -----


def brainpy_worker(args):
    """Build and run the network in BrainPy; print one JSON line of results.

    `LifRef` cells; every projection a `ProjAlignPostMg2` whose `EventCSRLinear`
    (brainevent's event-driven CSR operator) adds the weights of the cells that
    fired to an `Expon` conductance per postsynaptic cell, with a `COBA` output.
    The voltage form is dendrax's equation divided by g_leak: tau = C / g_leak,
    weights and drive in units of g_leak. `--brainpy-projections`:

    - 4: the layout of BrainPy's own COBA example (`EICOBA_PostAlign`): an E and
      an I group, four projections (E→E, E→I, I→E, I→I), `bp.conn.FixedProb`
      (which gives every presynaptic cell round(p × n_post) targets, less itself).
    - 2: dendrax's layout: one group of all cells and two projections, from the
      excitatory and from the inhibitory cells to all; Bernoulli connectivity
      drawn with NumPy as in Brian2 and dendrax, handed over as `bp.conn.CSRConn`
      (the rows of the other population are empty).
    """
    t_import0 = time.perf_counter()
    import brainpy as bp
    import brainpy.math as bm
    import jax

    t_build0 = time.perf_counter()
    bm.set_platform("cpu")
    bm.set_dt(args.dt)
    g_leak = G_LEAK * AREA * 1e-8 * 1e6  # µS
    tau_m = 1e3 * 1e-6 / G_LEAK  # ms: C / g_leak at 1 µF/cm²
    lif = dict(V_rest=E_LEAK, V_th=V_TH, V_reset=V_RESET, tau=tau_m, tau_ref=T_REF)
    drive = I_DRIVE / g_leak  # mV (nA / µS)
    n = args.n_exc + args.n_inh
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

    def bernoulli(rows, seed):
        """All cells to all, p, no self connections, only from `rows`."""
        chosen = np.random.default_rng(seed).random((n, n), dtype=np.float32) < args.p
        np.fill_diagonal(chosen, False)
        chosen[~rows] = False
        indptr = np.concatenate([[0], np.cumsum(chosen.sum(axis=1))])
        indices = np.nonzero(chosen)[1]
        return bp.conn.CSRConn(indices.astype(np.int32), indptr.astype(np.int32))(n, n)

    class COBA(bp.DynamicalSystem):
        def __init__(self):
            super().__init__()
            if args.brainpy_projections == 4:
                self.groups = [
                    bp.dyn.LifRef(args.n_exc, **lif),
                    bp.dyn.LifRef(args.n_inh, **lif),
                ]
                pairs = [(a, b) for a in self.groups for b in self.groups]
                conns = [
                    bp.conn.FixedProb(
                        args.p,
                        pre=a.num,
                        post=b.num,
                        include_self=a is not b,
                        seed=4 * args.seed + k,
                    )
                    for k, (a, b) in enumerate(pairs)
                ]
                kinds = [exc, exc, inh, inh]
            else:
                cells = bp.dyn.LifRef(n, **lif)
                self.groups = [cells]
                is_exc = np.arange(n) < args.n_exc
                pairs = [(cells, cells)] * 2
                seeds = 2 * args.seed, 2 * args.seed + 1
                conns = [bernoulli(is_exc, seeds[0]), bernoulli(~is_exc, seeds[1])]
                kinds = [exc, inh]
            self.kinds = kinds
            self.projs = [
                projection(a, b, conn, *kind)
                for (a, b), conn, kind in zip(pairs, conns, kinds)
            ]
            # Registered, so that net.vars() finds the states to reset.
            self.groups = bm.NodeList(self.groups)
            self.projs = bm.NodeList(self.projs)
            self.counts = bm.Variable(bm.zeros(n, dtype=bm.int32))

        def update(self):
            for proj in self.projs:
                proj()
            for group in self.groups:
                group(drive)
            spikes = bm.concatenate([group.spike.value for group in self.groups])
            self.counts.value += spikes

    net = COBA()
    v0 = np.random.default_rng(args.seed).uniform(V_RESET, V_TH, n)
    start = 0
    for group in net.groups:
        group.V.value = bm.asarray(v0[start : start + group.num].astype(np.float32))
        start += group.num
    variables = net.vars().unique()
    found = {id(v) for v in variables.values()}
    assert all(id(g.t_last_spike) in found for g in net.groups), "states not found"
    initial = {k: v.value for k, v in variables.items()}
    indices = bm.arange(int(round(args.t_max / args.dt)))

    @bm.jit  # without it, for_loop traces and compiles on every call
    def loop():
        bm.for_loop(net.step_run, indices, progress_bar=False)

    t_build = time.perf_counter() - t_build0

    def run():
        for k, v in variables.items():
            v.value = initial[k]
        t0 = time.perf_counter()
        loop()
        jax.block_until_ready(net.counts.value)
        return time.perf_counter() - t0

    first = run()  # tracing + XLA compile + numba kernels + run
    runs = [run() for _ in range(args.repeats)]
    counts = np.asarray(net.counts.value)
    seconds = args.t_max / 1000.0
    synapses = [0, 0]
    for proj, kind in zip(net.projs, net.kinds):
        synapses[kind is inh] += len(proj.comm.indices)

    import brainevent  # brainpy's event operators (bm.event.csrmv) come from it

    try:  # a private module: the backend is only reported
        from brainevent._csr.binary import binary_csrmv_p

        backend = brainevent.config.get_backend("cpu") or binary_csrmv_p.defaults["cpu"]
    except (ImportError, AttributeError, KeyError):
        backend = "?"
    out = {
        "version": bp.__version__,
        "brainevent": brainevent.__version__,
        "backend": backend,
        "jax": jax.__version__,
        "numpy": np.__version__,
        "dtype": str(net.groups[0].V.value.dtype),
        "import": t_build0 - t_import0,
        "build": t_build,
        "first": first,
        "runs": runs,
        "synapses": synapses,
        "spikes": int(counts.sum()),
        "exc_hz": float(counts[: args.n_exc].sum() / (args.n_exc * seconds)),
        "inh_hz": float(counts[args.n_exc :].sum() / (args.n_inh * seconds)),
    }
    print(json.dumps(out))


def run_peer(args, python, *flags):
    """Results of a peer's child process (`python coba.py *flags`), or
    {"error": reason}."""
    cmd = [python, __file__, *flags]
    cmd += ["--t-max", str(args.t_max), "--dt", str(args.dt)]
    cmd += ["--repeats", str(args.repeats), "--seed", str(args.seed)]
    cmd += ["--scale", str(args.scale)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as e:
        return {"error": f"{type(e).__name__}: {e}"}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode == 0 and lines:
        try:
            return json.loads(lines[-1])
        except ValueError:
            pass
    tail = (proc.stderr.strip().splitlines() or lines or ["no output"])[-1]
    return {"error": tail[:120]}


# --- dendrax -------------------------------------------------------------------------


def dendrax_network(args, delivery):
    k_exc, k_inh, k_v = jax.random.split(jax.random.key(args.seed), 3)
    length = AREA / (2 * math.pi * RADIUS)
    cell = dx.Cell(dx.Branch(dx.Compartment(length=length, radius=RADIUS)))
    n = args.n_exc + args.n_inh
    lif = dx.channels.LIF(G_LEAK, E_LEAK, V_TH, V_RESET, T_REF)
    net = dx.insert(dx.Network([cell] * n), lif)
    exc = dx.select(net, cell=np.arange(args.n_exc))
    inh = dx.select(net, cell=np.arange(args.n_exc, n))
    everyone = dx.select(net, cell="all")
    rule = dx.conn.Bernoulli(args.p, self_connections=False)
    for name, pre, syn, key in (
        ("exc", exc, dx.synapses.Exp(W_EXC, TAU_EXC, E_EXC), k_exc),
        ("inh", inh, dx.synapses.Exp(W_INH, TAU_INH, E_INH), k_inh),
    ):
        net = dx.connect(
            net, pre, everyone, syn, rule, key=key, name=name, delivery=delivery
        )
    v0 = jax.random.uniform(k_v, (n,), minval=V_RESET, maxval=V_TH)
    return dx.set(net, "v_init", v0)


def make_delivery(name, args):
    if name == "segment":
        return dx.conn.Segment()
    if name == "dense":
        return dx.conn.Dense()
    return dx.conn.EventDriven(max_spikes=args.max_spikes)


def compiled_runner(args, net):
    steps = dx.n_steps(args.t_max, args.dt)
    drive = dx.Stimulus(dx.select(net, cell="all"), jnp.full((steps,), I_DRIVE))
    record = dx.Record("spikes", every=EVERY)

    @eqx.filter_jit
    def run(net):
        return dx.simulate(net, args.t_max, args.dt, stimuli=drive, record=record).ys

    return run.lower(net).compile()


def _why(e):
    return f"failed: {type(e).__name__}: {str(e).strip().splitlines()[0]}"[:120]


def bench_dendrax(args):
    """{name: row dict}; build and compile all, then interleave the timed runs."""
    rows = {}
    for name in args.deliveries:
        label = f"dendrax {name}"
        if name == "event":
            label += f" (max_spikes={args.max_spikes})"
        row = rows[name] = {"label": label, "runs": []}
        try:
            row["build"], net = _clock(dendrax_network, args, make_delivery(name, args))
            row["synapses"] = [len(p) for p in net.synapses]
            row["compile"], run = _clock(compiled_runner, args, net)
            row["fn"] = lambda run=run, net=net: jax.block_until_ready(run(net))
            row["fn"]()  # a first call of the compiled function, untimed
        except Exception as e:  # a strategy that fails is reported, not fatal
            row["error"] = _why(e)
            print(f"{label}: {row['error']}")
    for _ in range(args.repeats):
        for row in rows.values():
            if "error" not in row:
                t, counts = _clock(row["fn"])
                row["runs"].append(t)
                row["counts"] = counts
    seconds = args.t_max / 1000.0
    for row in rows.values():
        if "error" in row:
            continue
        counts = np.asarray(row.pop("counts"))
        row["spikes"] = int(counts.sum())
        row["exc_hz"] = counts[:, : args.n_exc].sum() / (args.n_exc * seconds)
        row["inh_hz"] = counts[:, args.n_exc :].sum() / (args.n_inh * seconds)
    return list(rows.values())


# --- report ------------------------------------------------------------------------


def print_table(args, rows):
    seconds = args.t_max / 1000.0
    ok = [r for r in rows if "error" not in r]
    fastest = min(statistics.median(r["runs"]) for r in ok) if ok else None
    head = (
        f"{'simulator / config':<34}{'build [s]':>10}{'compile [s]':>12}"
        f"{'run [s]':>9}{'s / sim s':>10}{'exc [Hz]':>10}{'inh [Hz]':>10}"
        f"{'spikes':>8}{'÷ fastest':>11}"
    )
    print(f"\n{head}\n{'-' * len(head)}")
    for r in rows:
        if "error" in r:
            print(f"{r['label']:<34}  {r['error']}")
            continue
        med = statistics.median(r["runs"])
        print(
            f"{r['label']:<34}{r['build']:>10.2f}{r['compile']:>12.2f}{med:>9.3f}"
            f"{med / seconds:>10.3f}{r['exc_hz']:>10.2f}{r['inh_hz']:>10.2f}"
            f"{r['spikes']:>8d}{med / fastest:>11.2f}"
        )
    print(
        "run = median of the timed runs; s / sim s = run time per simulated second; "
        "÷ fastest = run time\nover the fastest row's. dendrax compile = trace + "
        "XLA compile; the peers' compile = their first\nrun (Brian2: code "
        "generation; BrainPy: trace, XLA and numba compiles) minus the median\nrun. "
        "Builds exclude imports. The first dendrax build also compiles the JAX "
        "operations\nthat connect uses; later builds reuse them."
    )


def brian2_row(args):
    if args.no_brian2:
        return {"label": "Brian2", "error": "skipped (--no-brian2)"}
    res = run_peer(args, args.brian2_python, "--brian2-worker")
    if "error" in res:
        return {"label": "Brian2", "error": f"skipped: {res['error']}"}
    print(
        f"Brian2 {res['version']} (numpy {res['numpy']}, {args.brian2_python}): "
        f"{res['synapses'][0]} exc and {res['synapses'][1]} inh synapses; "
        f"import {res['import']:.2f} s (not in build)"
    )
    return _peer_row(f"Brian2 {res['version']} numpy target", res)


def brainpy_rows(args):
    """One row per layout: BrainPy's example (4 projections), dendrax's (2)."""
    if args.no_brainpy:
        return [{"label": "BrainPy", "error": "skipped (--no-brainpy)"}]
    rows = []
    for k in (4, 2):
        flags = ["--brainpy-worker", "--brainpy-projections", str(k)]
        res = run_peer(args, args.brainpy_python, *flags)
        if "error" in res:
            return rows + [{"label": "BrainPy", "error": f"skipped: {res['error']}"}]
        print(
            f"BrainPy {res['version']}, {k} projections (brainevent "
            f"{res['brainevent']}, {res['backend']} backend, jax {res['jax']}, numpy "
            f"{res['numpy']}, {res['dtype']}, {args.brainpy_python}): "
            f"{res['synapses'][0]} exc and {res['synapses'][1]} inh synapses; "
            f"import {res['import']:.2f} s (not in build)"
        )
        rows.append(_peer_row(f"BrainPy {res['version']} EventCSR, {k} proj", res))
    return rows


def _peer_row(label, res):
    med = statistics.median(res["runs"])
    return {
        "label": label,
        "build": res["build"],
        "compile": res["first"] - med,
        **{k: res[k] for k in ("runs", "spikes", "exc_hz", "inh_hz")},
    }


def versions():
    return (
        f"python {platform.python_version()}, jax {jax.__version__} "
        f"({jax.default_backend()}), equinox {eqx.__version__}, numpy "
        f"{np.__version__}; {os.cpu_count()} CPU cores; "
        f"XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r}"
    )


def main(args):
    print(versions())
    n_steps = dx.n_steps(args.t_max, args.dt)
    dtype = "float64" if args.float64 else "float32"
    print(
        f"\n== COBA: {args.n_exc} exc + {args.n_inh} inh LIF cells, p = {args.p:g}, "
        f"{args.t_max:g} ms at dt = {args.dt:g} ms ({n_steps} steps), dendrax "
        f"{dtype}, {args.repeats} timed runs each"
    )
    rows = bench_dendrax(args)
    syn = next((r["synapses"] for r in rows if "synapses" in r), None)
    if syn:
        print(f"dendrax: {syn[0]} exc and {syn[1]} inh synapses")
    ours = [r for r in rows if "error" not in r]
    peers = [brian2_row(args), *brainpy_rows(args)]
    print_table(args, rows + peers)
    if ours:
        best = min(ours, key=lambda r: statistics.median(r["runs"]))
        print(f"\nrun time of the fastest dendrax row ({best['label']}) over:")
        for peer in peers:
            if "error" not in peer:
                ratio = statistics.median(best["runs"]) / statistics.median(
                    peer["runs"]
                )
                print(f"  {peer['label']}: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    ARGS = parse_args()
    if ARGS.brian2_worker:
        brian2_worker(ARGS)
        sys.exit(0)
    if ARGS.brainpy_worker:
        brainpy_worker(ARGS)
        sys.exit(0)

    import jax

    jax.config.update("jax_enable_x64", ARGS.float64)

    import equinox as eqx
    import jax.numpy as jnp

    import dendrax as dx

    sys.exit(main(ARGS))
