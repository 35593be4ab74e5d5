"""Tests of `dx.Param`: tied values as a segment-id gather."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import dendrax as dx
from dendrax._param import retie, set_values, untied
from helpers import tree_allclose


def _tied(values, keys, free=None):
    """A Param whose elements with equal `keys` share the first element's value."""
    return retie(untied(np.asarray(values, float)), np.asarray(keys), free=free)


def test_values_is_gather_of_groups():
    p = dx.Param(
        free=jnp.array([1.0, 2.0]),
        fixed=jnp.array([10.0, 20.0, 30.0]),
        ids=dx._static.Ix(np.array([4, 0, 0, 2, 1, 3, 4])),
    )
    expected = np.concatenate([[1.0, 2.0], [10.0, 20.0, 30.0]])[[4, 0, 0, 2, 1, 3, 4]]
    np.testing.assert_array_equal(p.values(), expected)
    np.testing.assert_array_equal(p.groups(), [1.0, 2.0, 10.0, 20.0, 30.0])
    assert len(p) == 7 and p.n_groups == 5 and p.n_free == 2


def test_untied_gives_one_fixed_group_per_element():
    p = untied(np.array([3.0, 1.0, 2.0]))
    assert p.n_free == 0 and p.n_groups == 3
    np.testing.assert_array_equal(p.values(), [3.0, 1.0, 2.0])


def test_retie_groups_and_free_order():
    # keys: groups A (0, 3), B (1, 4), C (2); B and C free, A fixed.
    p = _tied(
        [1.0, 2.0, 3.0, 4.0, 5.0],
        [7, 5, 9, 7, 5],
        free=np.array([False, True, True, False, True]),
    )
    np.testing.assert_array_equal(p.values(), [1.0, 2.0, 3.0, 1.0, 2.0])
    # Free groups first, ordered by first appearance: B (elem 1) then C (elem 2).
    np.testing.assert_array_equal(p.free, [2.0, 3.0])
    np.testing.assert_array_equal(p.fixed, [1.0])
    np.testing.assert_array_equal(p.ids.array, [2, 0, 1, 2, 0])


def test_set_values_scalar_keeps_ties_and_splits_straddling_groups():
    # groups: {0, 1, 2} -> 1.0, {3, 4} -> 4.0, {5} -> 6.0
    p = _tied([1.0, 0, 0, 4.0, 0, 6.0], [0, 0, 0, 1, 1, 2])
    index = np.array([1, 2, 3, 4])  # straddles group {0,1,2}; covers {3,4}
    q = set_values(p, index, 9.0)
    np.testing.assert_array_equal(q.values(), [1.0, 9.0, 9.0, 9.0, 9.0, 6.0])
    ids = q.ids.array
    # Ties inside the selection are kept (1~2, 3~4), not merged across groups.
    assert ids[1] == ids[2] and ids[3] == ids[4]
    assert ids[1] != ids[3]
    # The straddling group is split: element 0 no longer shares with 1.
    assert ids[0] != ids[1]
    assert q.n_groups == 4
    # Changing the value of element 0's group afterwards leaves the rest alone.
    r = eqx.tree_at(lambda x: x.fixed, q, q.fixed.at[ids[0]].set(-1.0))
    np.testing.assert_array_equal(r.values(), [-1.0, 9.0, 9.0, 9.0, 9.0, 6.0])


def test_set_values_vector_unties_selection_only():
    p = _tied([1.0, 0, 0, 0, 5.0], [0, 0, 0, 0, 1])
    q = set_values(p, np.array([1, 2]), jnp.array([7.0, 8.0]))
    np.testing.assert_array_equal(q.values(), [1.0, 7.0, 8.0, 1.0, 5.0])
    ids = q.ids.array
    assert ids[1] != ids[2]
    assert ids[0] == ids[3]  # outside the selection the tie survives
    assert len(np.unique(ids)) == 4


def test_set_values_preserves_trainability():
    p = _tied([1.0, 2.0, 3.0], [0, 0, 1], free=np.array([True, True, False]))
    q = set_values(p, np.array([0]), 5.0)
    np.testing.assert_array_equal(q.values(), [5.0, 1.0, 3.0])
    assert q.n_free == 2  # both halves of the split free group stay free
    np.testing.assert_array_equal(np.sort(np.asarray(q.free)), [1.0, 5.0])


def test_set_values_wrong_shape_raises():
    p = untied(np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="shape"):
        set_values(p, np.array([0, 1]), jnp.ones(3))


def test_retie_after_set_restores_single_group():
    p = set_values(_tied([2.0, 0, 0], [0, 0, 0]), np.array([1]), 5.0)
    assert p.n_groups == 2
    q = retie(p, np.zeros(3, int))
    assert q.n_groups == 1
    # The new group's value is that of its first element.
    np.testing.assert_array_equal(q.values(), [2.0, 2.0, 2.0])


def test_gradient_is_segment_sum_of_element_gradients():
    p = _tied(
        [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        [0, 1, 0, 2, 1, 0],
        free=np.array([True, False, True, True, False, True]),
    )
    w = jnp.array([1.0, 10.0, 100.0, 1000.0, 1e4, 1e5])

    grads = jax.grad(lambda q: jnp.sum(w * q.values()))(p)
    expected = jax.ops.segment_sum(w, p.ids.array, num_segments=p.n_groups)
    np.testing.assert_allclose(grads.groups(), expected, rtol=1e-12)
    # group of key 0 (elements 0, 2, 5) receives 1 + 100 + 1e5.
    assert float(grads.groups()[p.ids.array[0]]) == pytest.approx(100101.0)


@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_gradient_segment_sum_property(data):
    n = 8  # fixed length keeps the number of distinct array shapes (compiles) small
    keys = np.array(data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)))
    free = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    w = np.array(
        data.draw(st.lists(st.floats(-10, 10, allow_nan=False), min_size=n, max_size=n))
    )
    p = _tied(np.arange(n, dtype=float), keys, free=free)
    assert p.n_groups == len(np.unique(keys))
    # Elements with equal keys read the same group, different keys different ones.
    same = keys[:, None] == keys[None, :]
    np.testing.assert_array_equal(p.ids.array[:, None] == p.ids.array[None, :], same)

    grads = jax.grad(lambda q: jnp.sum(w * q.values()))(p)
    expected = np.zeros(p.n_groups)
    np.add.at(expected, p.ids.array, w)
    np.testing.assert_allclose(grads.groups(), expected, rtol=1e-12, atol=1e-12)


def test_partition_combine_round_trip():
    p1 = _tied([1.0, 2.0, 3.0, 4.0], [0, 1, 0, 2], free=np.array([1, 0, 1, 1], bool))
    p2 = _tied([5.0, 6.0], [0, 1], free=np.array([False, True]))
    p3 = untied(np.array([7.0, 8.0]))
    tree = {"a": p1, "b": (p2, p3), "c": jnp.array(3.0)}

    params, static = dx.partition(tree)
    # params holds exactly the free arrays of the Params (in tree order) and,
    # outside them, every floating-point array (as eqx.is_inexact_array).
    leaves = jax.tree.leaves(params)
    assert len(leaves) == 4
    for leaf, p in zip(leaves, (p1, p2, p3)):
        np.testing.assert_array_equal(leaf, p.free)
    np.testing.assert_array_equal(leaves[0], [1.0, 4.0])
    assert leaves[2].shape == (0,)
    ps = [x for x in jax.tree.leaves(params, is_leaf=dx.is_param) if dx.is_param(x)]
    assert len(ps) == 3 and all(x.fixed is None for x in ps)
    assert params["c"] is tree["c"] and static["c"] is None
    back = dx.combine(params, static)
    assert tree_allclose(back, tree, rtol=0, atol=0)


def test_partition_of_network_and_gradient_through_combine():
    from helpers import hh_net

    net = hh_net(1, 1)
    tied = retie(
        net.nodes.radius, np.zeros(len(net), int), free=np.ones(len(net), bool)
    )
    net = eqx.tree_at(lambda n: n.nodes.radius, net, tied)
    params, static = dx.partition(net)
    leaves = [x for x in jax.tree.leaves(params) if x.size]
    assert len(leaves) == 1 and leaves[0].shape == (1,)

    def f(params):
        n = dx.combine(params, static)
        return jnp.sum(n.nodes.radius.values() ** 2)

    g = jax.grad(f)(params)
    # d/dr sum_i r^2 over len(net) elements tied to one r = 1.0
    np.testing.assert_allclose(g.nodes.radius.free, [2.0 * len(net)], rtol=1e-12)
