"""How dendrax's time per step grows with synapses and with cells (log-log plot).

Two sweeps, every point a fresh process (the best of `--repeats` runs after the
compiling one), float32 and float64:

- **synapses**: 1000 one-compartment HH cells (Jaxley's case c cell, dt =
  0.025 ms) with graded `Ionotropic` synapses, `FixedInDegree(k)` for k = 10,
  100 and 1000 (10k, 100k and 1M synapses), and without synapses; the cost per
  synapse-step is (time with − time without) / synapses.
- **cells**: 1000, 10,000 and 100,000 of those cells without synapses.

With `--coba JSON` (a coba.py result file) the COBA rows of dendrax and of the
peers join the plot against their cell counts and synapse counts.

    python benchmarks/scaling.py [--repeats 3] [--json PATH] [--plot PNG]
                                 [--coba coba.json] [--report JSON]
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _peers as P  # noqa: E402

DT = 0.025
SYN_DEGREES = (0, 10, 100, 1000)  # inputs per cell, 1000 cells
CELLS = (1000, 10000, 100000)


def worker(cells: int, degree: int, float64: bool, repeats: int) -> dict:
    import jax

    jax.config.update("jax_enable_x64", float64)
    import equinox as eqx
    import jax.numpy as jnp

    import dendrax as dx

    comp = dx.Compartment(length=10.0, radius=1.0, v_init=-70.0)
    net = dx.insert(dx.Network([dx.Cell(dx.Branch(comp))] * cells), dx.channels.HH())
    if degree:
        somata = dx.select(net)
        rule = dx.conn.FixedInDegree(degree)
        syn = dx.synapses.Ionotropic(gS=1e-4 / degree)
        net = dx.connect(net, somata, somata, syn, rule, key=jax.random.key(0))
    # Long enough to time, short enough for the large points.
    work = cells * (1 + degree / 10)
    # On the grid: dendrax refuses a t_max that is not a multiple of dt.
    t_max = round(float(np.clip(4e6 / work, 2.0, 100.0)) / DT) * DT
    steps = dx.n_steps(t_max, DT)
    stim = dx.Stimulus(dx.select(net, cell=0), jnp.full((steps,), 0.5))

    @eqx.filter_jit
    def run(net):
        return dx.simulate(
            net, t_max, DT, stimuli=stim, record=dx.Record("v", dx.select(net, cell=0))
        ).ys

    jax.block_until_ready(run(net))
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(run(net))
        best = min(best, time.perf_counter() - t0)
    return {
        "us_per_step": best / steps * 1e6,
        "steps": steps,
        "synapses": sum(len(p) for p in net.synapses),
        "rss_mib": P.peak_rss_mib(),
    }


def measure(args) -> list[dict]:
    points = [(1000, d) for d in SYN_DEGREES] + [(c, 0) for c in CELLS if c != 1000]
    out = []
    for float64 in (False, True):
        for cells, degree in points:
            cmd = [
                sys.executable,
                __file__,
                "--worker",
                f"{cells},{degree},{int(float64)}",
                "--repeats",
                str(args.repeats),
            ]
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
            try:
                res = json.loads(r.stdout.strip().splitlines()[-1])
            except (IndexError, ValueError):
                res = {"error": (r.stderr or "no output").strip()[-200:]}
            res.update(cells=cells, degree=degree, float64=float64)
            print(json.dumps(res), flush=True)
            out.append(res)
    return out


def report(points: list[dict]):
    print("\n| dtype | cells | synapses | µs / step | ns / synapse-step | RSS [MiB] |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for f64 in (False, True):
        rows = [p for p in points if p["float64"] == f64 and "us_per_step" in p]
        base = next(
            (p["us_per_step"] for p in rows if p["cells"] == 1000 and not p["degree"]),
            None,
        )
        for p in rows:
            per = "–"
            if p["degree"] and base is not None:
                per = f"{(p['us_per_step'] - base) * 1e3 / p['synapses']:.2f}"
            print(
                f"| {'float64' if f64 else 'float32'} | {p['cells']} | {p['synapses']} "
                f"| {p['us_per_step']:.1f} | {per} | {p['rss_mib']:.0f} |"
            )


def plot(points: list[dict], coba: dict | None, path: str):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_s, ax_c) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for f64, style in ((False, "o-"), (True, "s--")):
        label = "float64" if f64 else "float32"
        syn = [
            p
            for p in points
            if p["float64"] == f64
            and p["cells"] == 1000
            and p["degree"]
            and "us_per_step" in p
        ]
        ax_s.plot(
            [p["synapses"] for p in syn],
            [p["us_per_step"] for p in syn],
            style,
            label=f"dendrax, 1000 HH cells, graded ({label})",
        )
        cel = [
            p
            for p in points
            if p["float64"] == f64 and not p["degree"] and "us_per_step" in p
        ]
        ax_c.plot(
            [p["cells"] for p in cel],
            [p["us_per_step"] for p in cel],
            style,
            label=f"dendrax, HH cells, no synapses ({label})",
        )
    if coba:
        steps = round(coba["settings"]["t_max"] / coba["settings"]["dt"])
        for sim in coba["settings"]["sims"]:
            xs_c, xs_s, ys, dtype = [], [], [], "?"
            for n, res in coba["sizes"].items():
                ok = [r for r in res["rounds"][sim] if r.get("ok")]
                if ok:
                    xs_c.append(int(n))
                    xs_s.append(sum(ok[0]["synapses"]))
                    ys.append(float(np.median([r["run_s"] for r in ok])) / steps * 1e6)
                    dtype = ok[0].get("dtype", "?")
            if ys:
                style = "^-" if sim == "dendrax" else "v:"
                ax_c.plot(xs_c, ys, style, label=f"COBA, {sim} ({dtype})")
                ax_s.plot(
                    xs_s, ys, style, label=f"COBA, {sim} (event synapses, {dtype})"
                )
    for ax, xl in ((ax_s, "synapses"), (ax_c, "cells")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(xl)
        ax.set_ylabel("time per step [µs]")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(
        "Time per step, 2-core CPU (dendrax: best of repeats, fresh process per point)"
    )
    fig.savefig(path, dpi=120)
    print(f"wrote {path}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--json", default=None)
    p.add_argument("--plot", default=None, help="write the log-log plot here")
    p.add_argument("--coba", default=None, help="coba.py --json file to add")
    p.add_argument("--report", default=None, help="only report an earlier --json")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        cells, degree, f64 = (int(x) for x in args.worker.split(","))
        print(json.dumps(worker(cells, degree, bool(f64), args.repeats)))
        return 0
    if args.report:
        points = json.loads(Path(args.report).read_text())["points"]
    else:
        points = measure(args)
        P.write_json(
            args.json, {"machine": P.machine(), "git": P.git_state(), "points": points}
        )
    report(points)
    if args.plot:
        coba = json.loads(Path(args.coba).read_text()) if args.coba else None
        plot(points, coba, args.plot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
