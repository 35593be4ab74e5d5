"""The COBA network: 4000 leaky integrate-and-fire cells with conductance synapses.

The conductance-based benchmark of Brette et al. (2007), after Vogels and Abbott
(2005), as in the COBA examples of Brian2 and BrainPy. 3200 excitatory and 800
inhibitory point cells (`dx.channels.LIF`: C = 200 pF, g_leak = 10 nS, so
tau_m = 20 ms; E_L = V_reset = -60 mV, V_th = -50 mV, 5 ms refractory) are
connected at random: every ordered pair of distinct cells with probability 0.02.
Excitatory synapses add 6 nS to an exponential conductance (tau 5 ms, reversal
0 mV), inhibitory ones 67 nS (tau 10 ms, -80 mV); there are no delays. Every
cell receives a constant 0.2 nA (20 mV × g_leak), which alone would drive it
towards -40 mV, above threshold, and make it fire at 53 Hz; the recurrent
synapses bring the rates down to about 20 Hz. Initial voltages are drawn
uniformly between V_reset and V_th.

The run is 1 s at dt = 0.1 ms in float32 (the statistics match float64; the
network is chaotic, so single spikes never do). Spikes are delivered with
`dx.conn.EventDriven` (only cells that fired are visited; `--delivery` picks
another strategy) and recorded in 1 ms bins. Prints the rates and the build,
compile and run times (the function is compiled ahead of time with
`eqx.filter_jit(...).lower(net).compile()`, so the run time excludes tracing
and compilation); saves out/coba.png, a raster with the population rate below
it (the folder can be changed with $DENDRAX_OUT).

    python examples/coba.py [--delivery event|segment|dense]
    DENDRAX_QUICK=1 python examples/coba.py   # 1000 cells for 200 ms (CI)

Quick mode keeps the number of inputs per cell: 800 + 200 cells connected with
probability 0.08.
"""

import argparse
import math
import os
import time
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import dendrax as dx  # noqa: E402
import dendrax.plot  # noqa: E402

QUICK = os.environ.get("DENDRAX_QUICK", "") not in ("", "0")
SCALE = 0.25 if QUICK else 1.0  # fraction of the 4000 cells
N_EXC, N_INH = round(3200 * SCALE), round(800 * SCALE)
P_CONNECT = 0.02 / SCALE  # inputs per cell stay at about 64 + 16
T_MAX, DT = (200.0 if QUICK else 1000.0), 0.1  # ms
EVERY = 10  # record spike counts in bins of EVERY * DT = 1 ms
BIN = 5.0  # ms, bins of the population rate in the figure
SEED = 0

AREA = 20000.0  # µm²: with 1 µF/cm², C = 200 pF
RADIUS = 10.0  # µm
LIF = dict(g_leak=5e-5, e_leak=-60.0, v_th=-50.0, v_reset=-60.0, t_ref=5.0)
W_EXC, TAU_EXC, E_EXC = 0.006, 5.0, 0.0  # µS (6 nS), ms, mV
W_INH, TAU_INH, E_INH = 0.067, 10.0, -80.0  # µS (67 nS), ms, mV
I_DRIVE = 0.2  # nA = 20 mV × 10 nS
DELIVERY = {
    "event": lambda: dx.conn.EventDriven(max_spikes=32),
    "segment": dx.conn.Segment,
    "dense": dx.conn.Dense,
}


def build(delivery: dx.conn.AbstractDelivery, key) -> dx.Network:
    """The network with its connections and random initial voltages."""
    k_exc, k_inh, k_v = jax.random.split(key, 3)
    length = AREA / (2 * math.pi * RADIUS)
    cell = dx.Cell(dx.Branch(dx.Compartment(length=length, radius=RADIUS), 1))
    n = N_EXC + N_INH
    net = dx.insert(dx.Network([cell] * n), dx.channels.LIF(**LIF))
    exc = dx.select(net, cell=np.arange(N_EXC))
    inh = dx.select(net, cell=np.arange(N_EXC, n))
    everyone = dx.select(net, cell="all")
    rule = dx.conn.Bernoulli(P_CONNECT, self_connections=False)
    for name, pre, syn, key in (
        ("exc", exc, dx.synapses.Exp(W_EXC, tau=TAU_EXC, e_syn=E_EXC), k_exc),
        ("inh", inh, dx.synapses.Exp(W_INH, tau=TAU_INH, e_syn=E_INH), k_inh),
    ):
        net = dx.connect(
            net, pre, everyone, syn, rule, key=key, name=name, delivery=delivery
        )
    v0 = jax.random.uniform(k_v, (n,), minval=LIF["v_reset"], maxval=LIF["v_th"])
    return dx.set(net, "v_init", v0)


def make_runner(net: dx.Network):
    """A jitted function of a network: recording times and the spike counts per
    1 ms bin and cell."""
    steps = dx.n_steps(T_MAX, DT)
    # One (steps,) waveform for every cell: broadcast, never stored per cell.
    drive = dx.Stimulus(dx.select(net, cell="all"), jnp.full((steps,), I_DRIVE))
    record = dx.Record("spikes", every=EVERY)

    @eqx.filter_jit
    def run(net):
        sol = dx.simulate(net, T_MAX, DT, stimuli=drive, record=record)
        return sol.ts, sol.ys

    return run


def timed(fn, *args):
    start = time.perf_counter()
    out = jax.block_until_ready(fn(*args))
    return time.perf_counter() - start, out


def rates(counts: np.ndarray) -> tuple[float, float]:
    """Mean rates (Hz) of the excitatory and inhibitory cells."""
    seconds = T_MAX / 1000.0
    return (
        counts[:, :N_EXC].sum() / (N_EXC * seconds),
        counts[:, N_EXC:].sum() / (N_INH * seconds),
    )


def plot(ts: np.ndarray, counts: np.ndarray, path: Path) -> None:
    """Raster (exc blue, inh red) and the population rates in 5 ms bins."""
    fig, axes = plt.subplots(
        2, 1, figsize=(10, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    groups = {"exc": range(N_EXC), "inh": range(N_EXC, N_EXC + N_INH)}
    ax_r, ax_p = dx.plot.raster(ts, counts, ax=axes, bin_width=BIN, groups=groups)
    ax_r.set_title(f"COBA, {N_EXC} exc + {N_INH} inh LIF cells", loc="left")
    # The start is synchronous (initial voltages uniform below threshold, the
    # drive above it): show the steady state and say how high the start goes.
    rates = np.stack([patch.get_data().values for patch in ax_p.patches])  # Hz
    peak, steady = rates[:, 0].max(), rates[:, 4:].max()  # first bin, after 20 ms
    if peak > 1.5 * steady:
        top = 1.5 * steady
        ax_p.set_ylim(0, top)
        ax_p.annotate(
            f"first {BIN:g} ms: {peak:.0f} Hz (synchronous start)",
            xy=(BIN / 2, top),
            xytext=(6 * BIN, 0.9 * top),
            va="center",
            arrowprops=dict(arrowstyle="->", lw=0.8),
        )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(delivery_name: str):
    print(
        f"COBA: {N_EXC} exc + {N_INH} inh LIF cells, p = {P_CONNECT:g}, "
        f"{T_MAX:g} ms at dt = {DT:g} ms, {jnp.zeros(()).dtype}, "
        f"delivery {delivery_name}{' (quick mode)' if QUICK else ''}"
    )
    t_build, net = timed(lambda: build(DELIVERY[delivery_name](), jax.random.key(SEED)))
    n_edges = [len(p) for p in net.synapses]
    print(f"  synapses: {n_edges[0]} exc, {n_edges[1]} inh")
    run = make_runner(net)
    # Ahead-of-time: trace and compile first, so the call below is the run alone.
    t_compile, compiled = timed(lambda: run.lower(net).compile())
    t_run, (ts, counts) = timed(compiled, net)
    ts, counts = np.asarray(ts), np.asarray(counts)
    r_exc, r_inh = rates(counts)
    print(f"  rates: exc {r_exc:.2f} Hz, inh {r_inh:.2f} Hz")
    print(f"  total spikes: {int(counts.sum())}")
    print(
        f"  build {t_build:.2f} s, compile {t_compile:.2f} s, run {t_run:.2f} s "
        f"({t_run / (T_MAX / 1000):.2f} s per simulated second)"
    )
    out = Path(os.environ.get("DENDRAX_OUT", "out"))
    out.mkdir(parents=True, exist_ok=True)
    path = out / "coba.png"
    plot(ts, counts, path)
    print(f"saved {path}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--delivery", choices=sorted(DELIVERY), default="event")
    main(parser.parse_args().delivery)
