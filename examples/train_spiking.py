"""Train a spiking network with surrogate gradients: three spike patterns, three
output cells.

Twenty input cells emit one of three fixed spike patterns: Poisson times at
30 Hz in the first 40 ms, drawn once with NumPy, played by `SpikeTrain` cells
from a raster (`dx.SpikeRaster`, one row per step), so that the three
patterns run as one batch under `jax.vmap`. The inputs project onto three
output LIF cells through conductance synapses (`dx.synapses.Exp`, 5 ms, 0 mV)
with one trainable weight per edge (60 weights, 1-3 nS at the start), kept positive with
`transform=dx.Exp()`, so that Adam's steps are relative changes. Output cell k
should fire most for pattern k: the loss is the cross-entropy of the softmax of
the three output spike counts, averaged over the three patterns, which run as
one batch with `jax.vmap` (60 ms at dt = 0.1 ms, float64; float32 gives the
same counts).

Spike counts are piecewise constant in the weights, so their exact gradient is
zero; the gradient comes from the surrogate derivative of the LIF threshold
(`dx.heaviside`; the reset is detached, see "Surrogate gradients" in
docs/concepts/spiking.md), and Adam follows it. At the start every output fires
3 spikes for every pattern (loss 1.10, no pattern classified); after 20 of the
100 Adam steps all three are, and at the end the right output fires 5-7 spikes
and the others 0-3 (loss 0.03). The loss curve is a staircase: it only changes
when a spike appears or disappears. Training takes about 3 s, most of it
compilation (then a few ms per step).

Prints the spike counts, loss and accuracy before and after training and the
loss during it, and asserts that every pattern ends up classified correctly;
saves a figure (loss curve; input and output rasters before and after training
for each pattern) to $DENDRAX_OUT (default: out/).

    python examples/train_spiking.py
"""

import math
import os
import time
from pathlib import Path

import equinox as eqx
import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

import dendrax as dx  # noqa: E402

N_IN, N_OUT = 20, 3  # input cells; output cells = classes = patterns
T_MAX, DT = 60.0, 0.1  # ms
RATE = 30.0  # Hz, mean rate of an input cell within a pattern
T_LAST = 40.0  # ms, input spikes fall in [0, T_LAST)
T_REF = 5.0  # ms, refractory period of the output LIF cells (the default)
W_INIT = 2e-3  # µS, mean initial weight (2 nS)
STEPS, LEARNING_RATE = 100, 0.05
SEED = 0

AREA, RADIUS = 20000.0, 10.0  # µm²: with 1 µF/cm², C = 200 pF


def build(rng: np.random.Generator) -> dx.Network:
    length = AREA / (2 * math.pi * RADIUS)
    cell = dx.Cell(dx.Branch(dx.Compartment(length=length, radius=RADIUS), 1))
    net = dx.Network([cell] * (N_IN + N_OUT))
    inputs = dx.select(net, cell=list(range(N_IN)))
    outputs = dx.select(net, cell=list(range(N_IN, N_IN + N_OUT)))
    net = dx.insert(net, dx.channels.SpikeTrain(), inputs)
    net = dx.insert(net, dx.channels.LIF(t_ref=T_REF), outputs)
    net = dx.set(net, "v_init", -60.0)  # LIF rest
    weights = W_INIT * rng.uniform(0.5, 1.5, N_IN * N_OUT)
    # Default (Segment) delivery: EventDriven would drop the surrogate gradients
    # of cells that did not spike.
    net = dx.connect(
        net, inputs, outputs, dx.synapses.Exp(weight=weights, tau=5.0, e_syn=0.0),
        name="syn",
    )  # fmt: skip
    return dx.make_trainable(net, "syn.weight", by="index", transform=dx.Exp())


def patterns(rng: np.random.Generator) -> np.ndarray:
    """Spike rasters, shape (patterns, steps, inputs): Poisson spikes at RATE
    in the first T_LAST ms (at most one per step), drawn once."""
    steps, last = dx.n_steps(T_MAX, DT), round(T_LAST / DT)
    spikes = np.zeros((N_OUT, steps, N_IN))
    spikes[:, :last] = rng.random((N_OUT, last, N_IN)) < RATE * DT / 1000.0
    return spikes


def main():
    rng = np.random.default_rng(SEED)
    net = build(rng)
    spikes = jnp.asarray(patterns(rng))
    labels = jnp.arange(N_OUT)
    inputs = dx.select(net, cell=list(range(N_IN)))
    record = dx.Record("spikes")  # every cell: inputs, then outputs
    print(
        f"{N_IN} inputs -> {N_OUT} LIF outputs, {net.n_edges} Exp synapses, "
        f"{dx.n_trainable(net)} trainable weights; {T_MAX:g} ms at dt = {DT:g} ms, "
        f"{jnp.zeros(()).dtype}"
    )
    print(f"input spikes per pattern: {np.asarray(spikes).sum(axis=(1, 2))}")

    def rasters(net):
        """Spike rasters, shape (patterns, times, cells): inputs, then outputs."""

        def one(wave):
            stim = dx.SpikeRaster(inputs, wave)
            return dx.simulate(net, T_MAX, DT, stimuli=stim, record=record).ys

        return jax.vmap(one)(spikes)

    params, static = dx.partition(net)

    def loss_fn(params):
        raster = rasters(dx.combine(params, static))[..., N_IN:]
        counts = raster.sum(axis=1)  # (patterns, outputs)
        loss = optax.softmax_cross_entropy_with_integer_labels(counts, labels)
        return loss.mean(), counts

    optimiser = optax.adam(LEARNING_RATE)
    opt_state = optimiser.init(params)

    @eqx.filter_jit
    def train_step(params, opt_state):
        (loss, counts), grads = eqx.filter_value_and_grad(loss_fn, has_aux=True)(params)
        updates, opt_state = optimiser.update(grads, opt_state, params)
        return eqx.apply_updates(params, updates), opt_state, loss, counts

    run = eqx.filter_jit(lambda params: rasters(dx.combine(params, static)))

    def accuracy(counts):
        """Fraction of patterns whose own output fires strictly most."""
        counts = np.asarray(counts)
        own = counts[np.arange(N_OUT), np.arange(N_OUT)]
        others = np.where(np.eye(N_OUT, dtype=bool), -np.inf, counts).max(axis=1)
        return float(np.mean(own > others))

    def report(name, raster):
        """Print and return the loss and spike counts of output rasters."""
        counts = raster.sum(axis=1)  # (patterns, outputs)
        loss = optax.softmax_cross_entropy_with_integer_labels(counts, labels).mean()
        print(f"{name}: loss {loss:.3f}, accuracy {accuracy(counts):.0%}")
        print("  spike counts (rows: patterns, columns: outputs)")
        for k, row in enumerate(counts.astype(int)):
            print(f"  pattern {k}: {row}")
        return float(loss), counts

    before = np.asarray(run(params))
    # Every input spike is recorded at the end of its step.
    assert np.array_equal(before[:, 1:, :N_IN], np.asarray(spikes))
    loss_before, _ = report("before training", before[..., N_IN:])
    losses, accs = [], []
    start = time.perf_counter()
    for k in range(STEPS):
        params, opt_state, loss, counts = train_step(params, opt_state)
        losses.append(float(loss))
        accs.append(accuracy(counts))
        if k == 0:
            t_compile = time.perf_counter() - start
        if k % 10 == 0 or k == STEPS - 1:
            print(f"step {k:3d}  loss {losses[-1]:.3f}  accuracy {accs[-1]:.0%}")
    t_train = time.perf_counter() - start
    print(
        f"{STEPS} Adam steps in {t_train:.1f} s: the first (compilation) "
        f"{t_compile:.1f} s, then {1e3 * (t_train - t_compile) / (STEPS - 1):.1f} ms "
        "per step"
    )

    after = np.asarray(run(params))
    loss_after, counts_after = report("after training", after[..., N_IN:])
    w = dx.get(dx.combine(params, static), "syn.weight")
    print(f"weights (nS): min {1e3 * w.min():.2f}, max {1e3 * w.max():.2f}")
    assert accuracy(counts_after) == 1.0, counts_after
    assert loss_after < 0.1 * loss_before

    out = Path(os.environ.get("DENDRAX_OUT", "out"))
    out.mkdir(parents=True, exist_ok=True)
    ts = np.arange(before.shape[1]) * DT
    fig = plt.figure(figsize=(13, 6))
    grid = fig.add_gridspec(2, N_OUT + 1)
    ax = fig.add_subplot(grid[:, 0])
    ax.plot(losses, "k")
    ax.set(xlabel="Adam step", ylabel="cross-entropy (nats)", title="training loss")
    y_out = 2 * np.arange(N_OUT)  # rows of the output cells; inputs above them
    y_in = y_out[-1] + 3 + np.arange(N_IN)
    shown = [0, 5, 10, 15, N_IN - 1]  # input rows with a tick label
    first = None
    for k in range(N_OUT):
        for row, (raster, when) in enumerate(((before, "before"), (after, "after"))):
            ax = fig.add_subplot(grid[row, k + 1], sharex=first, sharey=first)
            first = first or ax
            times, cells = dx.spike_times(ts, raster[k, :, :N_IN])
            ax.plot(times, y_in[cells], "|", color="0.45", ms=4, mew=1)
            ax.axhspan(y_out[k] - 0.8, y_out[k] + 0.8, color="tab:green", alpha=0.2)
            times, outs = dx.spike_times(ts, raster[k, :, N_IN:])
            ax.plot(times, y_out[outs], "|", color="k", ms=10, mew=1.5)
            n = raster[k, :, N_IN:].sum(0).astype(int)
            ax.set_title(
                f"pattern {k}, {when}: out spikes {'/'.join(map(str, n))}",
                fontsize=10,
            )
            if row == 1:
                ax.set_xlabel("t (ms)")
            if k == 0:
                ax.set_ylabel("cell")
            else:
                ax.tick_params(labelleft=False)
    first.set(
        xlim=(0, T_MAX),
        ylim=(-1.5, y_in[-1] + 1),
        yticks=[*y_out, *y_in[shown]],
        yticklabels=[f"out {c}" for c in range(N_OUT)] + [f"in {c}" for c in shown],
    )
    handles = [
        Line2D([], [], ls="", marker="|", ms=8, mew=1, color="0.45"),
        Line2D([], [], ls="", marker="|", ms=10, mew=1.5, color="k"),
        Patch(color="tab:green", alpha=0.2),
    ]
    fig.legend(
        handles,
        ["input spike", "output spike", "the output that should fire most"],
        loc="upper center",
        ncols=3,
        frameon=False,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    path = out / "train_spiking.png"
    fig.savefig(path, dpi=110)
    print(f"saved {path}")


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"total {time.perf_counter() - start:.1f} s")
