"""Parameter transforms (`dx.Softplus`, `dx.Exp`, `dx.Sigmoid`) with make_trainable.

Most checks differentiate cheap functions of `dx.get`; one gradient goes through a
two-step simulation (`_two_steps`, compiled once).
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import dendrax as dx

CELL = dx.Cell(dx.Branch(dx.Compartment(), ncomp=2), parents=[-1, 0])

# (transform, values inside its domain, values outside it)
TRANSFORMS = {
    "Softplus": (dx.Softplus(), [1e-6, 1e-3, 0.5, 2.0, 40.0, 800.0], [-1.0, 0.0]),
    "Exp": (dx.Exp(), [1e-8, 1e-3, 0.5, 2.0, 40.0, 1e5], [-1.0, 0.0]),
    "Sigmoid": (dx.Sigmoid(-80.0, 20.0), [-79.9, -65.0, 0.0, 19.5], [-80.0, 25.0]),
}


def _net():
    """Two cells connected both ways (4 edges) with distinct positive gS."""
    net = dx.insert(dx.Network([CELL, CELL]), dx.channels.Leak(eLeak=-65.0))
    syn = dx.synapses.Ionotropic(gS=np.array([1e-3, 2e-3, 3e-3, 4e-3]))
    return dx.connect(net, dx.select(net), dx.select(net), syn)


def _gS(tree):
    return tree.synapses[0].synapse.gS


@pytest.mark.parametrize("kind", sorted(TRANSFORMS))
def test_forward_inverse_round_trip(kind):
    tr, inside, _ = TRANSFORMS[kind]
    x = jnp.asarray(inside)
    np.testing.assert_allclose(tr.forward(tr.inverse(x)), x, rtol=1e-10)
    u = jnp.linspace(-15.0, 15.0, 31)
    np.testing.assert_allclose(tr.inverse(tr.forward(u)), u, rtol=1e-7, atol=1e-7)
    assert np.all(np.isfinite(tr.inverse(x)))


def test_transform_forward_values():
    u = jnp.array([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(
        dx.Softplus().forward(u), np.log1p(np.exp(u)), rtol=1e-14
    )
    np.testing.assert_allclose(dx.Exp().forward(u), np.exp(u), rtol=1e-14)
    np.testing.assert_allclose(
        dx.Sigmoid(-1.0, 3.0).forward(u), -1.0 + 4.0 / (1.0 + np.exp(-u)), rtol=1e-14
    )
    np.testing.assert_array_equal(dx.Identity().forward(u), u)


@pytest.mark.parametrize("kind", sorted(TRANSFORMS))
def test_make_trainable_keeps_values_and_stores_inverse(kind):
    tr = TRANSFORMS[kind][0]
    net = _net()
    if kind == "Sigmoid":  # gS values within (lo, hi) for this one
        tr = dx.Sigmoid(0.0, 1e-2)
    before = dx.get(net, "Ionotropic.gS")
    t = dx.make_trainable(
        net,
        "Ionotropic.gS",
        dx.select(net, edges="all"),
        by="index",
        transform=tr,
        verbose=False,
    )
    np.testing.assert_allclose(dx.get(t, "Ionotropic.gS"), before, rtol=1e-12)
    p = _gS(t)
    assert p.transform == tr and p.n_free == 4
    np.testing.assert_allclose(p.free, tr.inverse(before), rtol=1e-12)
    # Values elsewhere are untouched and have no transform of their own.
    assert t.synapses[0].synapse.e_syn.transform == dx.Identity()

    # Chain rule: d sum(w * x) / d u = w * dx/du.
    params, static = dx.partition(t)
    w = jnp.array([1.0, -2.0, 3.0, 0.5])
    grads = jax.grad(
        lambda q: jnp.sum(w * dx.get(dx.combine(q, static), "Ionotropic.gS"))
    )(params)
    dxdu = jax.vmap(jax.grad(lambda u: tr.forward(u[None])[0]))(p.free)
    np.testing.assert_allclose(_gS(grads).free, w * dxdu, rtol=1e-10)
    assert np.all(np.abs(_gS(grads).free) > 0)


def _drive(params, static, name, sign, lr=5.0, steps=5):
    """Adam steps (each moves every free value by about lr) on +-sum(values)."""

    def loss(q):
        return sign * jnp.sum(dx.get(dx.combine(q, static), name))

    opt = optax.adam(lr)
    state = opt.init(params)
    for _ in range(steps):
        updates, state = opt.update(jax.grad(loss)(params), state, params)
        params = optax.apply_updates(params, updates)
    return np.asarray(dx.get(dx.combine(params, static), name))


@pytest.mark.parametrize("kind", sorted(TRANSFORMS))
def test_big_optimiser_steps_stay_in_domain(kind):
    net = _net()
    name, lo, hi = "Ionotropic.gS", 0.0, np.inf
    tr = TRANSFORMS[kind][0]
    if kind == "Sigmoid":
        name, lo, hi = "Ionotropic.e_syn", -80.0, 20.0
        net = dx.set(net, name, jnp.array([-70.0, -10.0, 0.0, 10.0]))
    every = dx.select(net, edges="all")
    t = dx.make_trainable(net, name, every, by="index", transform=tr, verbose=False)
    start = np.asarray(dx.get(t, name))
    params, static = dx.partition(t)
    for sign in (1.0, -1.0):  # drive the values down, then up, far past the bounds
        values = _drive(params, static, name, sign)
        assert np.all(np.isfinite(values))
        assert np.all(values > lo) and np.all(values < hi)
        assert np.all(sign * (values - start) < 0)  # the optimiser did move them
    # Without a transform, the same steps leave the domain.
    plain = dx.make_trainable(net, name, every, by="index", verbose=False)
    assert np.any(_drive(*dx.partition(plain), name, 1.0) < lo)
    if kind == "Sigmoid":
        assert np.any(_drive(*dx.partition(plain), name, -1.0) > hi)


def _leak_net():
    net = dx.Network([CELL])
    return dx.insert(net, dx.channels.Leak(gLeak=3e-4, eLeak=-80.0))


def _two_steps(params, static):
    net = dx.combine(params, static)
    state = dx.init_state(net)
    state = dx.step(net, state, 0.025)
    state = dx.step(net, state, 0.025)
    return jnp.sum(state.v[:4])


_two_steps_vg = eqx.filter_jit(jax.value_and_grad(_two_steps))


def test_gradient_through_simulation_in_unconstrained_space():
    net = dx.make_trainable(
        _leak_net(), "Leak.gLeak", transform=dx.Exp(), verbose=False
    )
    assert dx.n_trainable(net) == 1
    params, static = dx.partition(net)
    free = net.mechanisms[0].channel.gLeak.free
    np.testing.assert_allclose(free, [np.log(3e-4)], rtol=1e-14)
    grad = _two_steps_vg(params, static)[1].mechanisms[0].channel.gLeak.free

    def f(u):
        q = eqx.tree_at(lambda p: p.mechanisms[0].channel.gLeak.free, params, u)
        return float(_two_steps_vg(q, static)[0])

    eps = 1e-5
    fd = (f(free + eps) - f(free - eps)) / (2 * eps)
    assert fd < 0  # more leak towards -80 mV: lower v
    np.testing.assert_allclose(float(grad[0]), fd, rtol=1e-6)


# --- errors ------------------------------------------------------------------------


@pytest.mark.parametrize("lo, hi", [(1.0, 1.0), (2.0, -1.0)])
def test_sigmoid_bounds_must_be_ordered(lo, hi):
    with pytest.raises(ValueError, match="lower must be below upper"):
        dx.Sigmoid(lo, hi)


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("kind", sorted(TRANSFORMS))
def test_make_trainable_outside_domain_raises(kind, which):
    tr, inside, outside = TRANSFORMS[kind]
    values = jnp.array([inside[1], inside[2], outside[which], inside[3]])
    net = dx.set(_net(), "Ionotropic.v_th", values)
    with pytest.raises(ValueError, match="outside the domain of " + type(tr).__name__):
        dx.make_trainable(net, "Ionotropic.v_th", transform=tr, by="index")
    # Only the selected values matter: the three valid ones can be trained.
    ok = dx.make_trainable(
        net,
        "Ionotropic.v_th",
        dx.select(net, edges=[0, 1, 3]),
        transform=tr,
        by="index",
        verbose=False,
    )
    np.testing.assert_allclose(dx.get(ok, "Ionotropic.v_th"), values, rtol=1e-12)


def test_set_keeps_transform_of_trainable_value():
    net = dx.make_trainable(
        _net(), "Ionotropic.gS", by="index", transform=dx.Softplus(), verbose=False
    )
    new = dx.set(net, "Ionotropic.gS", 5e-3, dx.select(net, edges=[2]))
    np.testing.assert_allclose(
        dx.get(new, "Ionotropic.gS"), [1e-3, 2e-3, 5e-3, 4e-3], rtol=1e-12
    )
    assert dx.n_trainable(new) == 4 and _gS(new).transform == dx.Softplus()
    np.testing.assert_allclose(
        _gS(new).free[2], dx.Softplus().inverse(jnp.array([5e-3]))[0], rtol=1e-12
    )


def test_set_outside_transform_domain_raises():
    # set stores inverse(value) for trainable groups: outside the domain it
    # must refuse rather than store NaN.
    net = dx.make_trainable(
        _net(), "Ionotropic.gS", transform=dx.Softplus(), verbose=False
    )
    with pytest.raises(ValueError, match="domain"):
        dx.set(net, "Ionotropic.gS", -1.0)


def test_make_trainable_without_transform_on_transformed_param_checks_domain():
    # A second make_trainable without transform= inherits the param's transform
    # and must check the domain too.
    net = dx.set(_net(), "Ionotropic.v_th", jnp.array([-35.0, -60.0, -30.0, -40.0]))
    net = dx.make_trainable(
        net,
        "Ionotropic.v_th",
        dx.select(net, edges=[0]),
        transform=dx.Sigmoid(-50.0, -20.0),
        verbose=False,
    )
    try:
        more = dx.make_trainable(
            net, "Ionotropic.v_th", dx.select(net, edges=[1]), verbose=False
        )
    except ValueError as e:
        assert "domain" in str(e)
    else:
        np.testing.assert_array_equal(
            dx.get(more, "Ionotropic.v_th"), [-35.0, -60.0, -30.0, -40.0]
        )


def test_second_transform_on_trainable_param_raises():
    net = dx.make_trainable(
        _net(), "Ionotropic.gS", dx.select(_net(), edges=[0]), transform=dx.Exp(),
        verbose=False,
    )  # fmt: skip
    with pytest.raises(ValueError, match="one transform"):
        dx.make_trainable(
            net, "Ionotropic.gS", dx.select(net, edges=[1]), transform=dx.Softplus()
        )
