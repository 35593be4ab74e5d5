"""How close P3 and P6 come to what this machine can do: a floor per step from
the bytes each step must move and the flops it must do, against rates measured
here with JAX.

Measured (jitted loops of 2000 iterations, the best of several calls, in this
process):

- **stream bandwidth** (GB/s): `y = a * x + y` over float arrays of the
  workload's working set or 4 MB, whichever is larger (the states stay in
  cache between steps; smaller loops measure kernel launches, not bandwidth);
- **flop rate** (GFLOP/s): a chain of 16 fused multiply-adds per element over an
  array that stays in L1/L2;
- **random scatter-add and gather** (ns per element) into / from a table of the
  workload's size: the cost per edge of the one-gather, one-scatter program that
  XLA's primitives allow (no custom kernels).

The floor of a step is `max(bytes / bandwidth, flops / flop rate)`; the
"XLA floor" adds, per delivered edge, one measured random gather and one
scatter-add. Each measured time per step (from `--coba` and `--jaxley`, the
JSON files of coba.py and jaxley_peer.py; otherwise the values given in
docs/benchmarks.md can be typed in with `--p3-us` / `--p6-us`) is reported as
the fraction floor / measured (1 = at the limit).

What a step must move at least, per workload:

- **P6** (COBA, n LIF cells, float32, fixed in-degree 80, s spikes per step): the
  cells' v, refractory clock and two conductances read and written (32 n bytes),
  and for each edge of a spiking cell its target and weight read (8 bytes) and
  its target's conductance read and written (8 bytes); about 20 flops per cell
  and 2 per edge.
- **P3** (Jaxley's case c: 1000 one-compartment HH cells, ~100k graded
  Ionotropic synapses, float64, dt = 0.025 ms): the cells' v, m, h, n read and
  written (64 bytes per cell), and per edge its pre and post indices (8 bytes);
  the gate `s` is shared per presynaptic cell and the summed current of a target
  is written once per target (a sorted layout), so neither adds per edge. About
  60 flops per cell and 8 per edge.

    python benchmarks/limits.py [--coba results.json] [--jaxley results.json]
                                [--p3-us US] [--p6-us 4000=US,16000=US,...]
"""

import argparse
import json
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

ITER = 2000


def _best(fn, *args, calls=5):
    jax.block_until_ready(fn(*args))
    best = float("inf")
    for _ in range(calls):
        t0 = time.perf_counter()
        jax.block_until_ready(fn(*args))
        best = min(best, time.perf_counter() - t0)
    return best / ITER


def bandwidth(n_bytes: int, dtype) -> float:
    """GB/s of y = a x + y over two arrays of n_bytes / 2 each (3 passes)."""
    n = max(1024, n_bytes // 2 // np.dtype(dtype).itemsize)
    x = jnp.linspace(0.0, 1.0, n, dtype=dtype)

    @jax.jit
    def run(y):
        return jax.lax.fori_loop(0, ITER, lambda i, y: 0.999 * x + y, y)

    t = _best(run, x, calls=3)
    return 3 * n * np.dtype(dtype).itemsize / t / 1e9


def flop_rate(dtype) -> float:
    """GFLOP/s of 16 dependent fused multiply-adds per element, 16k elements."""
    x = jnp.linspace(0.0, 1.0, 16384, dtype=dtype)

    def body(i, y):
        for _ in range(16):
            y = y * 0.999 + 0.001
        return y

    t = _best(jax.jit(lambda y: jax.lax.fori_loop(0, ITER, body, y)), x)
    return 2 * 16 * x.size / t / 1e9


def random_access(table: int, m: int, dtype) -> tuple[float, float]:
    """ns per element: gather of m random entries of a `table`-long array, and
    scatter-add of m values at random positions into it (both depend on the
    loop's carry, so XLA cannot hoist them out of the loop)."""
    rng = np.random.default_rng(0)
    idx = jnp.asarray(rng.integers(0, table, m).astype(np.int32))
    vals = jnp.ones(m, dtype)
    t0 = jnp.ones(table, dtype)

    def timed(body):
        return _best(jax.jit(lambda t: jax.lax.fori_loop(0, ITER, body, t)), t0)

    # The gather's result is summed into one entry (the sum is ~0.1 ns per
    # element); the baseline only updates that entry.
    t_g = timed(lambda i, t: t.at[0].add(1e-30 * t[idx].sum()))
    base = timed(lambda i, t: t.at[0].add(1e-30 * t[1]))
    t_s = timed(lambda i, t: t.at[idx].add(vals))
    return max(t_g - base, 0.0) / m * 1e9, t_s / m * 1e9


def p6_model(n: int, spikes: float, degree: int = 80) -> dict:
    edges = spikes * degree
    return {
        "bytes": 32 * n + 16 * edges,
        "flops": 20 * n + 2 * edges,
        "edges": edges,
        "table": n,
        "working_set": 16 * n,
    }


def p3_model(cells: int = 1000, edges: int = 99553) -> dict:
    return {
        "bytes": 64 * cells + 8 * edges,
        "flops": 60 * cells + 8 * edges,
        "edges": edges,
        "table": cells,
        "working_set": 64 * cells + 8 * edges,
    }


def floor_us(model: dict, dtype) -> dict:
    # A loop over a small array is bound by launching its kernels, not by
    # bandwidth; measure at >= 4 MB (still cache-resident here). Smaller sets
    # live in faster caches, so for them this floor is somewhat high: it
    # flatters the fraction reached.
    bw = bandwidth(max(model["working_set"], 4 << 20), dtype)
    fl = flop_rate(dtype)
    g, s = random_access(model["table"], max(1024, int(model["edges"])), dtype)
    t_bytes = model["bytes"] / (bw * 1e3)  # µs
    t_flops = model["flops"] / (fl * 1e3)
    floor = max(t_bytes, t_flops)
    xla = floor + model["edges"] * (g + s) / 1e3
    return {
        "bandwidth_GBs": bw,
        "gflops": fl,
        "gather_ns": g,
        "scatter_ns": s,
        "bytes_us": t_bytes,
        "flops_us": t_flops,
        "floor_us": floor,
        "xla_floor_us": xla,
    }


def measured_from(args) -> tuple[dict, float | None]:
    p6, p3 = {}, args.p3_us
    if args.coba:
        data = json.loads(Path(args.coba).read_text())
        steps = round(data["settings"]["t_max"] / data["settings"]["dt"])
        for n, res in data["sizes"].items():
            runs = [r for r in res["rounds"]["dendrax"] if r.get("ok")]
            if runs:
                med = float(np.median([r["run_s"] for r in runs]))
                spikes = float(np.median([r["spikes"] for r in runs])) / steps
                p6[int(n)] = (med / steps * 1e6, spikes)
    if args.p6_us:
        for item in args.p6_us.split(","):
            n, us = item.split("=")
            p6[int(n)] = (float(us), int(n) * 17.0 * 1e-4)  # ~17 Hz at dt 0.1 ms
    if args.jaxley:
        data = json.loads(Path(args.jaxley).read_text())
        c = data["cases"]["c"]["summary"]["per_sim"]["dendrax"]["run_s"]["median"]
        p3 = c / round(100.0 / 0.025) * 1e6
    return p6, p3


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--coba", help="coba.py --json file (P6 at its sizes)")
    p.add_argument("--jaxley", help="jaxley_peer.py --json file (case c = P3)")
    p.add_argument("--p3-us", type=float, help="P3 µs per step, if no --jaxley")
    p.add_argument("--p6-us", help="P6 µs per step per size: 4000=28,16000=...")
    args = p.parse_args(argv)
    jax.config.update("jax_enable_x64", True)
    p6, p3 = measured_from(args)
    sizes = sorted(p6) or [4000, 16000, 64000]
    rows = []
    for n in sizes:
        us, spikes = p6.get(n, (None, n * 17.0 * 1e-4))
        rows.append((f"P6 COBA {n} cells", p6_model(n, spikes), jnp.float32, us))
    rows.append(("P3 Jaxley case c", p3_model(), jnp.float64, p3))
    head = (
        "workload",
        "MB/step",
        "MFLOP/step",
        "GB/s",
        "GFLOP/s",
        "gather ns",
        "scatter ns",
        "floor µs",
        "XLA floor µs",
        "measured µs",
        "floor / measured",
        "XLA floor / measured",
    )
    print("| " + " | ".join(head) + " |")
    print("| --- " + "| ---: " * (len(head) - 1) + "|")
    for name, model, dtype, us in rows:
        f = floor_us(model, dtype)
        cells = [
            name,
            f"{model['bytes'] / 1e6:.2f}",
            f"{model['flops'] / 1e6:.3f}",
            f"{f['bandwidth_GBs']:.0f}",
            f"{f['gflops']:.1f}",
            f"{f['gather_ns']:.2f}",
            f"{f['scatter_ns']:.2f}",
            f"{f['floor_us']:.1f}",
            f"{f['xla_floor_us']:.1f}",
            f"{us:.1f}" if us else "–",
            f"{f['floor_us'] / us:.3f}" if us else "–",
            f"{f['xla_floor_us'] / us:.2f}" if us else "–",
        ]
        print("| " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
