"""A branched neuron driven by a current step at the soma.

Reads a small hand-made morphology (examples/data/toy_pyramid.swc), puts
Hodgkin-Huxley channels in the soma and axon and a passive leak in the dendrites,
injects a current step into the soma and simulates 60 ms under `eqx.filter_jit`.
Prints the spike count and a few numbers, then saves a figure with the morphology
coloured by each compartment's peak voltage and the voltage at the soma and at a
dendritic tip. The figure goes to the folder in $DENDRAX_OUT (default: out/).

    python examples/single_cell.py
"""

import os
import time
from pathlib import Path

import equinox as eqx
import jax

jax.config.update("jax_enable_x64", True)

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import dendrax as dx  # noqa: E402
import dendrax.plot  # noqa: E402

HERE = Path(__file__).resolve().parent
T_MAX, DT = 60.0, 0.025  # ms
I_AMP = 0.5  # nA


def build() -> dx.Network:
    cell = dx.read_swc(HERE / "data" / "toy_pyramid.swc", ncomp=6)
    net = dx.Network(cell)
    net = dx.set(net, "axial_resistivity", 100.0)  # Ω·cm
    net = dx.insert(net, dx.channels.HH(), where=dx.select(net, group=["soma", "axon"]))
    dendrites = dx.select(net, group=["basal", "apical"])
    net = dx.insert(net, dx.channels.Passive(g=5e-5, e=-65.0), where=dendrites)
    return net


def main():
    net = build()
    soma = dx.select(net, group="soma", comp=3)  # a compartment mid-soma
    # The apical compartment farthest from the soma: a tip of the tuft.
    xyz = net.xyz.array
    distance = np.linalg.norm(xyz - xyz[soma.indices[0]], axis=1)
    apical = dx.select(net, group="apical").indices
    tip_index = int(apical[np.argmax(distance[apical])])
    tip = dx.select(net, where=lambda table: table.index == tip_index)
    n_branches = len(np.unique(net.nodes.branch.array))
    print(
        f"{len(net)} compartments in {n_branches} branches; "
        f"channels: {[m.name for m in net.mechanisms]}"
    )

    current = dx.step_current(i_delay=10.0, i_dur=40.0, i_amp=I_AMP, dt=DT, t_max=T_MAX)
    stimulus = dx.Stimulus(soma, current)
    # Record v everywhere (for the peak-voltage map) and at soma and tip.
    records = [dx.Record("v"), dx.Record("v", soma | tip)]

    run = eqx.filter_jit(dx.simulate)
    start = time.perf_counter()
    sol = run(net, T_MAX, DT, stimuli=stimulus, record=records)
    v_all, v_pair = (np.asarray(y) for y in sol.ys)
    elapsed = time.perf_counter() - start

    ts = np.asarray(sol.ts)
    v_soma, v_tip = v_pair[:, 0], v_pair[:, 1]  # selections are sorted by index
    crossings = np.flatnonzero((v_soma[:-1] < 0.0) & (v_soma[1:] >= 0.0))
    spike_times = ts[crossings + 1]
    print(f"simulated {T_MAX:g} ms at dt = {DT} ms in {elapsed:.2f} s (incl. compile)")
    print(f"spikes at the soma: {len(spike_times)} (t = {np.round(spike_times, 2)} ms)")
    print(
        f"peak v: soma {v_soma.max():.1f} mV, apical tip {v_tip.max():.1f} mV "
        f"({distance[tip_index]:.0f} µm from the soma)"
    )

    fig, (ax_m, ax_v) = plt.subplots(
        1, 2, figsize=(11, 5), gridspec_kw={"width_ratios": [1, 1.3]}
    )
    dx.plot.morphology(
        net, ax=ax_m, values=v_all.max(axis=0), cmap="plasma", label="peak v (mV)"
    )
    ax_m.plot(*xyz[tip_index, :2], "o", mfc="none", mec="tab:orange", ms=12, mew=2)
    ax_m.set_title("peak membrane potential")
    dx.plot.traces(sol, ax=ax_v, record=1, labels=["soma", "apical tip (circled)"])
    ax_v.set_title(f"{I_AMP:g} nA step into the soma, 10-50 ms")
    fig.tight_layout()

    out = Path(os.environ.get("DENDRAX_OUT", "out"))
    out.mkdir(parents=True, exist_ok=True)
    path = out / "single_cell.png"
    fig.savefig(path, dpi=120)
    print(f"saved {path}")


if __name__ == "__main__":
    main()
