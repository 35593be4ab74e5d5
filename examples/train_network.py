"""Recover tied synaptic conductances from voltage traces with optax.

Six cells, each connected to all six (36 Ionotropic synapses, as in the parameter
sharing tutorial). Cells 0-1 are excitatory, 2-3 inhibitory (reversal -80 mV),
4-5 of unknown type. The conductances of the 24 synapses leaving excitatory or
inhibitory cells are tied into six values, one per (presynaptic type,
postsynaptic type). A teacher network with known values produces voltage traces;
a student with the same structure starts from other values and learns them back
with Adam, through `dx.simulate`, on the log scale (`transform=dx.Exp()`).

Prints the loss during training, the time of one gradient step and the relative
error of every recovered conductance, saves the learned values with `dx.save`
and a figure (loss curve, teacher and student traces) to $DENDRAX_OUT (default:
out/).

    python examples/train_network.py
"""

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

import dendrax as dx  # noqa: E402

T_MAX, DT = 20.0, 0.025  # ms
TYPES = {"exc": [0, 1], "inh": [2, 3], "unknown": [4, 5]}
PAIRS = [(a, b) for a in ("exc", "inh") for b in TYPES]  # the six tied values
TEACHER = dict(zip(PAIRS, [3e-3, 1e-3, 5e-4, 4e-3, 2e-3, 2e-4]))  # µS
STUDENT = dict.fromkeys(PAIRS, 1e-3)  # the starting guess
STEPS, LEARNING_RATE = 250, 0.1


def pair(net: dx.Network, a: str, b: str) -> dx.Selection:
    """The synapses from cells of type `a` to cells of type `b`."""
    return dx.select(net, edges=lambda e: (e.pre_group == a) & (e.post_group == b))


def build(gS: dict) -> dx.Network:
    cell = dx.Cell(dx.Branch(dx.Compartment(), ncomp=2), parents=[-1, 0])
    net = dx.Network([cell] * 6)
    net = dx.insert(net, dx.channels.HH())
    for name, cells in TYPES.items():
        net = dx.add_group(net, name, dx.select(net, cell=cells))
    everyone = dx.select(net, cell="all")
    net = dx.connect(net, everyone, everyone, dx.synapses.Ionotropic())
    inhibitory = dx.select(net, edges=lambda e: e.pre_group == "inh")
    net = dx.set(net, "Ionotropic.e_syn", -80.0, where=inhibitory)
    for (a, b), g in gS.items():
        net = dx.set(net, "Ionotropic.gS", g, where=pair(net, a, b))
    typed = dx.select(net, edges=lambda e: np.isin(e.pre_group, ["exc", "inh"]))
    return dx.make_trainable(
        net,
        "Ionotropic.gS",
        where=typed,
        by=("pre_group", "post_group"),
        transform=dx.Exp(),
    )


def conductances(net: dx.Network) -> np.ndarray:
    """The six tied values, in the order of PAIRS."""
    return np.array(
        [dx.get(net, "Ionotropic.gS", where=pair(net, a, b))[0] for a, b in PAIRS]
    )


def main():
    teacher = build(TEACHER)
    student = build(STUDENT)
    print(f"{student.n_edges} synapses, {dx.n_trainable(student)} trainable values")

    # Each of cells 0-3 gets a short pulse at its own time, so that the
    # contribution of every presynaptic type can be told apart.
    stimuli = [
        dx.Stimulus(
            dx.select(teacher, cell=c, branch=0, comp=0),
            dx.step_current(1.0 + 4.0 * c, 2.0, 0.1, DT, T_MAX),
        )
        for c in range(4)
    ]
    record = dx.Record("v", dx.select(teacher, branch=0, comp=0))  # every soma

    @eqx.filter_jit
    def simulate(net):
        return dx.simulate(net, T_MAX, DT, stimuli=stimuli, record=record)

    target = simulate(teacher).ys
    params, static = dx.partition(student)

    def loss_fn(params):
        v = simulate(dx.combine(params, static)).ys
        return jnp.mean((v - target) ** 2)

    optimiser = optax.adam(LEARNING_RATE)
    opt_state = optimiser.init(params)

    @eqx.filter_jit
    def train_step(params, opt_state):
        loss, grads = eqx.filter_value_and_grad(loss_fn)(params)
        updates, opt_state = optimiser.update(grads, opt_state, params)
        return eqx.apply_updates(params, updates), opt_state, loss

    value_and_grad = eqx.filter_jit(eqx.filter_value_and_grad(loss_fn))
    jax.block_until_ready(value_and_grad(params))  # compile
    times = []
    for _ in range(10):
        start = time.perf_counter()
        jax.block_until_ready(value_and_grad(params))
        times.append(time.perf_counter() - start)
    print(
        f"one gradient step (value_and_grad, {T_MAX / DT:.0f} time steps): "
        f"{1e3 * np.median(times):.1f} ms (median of {len(times)})"
    )

    losses = []
    start = time.perf_counter()
    for k in range(STEPS):
        params, opt_state, loss = train_step(params, opt_state)
        losses.append(float(loss))
        if k % 25 == 0 or k == STEPS - 1:
            print(f"step {k:3d}  loss {losses[-1]:.3e} mV²")
    print(f"{STEPS} Adam steps in {time.perf_counter() - start:.1f} s")

    learned = dx.combine(params, static)
    true, found = conductances(teacher), conductances(learned)
    error = np.abs(found / true - 1.0)
    print("pre -> post          true (µS)   learned (µS)   rel. error")
    for (a, b), t, f, e in zip(PAIRS, true, found, error):
        print(f"{a:>3} -> {b:<8}  {t:12.3e}  {f:13.3e}  {e:11.1e}")
    print(f"largest relative error: {error.max():.1e}")

    out = Path(os.environ.get("DENDRAX_OUT", "out"))
    out.mkdir(parents=True, exist_ok=True)
    dx.save(out / "train_network.eqx", params)
    restored = dx.combine(dx.load(out / "train_network.eqx", params), static)
    assert np.allclose(conductances(restored), found)

    before = simulate(student).ys
    after = simulate(learned).ys
    ts = np.arange(target.shape[0]) * DT
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    axes[0].semilogy(losses)
    axes[0].set(xlabel="Adam step", ylabel="loss (mV²)", title="training loss")
    for ax, c in zip(axes[1:], (2, 4)):
        ax.plot(ts, target[:, c], "k", lw=2.5, label="teacher")
        ax.plot(ts, before[:, c], "tab:gray", ls="--", label="student, start")
        ax.plot(ts, after[:, c], "tab:red", label="student, trained")
        kind = next(name for name, cells in TYPES.items() if c in cells)
        ax.set(xlabel="t (ms)", ylabel="v (mV)", title=f"cell {c} soma, type {kind}")
    axes[1].legend()
    fig.tight_layout()
    path = out / "train_network.png"
    fig.savefig(path, dpi=110)
    print(f"saved {path}")


if __name__ == "__main__":
    main()
