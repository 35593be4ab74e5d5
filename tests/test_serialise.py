"""`dx.save` / `dx.load`: values round-trip into a network rebuilt by the same code."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import dendrax as dx

DT, T = 0.025, 2.0
CELL = dx.Cell(dx.Branch(dx.Compartment(), ncomp=2), parents=[-1, 0])


def _build(n_cells=4, by="pre_cell", second_projection=True):
    net = dx.Network([CELL] * n_cells)
    net = dx.insert(net, dx.channels.Leak(eLeak=-65.0))
    net = dx.connect(
        net,
        dx.select(net, cell=[0, 1]),
        dx.select(net, cell=[2, 3]),
        dx.synapses.Ionotropic(gS=np.array([1e-3, 2e-3, 3e-3, 4e-3])),
    )
    if second_projection:
        net = dx.connect(
            net,
            dx.select(net, cell=3),
            dx.select(net, cell=0),
            dx.synapses.TanhRate(gS=2e-3),
        )
    net = dx.make_trainable(
        net, "Ionotropic.gS", by=by, transform=dx.Softplus(), verbose=False
    )
    return dx.make_trainable(net, "Leak.gLeak", by="cell", verbose=False)


def _trained():
    """`_build()` after one Adam step on a cheap loss of the trainable values."""
    net = _build()
    params, static = dx.partition(net)

    def loss(p):
        n = dx.combine(p, static)
        return jnp.sum(dx.get(n, "Ionotropic.gS") ** 2) - jnp.sum(
            dx.get(n, "Leak.gLeak")
        )

    opt = optax.adam(1e-2)
    updates, _ = opt.update(jax.grad(loss)(params), opt.init(params), params)
    return dx.combine(optax.apply_updates(params, updates), static)


@eqx.filter_jit
def _run(net):
    site = dx.select(net, cell=[0, 1], branch=0, comp=0)
    stim = dx.Stimulus(site, dx.step_current(0.2, 1.5, 0.03, DT, T))
    return dx.simulate(net, T, DT, stimuli=stim).ys


def _assert_same_values(a, b):
    assert a.param_names() == b.param_names()
    for name in a.param_names():
        np.testing.assert_array_equal(dx.get(a, name), dx.get(b, name), err_msg=name)


def test_round_trip_of_trained_network(tmp_path):
    trained = _trained()
    fresh = _build()
    # training changed the trainable values (so the test can tell them apart)
    assert not np.array_equal(
        dx.get(trained, "Ionotropic.gS"), dx.get(fresh, "Ionotropic.gS")
    )
    assert not np.array_equal(
        dx.get(trained, "Leak.gLeak"), dx.get(fresh, "Leak.gLeak")
    )
    path = tmp_path / "net.eqx"
    dx.save(path, trained)
    loaded = dx.load(path, fresh)
    _assert_same_values(loaded, trained)
    assert dx.n_trainable(loaded) == dx.n_trainable(trained) == 2 + 4
    assert eqx.tree_equal(loaded, trained)
    np.testing.assert_array_equal(_run(loaded), _run(trained))
    assert not np.array_equal(_run(fresh), _run(trained))


def test_round_trip_of_params_only(tmp_path):
    trained = _trained()
    path = tmp_path / "params.eqx"
    dx.save(path, dx.partition(trained)[0])
    params, static = dx.partition(_build())
    loaded = dx.combine(dx.load(path, params), static)
    _assert_same_values(loaded, trained)


def test_load_with_string_path(tmp_path):
    trained = _trained()
    path = str(tmp_path / "net.eqx")
    dx.save(path, trained)
    _assert_same_values(dx.load(path, _build()), trained)


@pytest.mark.parametrize(
    "like",
    [
        pytest.param(lambda: _build(n_cells=5), id="more-cells"),
        pytest.param(lambda: _build(by="index"), id="more-trainable-values"),
    ],
)
def test_load_into_other_shapes_raises(tmp_path, like):
    path = tmp_path / "net.eqx"
    dx.save(path, _trained())
    with pytest.raises(ValueError, match="does not fit|differently structured"):
        dx.load(path, like())


def test_load_into_tree_missing_a_projection_raises(tmp_path):
    # `like` lacking the last projection is a prefix of the saved leaves.
    path = tmp_path / "net.eqx"
    dx.save(path, _trained())
    with pytest.raises(ValueError, match="differently structured"):
        dx.load(path, _build(second_projection=False))


def test_load_into_other_ties_raises(tmp_path):
    # Ties are static; a `like` tied by post_cell has the same shapes as one tied
    # by pre_cell, so only the structure fingerprint tells them apart.
    path = tmp_path / "net.eqx"
    dx.save(path, _trained())
    with pytest.raises(ValueError, match="differently structured"):
        dx.load(path, _build(by="post_cell"))
