"""Traced locations: `dx.select` given jax arrays inside `jit`, `vmap` and
`grad`, read at run time by stimuli, clamps and records; refused, with a
message naming the fix, by what needs static sites."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx
from helpers import central_difference, hh_net

DT, T = 0.025, 2.0  # ms
B2 = dx.Branch(dx.Compartment(), ncomp=2)
B3 = dx.Branch(dx.Compartment(), ncomp=3)
BIG = dx.Cell([B2, B3, B3], parents=[-1, 0, 0])  # 8 compartments
SMALL = dx.Cell(B3)  # 3 compartments, one branch


def _net() -> dx.Network:
    return hh_net(2, 2)  # 2 cells x 3 branches x 2 compartments


def _soma(net):
    return dx.Record("v", dx.select(net, cell=0, branch=0, comp=0))


def _current(amp=0.3):
    return dx.step_current(0.5, 1.0, amp, DT, T)


def _run(net, where, record, amp=0.3, t_max=T):
    stim = dx.Stimulus(where, dx.step_current(0.5, 1.0, amp, DT, t_max))
    return dx.simulate(net, t_max, DT, stimuli=stim, record=record)


# --- select ----------------------------------------------------------------------


def _traced_indices(net, **criteria):
    """The indices a traced selection picks, run under jit (traced criteria are
    the jax arrays among `criteria`)."""
    names = [k for k, v in criteria.items() if isinstance(v, jax.Array)]
    static = {k: v for k, v in criteria.items() if k not in names}

    def pick(*values):
        sel = dx.select(net, **static, **dict(zip(names, values)))
        assert sel.is_traced
        return sel.indices

    return np.asarray(jax.jit(pick)(*(criteria[k] for k in names)))


def test_traced_cell_with_static_branch_and_comp_is_one_compartment():
    net = _net()
    for c in range(2):
        want = dx.select(net, cell=c, branch=2, comp=1).indices
        got = _traced_indices(net, cell=jnp.asarray(c), branch=2, comp=1)
        np.testing.assert_array_equal(got, want)


def test_traced_vector_picks_one_compartment_per_entry_in_its_order():
    net = _net()
    got = _traced_indices(net, index=jnp.array([7, 2]))
    np.testing.assert_array_equal(got, [7, 2])
    got = _traced_indices(net, cell=jnp.array([1, 0]), branch=1, comp=0)
    want = [dx.select(net, cell=c, branch=1, comp=0).indices[0] for c in (1, 0)]
    np.testing.assert_array_equal(got, want)


def test_traced_criteria_broadcast_together():
    net = _net()
    got = _traced_indices(net, cell=jnp.array([0, 1]), branch=jnp.asarray(2), comp=1)
    want = [dx.select(net, cell=c, branch=2, comp=1).indices[0] for c in (0, 1)]
    np.testing.assert_array_equal(got, want)
    got = _traced_indices(net, cell=jnp.asarray(1), comp=jnp.array([1, 0]), branch=0)
    want = [dx.select(net, cell=1, branch=0, comp=k).indices[0] for k in (1, 0)]
    np.testing.assert_array_equal(got, want)


def test_traced_index_may_pick_several_compartments_each():
    net = _net()
    # every branch's first compartment of the traced cell: 3 per entry
    got = _traced_indices(net, cell=jnp.array([1, 0]), comp=0)
    want = np.concatenate([dx.select(net, cell=c, comp=0).indices for c in (1, 0)])
    np.testing.assert_array_equal(got, want)


def test_traced_cells_of_other_shapes():
    net = dx.Network([BIG, SMALL, BIG])
    got = _traced_indices(net, cell=jnp.array([2, 1]), branch=0, comp=1)
    want = [dx.select(net, cell=c, branch=0, comp=1).indices[0] for c in (2, 1)]
    np.testing.assert_array_equal(got, want)


def test_concrete_jax_array_outside_jit_is_static():
    net = _net()
    sel = dx.select(net, cell=jnp.asarray(1), comp=jnp.array([0]))
    assert not sel.is_traced
    np.testing.assert_array_equal(sel.indices, dx.select(net, cell=1, comp=0).indices)


def test_out_of_range_traced_index_raises_at_run_time():
    net = _net()
    f = eqx.filter_jit(lambda i: dx.select(net, cell=i, branch=0, comp=0).indices)
    assert int(f(jnp.asarray(1))[0]) == 6
    for i in (2, -1):
        with pytest.raises(
            eqx.EquinoxRuntimeError,
            match=r"cell= \(traced\) holds an index out of range: cell indices in "
            r"this network run from 0 to 1",
        ):
            f(jnp.asarray(i))
    g = eqx.filter_jit(lambda i: dx.select(net, index=i).indices)
    with pytest.raises(eqx.EquinoxRuntimeError, match=r"index= \(traced\)"):
        g(jnp.asarray(12))


def test_traced_combination_naming_no_compartment_raises_at_run_time():
    net = dx.Network([BIG, SMALL, BIG])  # SMALL has no branch 2
    f = eqx.filter_jit(lambda i: dx.select(net, cell=i, branch=2, comp=0).indices)
    assert int(f(jnp.asarray(2))[0]) == 11 + 5
    with pytest.raises(
        eqx.EquinoxRuntimeError,
        match=r"the traced indices \(cell=\) name a compartment that does not "
        r"exist with branch=2, comp=0",
    ):
        f(jnp.asarray(1))


def test_traced_selection_refuses_unequal_counts_and_shapes():
    net = dx.Network([BIG, SMALL])
    with pytest.raises(ValueError, match="must pick the same number of compartments"):
        jax.jit(lambda i: dx.select(net, cell=i).indices)(0)
    with pytest.raises(ValueError, match="must have one shape"):
        jax.jit(lambda i, j: dx.select(net, cell=i, comp=j).indices)(
            jnp.array([0, 1]), jnp.array([0, 1, 2])
        )
    with pytest.raises(TypeError, match="comp must hold integers"):
        jax.jit(lambda x: dx.select(net, comp=x).indices)(1.0)


def test_traced_selections_do_not_combine():
    net = _net()

    def both(i):
        return dx.select(net, cell=i) | dx.select(net, cell=0)

    with pytest.raises(ValueError, match="traced indices cannot be combined"):
        jax.jit(both)(1)


# --- stimuli, clamps, records -------------------------------------------------------


def test_vmap_over_stimulus_site_equals_the_loop():
    net = _net()
    sites = [1, 4, 9]

    def run(i):
        return _run(net, dx.select(net, index=i), _soma(net)).ys

    batch = jax.vmap(run)(jnp.array(sites))
    loop = np.stack([_run(net, dx.select(net, index=i), _soma(net)).ys for i in sites])
    assert batch.shape == loop.shape == (3, 81, 1)
    np.testing.assert_allclose(batch, loop, rtol=0, atol=1e-12)
    assert np.ptp(loop[:, -1, 0]) > 1e-3  # the sites differ


def test_vmap_over_recording_site_equals_the_loop():
    net = _net()
    stim = dx.select(net, cell=0, branch=1, comp=1)
    full = _run(net, stim, [dx.Record("v"), dx.Record("HH.m")]).ys

    def run(i):
        where = dx.select(net, cell=i // 6, index=i)  # a traced cell and index
        return _run(net, stim, [dx.Record("v", where), dx.Record("HH.m", where)]).ys

    v, m = jax.vmap(run)(jnp.arange(12))
    np.testing.assert_allclose(v[:, :, 0].T, full[0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(m[:, :, 0].T, full[1], rtol=0, atol=1e-12)


def test_jit_with_traced_index_equals_static():
    net = _net()

    @jax.jit
    def run(c, k):
        where = dx.select(net, cell=c, branch=2, comp=k)
        return _run(net, where, _soma(net)).ys

    got = run(jnp.asarray(0), jnp.asarray(1))
    want = _run(net, dx.select(net, cell=0, branch=2, comp=1), _soma(net)).ys
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_traced_vector_stimulus_equals_static_pair():
    net = _net()
    want = _run(net, dx.select(net, index=[3, 10]), _soma(net)).ys
    got = jax.jit(lambda i: _run(net, dx.select(net, index=i), _soma(net)).ys)(
        jnp.array([10, 3])
    )
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_grad_of_amplitude_at_traced_site():
    net = _net()

    def peak(amp, i):  # i: traced under jit; a Python int gives a static site
        where = dx.select(net, cell=0, branch=1, comp=i)
        return _run(net, where, _soma(net), amp=amp).ys[-1, 0]

    traced = jax.jit(peak)
    grads = jax.jit(jax.vmap(jax.grad(peak), in_axes=(None, 0)))(0.2, jnp.arange(2))
    for k in range(2):
        fd = central_difference(lambda a: traced(a, jnp.asarray(k)), 0.2)
        static = jax.jit(jax.grad(lambda a: peak(a, k)))(0.2)
        np.testing.assert_allclose(grads[k], static, rtol=1e-10)
        np.testing.assert_allclose(grads[k], fd, rtol=1e-5)
    assert grads[0] != grads[1]


def test_voltage_clamp_and_electrode_currents_at_traced_site():
    net = _net()
    n = round(T / DT)

    def run(i):
        where = dx.select(net, index=i)
        clamp = dx.VoltageClamp(where, jnp.full(n, -50.0))
        stim = dx.Stimulus(dx.select(net, index=i + 1), _current())
        record = [
            dx.Record("v"),
            dx.Record("VoltageClamp.i", where),
            dx.Record("Stimulus.i"),
        ]
        return dx.simulate(net, T, DT, stimuli=[clamp, stim], record=record).ys

    got = jax.vmap(run)(jnp.array([0, 7]))
    for b, i in enumerate((0, 7)):
        want = run(i)  # Python ints: static sites
        for g, w in zip(got, want):
            np.testing.assert_allclose(g[b], w, rtol=0, atol=1e-12)
    assert np.abs(got[0][1, 1:, 7] + 50.0).max() < 0.1  # clamped


def test_columns_of_a_traced_record_are_positions():
    net = _net()

    def run(i):
        sol = _run(
            net, dx.select(net, index=0), dx.Record("v", dx.select(net, index=i))
        )
        return sol

    sol = jax.jit(run)(jnp.array([4, 5]))
    (cols,) = sol.columns
    assert [k for k, _ in cols.coords] == ["position"]
    np.testing.assert_array_equal(cols.coord("position"), [0, 1])
    with pytest.raises(KeyError, match="traced selection"):
        cols.coord("cell")


def test_traced_edge_and_spike_records():
    point = dx.Cell(dx.Branch(dx.Compartment(length=100.0, radius=10.0)))
    net = dx.insert(dx.Network([point] * 3), dx.channels.LIF())
    net = dx.connect(
        net,
        dx.select(net, cell=0),
        dx.select(net, cell=[1, 2]),
        dx.synapses.Exp(weight=1e-3),
    )
    stim = dx.Stimulus(dx.select(net, cell="all"), dx.step_current(0, 5, 1.0, DT, 5))
    full = dx.simulate(
        net, 5.0, DT, stimuli=stim, record=[dx.Record("spikes"), dx.Record("Exp.g")]
    ).ys
    assert full[0].sum() > 0

    def run(name, c):
        record = dx.Record(name, dx.select(net, cell=c))
        return dx.simulate(net, 5.0, DT, stimuli=stim, record=record).ys

    spikes = jax.vmap(lambda c: run("spikes", c))(jnp.arange(3))
    np.testing.assert_array_equal(spikes[:, :, 0].T, full[0])
    # Exp.g lives at the targets (cells 1 and 2); cell 0 has none
    g = jax.vmap(lambda c: run("Exp.g", c))(jnp.array([1, 2]))
    np.testing.assert_allclose(g[:, :, 0].T, full[1], rtol=0, atol=1e-15)
    with pytest.raises(eqx.EquinoxRuntimeError, match="selected nodes without Exp"):
        eqx.filter_jit(lambda c: run("Exp.g", c))(jnp.asarray(0))


def test_traced_edge_selection_records_graded_synapse_state():
    net = hh_net(3, 1)
    net = dx.connect(
        net,
        dx.select(net, cell=0, branch=0, comp=0),
        dx.select(net, cell=[1, 2], comp=0),
        dx.synapses.Ionotropic(),
    )
    stim = dx.select(net, cell=0, branch=0, comp=0)
    full = _run(net, stim, dx.Record("Ionotropic.s")).ys

    def run(e):
        return _run(net, stim, dx.Record("Ionotropic.s", dx.select(net, edges=e))).ys

    got = jax.vmap(run)(jnp.array([1, 0]))
    np.testing.assert_allclose(got[:, :, 0].T, full[:, ::-1], rtol=0, atol=1e-15)
    assert full.shape[1] == 2 and np.abs(full[-1]).max() > 0


# --- what needs static sites ---------------------------------------------------------


@pytest.mark.parametrize(
    "use",
    [
        lambda net, sel: dx.insert(net, dx.channels.Leak(), sel),
        lambda net, sel: dx.connect(
            net, sel, dx.select(net, cell=1), dx.synapses.Ionotropic()
        ),
        lambda net, sel: dx.set(net, "HH.gNa", 0.2, sel),
        lambda net, sel: dx.add_group(net, "site", sel),
        lambda net, sel: dx.share(net, "HH.gNa", where=sel),
        lambda net, sel: dx.get(net, "radius", sel),
    ],
    ids=["insert", "connect", "set", "add_group", "share", "get"],
)
def test_structure_needs_static_selections(use):
    net = _net()
    with pytest.raises(ValueError, match=r"has traced indices .* needs indices known"):
        jax.jit(lambda i: jax.tree.leaves(use(net, dx.select(net, cell=i))))(0)


def test_mesh_refuses_traced_sites():
    net = _net()
    mesh = jax.sharding.Mesh(np.array(jax.devices()[:1]), ("cells",))

    def run(i):
        return dx.simulate(
            net,
            T,
            DT,
            stimuli=dx.Stimulus(dx.select(net, index=i), _current()),
            record=_soma(net),
            mesh=mesh,
        ).ys

    with pytest.raises(
        ValueError, match=r"simulate\(mesh=\): Stimulus has a selection"
    ):
        jax.jit(run)(0)


def test_a_mask_sets_a_value_at_a_traced_site():
    """The fix named by `set`'s refusal: one value per element, from a mask."""
    net = _net()
    stim = dx.select(net, cell=0, branch=0, comp=0)

    def run(i):
        gna = jnp.where(jnp.arange(len(net)) == i, 0.0, 0.12)
        return _run(dx.set(net, "HH.gNa", gna), stim, _soma(net)).ys

    got = jax.vmap(run)(jnp.array([0, 3]))
    for b, i in enumerate((0, 3)):
        want = _run(
            dx.set(net, "HH.gNa", 0.0, dx.select(net, index=i)), stim, _soma(net)
        ).ys
        np.testing.assert_allclose(got[b], want, rtol=0, atol=1e-12)


def test_masked_union_graph_equals_the_connected_subgraphs():
    """Sweeping topologies of one shape: connect every candidate edge once and
    multiply the weights by a 0/1 mask."""
    net0 = hh_net(3, 1)
    pre, post = [0, 0, 1], [1, 2, 2]  # candidate (pre cell, post cell) edges
    somata = dx.select(net0, comp=0, branch=0)
    union = dx.connect(
        net0, somata, somata, dx.synapses.Ionotropic(), rule=dx.conn.FromIds(pre, post)
    )
    gs = dx.get(union, "Ionotropic.gS")
    stim = dx.select(net0, cell=0, branch=0, comp=0)
    record = dx.Record("v", somata)

    def run(mask):
        net = dx.set(union, "Ionotropic.gS", gs * mask)
        return _run(net, stim, record, amp=1.0, t_max=5.0).ys

    masks = np.array([[1, 0, 0], [0, 1, 1], [1, 1, 1]], float)
    got = jax.vmap(run)(jnp.asarray(masks))
    for b, mask in enumerate(masks):
        keep = mask.astype(bool)
        sub = dx.connect(
            net0,
            somata,
            somata,
            dx.synapses.Ionotropic(),
            rule=dx.conn.FromIds(np.array(pre)[keep], np.array(post)[keep]),
        )
        want = _run(sub, stim, record, amp=1.0, t_max=5.0).ys
        np.testing.assert_allclose(got[b], want, rtol=0, atol=1e-12)
    assert np.abs(got[0] - got[2]).max() > 1.0  # the topologies differ
