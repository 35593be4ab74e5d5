"""A hypernetwork: an equinox MLP that sets the synapses of a neuron network.

The network is the feed-forward one of the parameter sharing tutorial: cells 0-2
project onto cells 3-5 through nine Ionotropic synapses whose conductances are
tied into one value per presynaptic cell. An `eqx.nn.MLP` maps a 2-d context
vector to those three values (as logarithms: the network is made trainable with
`transform=dx.Exp()`, and the MLP's output is the unconstrained vector that
`dx.partition` yields). The MLP is trained end to end, through `jax.vmap` over
contexts and `dx.simulate`, so that the network it configures reproduces the
voltage traces of networks whose true conductances depend on the context.

The conductances are small enough that the postsynaptic cells stay below
threshold, where their voltage depends smoothly on every conductance. (With
spiking targets, a squared error on voltages has flat stretches and local minima
wherever a spike is missing or misplaced; see train_network.py for a case that
starts close enough to work.)

Prints the loss during training and the conductances it predicts for a context
it was not trained on; saves a figure to $DENDRAX_OUT (default: out/).

    python examples/equinox_hypernetwork.py
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
from jax.flatten_util import ravel_pytree  # noqa: E402

import dendrax as dx  # noqa: E402

T_MAX, DT = 12.0, 0.025  # ms
G0 = 1.5e-5  # µS, a typical conductance
# The true log-conductances depend linearly on the context: log(G0) + A @ c.
A = jnp.array([[0.8, -0.4], [0.3, 0.9], [-0.6, 0.5]])
TRAIN = jnp.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0], [0.0, 0.0]])
HELD_OUT = jnp.array([0.5, -0.3])
STEPS, LEARNING_RATE = 300, 1e-2


def build() -> dx.Network:
    cell = dx.Cell(dx.Branch(dx.Compartment(), ncomp=2), parents=[-1, 0])
    net = dx.Network([cell] * 6)
    net = dx.insert(net, dx.channels.HH())
    pre, post = dx.select(net, cell=[0, 1, 2]), dx.select(net, cell=[3, 4, 5])
    net = dx.connect(net, pre, post, dx.synapses.Ionotropic())
    return dx.make_trainable(net, "Ionotropic.gS", by="pre_cell", transform=dx.Exp())


def true_log_g(context):
    return jnp.log(G0) + A @ context


def main():
    net = build()
    params, static = dx.partition(net)
    flat, unflatten = ravel_pytree(params)  # flat: the three log-conductances

    # Each presynaptic cell fires at its own time; record the postsynaptic somata.
    stimuli = [
        dx.Stimulus(
            dx.select(net, cell=c, branch=0, comp=0),
            dx.step_current(1.0 + 3.0 * c, 2.0, 0.1, DT, T_MAX),
        )
        for c in range(3)
    ]
    record = dx.Record("v", dx.select(net, cell=[3, 4, 5], branch=0, comp=0))

    def traces(log_g):
        """Postsynaptic voltages of the network with these log-conductances."""
        configured = dx.combine(unflatten(log_g), static)
        return dx.simulate(configured, T_MAX, DT, stimuli=stimuli, record=record).ys

    targets = jax.jit(jax.vmap(lambda c: traces(true_log_g(c))))(TRAIN)
    print(f"targets: {TRAIN.shape[0]} contexts, traces of shape {targets.shape[1:]}")

    mlp = eqx.nn.MLP(
        in_size=2,
        out_size=flat.size,
        width_size=16,
        depth=2,
        activation=jax.nn.tanh,
        key=jax.random.key(0),
    )

    def predict(mlp, context):
        return jnp.log(G0) + mlp(context)  # start near the typical value

    def loss_fn(mlp):
        v = jax.vmap(lambda c: traces(predict(mlp, c)))(TRAIN)
        return jnp.mean((v - targets) ** 2)

    optimiser = optax.adam(LEARNING_RATE)
    opt_state = optimiser.init(eqx.filter(mlp, eqx.is_inexact_array))

    @eqx.filter_jit
    def train_step(mlp, opt_state):
        loss, grads = eqx.filter_value_and_grad(loss_fn)(mlp)
        updates, opt_state = optimiser.update(grads, opt_state, mlp)
        return eqx.apply_updates(mlp, updates), opt_state, loss

    losses = []
    start = time.perf_counter()
    for k in range(STEPS):
        mlp, opt_state, loss = train_step(mlp, opt_state)
        losses.append(float(loss))
        if k % 30 == 0 or k == STEPS - 1:
            print(f"step {k:3d}  loss {losses[-1]:.3e} mV²")
    print(f"{STEPS} steps in {time.perf_counter() - start:.1f} s")
    print(f"loss fell from {losses[0]:.3g} to {losses[-1]:.3g} mV²")

    def relative_error(context):
        return jnp.abs(jnp.exp(predict(mlp, context) - true_log_g(context)) - 1.0)

    sci = {"float_kind": lambda x: f"{x:.2e}"}
    fit = np.asarray(jax.vmap(relative_error)(TRAIN))
    print(f"training contexts: largest relative error of gS {fit.max():.2f}")
    true = np.exp(true_log_g(HELD_OUT))
    found = np.exp(predict(mlp, HELD_OUT))
    print(f"held-out context {HELD_OUT.tolist()}: gS per presynaptic cell (µS)")
    print(f"  true       {np.array2string(true, formatter=sci)}")
    print(f"  predicted  {np.array2string(found, formatter=sci)}")
    held = np.asarray(relative_error(HELD_OUT))
    print(f"  rel. error {np.array2string(held, precision=2)}")

    ts = np.arange(targets.shape[1]) * DT
    v_true = traces(true_log_g(HELD_OUT))
    v_pred = traces(predict(mlp, HELD_OUT))
    fig, (ax_l, ax_v) = plt.subplots(1, 2, figsize=(11, 4))
    ax_l.semilogy(losses)
    ax_l.set(xlabel="Adam step", ylabel="loss (mV²)", title="training loss")
    ax_v.plot(ts, v_true[:, 0], "k", lw=2.5, label="true network")
    ax_v.plot(ts, v_pred[:, 0], "tab:red", label="configured by the MLP")
    ax_v.set(
        xlabel="t (ms)",
        ylabel="v (mV)",
        title=f"cell 3, held-out context {HELD_OUT.tolist()}",
    )
    ax_v.legend()
    fig.tight_layout()
    out = Path(os.environ.get("DENDRAX_OUT", "out"))
    out.mkdir(parents=True, exist_ok=True)
    path = out / "equinox_hypernetwork.png"
    fig.savefig(path, dpi=110)
    print(f"saved {path}")


if __name__ == "__main__":
    main()
