"""Networks inside equinox models: what `dx.partition` trains, and `dx.get` /
`dx.set` on its halves and on gradients."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import dendrax as dx

T_MAX, DT = 6.0, 0.025


def _net(transform=dx.Exp()) -> dx.Network:
    cell = dx.Cell(dx.Branch(dx.Compartment(length=20.0, radius=5.0)), parents=[-1])
    net = dx.insert(dx.Network([cell] * 4), dx.channels.HH())
    pre, post = dx.select(net, cell=[0, 1]), dx.select(net, cell=[2, 3])
    net = dx.connect(net, pre, post, dx.synapses.Ionotropic(gS=2e-4))
    net = dx.make_trainable(
        net, "Ionotropic.gS", by="pre_cell", transform=transform, verbose=False
    )
    # One trainable leak for the postsynaptic cells, shared.
    return dx.make_trainable(
        net, "HH.gLeak", where=post, by=None, transform=transform, verbose=False
    )


NET = _net()
PRE = dx.select(NET, cell=[0, 1])
POST = dx.Record("v", dx.select(NET, cell=[2, 3]))


class Model(eqx.Module):
    """An MLP sets how hard the presynaptic cells are driven; the network's
    own trainable values do the rest."""

    net: dx.Network
    mlp: eqx.nn.MLP

    def __call__(self, context):
        amp = 0.05 + 0.1 * jax.nn.sigmoid(self.mlp(context))  # nA, per pre cell
        pulse = dx.step_current(1.0, 2.0, 1.0, DT, T_MAX)
        stim = dx.Stimulus(PRE, pulse[:, None] * amp[None, :])
        return dx.simulate(self.net, T_MAX, DT, stimuli=stim, record=POST).ys


def _model(key=0) -> Model:
    return Model(NET, eqx.nn.MLP(2, 2, 6, 1, key=jax.random.key(key)))


CONTEXTS = jnp.array([[1.0, 0.0], [0.0, 1.0]])


def _target():
    teacher = _model(key=1)
    teacher = eqx.tree_at(
        lambda m: m.net,
        teacher,
        dx.set(dx.set(NET, "Ionotropic.gS", 3e-4), "HH.gLeak", 5e-4, POST.where),
    )
    return jax.vmap(teacher)(CONTEXTS)


def _loss(params, static, target):
    model = dx.combine(params, static)
    return jnp.mean((jax.vmap(model)(CONTEXTS) - target) ** 2)


def _mlp_leaves(tree):
    return jax.tree.leaves(eqx.filter(tree.mlp, eqx.is_inexact_array))


def test_partition_keeps_the_mlp_and_the_networks_trainable_values():
    model = _model()
    params, static = dx.partition(model)
    mlp = _mlp_leaves(model)
    assert len(jax.tree.leaves(params.mlp)) == len(mlp) == 4
    for a, b in zip(jax.tree.leaves(params.mlp), mlp):
        assert a is b
    net_leaves = [x for x in jax.tree.leaves(params.net) if x.size]
    assert sum(x.size for x in net_leaves) == dx.n_trainable(NET) == 3
    assert dx.n_trainable(model) == 3 + sum(x.size for x in mlp)
    # Fixed values stay behind; combine restores the model exactly.
    assert static.net.mechanisms[0].channel.gNa.fixed is not None
    assert params.net.mechanisms[0].channel.gNa.fixed is None
    assert eqx.tree_equal(dx.combine(params, static), model)


def test_is_trainable_composes_with_equinox_filters():
    model = _model()
    ours = dx.partition(model)
    theirs = eqx.partition(model, dx.is_trainable, is_leaf=dx.is_param)
    assert eqx.tree_equal(ours, theirs)
    # Only the network: a filter specification with dx.is_trainable at one field.
    spec = jax.tree.map(lambda _: False, model)
    spec = eqx.tree_at(lambda m: m.net, spec, dx.is_trainable)
    net_only, _ = eqx.partition(model, spec, is_leaf=dx.is_param)
    assert jax.tree.leaves(net_only.mlp) == []
    assert sum(x.size for x in jax.tree.leaves(net_only)) == 3
    # Non-Param leaves are as equinox sees them.
    assert dx.is_trainable(jnp.zeros(3)) and not dx.is_trainable(jnp.zeros(3, int))
    assert not dx.is_trainable(1.0)


def test_model_with_network_and_mlp_trains_both():
    target = _target()
    params, static = dx.partition(_model())
    optimiser = optax.adam(0.05)
    opt_state = optimiser.init(params)

    @eqx.filter_jit
    @eqx.debug.assert_max_traces(max_traces=1)
    def step(params, opt_state):
        loss, grads = eqx.filter_value_and_grad(_loss)(params, static, target)
        updates, opt_state = optimiser.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss, grads

    losses, grads = [], None
    for _ in range(25):
        params, opt_state, loss, g = step(params, opt_state)
        grads = g if grads is None else grads
        losses.append(float(loss))
    assert losses[-1] < 0.2 * losses[0]
    # Every MLP leaf and every trainable network value has a gradient ...
    for leaf in jax.tree.leaves(grads.mlp):
        assert float(jnp.abs(leaf).max()) > 0
    g_gs = dx.get(grads.net, "Ionotropic.gS", gradient=True)
    g_leak = dx.get(grads.net, "HH.gLeak", POST.where, gradient=True)
    assert np.all(np.abs(g_gs) > 0) and np.all(np.abs(g_leak) > 0)
    # ... and fixed values get none: they are not in the tree at all.
    for p in jax.tree.leaves(grads.net, is_leaf=dx.is_param):
        if isinstance(p, dx.Param):
            assert p.fixed is None
    # The learned values moved towards the teacher's.
    learned = dx.combine(params, static).net
    assert abs(float(dx.get(learned, "HH.gLeak", POST.where)[0]) - 5e-4) < abs(
        3e-4 - 5e-4
    )


def test_nested_models():
    class Pair(eqx.Module):
        nets: list
        scale: jax.Array

    class Outer(eqx.Module):
        inner: Pair
        head: eqx.nn.Linear

    plain = dx.Network(dx.Cell(dx.Branch(dx.Compartment())))
    plain = dx.insert(plain, dx.channels.Passive())
    outer = Outer(
        Pair([NET, plain, NET], jnp.ones(2)),
        eqx.nn.Linear(3, 1, key=jax.random.key(2)),
    )
    params, static = dx.partition(outer)
    # 3 + 0 + 3 network values, the scale (2) and the linear layer (3 + 1).
    assert dx.n_trainable(outer) == 6 + 2 + 4
    assert sum(x.size for x in jax.tree.leaves(params)) == 12
    assert params.inner.scale is outer.inner.scale
    assert eqx.tree_equal(dx.combine(params, static), outer)
    assert sum(x.size for x in jax.tree.leaves(params.inner.nets[1])) == 0

    def loss(params):
        m = dx.combine(params, static)
        v = [
            dx.simulate(n, 2.0, DT, record=dx.Record("v")).ys[-1].mean()
            for n in m.inner.nets
        ]
        return m.head(jnp.stack(v))[0] * m.inner.scale.sum()

    grads = eqx.filter_jit(eqx.filter_grad(loss))(params)
    assert float(jnp.abs(grads.head.weight).max()) > 0
    assert float(jnp.abs(grads.inner.scale).max()) > 0
    g0 = dx.get(grads.inner.nets[0], "HH.gLeak", POST.where, gradient=True)
    assert float(jnp.abs(g0).max()) > 0


def test_get_and_set_on_the_halves():
    params, static = dx.partition(NET)
    np.testing.assert_allclose(dx.get(params, "Ionotropic.gS"), 2e-4)
    np.testing.assert_allclose(dx.get(static, "HH.gNa"), 0.12)
    doubled = dx.set(params, "Ionotropic.gS", 4e-4)
    np.testing.assert_allclose(dx.get(doubled, "Ionotropic.gS"), 4e-4)
    np.testing.assert_allclose(
        dx.get(dx.combine(doubled, static), "Ionotropic.gS"), 4e-4
    )
    assert doubled.synapses[0].synapse.gS.fixed is None
    # Under jit, with a traced value.
    f = jax.jit(lambda p, g: dx.get(dx.set(p, "Ionotropic.gS", g), "Ionotropic.gS"))
    np.testing.assert_allclose(f(params, 1e-4), 1e-4)
    with pytest.raises(ValueError, match="not trainable"):
        dx.get(params, "HH.gNa")
    with pytest.raises(ValueError, match="not fixed"):
        dx.get(static, "Ionotropic.gS")
    with pytest.raises(ValueError, match="keep the ties"):
        dx.set(params, "Ionotropic.gS", 1e-4, dx.select(NET, edges=[0]))
    with pytest.raises(ValueError, match="fixed ones"):
        dx.set(params, "HH.gNa", 0.1)
    with pytest.raises(ValueError, match="static half"):
        dx.set(static, "Ionotropic.gS", 1e-4)


def test_get_reads_gradients_by_name():
    def loss(net):
        stim = dx.Stimulus(PRE, dx.step_current(1.0, 2.0, 0.2, DT, T_MAX))
        v = dx.simulate(net, T_MAX, DT, stimuli=stim, record=POST).ys
        return jnp.mean((v + 60.0) ** 2)

    grads = eqx.filter_grad(loss)(NET)
    # A tied value's gradient (per presynaptic cell, with respect to log gS) at
    # each synapse that reads it; finite differences in log gS agree.
    g = dx.get(grads, "Ionotropic.gS", gradient=True)
    free = grads.synapses[0].synapse.gS.free
    pre_cell = NET.edges.columns()["pre_cell"]
    np.testing.assert_array_equal(g, free[pre_cell])
    eps = 1e-5

    def at(log_g0):
        p, s = dx.partition(NET)
        p = eqx.tree_at(
            lambda q: q.synapses[0].synapse.gS.free,
            p,
            p.synapses[0].synapse.gS.free.at[0].add(log_g0),
        )
        return loss(dx.combine(p, s))

    fd = (at(eps) - at(-eps)) / (2 * eps)
    assert float(free[0]) == pytest.approx(float(fd), rel=1e-5)
    # A fixed scalar is one value shared by its compartments: every element
    # reads the gradient of that one value (the sum over them).
    g_na = dx.get(grads, "HH.gNa", gradient=True)
    fixed = grads.mechanisms[0].channel.gNa.fixed
    assert fixed.shape == (1,)
    np.testing.assert_array_equal(g_na, np.full(len(g_na), fixed[0]))
