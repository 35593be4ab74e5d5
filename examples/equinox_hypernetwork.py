"""A hypernetwork: an equinox model holding an MLP and a neuron network, trained
together.

The network is the feed-forward one of the parameter sharing tutorial: cells 0-2
project onto cells 3-5 through nine Ionotropic synapses. The model is an
`eqx.Module` with two fields: an `eqx.nn.MLP` that maps a 2-d context vector to
one synaptic conductance per presynaptic cell (as logarithms), and the network,
whose own trainable value is the leak conductance of the postsynaptic cells (one
shared value, stored as a logarithm with `transform=dx.Exp()`).
`dx.partition` on the whole model hands the optimiser (optax's L-BFGS) every MLP
weight and exactly the network's trainable value; both are trained through
`jax.vmap` over contexts and `dx.simulate`, so that the configured network
reproduces the voltage traces of a teacher network whose conductances depend on
the context (and whose leak differs from the initial one).

The conductances are small enough that the postsynaptic cells stay below
threshold, where their voltage depends smoothly on every conductance. (With
spiking targets, a squared error on voltages has flat stretches and local minima
wherever a spike is missing or misplaced; see train_network.py for a case that
starts close enough to work.)

Prints the loss during training, the leak it finds, the conductances it predicts
for a context it was not trained on, and how strongly the traces constrain each
conductance (the curvature of the loss; see docs/concepts/transformations.md for
why the conductances are found to about 10-20 % while the leak is found to
within 0.1 %); saves a figure to $DENDRAX_OUT (default: out/).

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

import dendrax as dx  # noqa: E402

T_MAX, DT = 12.0, 0.025  # ms
G0 = 1.5e-5  # µS, a typical conductance
# The true log-conductances depend linearly on the context: log(G0) + A @ c.
A = jnp.array([[0.8, -0.4], [0.3, 0.9], [-0.6, 0.5]])
TRAIN = jnp.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0], [0.0, 0.0]])
HELD_OUT = jnp.array([0.5, -0.3])
LEAK0, LEAK_TRUE = 3e-4, 4e-4  # S/cm², the postsynaptic leak: initial and true
STEPS = 80


def build() -> dx.Network:
    cell = dx.Cell(dx.Branch(dx.Compartment(), ncomp=2), parents=[-1, 0])
    net = dx.insert(dx.Network([cell] * 6), dx.channels.HH(gLeak=LEAK0))
    pre, post = dx.select(net, cell=[0, 1, 2]), dx.select(net, cell=[3, 4, 5])
    net = dx.connect(net, pre, post, dx.synapses.Ionotropic())
    return dx.make_trainable(
        net, "HH.gLeak", where=post, by=None, transform=dx.Exp(), verbose=False
    )


NET = build()
POST = dx.select(NET, cell=[3, 4, 5])
# Each presynaptic cell fires at its own time; record the postsynaptic somata.
STIMULI = [
    dx.Stimulus(
        dx.select(NET, cell=c, branch=0, comp=0),
        dx.step_current(1.0 + 3.0 * c, 2.0, 0.1, DT, T_MAX),
    )
    for c in range(3)
]
RECORD = dx.Record("v", dx.select(NET, cell=[3, 4, 5], branch=0, comp=0))
PRE_CELL = jnp.asarray(NET.edges.columns()["pre_cell"])  # per synapse


def traces(net: dx.Network, log_g) -> jax.Array:
    """Postsynaptic voltages of `net` with one log-conductance per pre cell."""
    configured = dx.set(net, "Ionotropic.gS", jnp.exp(log_g)[PRE_CELL])
    return dx.simulate(configured, T_MAX, DT, stimuli=STIMULI, record=RECORD).ys


class Hypernetwork(eqx.Module):
    mlp: eqx.nn.MLP
    net: dx.Network

    def log_g(self, context):
        return jnp.log(G0) + self.mlp(context)  # start near the typical value

    def __call__(self, context):
        return traces(self.net, self.log_g(context))


def true_log_g(context):
    return jnp.log(G0) + A @ context


def main():
    teacher = dx.set(NET, "HH.gLeak", LEAK_TRUE, where=POST)
    targets = jax.jit(jax.vmap(lambda c: traces(teacher, true_log_g(c))))(TRAIN)
    print(f"targets: {TRAIN.shape[0]} contexts, traces of shape {targets.shape[1:]}")

    mlp = eqx.nn.MLP(
        in_size=2,
        out_size=3,
        width_size=16,
        depth=2,
        activation=jax.nn.tanh,
        key=jax.random.key(0),
    )
    model = Hypernetwork(mlp, NET)
    params, static = dx.partition(model)  # every MLP weight and the network's leak
    print(
        f"trainable: {dx.n_trainable(model.mlp)} MLP values and "
        f"{dx.n_trainable(model.net)} network value"
    )

    def loss_fn(params):
        model = dx.combine(params, static)
        return jnp.mean((jax.vmap(model)(TRAIN) - targets) ** 2)

    # A deterministic, full-batch fit of a few hundred numbers: L-BFGS (with
    # its line search) converges far faster than Adam here.
    optimiser = optax.lbfgs()
    opt_state = optimiser.init(params)
    value_and_grad = optax.value_and_grad_from_state(loss_fn)

    @eqx.filter_jit
    def train_step(params, opt_state):
        loss, grads = value_and_grad(params, state=opt_state)
        updates, opt_state = optimiser.update(
            grads, opt_state, params, value=loss, grad=grads, value_fn=loss_fn
        )
        return optax.apply_updates(params, updates), opt_state, loss

    losses = []
    start = time.perf_counter()
    for k in range(STEPS):
        params, opt_state, loss = train_step(params, opt_state)
        losses.append(float(loss))
        if k % 10 == 0 or k == STEPS - 1:
            print(f"step {k:3d}  loss {losses[-1]:.3e} mV²")
    print(f"{STEPS} steps in {time.perf_counter() - start:.1f} s")
    print(f"loss fell from {losses[0]:.3g} to {losses[-1]:.3g} mV²")
    model = dx.combine(params, static)

    leak = float(dx.get(model.net, "HH.gLeak", POST)[0])
    print(
        f"postsynaptic leak: {leak:.4e} S/cm² (true {LEAK_TRUE:.1e}, started at "
        f"{LEAK0:.1e}; error {abs(leak / LEAK_TRUE - 1):.1%})"
    )

    def relative_error(context):
        return jnp.abs(jnp.exp(model.log_g(context) - true_log_g(context)) - 1.0)

    sci = {"float_kind": lambda x: f"{x:.2e}"}
    fit = np.asarray(jax.vmap(relative_error)(TRAIN))
    print(f"training contexts: largest relative error of gS {fit.max():.2f}")
    true = np.exp(true_log_g(HELD_OUT))
    found = np.exp(model.log_g(HELD_OUT))
    print(f"held-out context {HELD_OUT.tolist()}: gS per presynaptic cell (µS)")
    print(f"  true       {np.array2string(true, formatter=sci)}")
    print(f"  predicted  {np.array2string(found, formatter=sci)}")
    held = np.asarray(relative_error(HELD_OUT))
    print(f"  rel. error {np.array2string(held, precision=2)}")

    # Why the conductances are found only to 10-20 %: the curvature of the loss
    # in log-conductance, at the first training context. Its smallest
    # eigenvalue is the direction the traces hardly constrain.
    context = TRAIN[0]

    def context_loss(log_g):
        v = traces(teacher, log_g)
        return jnp.mean((v - targets[0]) ** 2)

    curvature = np.linalg.eigvalsh(
        np.asarray(jax.hessian(context_loss)(true_log_g(context)))
    )
    weakest = 0.5 * curvature[0] * np.log(1.1) ** 2
    print(
        f"curvature of the loss in log gS at context {context.tolist()}: "
        f"{np.array2string(curvature, precision=4)} mV²; a 10 % error along the "
        f"weakest direction costs only {weakest:.1e} mV²"
    )

    ts = np.arange(targets.shape[1]) * DT
    v_true = traces(teacher, true_log_g(HELD_OUT))
    v_pred = model(HELD_OUT)
    fig, (ax_l, ax_v) = plt.subplots(1, 2, figsize=(11, 4))
    ax_l.semilogy(losses)
    ax_l.set(
        xlabel="L-BFGS step",
        ylabel="loss (mV²)",
        title="training loss: MLP and network",
    )
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
