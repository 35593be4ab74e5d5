"""1000 single-compartment Hodgkin-Huxley cells: dendrax vs NEURON, in one run.

Every cell is a 20 µm x 20 µm cylinder with `hh` (NEURON) / `dx.channels.HH()`
(dendrax) and its own current step (amplitudes spread linearly, so no two cells
are identical). Both simulators use fixed steps of implicit Euler
(`h.secondorder = 0`, cvode off), the same dt and record v of the same few cells;
the script checks that the traces agree before it prints the timings.

Timed:

- dendrax: `simulate` under `eqx.filter_jit`. The first call (trace + compile +
  one run) is reported separately; the run time is the median of `--repeats`
  calls, each finished with `block_until_ready`.
- NEURON: `finitialize` + `continuerun(t_max)`, median of `--repeats`, with exact
  rates (`h.usetable_hh = 0`, what dendrax computes) and with NEURON's default
  rate tables (`h.usetable_hh = 1`).

Repeats of the simulators are interleaved, so slow phases of a shared machine
affect them alike. A second, smaller section times a parameter sweep: `jax.vmap`
over `--sweep-values` values of gNa on a `--sweep-cells`-cell network, against a
Python loop of NEURON runs.

    python benchmarks/hh_network.py [--cells N] [--t-max MS] [--repeats R]
                                    [--float32] [--no-sweep]

Exits with status 1 if, in float64, dendrax and NEURON (exact rates) disagree by
more than `--tol` mV.
"""

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np

DELAY_FRAC, DUR_FRAC = 0.1, 0.8  # the step: from 10 % to 90 % of t_max
AMP_RANGE = (0.1, 0.5)  # nA; 20 µm x 20 µm cylinder: 8 to 40 µA/cm², all spiking
LENGTH, RADIUS = 20.0, 10.0  # µm
V_INIT = -65.0


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cells", type=int, default=1000, help="network size (1000)")
    p.add_argument("--t-max", type=float, default=100.0, help="duration, ms (100)")
    p.add_argument("--dt", type=float, default=0.025, help="time step, ms (0.025)")
    p.add_argument(
        "--repeats", type=int, default=7, help="timed runs per simulator (7)"
    )
    p.add_argument(
        "--float32",
        action="store_true",
        help="run dendrax in float32 (jax_enable_x64 off); NEURON is always float64",
    )
    p.add_argument("--record", type=int, default=3, help="cells to record (3)")
    p.add_argument("--no-sweep", action="store_true", help="skip the vmap sweep")
    p.add_argument("--sweep-cells", type=int, default=16, help="(16)")
    p.add_argument("--sweep-values", type=int, default=64, help="gNa values (64)")
    p.add_argument(
        "--tol",
        type=float,
        default=1e-6,
        help="max |ΔV| (mV) allowed between dendrax and NEURON in float64 (1e-6)",
    )
    args = p.parse_args(argv)
    for name in ("cells", "repeats", "record", "sweep_cells", "sweep_values"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.dt <= 0 or args.t_max < args.dt:
        p.error("need dt > 0 and t-max >= dt")
    args.record = min(args.record, args.cells)
    return args


ARGS = parse_args()

import jax  # noqa: E402

jax.config.update("jax_enable_x64", not ARGS.float32)

import equinox as eqx  # noqa: E402
import jax.numpy as jnp  # noqa: E402

import dendrax as dx  # noqa: E402


def _clock(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _recorded_cells(n_cells, n_rec):
    return [int(i) for i in np.unique(np.linspace(0, n_cells - 1, n_rec).round())]


def _stim_window(t_max):
    return DELAY_FRAC * t_max, DUR_FRAC * t_max


# --- dendrax ------------------------------------------------------------------------


def dendrax_network(n_cells):
    cell = dx.Cell(dx.Branch(dx.Compartment(length=LENGTH, radius=RADIUS)))
    return dx.insert(dx.Network([cell] * n_cells), dx.channels.HH())


def dendrax_stimulus(net, amps, t_max, dt):
    delay, dur = _stim_window(t_max)
    unit = dx.step_current(delay, dur, 1.0, dt, t_max)  # (steps,)
    current = unit[:, None] * jnp.asarray(amps, dtype=unit.dtype)[None, :]
    return dx.Stimulus(dx.select(net, cell="all"), current)


def make_runner(t_max, dt):
    @eqx.filter_jit
    def run(net, stim, record):
        return dx.simulate(net, t_max, dt, stimuli=stim, record=record)

    return run


def time_jitted(fn, *args):
    """(seconds of the first call, a function timing one further call, output)."""

    def once():
        return jax.block_until_ready(fn(*args))

    first, out = _clock(once)
    return first, (lambda: _clock(once)[0]), out


# --- NEURON -------------------------------------------------------------------------


def neuron_setup(h, dt):
    h.load_file("stdrun.hoc")
    h.cvode_active(0)
    h.secondorder = 0
    h.dt = dt
    h.steps_per_ms = 1.0 / dt
    h.celsius = 6.3  # hh.mod's reference temperature: q10 factor 1, as dendrax
    h.v_init = V_INIT


class NeuronNet:
    """`n` single-segment hh sections with an IClamp each; v recorded at `rec`."""

    def __init__(self, h, amps, rec, t_max):
        delay, dur = _stim_window(t_max)
        self.h, self.t_max = h, t_max
        self.secs, self.clamps = [], []
        for i, amp in enumerate(amps):
            sec = h.Section(name=f"hh{i}")
            sec.L, sec.diam, sec.nseg = LENGTH, 2 * RADIUS, 1
            sec.insert("hh")
            clamp = h.IClamp(sec(0.5))
            clamp.delay, clamp.dur, clamp.amp = delay, dur, float(amp)
            self.secs.append(sec)
            self.clamps.append(clamp)
        self.vecs = [h.Vector().record(self.secs[i](0.5)._ref_v) for i in rec]

    def set_gnabar(self, value):
        for sec in self.secs:
            sec(0.5).hh.gnabar = value

    def run(self):
        self.h.finitialize(V_INIT)
        self.h.continuerun(self.t_max)

    def traces(self):
        return np.stack([v.as_numpy().copy() for v in self.vecs], axis=1)

    def close(self):
        self.vecs, self.clamps, self.secs = [], [], []


# --- report -------------------------------------------------------------------------


def print_table(title, rows, ref_name, n_steps, n_cells):
    ref = statistics.median(dict((r[0], r[2]) for r in rows)[ref_name])
    head = (
        f"{'simulator / config':<34}{'compile [s]':>12}{'run [s]':>10}"
        f"{'min [s]':>10}{'µs/step/cell':>14}{'÷ NEURON ut=0':>15}"
    )
    print(f"\n{title}\n{head}\n{'-' * len(head)}")
    for name, compile_s, times in rows:
        med = statistics.median(times)
        comp = "-" if compile_s is None else f"{compile_s:.2f}"
        per = med / (n_steps * n_cells) * 1e6
        print(
            f"{name:<34}{comp:>12}{med:>10.3f}{min(times):>10.3f}{per:>14.4f}"
            f"{med / ref:>15.2f}"
        )
    print(
        "run = median of the timed runs; ÷ NEURON ut=0 = run time / NEURON's with "
        "usetable_hh = 0 (< 1: faster).\ncompile = first call minus the median run "
        "(trace + XLA compile)."
    )


def versions():
    import neuron

    return (
        f"python {platform.python_version()}, jax {jax.__version__} "
        f"({jax.default_backend()}, {len(jax.devices())} device), equinox "
        f"{eqx.__version__}, neuron {neuron.__version__}, numpy {np.__version__}; "
        f"{os.cpu_count()} CPU cores; XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r}"
    )


# --- benchmarks ---------------------------------------------------------------------


def bench_network(args, h):
    n, dt, t_max, reps = args.cells, args.dt, args.t_max, args.repeats
    n_steps = dx.n_steps(t_max, dt)
    dtype = "float32" if args.float32 else "float64"
    amps = np.linspace(*AMP_RANGE, n)
    rec = _recorded_cells(n, args.record)
    print(
        f"\n== {n} single-compartment HH cells, {t_max:g} ms, dt {dt:g} ms "
        f"({n_steps} steps), dendrax {dtype}; recording v of cells {rec}"
    )

    net = dendrax_network(n)
    stim = dendrax_stimulus(net, amps, t_max, dt)
    record = dx.Record("v", dx.select(net, cell=rec))
    run = make_runner(t_max, dt)
    first, dx_once, sol = time_jitted(run, net, stim, record)
    v_dx = np.asarray(sol.ys, dtype=np.float64)

    build, nrn = _clock(lambda: NeuronNet(h, amps, rec, t_max))
    print(f"NEURON model built in {build:.2f} s")

    configs = {0: "NEURON usetable_hh=0 (exact)", 1: "NEURON usetable_hh=1 (default)"}
    t_dx, t_nrn, v_nrn = [], {0: [], 1: []}, {}
    for _ in range(reps):
        t_dx.append(dx_once())
        for ut in configs:
            h.usetable_hh = ut
            t_nrn[ut].append(_clock(nrn.run)[0])
            v_nrn[ut] = nrn.traces()
    nrn.close()

    # Fixed per-step cost (scan loop + kernel dispatch): the same run on 1 and 2
    # cells. XLA fuses the 1-cell (scalar) step far more than a vector one, so the
    # 2-cell time is the better estimate of the overhead of the N-cell step.
    t_small = {}
    for m in (1, 2):
        net_m = dendrax_network(m)
        stim_m = dendrax_stimulus(net_m, amps[:m], t_max, dt)
        rec_m = dx.Record("v", dx.select(net_m, cell=[0]))
        _, once_m, _ = time_jitted(run, net_m, stim_m, rec_m)
        t_small[m] = statistics.median([once_m() for _ in range(reps)])

    # Agreement: same cells, same time points (t = 0, dt, ..., t_max).
    ok = True
    print("\nagreement of the recorded v (all time points, all recorded cells):")
    for ut, label in configs.items():
        if v_nrn[ut].shape != v_dx.shape:
            raise RuntimeError(
                f"shape mismatch: NEURON {v_nrn[ut].shape}, dendrax {v_dx.shape}"
            )
        err = float(np.max(np.abs(v_nrn[ut] - v_dx)))
        line = f"  max |V_dendrax - V_NEURON| vs {label}: {err:.3e} mV"
        if ut == 0 and not args.float32:
            ok = err <= args.tol
            line += "  OK" if ok else f"  MISMATCH (> {args.tol:g} mV)"
        print(line)
    spikes = [int(np.sum((v[1:] >= 0) & (v[:-1] < 0))) for v in v_dx.T]
    print(f"  spikes of the recorded cells in dendrax: {spikes}")

    name = f"dendrax jit ({dtype})"
    rows = [(name, first - statistics.median(t_dx), t_dx)]
    rows += [(configs[ut], None, t_nrn[ut]) for ut in configs]
    print_table(
        f"timings, {n} cells x {n_steps} steps, {reps} runs each",
        rows,
        configs[0],
        n_steps,
        n,
    )
    full = statistics.median(t_dx) / n_steps * 1e6
    one, two = (t_small[m] / n_steps * 1e6 for m in (1, 2))
    print(
        f"dendrax per step: {full:.2f} µs for {n} cells; {one:.2f} µs for 1 cell, "
        f"{two:.2f} µs for 2 cells (same length): fixed per-step cost (scan + "
        f"kernel dispatch) ~{100 * two / full:.1f} % of the {n}-cell step."
    )
    return ok


def bench_sweep(args, h):
    n, k, dt, t_max = args.sweep_cells, args.sweep_values, args.dt, args.t_max
    reps = args.repeats
    n_steps = dx.n_steps(t_max, dt)
    gnas = np.linspace(0.06, 0.24, k)  # S/cm², around the default 0.12
    amps = np.linspace(*AMP_RANGE, n)
    rec = _recorded_cells(n, min(2, n))
    print(
        f"\n== sweep: {k} values of gNa on a {n}-cell network ({n * k} cells "
        f"simulated), {t_max:g} ms, dt {dt:g} ms"
    )

    net = dendrax_network(n)
    stim = dendrax_stimulus(net, amps, t_max, dt)
    record = dx.Record("v", dx.select(net, cell=rec))

    @eqx.filter_jit
    def sweep(net, stim, g):
        def one(g):
            net_g = dx.set(net, "HH.gNa", g)
            return dx.simulate(net_g, t_max, dt, stimuli=stim, record=record).ys

        return jax.vmap(one)(g)

    g = jnp.asarray(gnas)
    first, dx_once, ys = time_jitted(sweep, net, stim, g)
    v_dx = np.asarray(ys, dtype=np.float64)  # (k, times, rec)

    h.usetable_hh = 0
    nrn = NeuronNet(h, amps, rec, t_max)
    n_secs = sum(1 for _ in h.allsec())
    if n_secs != n:  # sections left over from the first benchmark would be simulated
        raise RuntimeError(f"NEURON holds {n_secs} sections, expected {n}.")
    v_nrn = np.empty_like(v_dx)

    def neuron_loop():
        for j, value in enumerate(gnas):
            nrn.set_gnabar(float(value))
            nrn.run()
            v_nrn[j] = nrn.traces()

    t_dx, t_nrn = [], []
    for _ in range(reps):
        t_dx.append(dx_once())
        t_nrn.append(_clock(neuron_loop)[0])
    nrn.close()

    err = float(np.max(np.abs(v_nrn - v_dx)))
    ok = args.float32 or err <= args.tol
    verdict = "" if args.float32 else ("  OK" if ok else "  MISMATCH")
    print(f"max |V_dendrax - V_NEURON| over all {k} runs: {err:.3e} mV{verdict}")
    rows = [
        (f"dendrax jit(vmap) x{k}", first - statistics.median(t_dx), t_dx),
        (f"NEURON usetable_hh=0, loop x{k}", None, t_nrn),
    ]
    print_table(
        f"timings, {k} x {n} cells x {n_steps} steps, {reps} runs each",
        rows,
        rows[1][0],
        n_steps,
        n * k,
    )
    return ok


def main(args):
    from neuron import h

    print(versions())
    neuron_setup(h, args.dt)
    ok = bench_network(args, h)
    if not args.no_sweep:
        ok = bench_sweep(args, h) and ok
    if not ok:
        print("\ndendrax and NEURON disagree: the timings are not comparable.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(ARGS))
