"""The README demo: build a small network, tie its synapses, train them.

Six cells with two branches of two compartments each and Hodgkin-Huxley channels;
cells 0-2 project onto cells 3-5 through nine Ionotropic synapses. The synaptic
conductances are tied into one value per presynaptic cell and made trainable (on
a log scale). A teacher network with other conductances produces voltage traces,
and Adam steps through `dx.simulate` bring the student's traces onto them. The
conductances are small enough that the postsynaptic cells stay below threshold,
where each of the three values leaves its own mark on their voltage.

Prints the loss and the learned conductances; saves out/network_demo.png (the
folder can be changed with $DENDRAX_OUT).

    python examples/network_demo.py
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

T_MAX, DT = 10.0, 0.025  # ms
TEACHER = [3e-5, 1e-5, 2e-5]  # µS, one per presynaptic cell
START = [2e-5, 2e-5, 2e-5]  # the student's first guess
STEPS = 100


def build(gS_per_pre_cell) -> dx.Network:
    cell = dx.Cell(dx.Branch(dx.Compartment(), ncomp=2), parents=[-1, 0])
    net = dx.Network([cell] * 6)
    net = dx.insert(net, dx.channels.HH())
    pre, post = dx.select(net, cell=[0, 1, 2]), dx.select(net, cell=[3, 4, 5])
    net = dx.connect(net, pre, post, dx.synapses.Ionotropic(), rule=dx.conn.AllToAll())
    net = dx.make_trainable(net, "Ionotropic.gS", by="pre_cell", transform=dx.Exp())
    for c, g in enumerate(gS_per_pre_cell):  # a scalar set keeps each tie intact
        from_c = dx.select(net, edges=lambda e: e.pre_cell == c)
        net = dx.set(net, "Ionotropic.gS", g, where=from_c)
    assert dx.n_trainable(net) == 3
    return net


def main():
    start = time.perf_counter()
    teacher = build(TEACHER)
    student = build(START)
    edges = student.edges  # a dx.Table; dx.to_pandas(edges) if pandas is installed
    for column in ("pre_cell", "post_cell", "pre_node", "post_node"):
        print(f"{column:>9}: {getattr(edges, column)}")

    stimuli = [  # the presynaptic cells fire one after the other
        dx.Stimulus(
            dx.select(teacher, cell=c, branch=0, comp=0),
            dx.step_current(1.0 + 3.0 * c, 2.0, 0.1, DT, T_MAX),
        )
        for c in range(3)
    ]
    record = dx.Record("v", dx.select(teacher, branch=0, comp=0))  # all six somata

    @eqx.filter_jit
    def simulate(net):
        return dx.simulate(net, T_MAX, DT, stimuli=stimuli, record=record).ys

    target = simulate(teacher)
    params, static = dx.partition(student)

    def loss_fn(params):
        v = simulate(dx.combine(params, static))
        return jnp.mean((v - target) ** 2)

    optimiser = optax.adam(0.1)
    opt_state = optimiser.init(params)

    @eqx.filter_jit
    def train_step(params, opt_state):
        loss, grads = eqx.filter_value_and_grad(loss_fn)(params)
        updates, opt_state = optimiser.update(grads, opt_state, params)
        return eqx.apply_updates(params, updates), opt_state, loss

    losses = []
    for k in range(STEPS):
        params, opt_state, loss = train_step(params, opt_state)
        losses.append(float(loss))
        if k % 10 == 0 or k == STEPS - 1:
            print(f"step {k:2d}  loss {losses[-1]:.3e} mV²")

    learned = dx.combine(params, static)
    found = dx.get(learned, "Ionotropic.gS").reshape(3, 3)[:, 0]
    print("gS per presynaptic cell (µS)")
    sci = {"float_kind": lambda x: f"{x:.4e}"}
    print(f"  teacher {np.array2string(np.array(TEACHER), formatter=sci)}")
    print(f"  learned {np.array2string(np.asarray(found), formatter=sci)}")
    error = np.abs(np.asarray(found) / np.array(TEACHER) - 1.0)
    print(f"  largest relative error {error.max():.1e}")

    ts = np.arange(target.shape[0]) * DT
    before, after = simulate(student), simulate(learned)
    fig, (ax_pre, ax_post, ax_l) = plt.subplots(1, 3, figsize=(15, 4))
    for c in range(3):
        (line,) = ax_pre.plot(ts, target[:, c])
        peak = int(np.argmax(target[:, c]))  # label each trace at its spike
        ax_pre.annotate(
            f"cell {c}",
            (ts[peak], target[peak, c]),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            color=line.get_color(),
        )
    ax_pre.set(xlabel="t (ms)", ylabel="v (mV)", title="presynaptic somata")
    ax_pre.set_ylim(top=ax_pre.get_ylim()[1] + 12)  # room for the labels
    ax_post.plot(ts, target[:, 3], "k", lw=3, label="teacher")
    ax_post.plot(ts, before[:, 3], "tab:gray", ls="--", label="student, start")
    ax_post.plot(ts, after[:, 3], "tab:red", label="student, trained")
    ax_post.set(xlabel="t (ms)", ylabel="v (mV)", title="postsynaptic soma (cell 3)")
    ax_post.legend()
    ax_l.semilogy(losses)
    ax_l.set(xlabel="Adam step", ylabel="loss (mV²)", title="training loss")
    fig.tight_layout()
    out = Path(os.environ.get("DENDRAX_OUT", "out"))
    out.mkdir(parents=True, exist_ok=True)
    path = out / "network_demo.png"
    fig.savefig(path, dpi=110)
    print(f"saved {path} ({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
