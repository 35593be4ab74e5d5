"""Tying parameters: `dx.share`, `dx.make_trainable`, `dx.n_trainable`, partition.

Gradients go through the module-level jitted `_value_and_grad`; every tie structure
compiles once, so the tests reuse a few networks (`_tied9`, `_index9`).
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings, strategies as st

import dendrax as dx

DT, T = 0.025, 2.0
CELL = dx.Cell(dx.Branch(dx.Compartment(), ncomp=2), parents=[-1, 0])
N_CELLS = 6
W = np.linspace(0.5, 1.5, 4 * N_CELLS)  # weights of the compartments in the loss
AMPS = jnp.array([0.01, 0.02, 0.03, 0.015, 0.025, 0.005])  # nA, one per cell


def _cells():
    net = dx.Network([CELL] * N_CELLS)
    return dx.insert(net, dx.channels.Leak(eLeak=-65.0))


def _net9():
    """Cells 0-2 -> 3-5, all to all: 9 edges with distinct weights."""
    net = _cells()
    syn = dx.synapses.Ionotropic(gS=np.linspace(1e-3, 3e-3, 9))
    return dx.connect(
        net, dx.select(net, cell=[0, 1, 2]), dx.select(net, cell=[3, 4, 5]), syn
    )


def _net36():
    """All to all among 6 cells; groups exc {0, 1}, inh {2, 3}, none for 4, 5."""
    net = _cells()
    net = dx.add_group(net, "exc", dx.select(net, cell=[0, 1]))
    net = dx.add_group(net, "inh", dx.select(net, cell=[2, 3]))
    return dx.connect(net, dx.select(net), dx.select(net), dx.synapses.Ionotropic())


def _simulate(net):
    site = dx.select(net, branch=0, comp=0)
    current = dx.step_current(0.0, 2.0, 1.0, DT, T)[:, None] * AMPS
    return dx.simulate(net, T, DT, stimuli=dx.Stimulus(site, current)).ys


_run = eqx.filter_jit(_simulate)


def _loss(params, static):
    v = _simulate(dx.combine(params, static))
    return jnp.sum(v * W) * DT, v


# ((loss, v), grads)
_value_and_grad = eqx.filter_jit(jax.value_and_grad(_loss, has_aux=True))


def _gS(tree):
    return tree.synapses[0].synapse.gS


def _with_free(params, free):
    return eqx.tree_at(lambda p: _gS(p).free, params, free)


# Trainable gS tied by presynaptic cell (3 values) and the same network untied
# (9 values, one per edge, equal to the tied ones).
_tied9 = dx.make_trainable(_net9(), "Ionotropic.gS", by="pre_cell", verbose=False)
_index9 = dx.make_trainable(
    _tied9, "Ionotropic.gS", dx.select(_tied9, edges="all"), by="index", verbose=False
)


# --- tied and untied networks simulate the same ------------------------------------


def test_tied_simulation_equals_untied_with_same_values():
    net = _net36()
    t = dx.edge_table(net)
    # One value per (pre_group, post_group) pair, written per edge into the untied
    # network; the tied one holds each value once.
    code = {"exc": 0, "inh": 1, "": 2}
    pre = np.array([code[g] for g in t.pre_group])
    post = np.array([code[g] for g in t.post_group])
    by_group = 1e-3 * (1.0 + pre + 0.3 * post)
    untied = dx.set(net, "Ionotropic.gS", by_group)
    tied = dx.make_trainable(
        untied, "Ionotropic.gS", by=("pre_group", "post_group"), verbose=False
    )
    assert _gS(tied).n_groups == 9 and _gS(untied).n_groups == 36
    np.testing.assert_array_equal(dx.get(tied, "Ionotropic.gS"), by_group)
    v = _run(untied)
    np.testing.assert_array_equal(_run(tied), v)

    # The comparison is sensitive to the values: other weights, other traces.
    other = dx.set(net, "Ionotropic.gS", 1e-3 * (1.0 + 0.5 * t.pre_cell))
    assert np.max(np.abs(np.asarray(_run(other)) - np.asarray(v))) > 1e-3
    # (Tying by pre_cell is compared with its untied twin in the gradient test.)


# --- gradients of tied values ------------------------------------------------------


def _fd(params, static, k, eps=1e-7):
    free = _gS(params).free
    up = _value_and_grad(_with_free(params, free.at[k].add(eps)), static)[0][0]
    down = _value_and_grad(_with_free(params, free.at[k].add(-eps)), static)[0][0]
    return float((up - down) / (2 * eps))


def test_gradient_of_tied_value_is_sum_over_its_edges():
    np.testing.assert_array_equal(
        dx.get(_tied9, "Ionotropic.gS"), dx.get(_index9, "Ionotropic.gS")
    )
    params, static = dx.partition(_tied9)
    (value, v), grads = _value_and_grad(params, static)
    iparams, istatic = dx.partition(_index9)
    (ivalue, iv), igrads = _value_and_grad(iparams, istatic)
    # Tied (by pre_cell) and untied with the same values simulate identically.
    np.testing.assert_array_equal(v, iv)
    assert float(value) == float(ivalue)

    tied = np.asarray(_gS(grads).free)
    per_edge = np.asarray(_gS(igrads).free)
    assert tied.shape == (3,) and per_edge.shape == (9,)
    ids = _gS(_tied9).ids.array
    np.testing.assert_array_equal(ids, np.repeat([0, 1, 2], 3))
    summed = np.bincount(ids, weights=per_edge)
    np.testing.assert_allclose(tied, summed, rtol=1e-10)
    # Both agree with central differences of the tied value.
    fd = np.array([_fd(params, static, k) for k in range(3)])
    assert np.all(np.abs(fd) > 1.0)
    np.testing.assert_allclose(tied, fd, rtol=1e-4)
    np.testing.assert_allclose(summed, fd, rtol=1e-4)
    # and per-edge gradients against their own differences (one edge).
    np.testing.assert_allclose(per_edge[4], _fd(iparams, istatic, 4), rtol=1e-4)


# The loss as a function of the 9 per-edge values, compiled once (the `_index9`
# structure): random groupings then only change the cheap eager tying in front.
_iparams, _istatic = dx.partition(_index9)


@jax.custom_vjp
def _edge_loss(values):
    return _value_and_grad(_with_free(_iparams, values), _istatic)[0][0]


def _edge_loss_fwd(values):
    (value, _), grads = _value_and_grad(_with_free(_iparams, values), _istatic)
    return value, _gS(grads).free


def _edge_loss_bwd(g_edges, ct):
    return (ct * g_edges,)


_edge_loss.defvjp(_edge_loss_fwd, _edge_loss_bwd)


@settings(max_examples=10, deadline=None)
@given(keys=st.lists(st.integers(0, 4), min_size=9, max_size=9))
def test_gradient_sum_rule_for_random_groupings(keys):
    keys = np.array(keys)
    net = dx.make_trainable(_net9(), "Ionotropic.gS", by=lambda t: keys, verbose=False)
    gS = _gS(net)
    ids = gS.ids.array
    # equal keys <=> same tie group; one trainable value per distinct key
    np.testing.assert_array_equal(
        ids[:, None] == ids[None, :], keys[:, None] == keys[None, :]
    )
    assert dx.n_trainable(net) == len(np.unique(keys))
    params, static = dx.partition(net)

    def loss(p):
        return _edge_loss(_gS(dx.combine(p, static)).values())

    grads = _gS(jax.grad(loss)(params)).free
    per_edge = _edge_loss_fwd(gS.values())[1]
    expected = np.bincount(ids, weights=np.asarray(per_edge), minlength=gS.n_free)
    np.testing.assert_allclose(grads, expected, rtol=1e-12, atol=1e-9)


# --- counting trainable values -----------------------------------------------------


def test_trainable_counts_and_message(capsys):
    net = _net9()
    one = dx.make_trainable(net, "Ionotropic.gS")
    assert capsys.readouterr().out == "1 new trainable parameters, 1 in total.\n"
    assert dx.n_trainable(one) == 1

    nine = dx.make_trainable(
        net, "Ionotropic.gS", dx.select(net, edges="all"), by="index"
    )
    assert capsys.readouterr().out == "9 new trainable parameters, 9 in total.\n"
    assert dx.n_trainable(nine) == 9

    three = dx.make_trainable(net, "Ionotropic.gS", by="pre_cell")
    assert capsys.readouterr().out == "3 new trainable parameters, 3 in total.\n"
    assert dx.n_trainable(three) == 3

    # Adding to an existing count; silence with verbose=False.
    more = dx.make_trainable(three, "Leak.gLeak", by="cell")
    assert capsys.readouterr().out == "6 new trainable parameters, 9 in total.\n"
    dx.make_trainable(three, "Leak.gLeak", verbose=False)
    assert capsys.readouterr().out == ""
    assert dx.n_trainable(more) == 9

    net = _net36()
    assert net.n_edges == 36
    sel = dx.select(net, edges=lambda e: np.isin(e.pre_group, ["exc", "inh"]))
    assert len(sel) == 24
    six = dx.make_trainable(net, "Ionotropic.gS", sel, by=("pre_group", "post_group"))
    assert capsys.readouterr().out == "6 new trainable parameters, 6 in total.\n"
    assert dx.n_trainable(six) == 6
    # The 12 edges from the ungrouped cells stay fixed, sharing the one value
    # their scalar gS was stored as.
    gS = _gS(six)
    outside = np.setdiff1d(np.arange(36), sel.indices)
    assert np.all(gS.ids.array[outside] >= gS.n_free)
    assert len(np.unique(gS.ids.array[outside])) == 1
    t = dx.edge_table(six)
    inside = sel.indices
    pairs = set(zip(t.pre_group[inside], t.post_group[inside]))
    assert len(pairs) == 6
    for pair in pairs:
        rows = inside[
            (t.pre_group[inside] == pair[0]) & (t.post_group[inside] == pair[1])
        ]
        assert len(np.unique(gS.ids.array[rows])) == 1


def test_share_does_not_make_trainable_and_takes_first_value():
    net = _net9()
    tied = dx.share(net, "Ionotropic.gS", by="pre_cell")
    assert dx.n_trainable(tied) == 0 and _gS(tied).n_groups == 3
    before = np.asarray(dx.get(net, "Ionotropic.gS"))
    np.testing.assert_array_equal(
        dx.get(tied, "Ionotropic.gS"), np.repeat(before[::3], 3)
    )
    # share on a subset: other edges keep their own values
    sub = dx.select(net, edges=[1, 2])
    part = dx.share(net, "Ionotropic.gS", sub)
    expected = before.copy()
    expected[2] = before[1]
    np.testing.assert_array_equal(dx.get(part, "Ionotropic.gS"), expected)
    assert _gS(part).n_groups == 8


# --- set on tied and trainable values ----------------------------------------------


def test_set_scalar_keeps_ties_vector_unties():
    net = _tied9
    first = dx.select(net, edges=lambda e: e.pre_cell == 0)
    a = dx.set(net, "Ionotropic.gS", 5e-3, where=first)
    assert dx.n_trainable(a) == 3
    values = np.asarray(dx.get(a, "Ionotropic.gS"))
    np.testing.assert_array_equal(values[:3], 5e-3)
    np.testing.assert_array_equal(values[3:], dx.get(net, "Ionotropic.gS")[3:])
    np.testing.assert_array_equal(_gS(a).ids.array, _gS(net).ids.array)

    b = dx.set(net, "Ionotropic.gS", 7e-3)  # everywhere: still three ties
    assert dx.n_trainable(b) == 3
    np.testing.assert_array_equal(dx.get(b, "Ionotropic.gS"), np.full(9, 7e-3))

    vec = np.linspace(1.0, 9.0, 9) * 1e-3
    c = dx.set(net, "Ionotropic.gS", vec)  # unties, each edge stays trainable
    assert dx.n_trainable(c) == 9
    np.testing.assert_allclose(dx.get(c, "Ionotropic.gS"), vec, rtol=1e-15)

    # a vector over part of a group splits it; the rest of the group keeps its tie
    d = dx.set(
        net, "Ionotropic.gS", jnp.array([1e-3, 2e-3]), dx.select(net, edges=[0, 1])
    )
    assert dx.n_trainable(d) == 5
    ids = _gS(d).ids.array
    assert len({ids[0], ids[1], ids[2]}) == 3
    assert ids[3] == ids[4] == ids[5]
    np.testing.assert_array_equal(dx.get(d, "Ionotropic.gS")[:3], [1e-3, 2e-3, 1e-3])


def test_share_node_parameter_by_cell():
    net = dx.insert(dx.Network([CELL] * 3), dx.channels.HH())
    gna = np.linspace(0.1, 0.2, 12)
    net = dx.set(net, "HH.gNa", gna)
    tied = dx.share(net, "HH.gNa", by="cell")
    p = tied.mechanisms[0].channel.gNa
    assert p.n_groups == 3 and p.n_free == 0
    np.testing.assert_array_equal(dx.get(tied, "HH.gNa"), np.repeat(gna[::4], 4))
    # gK is untouched: its scalar default, one value shared by the 12
    assert tied.mechanisms[0].channel.gK.n_groups == 1
    trained = dx.make_trainable(tied, "HH.gNa", by="cell", verbose=False)
    assert dx.n_trainable(trained) == 3
    # where= restricts: only cells 0 and 1 share one value, cell 2 keeps 4
    two = dx.share(net, "HH.gNa", dx.select(net, cell=[0, 1]))
    assert two.mechanisms[0].channel.gNa.n_groups == 1 + 4
    np.testing.assert_array_equal(dx.get(two, "HH.gNa")[:8], np.full(8, gna[0]))
    np.testing.assert_array_equal(dx.get(two, "HH.gNa")[8:], gna[8:])


# --- partition and optimisation ----------------------------------------------------


def _all_params(tree):
    return [x for x in jax.tree.leaves(tree, is_leaf=dx.is_param) if dx.is_param(x)]


def test_partition_holds_exactly_the_free_arrays():
    net = dx.make_trainable(_tied9, "Leak.gLeak", by="cell", verbose=False)
    net = dx.make_trainable(
        net, "radius", dx.select(net, cell=0), by="index", verbose=False
    )
    params, static = dx.partition(net)
    frees = [p.free for p in _all_params(net)]
    leaves = jax.tree.leaves(params)
    assert len(leaves) == len(frees)
    for leaf, free in zip(leaves, frees):
        assert leaf is free
    assert sum(x.size for x in leaves) == dx.n_trainable(net) == 3 + 6 + 4
    # static keeps every fixed array and no free one
    static_params = _all_params(static)
    assert all(p.free is None for p in static_params)
    for p, q in zip(static_params, _all_params(net)):
        assert p.fixed is q.fixed
    assert eqx.tree_equal(dx.combine(params, static), net)


def test_optax_step_changes_only_trainable_values():
    net = _tied9
    params, static = dx.partition(net)
    _, grads = _value_and_grad(params, static)
    opt = optax.adam(1e-4)
    updates, _ = opt.update(grads, opt.init(params), params)
    new = dx.combine(optax.apply_updates(params, updates), static)
    old_free, new_free = _gS(net).free, _gS(new).free
    # Adam's first step moves every value with a nonzero gradient by about lr.
    np.testing.assert_allclose(np.abs(new_free - old_free), 1e-4, rtol=1e-3)
    assert _gS(new).ids == _gS(net).ids
    # Every other value is untouched.
    for name in net.param_names():
        if name != "Ionotropic.gS":
            np.testing.assert_array_equal(dx.get(new, name), dx.get(net, name))
    _, new_static = dx.partition(new)
    assert eqx.tree_equal(new_static, static)


# --- errors ------------------------------------------------------------------------


def test_share_unknown_column():
    net = _net9()
    with pytest.raises(ValueError, match=r"unknown column\(s\) \['pre_colour'\]"):
        dx.share(net, "Ionotropic.gS", by="pre_colour")
    with pytest.raises(ValueError, match=r"unknown column\(s\) \['branch_id'\]"):
        dx.make_trainable(net, "Leak.gLeak", by=("cell", "branch_id"))


def test_share_edge_parameter_with_node_selection():
    net = _net9()
    with pytest.raises(ValueError, match="needs a selection of edges"):
        dx.share(net, "Ionotropic.gS", where=dx.select(net, cell=0))


def test_share_node_parameter_with_edge_selection():
    net = _net9()
    with pytest.raises(ValueError, match="needs a selection of nodes"):
        dx.make_trainable(net, "Leak.gLeak", where=dx.select(net, edges="all"))


def test_share_by_function_wrong_length():
    net = _net9()
    with pytest.raises(ValueError, match=r"one key per selected element \(9\)"):
        dx.share(net, "Ionotropic.gS", by=lambda t: np.zeros(4))


def test_share_unknown_parameter():
    net = _net9()
    with pytest.raises(ValueError, match="unknown parameter 'Ionotropic.weight'"):
        dx.share(net, "Ionotropic.weight")
