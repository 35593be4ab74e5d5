"""Many devices and many processes: sharded sweeps, a network split over a mesh
(`simulate(mesh=)`), and both under `jax.distributed`.

The device count of JAX's CPU backend is fixed when JAX starts, so each check
runs `tests/devices/check.py` in a fresh process with forced CPU devices; the
script asserts and prints its measurements as JSON."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

CHECK = Path(__file__).parent / "devices" / "check.py"


def _env(devices: int) -> dict:
    env = dict(os.environ)
    env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    env["JAX_PLATFORMS"] = "cpu"
    return env


def _check(devices: int, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, str(CHECK), *args],
        env=_env(devices),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_sweep_sharded_over_devices_equals_one_device():
    """`jit(vmap)` over a batch sharded on 4 devices and `shard_map(vmap)` with
    its default checks, for multi-compartment HH cells with graded and delayed
    event synapses and for LIF cells with STDP and event-driven delivery: the
    unsharded results (spikes exactly) and gradients, no collective in the
    forward program."""
    out = _check(4, "sweep")
    assert out["devices"] == 4
    for kind in ("detailed", "spiking"):
        assert out["sweep"][kind]["max_abs"] < 1e-12
        assert out["sweep"][kind]["grad_rel"] < 1e-9


@pytest.mark.parametrize("devices", [1, 2, 3, 4])
def test_network_split_over_devices_equals_one_device(devices):
    """`simulate(mesh=)` on 1-4 devices: records, final state and a gradient
    equal the single-device run's, spikes exactly, and so does a run continued
    from a state across the two layouts; the time loop exchanges only
    all-gathers (spikes once per window, halo voltages once per step)."""
    out = _check(devices, "mesh")
    assert out["devices"] == devices
    for kind, r in out["mesh"].items():
        assert r["max_abs"] < 1e-9 and r["grad_rel"] < 1e-8, (kind, r)
        assert r["continued_max_abs"] < 1e-9, (kind, r)
        assert r["spikes"] > 0
        if devices > 1:  # the spikes cross devices once per window
            assert r["collectives"].get("all-gather per window", 0) >= 1, r
    if devices > 1:  # graded synapses cross devices in the detailed network
        assert out["mesh"]["detailed"]["collectives"]["all-gather per step"] >= 1
        assert "all-gather per step" not in out["mesh"]["spiking"]["collectives"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_under_jax_distributed():
    """Two processes of two devices each on 127.0.0.1, joined by
    `jax.distributed` with gloo: a sweep over the four devices and a network
    split over them give each process's own one-device results."""
    port = str(_free_port())
    procs = [
        subprocess.Popen(
            [sys.executable, str(CHECK), "distributed", str(i), port],
            env=_env(2),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    outs = []
    for p in procs:
        try:
            stdout, stderr = p.communicate(timeout=900)
        finally:
            for q in procs:
                if q.poll() is None and p.returncode is None:
                    q.kill()
        assert p.returncode == 0, stderr[-3000:]
        outs.append(json.loads(stdout.strip().splitlines()[-1]))
    for out in outs:
        assert out["devices"] == 4
        for kind, r in out["distributed"].items():
            assert r["sweep_max_abs"] < 1e-12 and r["mesh_max_abs"] < 1e-9, (kind, r)


def test_cells_are_split_by_compartments_not_count():
    """One 60-compartment cell and 60 point cells over 2 devices: the big cell
    alone on one, the point cells on the other."""
    import jax
    import numpy as np

    import dendrax as dx
    from dendrax._events import _plans
    from dendrax._partition import _parts

    big = dx.Cell(dx.Branch(dx.Compartment(), ncomp=20), parents=[-1, 0, 0])
    point = dx.Cell(dx.Branch(dx.Compartment(), ncomp=1), parents=[-1])
    net = dx.Network([big] + [point] * 60)
    parts = _parts(net, 2, _plans(net, 0.025))
    dev = parts.cells.flat // parts.cells.local.shape[1]
    assert dev[0] == 0 and np.all(dev[1:] == 1)
    per_device = [np.sum(parts.nodes[d, : parts.n_comp] >= 0) for d in range(2)]
    assert per_device == [60, 60]
    assert jax.devices()  # one device here: a mesh of it still works below
    mesh = jax.sharding.Mesh(np.array(jax.devices()[:1]), ("cells",))
    net = dx.insert(net, dx.channels.HH())
    one = dx.simulate(net, 1.0, 0.025)
    split = jax.jit(lambda: dx.simulate(net, 1.0, 0.025, mesh=mesh))()
    np.testing.assert_allclose(split.ys, one.ys, atol=1e-9)


def test_mesh_errors_name_the_fix():
    import jax
    import numpy as np

    import dendrax as dx

    net = dx.Network([dx.Cell(dx.Branch(dx.Compartment(), ncomp=1), parents=[-1])] * 2)
    net = dx.insert(net, dx.channels.LIF())
    wrong = jax.sharding.Mesh(np.array(jax.devices()[:1]), ("batch",))
    with pytest.raises(ValueError, match="axis named 'cells'"):
        dx.simulate(net, 1.0, 0.1, mesh=wrong)
    mesh = jax.sharding.Mesh(np.array(jax.devices()[:1]), ("cells",))
    net = dx.connect(
        net, dx.select(net, cell=0), dx.select(net, cell=1), dx.synapses.Exp()
    )
    with pytest.raises(ValueError, match="delay of 0 cannot cross devices"):
        dx.simulate(net, 1.0, 0.1, mesh=mesh)
