"""jit, vmap and grad through network building and simulation.

The tests share a few jitted functions of one small network so that each program
is compiled once.
"""

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx
from dendrax._param import retie

DT = 0.025
T = 2.0


def _base_net():
    net = dx.Network(dx.Cell(dx.Branch(dx.Compartment(), ncomp=2)))
    net = dx.insert(net, dx.channels.HH())
    net = dx.insert(net, dx.channels.Passive(g=1e-4, e=-65.0), dx.select(net, comp=1))
    # HH.gLeak of both compartments tied into one trainable value.
    gl = net.mechanisms[0].channel.gLeak
    tied = retie(gl, np.zeros(len(gl), int), free=np.ones(len(gl), bool))
    return eqx.tree_at(lambda n: n.mechanisms[0].channel.gLeak, net, tied)


NET = _base_net()
SITE = dx.select(NET, comp=0)

# Values set by name (dx.set) inside the traced functions, and the stimulus amplitude.
BASE = {
    "HH.gNa": 0.12,
    "HH.gK": 0.036,
    "Passive.g": 1e-4,
    "radius": 1.0,
    "length": 10.0,
    "axial_resistivity": 100.0,
    "capacitance": 1.0,
    "amp": 0.01,  # nA: a large but subthreshold response
}


def _as_arrays(p):
    return {k: jnp.asarray(v, float) for k, v in p.items()}


def trace(net, p):
    """v at both compartments, with every value of `p` set inside."""
    for name, value in p.items():
        if name != "amp":
            net = dx.set(net, name, value)
    stim = dx.Stimulus(SITE, dx.step_current(0.2, 1.0, p["amp"], DT, T))
    return dx.simulate(net, T, DT, stimuli=stim).ys


trace_jit = jax.jit(trace)
# Gradients w.r.t. every float in the network *and* every value of `p`.
grads_of = eqx.filter_jit(eqx.filter_grad(lambda args: jnp.mean(trace(*args))))


@functools.cache
def base_grads():
    return grads_of((NET, _as_arrays(BASE)))


def _mean_v(net, p):
    return float(jnp.mean(trace_jit(net, _as_arrays(p))))


def _central(f, x, eps):
    return (f(x + eps) - f(x - eps)) / (2 * eps)


# --- jit --------------------------------------------------------------------------


def test_jit_and_filter_jit_match_eager():
    p = _as_arrays(BASE)
    eager = trace(NET, p)
    np.testing.assert_allclose(trace_jit(NET, p), eager, rtol=1e-12, atol=1e-12)
    via_filter_jit = eqx.filter_jit(trace)(NET, p)
    np.testing.assert_allclose(via_filter_jit, eager, rtol=1e-12, atol=1e-12)
    assert float(eager.max()) > -62.0  # the stimulus acted


def test_jit_does_not_retrace_for_new_parameter_values():
    net = dx.insert(dx.Network(dx.Cell(dx.Branch(dx.Compartment()))), dx.channels.HH())

    @eqx.filter_jit
    @eqx.debug.assert_max_traces(max_traces=1)
    def run(g):
        return dx.simulate(dx.set(net, "HH.gNa", g), 0.5, DT).ys

    a = run(jnp.array(0.12))
    b = run(jnp.array(0.01))  # would raise if it traced again
    assert not np.allclose(a, b)


# --- vmap -------------------------------------------------------------------------


def test_vmap_over_parameter_and_stimulus_equals_loop():
    # One batched program: "HH.gNa" is set inside, and the amplitude is traced
    # into dx.step_current; both vary along the batch.
    gna = [0.12, 0.06, 0.2]
    amps = [0.0, 0.01, 0.03]
    p = _as_arrays(BASE)
    in_axes = {k: (0 if k in ("HH.gNa", "amp") else None) for k in p}
    batch = {**p, "HH.gNa": jnp.asarray(gna), "amp": jnp.asarray(amps)}
    batched = jax.jit(jax.vmap(trace, in_axes=(None, in_axes)))(NET, batch)
    assert batched.shape == (3, dx.n_steps(T, DT) + 1, 2)
    for i in range(3):
        single = trace_jit(
            NET, {**p, "HH.gNa": batch["HH.gNa"][i], "amp": batch["amp"][i]}
        )
        np.testing.assert_allclose(batched[i], single, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(batched[0], -65.0, atol=0.1)  # no input: rest
    assert float(batched[2].max()) > 0.0  # 0.03 nA: a spike
    # Only gNa varies between these two: it matters on its own.
    other = trace_jit(NET, {**p, "HH.gNa": batch["HH.gNa"][1], "amp": batch["amp"][2]})
    assert not np.allclose(other, batched[2])


# --- grad -------------------------------------------------------------------------


@pytest.mark.parametrize("key", list(BASE))
def test_grad_matches_central_difference(key):
    x = BASE[key]
    fd = _central(lambda value: _mean_v(NET, {**BASE, key: value}), x, 1e-5 * x)
    assert abs(fd) * abs(x) > 1e-4  # a relevant sensitivity (mV per unit change)
    assert float(base_grads()[1][key]) == pytest.approx(fd, rel=1e-4)


def test_grad_of_tied_value():
    params, static = dx.partition(NET)
    free = [x for x in jax.tree.leaves(params) if x.size]
    assert len(free) == 1 and free[0].shape == (1,)

    g = float(base_grads()[0].mechanisms[0].channel.gLeak.free[0])

    def f(value):
        net = eqx.tree_at(
            lambda n: n.mechanisms[0].channel.gLeak.free, NET, jnp.array([value])
        )
        return _mean_v(net, BASE)

    fd = _central(f, 3e-4, 1e-9)
    assert abs(fd) * 3e-4 > 1e-3
    assert g == pytest.approx(fd, rel=1e-4)


def test_filter_grad_over_network_is_finite():
    grads = base_grads()[0]
    leaves = jax.tree.leaves(grads)
    assert leaves and all(bool(jnp.all(jnp.isfinite(x))) for x in leaves)
    assert jax.tree.structure(grads) == jax.tree.structure(NET)
    hh = grads.mechanisms[0].channel
    for p in (hh.eNa, hh.eK, hh.temperature, grads.nodes.v_init):
        assert float(jnp.abs(p.fixed).max()) > 0
    # Values overwritten by dx.set inside the loss do not receive gradients.
    for p in (hh.gNa, hh.gK, grads.nodes.radius, grads.mechanisms[1].channel.g):
        np.testing.assert_array_equal(p.fixed, 0.0)


def test_network_passes_jit_boundaries_without_retracing():
    # A network goes in and out of a compiled function with its structure (the
    # static index arrays, compared by value) intact; networks of one structure
    # share one compilation, whatever their values; another structure retraces.
    def build(n_cells):
        cell = dx.Cell(dx.Branch(dx.Compartment(), ncomp=2))
        return dx.insert(dx.Network([cell] * n_cells), dx.channels.HH())

    traces = []

    @eqx.filter_jit
    def double(net):
        traces.append(1)
        return dx.set(net, "HH.gNa", 2 * dx.get(net, "HH.gNa")[0])  # keeps the ties

    net = build(2)
    out = double(net)
    assert jax.tree.structure(out) == jax.tree.structure(net)
    assert out.topology == net.topology and out.nodes.cell == net.nodes.cell
    np.testing.assert_allclose(dx.get(out, "HH.gNa"), 2 * dx.get(net, "HH.gNa"))
    double(dx.set(net, "HH.gNa", 0.2))
    double(build(2))  # built again, alike
    assert len(traces) == 1
    double(build(3))
    assert len(traces) == 2
