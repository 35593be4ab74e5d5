"""Make docs/images/raster.png, the raster of the plotting page.

A COBA-like network (after Vogels and Abbott 2005, as in examples/coba.py, at a
quarter of the size): 800 excitatory and 200 inhibitory leaky integrate-and-fire
cells, each pair connected with probability 0.08 through exponential conductance
synapses, every cell driven by a constant 0.2 nA. 500 ms at dt = 0.1 ms, spikes
recorded in 1 ms intervals and drawn by `dx.plot.raster` with the two groups
and the population rate in 5 ms bins. Run from the repository root:

    python docs/images/make_raster_figure.py
"""

import math
from pathlib import Path

import jax
import jax.numpy as jnp
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import dendrax as dx  # noqa: E402
import dendrax.plot  # noqa: E402

OUT = Path(__file__).resolve().parent / "raster.png"
N_EXC, N_INH, P = 800, 200, 0.08
T_MAX, DT, EVERY = 500.0, 0.1, 10  # ms; spikes counted per 1 ms


def build(key) -> dx.Network:
    k_exc, k_inh, k_v = jax.random.split(key, 3)
    area, radius = 20000.0, 10.0  # µm²: 200 pF
    soma = dx.Compartment(length=area / (2 * math.pi * radius), radius=radius)
    n = N_EXC + N_INH
    net = dx.Network([dx.Cell(dx.Branch(soma, 1))] * n)
    net = dx.insert(net, dx.channels.LIF(g_leak=5e-5, e_leak=-60.0, v_th=-50.0))
    everyone = dx.select(net, cell="all")
    rule = dx.conn.Bernoulli(P, self_connections=False)
    for name, pre, syn, key in (
        ("exc", range(N_EXC), dx.synapses.Exp(0.006, tau=5.0, e_syn=0.0), k_exc),
        ("inh", range(N_EXC, n), dx.synapses.Exp(0.067, tau=10.0, e_syn=-80.0), k_inh),
    ):
        source = dx.select(net, cell=list(pre))
        net = dx.connect(net, source, everyone, syn, rule, key=key, name=name)
    return dx.set(net, "v_init", jax.random.uniform(k_v, (n,), minval=-60, maxval=-50))


def main():
    net = build(jax.random.key(0))
    drive = dx.Stimulus(
        dx.select(net, cell="all"), jnp.full((dx.n_steps(T_MAX, DT),), 0.2)
    )
    sol = dx.simulate(
        net, T_MAX, DT, stimuli=drive, record=dx.Record("spikes", every=EVERY)
    )
    counts = np.asarray(sol.ys)
    print(f"{int(counts.sum())} spikes, {counts.sum() / (1000 * T_MAX / 1e3):.1f} Hz")

    fig, axes = plt.subplots(
        2, 1, figsize=(7, 4.2), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    groups = {"exc": range(N_EXC), "inh": range(N_EXC, N_EXC + N_INH)}
    ax_r, _ = dx.plot.raster(sol, ax=axes, bin_width=5.0, groups=groups)
    ax_r.set_title(f"{N_EXC} exc + {N_INH} inh LIF cells", loc="left")
    fig.tight_layout()
    fig.savefig(OUT, dpi=120)
    print(f"saved {OUT} ({OUT.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
