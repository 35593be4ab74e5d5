"""A sweep of 4096 parameter sets over every local device, and one network
split over them.

1. Firing of a Hodgkin-Huxley point neuron over a 64 × 64 grid of sodium and
   potassium conductances: 4096 runs of 100 ms, vmapped and sharded over the
   devices (each device runs its share of the batch; nothing crosses devices
   inside the time loop).
2. A network of 400 HH cells with graded and delayed event synapses, split
   over the same devices with `dx.simulate(..., mesh=)`: each device advances
   its own cells; the result equals the one-device run.

On a machine without accelerators the CPU is split into 4 devices (the
`XLA_FLAGS` line below, which must run before JAX starts); on a multi-GPU node,
delete that line and the sweep uses the GPUs. Saves a heatmap of the firing
rates to $DENDRAX_OUT (default: out/).

    python examples/sweep_devices.py
"""

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=4")

import time  # noqa: E402
from pathlib import Path  # noqa: E402

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P  # noqa: E402

import dendrax as dx  # noqa: E402

DT, T_MAX = 0.025, 100.0  # ms
I_AMP = 0.2  # nA into a 2000 µm² soma: 10 µA/cm²
N_GRID = 64


def point_neuron() -> dx.Network:
    """One HH compartment of 2000 µm² with a spike detector."""
    soma = dx.Compartment(length=2000 / (2 * np.pi * 10), radius=10.0)
    net = dx.Network(dx.Cell(dx.Branch(soma, 1), parents=[-1]))
    net = dx.insert(net, dx.channels.HH())
    return dx.insert(net, dx.channels.SpikeDetector())


def sweep(mesh: Mesh) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Spike counts over the (gNa, gK) grid, the batch sharded over `mesh`."""
    net = point_neuron()
    drive = dx.Stimulus(dx.select(net), dx.step_current(0.0, T_MAX, I_AMP, DT, T_MAX))

    def spikes(g):
        run = dx.set(dx.set(net, "HH.gNa", g[0]), "HH.gK", g[1])
        sol = dx.simulate(
            run, T_MAX, DT, stimuli=drive, record=dx.Record("spikes", every=400)
        )
        return sol.ys.sum()

    g_na = np.linspace(0.06, 0.18, N_GRID)  # S/cm²
    g_k = np.linspace(0.01, 0.06, N_GRID)
    grid = np.stack(np.meshgrid(g_na, g_k, indexing="ij"), -1).reshape(-1, 2)
    # Lay the batch out over the devices: row k lives on device k // (4096 / n).
    batch = jax.device_put(jnp.asarray(grid), NamedSharding(mesh, P("batch")))
    run = jax.jit(jax.vmap(spikes))
    jax.block_until_ready(run(batch))  # compile
    start = time.perf_counter()
    counts = jax.block_until_ready(run(batch))
    seconds = time.perf_counter() - start
    return g_na, g_k, np.asarray(counts).reshape(N_GRID, N_GRID), seconds


def network() -> tuple[dx.Network, list]:
    """400 three-compartment HH cells: graded synapses onto the dendrites and
    delayed event synapses onto the somata."""
    cell = dx.Cell(dx.Branch(dx.Compartment(), ncomp=1), parents=[-1, 0, 0])
    net = dx.insert(dx.Network([cell] * 400), dx.channels.HH())
    soma = dx.select(net, branch=0)
    net = dx.insert(net, dx.channels.SpikeDetector(threshold=0.0), soma)
    key_a, key_b = jax.random.split(jax.random.PRNGKey(0))
    net = dx.connect(
        net, soma, dx.select(net, branch=1), dx.synapses.Ionotropic(gS=5e-4),
        dx.conn.FixedInDegree(5), key=key_a,
    )  # fmt: skip
    net = dx.connect(
        net, soma, soma, dx.synapses.Exp(weight=2e-3), dx.conn.FixedInDegree(10),
        key=key_b, delay=1.0,
    )  # fmt: skip
    drive = dx.step_current(1.0, 20.0, 0.3, DT, 25.0)
    return net, [dx.Stimulus(dx.select(net, cell=range(0, 400, 7), branch=0), drive)]


def main():
    devices = jax.devices()
    print(f"{len(devices)} devices: {devices[0].platform}")
    g_na, g_k, counts, seconds = sweep(Mesh(np.array(devices), ("batch",)))
    rates = counts / (T_MAX * 1e-3)  # Hz
    print(
        f"{counts.size} runs of {T_MAX:.0f} ms in {seconds:.2f} s "
        f"({seconds / counts.size * 1e3:.2f} ms per run); "
        f"rates {rates.min():.0f}-{rates.max():.0f} Hz"
    )
    assert rates.max() > 50 and rates.min() == 0  # silent and fast corners

    net, stimuli = network()
    record = [dx.Record("v", dx.select(net, branch=0)), dx.Record("spikes")]
    one = jax.jit(lambda: dx.simulate(net, 25.0, DT, stimuli=stimuli, record=record))
    mesh = Mesh(np.array(devices), ("cells",))
    split = jax.jit(
        lambda: dx.simulate(net, 25.0, DT, stimuli=stimuli, record=record, mesh=mesh)
    )
    a, b = one(), split()
    diff = float(jnp.abs(a.ys[0] - b.ys[0]).max())
    n_spikes = int(a.ys[1].sum())
    print(
        f"network of {net.n_cells} cells over {len(devices)} devices: "
        f"{n_spikes} spikes, as on one device (max |Δv| = {diff:.1e} mV)"
    )
    assert np.array_equal(np.asarray(a.ys[1]), np.asarray(b.ys[1])) and diff < 1e-9

    fig, ax = plt.subplots(figsize=(5.2, 4.2), layout="constrained")
    image = ax.pcolormesh(g_k * 1e3, g_na * 1e3, rates, cmap="magma", shading="auto")
    fig.colorbar(image, ax=ax, label="firing rate (Hz)")
    ax.set_xlabel(r"$\bar g_\mathrm{K}$ (mS/cm²)")
    ax.set_ylabel(r"$\bar g_\mathrm{Na}$ (mS/cm²)")
    ax.set_title(
        f"HH soma, {I_AMP * 1e3:.0f} pA step: {counts.size} runs "
        f"on {len(devices)} devices",
        fontsize=10,
    )
    out = Path(os.environ.get("DENDRAX_OUT", "out"))
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "sweep_devices.png", dpi=120)
    print(f"saved {out / 'sweep_devices.png'}")


if __name__ == "__main__":
    main()
