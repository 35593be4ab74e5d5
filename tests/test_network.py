"""Network: node table, selections, groups, insert/get/set, immutability."""

import copy

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx
from helpers import CHANNELS, hh_net, small_cell, tree_allclose


def test_node_table_columns():
    net = dx.Network([small_cell(2)] * 3)
    assert len(net) == 18
    nodes = net.nodes
    np.testing.assert_array_equal(nodes.cell.array, np.repeat([0, 1, 2], 6))
    np.testing.assert_array_equal(nodes.branch.array, np.tile([0, 0, 1, 1, 2, 2], 3))
    np.testing.assert_array_equal(nodes.comp.array, np.tile([0, 1], 9))
    assert net.n_cells == 3


def test_node_table_mixed_cells_and_properties():
    a = dx.Compartment(length=3.0, radius=0.5)
    b = dx.Compartment(length=4.0, radius=2.0, v_init=-70.0)
    cell1 = dx.Cell([dx.Branch([a, b]), dx.Branch(b, ncomp=3)], parents=[-1, 0])
    cell2 = dx.Cell(dx.Branch(a))
    net = dx.Network([cell2, cell1])
    np.testing.assert_array_equal(net.nodes.cell.array, [0, 1, 1, 1, 1, 1])
    np.testing.assert_array_equal(net.nodes.branch.array, [0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(net.nodes.comp.array, [0, 0, 1, 0, 1, 2])
    np.testing.assert_array_equal(dx.get(net, "length"), [3, 3, 4, 4, 4, 4])
    np.testing.assert_array_equal(dx.get(net, "radius"), [0.5, 0.5, 2, 2, 2, 2])
    np.testing.assert_array_equal(dx.get(net, "v_init"), [-65, -65, -70, -70, -70, -70])


def test_select_by_index_columns():
    net = dx.Network([small_cell(2)] * 3)
    assert dx.select(net, cell=1).indices.tolist() == list(range(6, 12))
    assert dx.select(net, cell=[0, 2], branch=1).indices.tolist() == [2, 3, 14, 15]
    assert dx.select(net, comp=1, cell=2).indices.tolist() == [13, 15, 17]
    assert len(dx.select(net, cell="all")) == 18
    assert len(dx.select(net)) == 18
    sel = dx.select(net, branch=np.array([0, 2]), comp=0)
    assert sel.indices.tolist() == [0, 4, 6, 10, 12, 16]


def test_select_where_predicate():
    net = dx.Network([small_cell(3)] * 2)
    sel = dx.select(net, where=lambda t: (t.comp == 2) & (t.cell == 1))
    assert sel.indices.tolist() == [11, 14, 17]
    sel = dx.select(net, cell=0, where=lambda t: t.index % 4 == 0)
    assert sel.indices.tolist() == [0, 4, 8]


def test_selection_and_or_len():
    net = dx.Network([small_cell(2)] * 2)
    a = dx.select(net, cell=0)
    b = dx.select(net, branch=1)
    assert (a & b).indices.tolist() == [2, 3]
    assert (a | b).indices.tolist() == [0, 1, 2, 3, 4, 5, 8, 9]
    assert len(a & b) == 2 and len(a | b) == 8
    assert len(dx.select(net, cell=0) & dx.select(net, cell=1)) == 0


def test_add_group_then_select():
    net = dx.Network([small_cell(2)] * 2)
    net2 = dx.add_group(net, "tips", dx.select(net, branch=[1, 2], comp=1))
    sel = dx.select(net2, group="tips")
    assert sel.indices.tolist() == [3, 5, 9, 11]
    both = dx.select(net2, group="tips", cell=1)
    assert both.indices.tolist() == [9, 11]
    net3 = dx.add_group(net2, "soma", dx.select(net2, branch=0))
    assert dx.select(net3, group=["tips", "soma"]).indices.tolist() == [
        0, 1, 3, 5, 6, 7, 9, 11,
    ]  # fmt: skip
    pred = dx.select(net3, where=lambda t: t.groups["soma"] & (t.cell == 0))
    assert pred.indices.tolist() == [0, 1]


@pytest.mark.parametrize("channel", CHANNELS)
def test_insert_get_set_round_trip(channel):
    net = dx.Network([small_cell(2)] * 2)
    where = dx.select(net, branch=[0, 2])
    net = dx.insert(net, channel(), where)
    field = dx._network.param_fields(channel())[0]
    name = f"{channel.__name__}.{field}"
    default = getattr(channel(), field)
    np.testing.assert_array_equal(dx.get(net, name), np.full(8, default))
    # get at a selection that partly lacks the channel returns only where it is.
    np.testing.assert_array_equal(
        dx.get(net, name, dx.select(net, cell=0)), [default] * 4
    )

    net2 = dx.set(net, name, 0.5, dx.select(net, cell=1, branch=2))
    expected = np.full(8, default)
    expected[6:] = 0.5
    np.testing.assert_array_equal(dx.get(net2, name), expected)

    vals = jnp.arange(8.0) + 1.0
    net3 = dx.set(net2, name, vals)
    np.testing.assert_array_equal(dx.get(net3, name), vals)


@pytest.mark.parametrize("name", ["radius", "v_init", "HH.gNa", "Passive.e"])
def test_set_traced_scalar_under_jit(name):
    # `set` documents that the value may be traced (jit/vmap/grad).
    net = dx.Network([small_cell(2)] * 2)
    net = dx.insert(net, dx.channels.HH())
    net = dx.insert(net, dx.channels.Passive(), dx.select(net, branch=1))
    where = dx.select(net, cell=1)
    before = np.asarray(dx.get(net, name))

    got = jax.jit(lambda x: dx.get(dx.set(net, name, x, where), name))(0.25)
    expected = before.copy()
    n_before = len(dx.get(net, name, dx.select(net, cell=0)))
    expected[n_before:] = 0.25
    np.testing.assert_array_equal(got, expected)


def _random_start(net, key):
    """One initial voltage per cell, uniform in [-70, -60) mV, spread over the
    cell's compartments (as docs/concepts/parameters.md shows)."""
    per_cell = jax.random.uniform(key, (net.n_cells,), minval=-70.0, maxval=-60.0)
    return dx.set(net, "v_init", per_cell[dx.node_table(net).cell])


def test_random_initial_voltages_under_jit_and_vmap():
    net = hh_net(3, 2)
    soma = dx.select(net, cell=0, branch=0, comp=0)
    stim = dx.Stimulus(soma, dx.step_current(0.5, 1.0, 0.1, 0.025, 2.0))

    def run(key):
        start = _random_start(net, key)
        state = dx.init_state(start)
        return (
            state.v,
            state.channels[0]["m"],
            dx.simulate(start, 2.0, 0.025, stimuli=stim).ys,
        )

    keys = jax.random.split(jax.random.key(3), 4)
    v, m, ys = eqx.filter_jit(jax.vmap(run))(keys)
    single = eqx.filter_jit(run)
    cells = dx.node_table(net).cell
    for k, key in enumerate(keys):
        one_v, one_m, one_ys = single(key)
        np.testing.assert_allclose(v[k], one_v, rtol=0, atol=1e-12)
        np.testing.assert_allclose(ys[k], one_ys, rtol=0, atol=1e-10)
        # Every compartment of a cell starts at that cell's value, and the gates
        # at their steady state there.
        v0 = np.asarray(v[k][: len(net)])
        assert np.all((v0 >= -70.0) & (v0 < -60.0))
        for c in range(net.n_cells):
            assert np.ptp(v0[cells == c]) == 0.0
        hh = dx.channels.HH()
        np.testing.assert_allclose(
            m[k], hh.init_state(jnp.asarray(v0))["m"], rtol=1e-12, atol=1e-15
        )
        np.testing.assert_allclose(one_m, m[k], rtol=0, atol=1e-12)
    assert len(np.unique(np.asarray(v[:, 0]))) == 4  # each key its own start


def test_random_initial_voltage_per_compartment_can_be_differentiated():
    net = hh_net(2, 2)
    record = dx.Record("v", dx.select(net, cell=0, branch=0, comp=0))

    def loss(v0):
        sol = dx.simulate(dx.set(net, "v_init", v0), 1.0, 0.025, record=record)
        return sol.ys[-1, 0]

    v0 = jax.random.normal(jax.random.key(0), (len(net),)) - 65.0
    grad = jax.jit(jax.grad(loss))(v0)
    assert grad.shape == (len(net),) and np.all(np.isfinite(grad))
    assert float(grad[0]) > 0.0  # a higher start there, a higher voltage later


def test_set_compartment_property_only_in_selection():
    net = hh_net(2, 2)
    net2 = dx.set(net, "radius", 3.0, dx.select(net, cell=1, comp=0))
    r = np.asarray(dx.get(net2, "radius"))
    np.testing.assert_array_equal(np.flatnonzero(r == 3.0), [6, 8, 10])
    assert np.all(np.delete(r, [6, 8, 10]) == 1.0)
    np.testing.assert_array_equal(
        dx.get(net2, "radius", dx.select(net, cell=1, branch=0)), [3.0, 1.0]
    )


def test_set_vector_only_counts_compartments_with_channel():
    net = dx.Network(small_cell(2))
    net = dx.insert(net, dx.channels.Passive(), dx.select(net, branch=1))
    # cell 0 selects 6 compartments of which 2 have Passive: 2 values expected.
    net2 = dx.set(net, "Passive.g", jnp.array([1.0, 2.0]), dx.select(net, cell=0))
    np.testing.assert_array_equal(dx.get(net2, "Passive.g"), [1.0, 2.0])


def test_insert_same_class_twice_extends():
    net = dx.Network(small_cell(2))
    net = dx.insert(net, dx.channels.HH(gNa=0.1), dx.select(net, branch=0))
    net = dx.insert(net, dx.channels.HH(gNa=0.2), dx.select(net, branch=[0, 1], comp=1))
    assert len(net.mechanisms) == 1
    mech = net.mechanism("HH")
    np.testing.assert_array_equal(mech.nodes.array, [0, 1, 3])
    np.testing.assert_array_equal(dx.get(net, "HH.gNa"), [0.1, 0.2, 0.2])
    # Other fields of the extended compartments take the new channel's values too.
    np.testing.assert_array_equal(dx.get(net, "HH.gK"), [0.036] * 3)
    # The extended mechanism has states for all its compartments (shapes only).
    has_hh = dx.select(net, where=lambda t: np.isin(t.index, [0, 1, 3]))
    sol = jax.eval_shape(
        lambda: dx.simulate(net, 0.1, 0.025, record=dx.Record("HH.m", has_hh))
    )
    assert sol.ys.shape == (5, 3)
    assert sol.state.channels[0]["m"].shape == (3,)


def test_insert_keeps_ties_of_untouched_compartments():
    from dendrax._param import retie

    net = dx.insert(dx.Network(small_cell(2)), dx.channels.Passive())
    p = net.mechanisms[0].channel.g
    tied = retie(p, np.zeros(len(p), int), free=np.ones(len(p), bool))
    net = eqx.tree_at(lambda n: n.mechanisms[0].channel.g, net, tied)
    net = dx.insert(net, dx.channels.Passive(g=5e-4), dx.select(net, branch=2))
    q = net.mechanisms[0].channel.g
    np.testing.assert_array_equal(q.values(), [1e-3] * 4 + [5e-4] * 2)
    ids = q.ids.array
    assert len(np.unique(ids[:4])) == 1  # still one tied (free) group
    assert q.n_free == 1


def test_two_different_channels_coexist():
    net = dx.Network(small_cell(1))
    net = dx.insert(net, dx.channels.Na())
    net = dx.insert(net, dx.channels.K(), dx.select(net, branch=0))
    net = dx.insert(net, dx.channels.Leak())
    assert [m.name for m in net.mechanisms] == ["Na", "K", "Leak"]
    assert "K.gK" in net.param_names() and "Na.gNa" in net.param_names()
    np.testing.assert_array_equal(dx.get(net, "K.gK"), [0.036])


def test_builders_do_not_mutate_input():
    net = hh_net(2, 2)
    saved = copy.deepcopy(net)
    fresh = hh_net(2, 2)
    sel = dx.select(net, cell=0)
    out = [
        dx.insert(net, dx.channels.Passive(), sel),
        dx.insert(net, dx.channels.HH(gNa=0.5), sel),
        dx.set(net, "HH.gNa", 0.3, sel),
        dx.set(net, "radius", jnp.linspace(1.0, 2.0, 6), sel),
        dx.add_group(net, "g", sel),
    ]
    for new in out:
        assert not tree_allclose(new, net)
    for ref in (saved, fresh):
        assert tree_allclose(net, ref, rtol=0, atol=0)
        assert jax.tree.structure(net) == jax.tree.structure(ref)
    assert net.groups.names() == []
    assert [m.name for m in net.mechanisms] == ["HH"]


def test_repeated_cell_objects_build_the_same_network_as_distinct_ones():
    # [cell] * n is laid out per distinct object with array operations; equal
    # but distinct objects take one block each. Both must give the same network.
    comp = dx.Compartment(length=10.0, radius=1.0)
    a = dx.Cell(dx.Branch(comp, ncomp=3), parents=[-1, 0, 0, 1])
    b = dx.read_swc("tests/data/morphologies/ca1_n120.swc", 2)
    same = dx.Network([a, b, a, a, b])
    copies = [
        dx.Cell(dx.Branch(comp, ncomp=3), parents=[-1, 0, 0, 1]) for _ in range(3)
    ]
    distinct = dx.Network(
        [
            copies[0],
            b,
            copies[1],
            copies[2],
            dx.read_swc("tests/data/morphologies/ca1_n120.swc", 2),
        ]
    )
    assert bool(eqx.tree_equal(same.nodes, distinct.nodes))
    assert same.topology == distinct.topology and same.groups == distinct.groups
    np.testing.assert_array_equal(same.xyz.array, distinct.xyz.array)
    np.testing.assert_array_equal(
        same.drawing.placement.array[:, 1:], distinct.drawing.placement.array[:, 1:]
    )
    assert len(same.drawing.outlines) == 2 and len(distinct.drawing.outlines) == 5
