"""Multi-device checks, run as `python check.py <what> [args]` in a process of
its own with `XLA_FLAGS=--xla_force_host_platform_device_count=N` (the device
count is fixed when JAX starts). Prints one line of JSON; asserts inside.

- `sweep`: a parameter sweep sharded over every device, as `jit(vmap)` over a
  sharded batch and as `shard_map(vmap)` with its default checks, equals the
  unsharded sweep, with no cross-device collective in the compiled time loop
  (outside it, only the value checks' flags are reduced).
- `mesh`: each network split over the devices with `simulate(mesh=)` equals
  the one-device run, and so do gradients through it.
"""

import json
import os
import re
import sys

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

jax.config.update("jax_enable_x64", True)

sys.path.insert(0, os.path.dirname(__file__))
import networks  # noqa: E402

import dendrax as dx  # noqa: E402

COLLECTIVES = re.compile(
    r"all-gather|all-reduce|all-to-all|collective-permute|reduce-scatter"
)
SWEEP = {"detailed": ("HH.gNa", 0.10, 0.14), "spiking": ("inh.weight", 2e-3, 8e-3)}


def run(net, stimuli, records, mesh=None, **kw):
    return dx.simulate(
        net, networks.T_MAX, networks.DT, stimuli=stimuli, record=records, mesh=mesh,
        **kw,
    )  # fmt: skip


def sweep():
    devices = jax.devices()
    mesh = Mesh(np.array(devices), ("batch",))
    batch = NamedSharding(mesh, P("batch"))
    out = {}
    for kind, (name, lo, hi) in SWEEP.items():
        net, stimuli, records = getattr(networks, kind)()

        def one(value):
            return run(dx.set(net, name, value), stimuli, records).ys

        values = jnp.linspace(lo, hi, 2 * len(devices))
        ref = jax.jit(jax.vmap(one))(values)
        sharded = jax.device_put(values, batch)
        by_jit = jax.jit(jax.vmap(one))
        by_map = jax.jit(
            jax.shard_map(
                jax.vmap(one), mesh=mesh, in_specs=P("batch"), out_specs=P("batch")
            )
        )
        diffs = []
        for f in (by_jit, by_map):
            got = f(sharded)
            # Spikes exactly; values to round-off (a device's batch is smaller,
            # which may change how XLA vectorises the arithmetic).
            for a, b in zip(jax.tree.leaves(ref), jax.tree.leaves(got)):
                a, b = np.asarray(a), np.asarray(b)
                assert a.shape == b.shape
                assert np.allclose(a, b, rtol=1e-12, atol=1e-12), (kind, f)
                diffs.append(float(np.max(np.abs(a - b), initial=0.0)))
            spikes = 1 if kind == "detailed" else 0
            assert np.array_equal(np.asarray(ref[spikes]), np.asarray(got[spikes]))
            # Nothing crosses devices in the loop; outside it, only the checks
            # (a traced value given to dx.set, a non-finite state) reduce a
            # flag over the runs.
            hlo = f.lower(sharded).compile().as_text()
            assert not loop_collectives(hlo), kind
            assert set(COLLECTIVES.findall(hlo)) <= {"all-reduce"}, kind
            assert got[0].sharding.spec[0] == "batch" or len(devices) == 1
        # A gradient sweep too (the tree solve's derivative under vmap inside
        # shard_map, for the multi-compartment network).
        name_g = name

        def slope(value):
            net_v = dx.set(net, name_g, value)
            return jax.grad(lambda x: run(dx.set(net_v, name_g, x), stimuli, records)
                            .ys[0].mean())(value)  # fmt: skip

        g_ref = jax.jit(jax.vmap(slope))(values)
        spec = dict(mesh=mesh, in_specs=P("batch"), out_specs=P("batch"))
        rel = []
        for f in (jax.vmap(slope), jax.shard_map(jax.vmap(slope), **spec)):
            got = np.asarray(jax.jit(f)(sharded))
            assert np.allclose(got, g_ref, rtol=1e-9, atol=1e-12), (kind, got, g_ref)
            rel.append(float(np.max(np.abs(got - g_ref) / np.abs(g_ref).max())))
        out[kind] = dict(runs=len(values), max_abs=max(diffs), grad_rel=max(rel))
    return out


def loop_collectives(hlo: str) -> dict:
    """The collectives inside the time loop of a compiled program, by the JAX
    operation they come from: only all-gathers, the spikes' once per window
    (inside a `cond`) and the halo voltages' once per step."""
    found = {}
    for line in hlo.splitlines():
        op = re.search(r"= \S+ (" + COLLECTIVES.pattern + r")\(", line)
        name = re.search(r'op_name="([^"]*)"', line)
        if op and name and "while/body" in name.group(1):
            where = "window" if "/cond/" in name.group(1) else "step"
            key = f"{op.group(1)} per {where}"
            found[key] = found.get(key, 0) + 1
    assert set(found) <= {"all-gather per window", "all-gather per step"}, found
    return found


def continued(net, stimuli, records, mesh) -> float:
    """A run cut in two halves, one on the mesh and one on one device (both
    ways), recording every 7 steps, ends where the whole run on one device does
    (the final `State` moves between the two layouts)."""
    records = [dx.Record(r.name, r.where, every=7) for r in records]
    n, dt = networks.N, networks.DT
    half = n // 2

    def part(a, b):
        return [
            dx.Stimulus(s.where, s.current[a:b])
            if isinstance(s, dx.Stimulus)
            else dx.VoltageClamp(s.where, s.voltage[a:b], s.rs)
            for s in stimuli
        ]

    def go(a, b, state, m):
        return jax.jit(
            lambda: dx.simulate(
                net,
                (b - a) * dt,
                dt,
                stimuli=part(a, b),
                record=records,
                state=state,
                mesh=m,
            )  # fmt: skip
        )()

    whole = go(0, n, None, None)
    err = 0.0
    for first, second in ((mesh, None), (None, mesh)):
        end = go(half, n, go(0, half, None, first).state, second)
        for a, b in zip(jax.tree.leaves(whole.state), jax.tree.leaves(end.state)):
            err = max(err, float(np.max(np.abs(np.asarray(a) - np.asarray(b)))))
    assert err < 1e-9, err
    return err


def mesh():
    mesh = Mesh(np.array(jax.devices()), ("cells",))
    out = {}
    for kind in ("detailed", "spiking"):
        net, stimuli, records = getattr(networks, kind)()
        ref = jax.jit(lambda: run(net, stimuli, records))()
        split = jax.jit(lambda: run(net, stimuli, records, mesh))
        got = split()
        err = 0.0
        for a, b in zip(jax.tree.leaves(ref), jax.tree.leaves(got)):
            a, b = np.asarray(a), np.asarray(b)
            assert a.shape == b.shape
            err = max(err, float(np.max(np.abs(a - b), initial=0.0)))
        spikes = np.asarray(ref.ys[1] if kind == "detailed" else ref.ys[0])
        got_spikes = np.asarray(got.ys[1] if kind == "detailed" else got.ys[0])
        assert np.array_equal(spikes, got_spikes), kind
        assert err < 1e-9, (kind, err)
        hlo = split.lower().compile().as_text()
        cont = continued(net, stimuli, records, mesh)
        # Gradients through the split network: a smooth loss of the voltages.
        name = "HH.gNa" if kind == "detailed" else "inh.weight"

        def loss(value, m):
            sol = run(dx.set(net, name, value), stimuli, records, m)
            v = sol.ys[0] if kind == "detailed" else sol.ys[1]
            return jnp.mean((v - 30.0) ** 2 * 1e-3)

        value = 0.12 if kind == "detailed" else 5e-3
        g_ref = jax.jit(jax.grad(lambda x: loss(x, None)))(value)
        g_got = jax.jit(jax.grad(lambda x: loss(x, mesh)))(value)
        rel = float(abs(g_got - g_ref) / abs(g_ref))
        assert np.isfinite(g_got) and rel < 1e-8, (kind, g_ref, g_got)
        out[kind] = dict(
            max_abs=err,
            continued_max_abs=cont,
            spikes=int(spikes.sum()),
            grad=float(g_ref),
            grad_rel=rel,
            collectives=loop_collectives(hlo),
        )
    return out


def distributed(process_id: str, port: str):
    """Two processes (this is one) with two devices each, joined by
    `jax.distributed` (CPU collectives through gloo): a sweep sharded over all
    four devices and a network split over them equal this process's own
    one-device results."""
    from jax.experimental import multihost_utils

    jax.distributed.initialize(
        coordinator_address=f"127.0.0.1:{port}",
        num_processes=2,
        process_id=int(process_id),
        initialization_timeout=120,
    )
    assert jax.process_count() == 2 and len(jax.devices()) == 4
    local = jax.local_devices()[0]
    out = {}
    for kind, (name, lo, hi) in SWEEP.items():
        net, stimuli, records = getattr(networks, kind)()

        def one(value):
            return run(dx.set(net, name, value), stimuli, records).ys

        values = np.linspace(lo, hi, 8)
        ref = jax.jit(jax.vmap(one))(jax.device_put(values, local))
        mesh = Mesh(np.array(jax.devices()), ("batch",))
        sharding = NamedSharding(mesh, P("batch"))
        batch = jax.make_array_from_callback(
            values.shape, sharding, lambda i: values[i]
        )
        got = multihost_utils.process_allgather(
            jax.jit(jax.vmap(one))(batch), tiled=True
        )
        sweep_err = max(
            float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
            for a, b in zip(jax.tree.leaves(ref), jax.tree.leaves(got))
        )
        assert sweep_err < 1e-12, (kind, sweep_err)
        with jax.default_device(local):
            single = jax.jit(lambda: run(net, stimuli, records))()
        mesh = Mesh(np.array(jax.devices()), ("cells",))
        split = jax.jit(lambda: run(net, stimuli, records, mesh))()
        mesh_err = max(
            float(np.max(np.abs(np.asarray(a) - np.asarray(b)), initial=0.0))
            for a, b in zip(jax.tree.leaves(single), jax.tree.leaves(split))
        )
        assert mesh_err < 1e-9, (kind, mesh_err)
        out[kind] = dict(sweep_max_abs=sweep_err, mesh_max_abs=mesh_err)
    return out


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "distributed":
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
    result = {what: globals()[what](*sys.argv[2:]), "devices": len(jax.devices())}
    print(json.dumps(result))
