"""Small networks of every kind, shared by the multi-device checks (run in
their own processes, with forced CPU devices; see tests/test_devices.py)."""

import jax
import jax.numpy as jnp
import numpy as np

import dendrax as dx

DT = 0.025
T_MAX = 15.0
N = dx.n_steps(T_MAX, DT)


def detailed() -> tuple[dx.Network, list, list]:
    """HH cells of two morphologies (3 and 7 compartments) with graded
    (Ionotropic, sharing states) and delayed event (Exp) synapses, a current
    and a voltage clamp."""
    small = dx.Cell(dx.Branch(dx.Compartment(), ncomp=1), parents=[-1, 0, 0])
    big = dx.Cell(dx.Branch(dx.Compartment(), ncomp=2), parents=[-1, 0, 0, 1])
    net = dx.Network([big, small, small, big, small, big, small])
    net = dx.insert(net, dx.channels.HH())
    soma = dx.select(net, branch=0, comp=0)
    net = dx.insert(net, dx.channels.SpikeDetector(threshold=0.0), soma)
    key = jax.random.PRNGKey(1)
    net = dx.connect(
        net, dx.select(net, cell=[0, 1, 3]), dx.select(net, branch=1),
        dx.synapses.Ionotropic(gS=2e-3), dx.conn.Bernoulli(0.6), key=key,
    )  # fmt: skip
    net = dx.connect(
        net, soma, dx.select(net, branch=2), dx.synapses.Exp(weight=5e-3),
        dx.conn.Bernoulli(0.5), key=jax.random.PRNGKey(2), delay=0.5,
    )  # fmt: skip
    w = dx.step_current(0.5, 4.0, 0.4, DT, T_MAX)
    stimuli = [
        dx.Stimulus(dx.select(net, cell=[0, 4], branch=0, comp=0), w),
        dx.VoltageClamp(dx.select(net, cell=5, branch=0, comp=0), jnp.full(N, -20.0)),
    ]
    records = [
        dx.Record("v"), dx.Record("spikes"), dx.Record("Ionotropic.s"),
        dx.Record("Exp.g"), dx.Record("HH.m", dx.select(net, cell=[6, 2])),
        # Currents: a channel's (and one ion's), synapses', the electrodes'.
        dx.Record("HH.i", dx.select(net, cell=[6, 2])), dx.Record("HH.ik"),
        dx.Record("Ionotropic.i"), dx.Record("Exp.i"), dx.Record("Stimulus.i"),
        dx.Record("VoltageClamp.i"),
    ]  # fmt: skip
    return net, stimuli, records


def spiking() -> tuple[dx.Network, list, list]:
    """LIF point cells with per-edge delays (Segment), a shared delay
    (EventDriven) and STDP."""
    cell = dx.Cell(
        dx.Branch(dx.Compartment(length=20000 / (2 * np.pi * 10), radius=10.0), 1),
        parents=[-1],
    )
    net = dx.Network([cell] * 24)
    net = dx.set(net, "v_init", -60.0)
    net = dx.insert(net, dx.channels.LIF())
    exc, inh = dx.select(net, cell=range(18)), dx.select(net, cell=range(18, 24))
    delays = np.random.default_rng(0).choice([0.1, 0.25, 0.5], size=18 * 24)
    net = dx.connect(
        net, exc, dx.select(net), dx.synapses.Exp(weight=6e-3, e_syn=0.0),
        dx.conn.AllToAll(), delay=delays.reshape(18, 24),
        plasticity=dx.plasticity.STDP(w_max=2e-2),
    )  # fmt: skip
    net = dx.connect(
        net, inh, exc, dx.synapses.Exp(weight=4e-3, e_syn=-80.0, tau=10.0),
        dx.conn.Bernoulli(0.5), key=jax.random.PRNGKey(3), name="inh",
        delay=0.2, delivery=dx.conn.EventDriven(max_spikes=8),
    )  # fmt: skip
    drive = np.random.default_rng(1).uniform(0.0, 1.2, (N, 24))
    stimuli = [dx.Stimulus(dx.select(net), jnp.asarray(drive))]
    records = [
        dx.Record("spikes"), dx.Record("v"), dx.Record("Exp.weight"),
        dx.Record("LIF.i"), dx.Record("inh.i"), dx.Record("Stimulus.i"),
    ]  # fmt: skip
    return net, stimuli, records
