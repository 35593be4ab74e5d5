"""Strong and weak scaling of one network split over devices (`simulate(mesh=)`),
with the volume of what crosses devices and the share of a step it costs.

Every point is a fresh process with `XLA_FLAGS=--xla_force_host_platform_device_count=N`
(the device count is fixed when JAX starts), rounds alternate over the points,
and the table reports the median (min-max) over rounds. Two networks:

- **spiking**: COBA-like LIF point cells (80 % excitatory), fixed in-degree 80,
  `Exp` conductance synapses with a 1 ms delay (a 10-step window at dt 0.1 ms)
  and `EventDriven` delivery, float32;
- **detailed**: three-branch HH cells (9 compartments) with graded
  `Ionotropic` synapses onto a dendrite (in-degree 10, their presynaptic
  voltages cross devices every step) and delayed `Exp` synapses onto the soma,
  dt 0.025 ms, float64.

Strong scaling keeps the network (8192 LIF / 256 HH cells) and adds devices;
weak scaling keeps the cells per device (2048 / 64). Each point reports the
time per step, the one-device unsplit run at its size (`simulate` without a
mesh), the bytes all-gathered per step (spikes: one bit per cell and step,
devices × window × ⌈cells per device / 32⌉ × 4 bytes per window; halo voltages:
devices × exported voltages × itemsize, per step), and the time those
all-gathers take alone (the same collectives in a jitted loop of their own) as
a share of the step.

    python benchmarks/devices.py [--rounds 3] [--json PATH]
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _peers as P  # noqa: E402

STRONG = {"spiking": 8192, "detailed": 256}
WEAK = {"spiking": 2048, "detailed": 64}
DEVICES = (1, 2, 4)


def build(kind: str, cells: int):
    import jax

    import dendrax as dx

    key = jax.random.PRNGKey(0)
    if kind == "spiking":
        area = 20000.0  # µm², 200 pF
        comp = dx.Compartment(length=area / (2 * np.pi * 10), radius=10.0)
        net = dx.Network([dx.Cell(dx.Branch(comp, 1), parents=[-1])] * cells)
        lif = dict(v_th=-50.0, v_reset=-60.0, t_ref=5.0, e_leak=-60.0)
        net = dx.insert(net, dx.channels.LIF(**lif))
        n_exc = int(0.8 * cells)
        exc, inh = (
            dx.select(net, cell=range(n_exc)),
            dx.select(net, cell=range(n_exc, cells)),
        )
        everyone = dx.select(net)
        k1, k2, k3 = jax.random.split(key, 3)
        for name, pre, syn, k in (
            ("exc", exc, dx.synapses.Exp(6e-3, tau=5.0, e_syn=0.0), k1),
            ("inh", inh, dx.synapses.Exp(6.7e-2, tau=10.0, e_syn=-80.0), k2),
        ):
            degree = 64 if name == "exc" else 16
            net = dx.connect(
                net, pre, everyone, syn, dx.conn.FixedInDegree(degree), key=k,
                name=name, delay=1.0, delivery=dx.conn.EventDriven(max_spikes=64),
            )  # fmt: skip
        v0 = jax.random.uniform(k3, (cells,), minval=-60.0, maxval=-50.0)
        net = dx.set(net, "v_init", v0)
        return net, 0.1, 0.2  # dt, drive (nA)
    cell = dx.Cell(dx.Branch(dx.Compartment(), ncomp=3), parents=[-1, 0, 0])
    net = dx.insert(dx.Network([cell] * cells), dx.channels.HH())
    soma = dx.select(net, branch=0, comp=0)
    net = dx.insert(net, dx.channels.SpikeDetector(threshold=0.0), soma)
    k1, k2 = jax.random.split(key)
    net = dx.connect(
        net, soma, dx.select(net, branch=1, comp=2), dx.synapses.Ionotropic(gS=2e-4),
        dx.conn.FixedInDegree(10), key=k1,
    )  # fmt: skip
    net = dx.connect(
        net, soma, soma, dx.synapses.Exp(weight=1e-3), dx.conn.FixedInDegree(10),
        key=k2, delay=1.0,
    )  # fmt: skip
    return net, 0.025, 0.25


def worker(kind: str, cells: int, devices: int, split: bool) -> dict:
    import jax

    jax.config.update("jax_enable_x64", kind == "detailed")
    import jax.numpy as jnp
    from jax.sharding import Mesh

    import dendrax as dx
    from dendrax._events import _plans
    from dendrax._partition import _parts

    assert len(jax.devices()) == devices
    net, dt, amp = build(kind, cells)
    t_max = 50.0 if kind == "spiking" else 10.0
    steps = dx.n_steps(t_max, dt)
    stim = dx.Stimulus(dx.select(net, branch=0, comp=0), jnp.full((steps,), amp))
    record = dx.Record("spikes", every=int(round(1.0 / dt)))
    mesh = Mesh(np.array(jax.devices()), ("cells",)) if split else None
    run = jax.jit(
        lambda: dx.simulate(net, t_max, dt, stimuli=stim, record=record, mesh=mesh)
    )
    sol = jax.block_until_ready(run())
    best = min(P.time_calls(lambda: jax.block_until_ready(run()), 3)[1])
    out = {
        "us_per_step": best / steps * 1e6,
        "spikes_per_ms_per_cell": float(np.asarray(sol.ys).sum() / t_max / cells),
        "rss_mib": P.peak_rss_mib(),
    }
    if not split:
        return out
    parts = _parts(net, devices, _plans(net, dt))
    item = 8 if kind == "detailed" else 4
    cells_per_device = parts.cells.local.shape[1]
    words = -(-cells_per_device // 32)  # spikes travel as bits, 32 per word
    spike_bytes = devices * parts.window * words * 4 / max(parts.window, 1)
    halo = 0 if parts.exports is None else parts.exports.shape[1]
    halo_bytes = devices * halo * item
    out.update(
        window=parts.window,
        bytes_per_step=spike_bytes + halo_bytes,
        spike_bytes_per_step=spike_bytes,
        halo_bytes_per_step=halo_bytes,
    )
    # The same all-gathers alone, in a loop of as many steps.
    dtype = jnp.float64 if item == 8 else jnp.float32

    def comm(x):
        def body(c, i):
            s, v = c
            if parts.window:
                s = jax.lax.cond(
                    i % parts.window == 0,
                    lambda s: jax.lax.all_gather(s, "cells")[0] + 1,
                    lambda s: s,
                    s,
                )
            if halo:
                v = jax.lax.all_gather(v, "cells", tiled=True)[:halo] * 0.5
            return (s, v), None

        return jax.lax.scan(body, x, jnp.arange(steps))[0]

    spikes = jnp.zeros((devices, parts.window or 1, words), jnp.uint32)
    volts = jnp.zeros((devices, max(halo, 1)), dtype)
    f = jax.jit(
        jax.shard_map(
            lambda s, v: jax.tree.map(lambda a: a[None], comm((s[0], v[0]))),
            mesh=Mesh(np.array(jax.devices()), ("cells",)),
            in_specs=jax.sharding.PartitionSpec("cells"),
            out_specs=jax.sharding.PartitionSpec("cells"),
        )
    )
    jax.block_until_ready(f(spikes, volts))
    t_comm = min(P.time_calls(lambda: jax.block_until_ready(f(spikes, volts)), 3)[1])
    out["comm_us_per_step"] = t_comm / steps * 1e6
    return out


def points():
    for kind in ("spiking", "detailed"):
        seen = set()
        for mode, base in (("strong", STRONG[kind]), ("weak", WEAK[kind])):
            for d in DEVICES:
                cells = base if mode == "strong" else base * d
                for point in ((kind, cells, 1, False), (kind, cells, d, True)):
                    if point not in seen:
                        seen.add(point)
                        yield point


def measure(rounds: int) -> list[dict]:
    results = []
    for r in range(rounds):
        for kind, cells, devices, split in points():
            env = dict(os.environ)
            env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
            args = [kind, str(cells), str(devices), str(int(split))]
            done = subprocess.run(
                [sys.executable, __file__, "--worker", *args],
                capture_output=True, text=True, env=env, timeout=1800,
            )  # fmt: skip
            try:
                res = json.loads(done.stdout.strip().splitlines()[-1])
            except (IndexError, ValueError):
                res = {"error": (done.stderr or "no output").strip()[-300:]}
            res.update(kind=kind, cells=cells, devices=devices, split=split, round=r)
            print(json.dumps(res), flush=True)
            results.append(res)
    return results


def report(results: list[dict]) -> str:
    def key(p):
        return p["kind"], p["cells"], p["devices"], p["split"]

    groups: dict = {}
    for p in results:
        if "us_per_step" in p:
            groups.setdefault(key(p), []).append(p)

    def med(k, field):
        vals = [p[field] for p in groups.get(k, []) if field in p]
        return float(np.median(vals)) if vals else None

    def spread(k, field):
        vals = [p[field] for p in groups.get(k, []) if field in p]
        return (min(vals), max(vals)) if vals else None

    lines = [
        "| network | scaling | cells | devices | µs / step | 1 device / this "
        "| unsplit / this "
        "| spikes+halo bytes / step | all-gathers alone / step |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind in ("spiking", "detailed"):
        for mode, base in (("strong", STRONG[kind]), ("weak", WEAK[kind])):
            for d in DEVICES:
                cells = base if mode == "strong" else base * d
                k = (kind, cells, d, True)
                t = med(k, "us_per_step")
                if t is None:
                    continue
                lo, hi = spread(k, "us_per_step")
                one = med((kind, base, 1, True), "us_per_step")
                unsplit = med((kind, cells, 1, False), "us_per_step")
                comm = med(k, "comm_us_per_step")
                # strong: speed-up over the split run on 1 device; weak: its
                # time over this one (1 = perfect weak scaling)
                vs_one = one / t if one else float("nan")
                vs_unsplit = unsplit / t if unsplit else float("nan")
                lines.append(
                    f"| {kind} | {mode} | {cells} | {d} | {t:.1f} ({lo:.1f}–{hi:.1f}) "
                    f"| {vs_one:.2f}× | {vs_unsplit:.2f}× "
                    f"| {med(k, 'bytes_per_step'):.0f} "
                    f"| {comm:.1f} µs ({comm / t:.0%}) |"
                )
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", default=None)
    ap.add_argument("--worker", nargs=4, default=None)
    args = ap.parse_args()
    if args.worker:
        kind, cells, devices, split = args.worker
        print(json.dumps(worker(kind, int(cells), int(devices), bool(int(split)))))
        return
    start = time.time()
    machine, git = P.machine(), P.git_state()
    results = measure(args.rounds)
    payload = {"machine": machine, "git": git, "points": results}
    payload["seconds"] = time.time() - start
    P.write_json(args.json, payload)
    payload["table"] = report(results)
    print(payload["table"])
    P.write_json(args.json, payload)


if __name__ == "__main__":
    main()
