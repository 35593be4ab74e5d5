"""Event synapses: exact delays, receptor waveforms against their closed forms,
identical results for every weight storage form and delivery layout, parameter
addressing, jit/vmap/grad, and bad input."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx
from helpers import POINT, central_difference, lif_net, pulses

DT, T = 0.1, 12.0


def _fire(net, cells, times):
    """Stimuli making each of `cells` spike at `times + DT`."""
    return [dx.Stimulus(dx.select(net, cell=c), pulses(times, DT, T)) for c in cells]


def _run(net, stimuli, names, t_max=T):
    return dx.simulate(
        net, t_max, DT, stimuli=stimuli, record=[dx.Record(n) for n in names]
    )


def _jumps(ts, g):
    """Times at which a non-negative state increases."""
    g = np.asarray(g)
    return np.asarray(ts)[1:][np.diff(g) > 1e-15]


@pytest.mark.parametrize(
    "delay, expected",
    [
        (0.0, [[1.1, 1.1], [2.1, 2.1]]),  # scalar
        (np.array([[0.5], [1.3]]), [[1.6, 1.6], [3.4, 3.4]]),  # per presynaptic cell
        (np.array([[0.2, 0.7], [3.0, 0.0]]), [[1.3, 1.8], [5.1, 2.1]]),  # per edge
    ],
)
def test_a_spike_at_t_arrives_at_t_plus_delay(delay, expected):
    """Cells 0 and 1 spike at 1.1 and 2.1 ms; each drives cells 2 and 3 through
    its own projection, so every (pre, post) arrival is seen separately."""
    net = lif_net(4)
    for pre in (0, 1):
        net = dx.connect(
            net,
            dx.select(net, cell=pre),
            dx.select(net, cell=[2, 3]),
            dx.synapses.Exp(weight=1e-4),
            delay=np.asarray(delay)[pre : pre + 1] if np.ndim(delay) else delay,
            name=f"from{pre}",
        )
    stim = _fire(net, [0], [1.0]) + _fire(net, [1], [2.0])
    sol = _run(net, stim, ["spikes", "from0.g", "from1.g"])
    np.testing.assert_allclose(dx.spike_times(sol.ts, sol.ys[0][:, :2])[0], [1.1, 2.1])
    for pre in (0, 1):
        for post in (0, 1):
            got = _jumps(sol.ts, sol.ys[1 + pre][:, post])
            np.testing.assert_allclose(got, [expected[pre][post]], atol=1e-9)


def test_exp_alpha_and_dual_exp_follow_their_closed_forms():
    """After one spike arriving at t0 the conductances are, exactly at every
    recorded time: w exp(-s/tau); w (s/tau) exp(1 - s/tau); and
    w f (exp(-s/tau_d) - exp(-s/tau_r)) with peak w."""
    w, t0 = 2e-3, 1.1
    net = lif_net(2)
    kinds = {
        "E": dx.synapses.Exp(weight=w, tau=3.0),
        "A": dx.synapses.Alpha(weight=w, tau=2.0),
        "D": dx.synapses.DualExp(weight=w, tau_rise=0.5, tau_decay=3.0),
    }
    for name, syn in kinds.items():
        net = dx.connect(
            net, dx.select(net, cell=0), dx.select(net, cell=1), syn, name=name
        )
    sol = _run(net, _fire(net, [0], [1.0]), ["E.g", "A.g", "D.a", "D.b"])
    s = np.asarray(sol.ts) - t0
    after = s >= -1e-9
    s = np.where(after, s, 0.0)
    np.testing.assert_allclose(sol.ys[0][:, 0], np.where(after, w * np.exp(-s / 3), 0))
    alpha = w * (s / 2) * np.exp(1 - s / 2)
    np.testing.assert_allclose(sol.ys[1][:, 0], np.where(after, alpha, 0), atol=1e-18)
    t_peak = 0.5 * 3.0 / 2.5 * np.log(3.0 / 0.5)
    f = 1 / (np.exp(-t_peak / 3.0) - np.exp(-t_peak / 0.5))
    dual = w * f * (np.exp(-s / 3.0) - np.exp(-s / 0.5))
    g = np.asarray(sol.ys[3] - sol.ys[2])[:, 0]
    np.testing.assert_allclose(g, np.where(after, dual, 0), atol=1e-18)
    assert abs(g.max() - w) < 0.01 * w  # the peak (between grid points) is w


def test_current_based_synapse_depolarises_and_conductance_drives_to_reversal():
    net = lif_net(3)
    net = dx.set(net, "LIF.v_th", 100.0, dx.select(net, cell=[1, 2]))  # silent targets
    pre, post = dx.select(net, cell=0), dx.select(net, cell=1)
    net = dx.connect(net, pre, post, dx.synapses.ExpCurrent(weight=0.5, tau=5.0))
    net = dx.connect(net, pre, dx.select(net, cell=2), dx.synapses.GABA_A(weight=0.05))
    v = _run(net, _fire(net, [0], [1.0]), ["v"]).ys[0]
    assert v[:, 1].max() > -59.0  # excited
    assert v[:, 2].min() < -61.0  # inhibited towards -80 mV
    assert v[:, 2].min() > -80.0


def _random_net(delivery, weights="vector"):
    """20 LIF cells, Bernoulli connectivity, per-presynaptic-cell delays."""
    key = jax.random.key(3)
    net = lif_net(20)
    net = dx.set(net, "v_init", jnp.linspace(-60.0, -50.5, 20))
    sel = dx.select(net)
    rule = dx.conn.Bernoulli(0.3)
    pre_ids, _ = rule.sample(np.arange(20), np.arange(20), key)
    n_edges = len(pre_ids)
    w = {
        "scalar": 3e-3,
        "vector": jnp.linspace(1e-3, 5e-3, n_edges),
        "matrix": jnp.full((20, 20), 3e-3),
    }[weights]
    delays = (np.arange(20) % 3 * DT)[:, None]
    return dx.connect(
        net,
        sel,
        sel,
        dx.synapses.Exp(weight=w, tau=4.0),
        rule,
        key=key,
        delay=delays,
        delivery=delivery,
    )


def test_delivery_layouts_give_the_same_network_activity():
    drive = dx.Stimulus(dx.select(net := _random_net(dx.conn.Segment())), 0.12)
    stim = [dx.Stimulus(drive.where, jnp.full(dx.n_steps(30.0, DT), 0.12))]

    @eqx.filter_jit
    def run(net):
        return _run(net, stim, ["spikes", "v"], t_max=30.0).ys

    ref = run(net)
    assert ref[0].sum() > 20  # the network is active
    for delivery in (
        dx.conn.Dense(),
        dx.conn.EventDriven(max_spikes=2),  # often more: exercises the fallback
        dx.conn.EventDriven(max_spikes=64),
    ):
        got = run(_random_net(delivery))
        np.testing.assert_array_equal(got[0], ref[0])
        np.testing.assert_allclose(got[1], ref[1], rtol=0, atol=1e-9)


def test_event_weight_storage_forms_simulate_identically():
    stim = [dx.Stimulus(dx.select(lif_net(20)), jnp.full(dx.n_steps(20.0, DT), 0.12))]
    runs = [
        _run(_random_net(dx.conn.Segment(), form), stim, ["v"], t_max=20.0).ys[0]
        for form in ("scalar", "matrix")
    ]
    np.testing.assert_array_equal(runs[0], runs[1])


def test_receptor_parameters_live_at_targets_and_weights_at_edges():
    net = lif_net(3)
    all_cells = dx.select(net)
    no_self = dx.conn.AllToAll(self_connections=False)
    net = dx.connect(
        net, all_cells, all_cells, dx.synapses.Exp(tau=[2.0, 3.0, 4.0]), no_self
    )
    assert net.n_edges == 6
    np.testing.assert_allclose(dx.get(net, "Exp.tau"), [2.0, 3.0, 4.0])
    net = dx.set(net, "Exp.tau", 7.0, dx.select(net, cell=1))
    np.testing.assert_allclose(dx.get(net, "Exp.tau"), [2.0, 7.0, 4.0])
    net = dx.set(
        net, "Exp.weight", 5e-3, dx.select(net, edges=lambda e: e.pre_cell == 0)
    )
    np.testing.assert_allclose(dx.get(net, "Exp.weight"), [5e-3] * 2 + [1e-3] * 4)
    net = dx.make_trainable(net, "Exp.weight", by="pre_cell", verbose=False)
    assert dx.n_trainable(net) == 3
    # A second call under the same name: new targets take its receptor values;
    # other values at a target the projection has are refused (they would
    # change the first call's edges too), the same values join.
    net2 = dx.connect(
        lif_net(4),
        dx.select(lif_net(4), cell=0),
        dx.select(lif_net(4), cell=1),
        dx.synapses.Exp(tau=2.0),
    )
    with pytest.raises(ValueError, match="already has a receptor at compartment 1"):
        dx.connect(
            net2, dx.select(net2, cell=2), dx.select(net2, cell=[1, 3]),
            dx.synapses.Exp(tau=9.0),
        )  # fmt: skip
    net3 = dx.connect(
        net2, dx.select(net2, cell=2), dx.select(net2, cell=3), dx.synapses.Exp(tau=9.0)
    )
    np.testing.assert_allclose(dx.get(net3, "Exp.tau"), [2.0, 9.0])
    assert net3.synapses[0].targets.array.tolist() == [1, 3]
    net4 = dx.connect(
        net2, dx.select(net2, cell=2), dx.select(net2, cell=1), dx.synapses.Exp(tau=2.0)
    )
    assert net4.n_edges == 2 and net4.synapses[0].targets.array.tolist() == [1]


def test_gradients_through_event_synapses_match_finite_differences():
    stim = _fire(lif_net(2), [0], [1.0, 4.0])

    def loss(w):
        net = lif_net(2)
        net = dx.set(net, "LIF.v_th", 0.0, dx.select(net, cell=1))  # subthreshold
        net = dx.connect(
            net,
            dx.select(net, cell=0),
            dx.select(net, cell=1),
            dx.synapses.Alpha(weight=w, tau=1.5),
            delay=0.5,
        )
        return _run(net, stim, ["v"]).ys[0][:, 1].mean()

    w = 4e-3
    g = jax.jit(jax.grad(loss))(w)
    assert g > 0
    np.testing.assert_allclose(g, central_difference(loss, w, 1e-6), rtol=1e-6)
    batched = jax.vmap(loss)(jnp.array([1e-3, 4e-3]))
    np.testing.assert_allclose(batched[1], loss(4e-3), rtol=1e-12)
    assert batched[1] > batched[0]


# --- bad input --------------------------------------------------------------------


def _pair():
    net = lif_net(2)
    return net, dx.select(net, cell=0), dx.select(net, cell=1)


def test_negative_delay_is_refused():
    net, pre, post = _pair()
    with pytest.raises(ValueError, match="delays must be finite and >= 0"):
        dx.connect(net, pre, post, dx.synapses.Exp(), delay=-1.0)


def test_delay_not_a_multiple_of_dt_is_refused_not_rounded():
    net, pre, post = _pair()
    net = dx.connect(net, pre, post, dx.synapses.Exp(), delay=0.25)
    with pytest.raises(ValueError, match="not a multiple of dt=0.1"):
        dx.simulate(net, 1.0, 0.1)
    dx.simulate(net, 1.0, 0.05)  # fine with a dt that divides it


def test_delay_of_wrong_shape_is_refused():
    net, pre, post = _pair()
    with pytest.raises(ValueError, match="delay has shape"):
        dx.connect(net, pre, post, dx.synapses.Exp(), delay=[1.0, 2.0, 3.0])


def test_delays_need_dt_for_the_state():
    net, pre, post = _pair()
    net = dx.connect(net, pre, post, dx.synapses.Exp(), delay=1.0)
    with pytest.raises(ValueError, match="pass dt"):
        dx.init_state(net)
    state = dx.init_state(net, 0.1)
    assert state.spikes.shape == (11, 2)
    with pytest.raises(ValueError, match="does not fit"):
        dx.simulate(net, 1.0, 0.05, state=state)


def test_event_synapse_from_cells_without_spikes_is_refused():
    net = dx.insert(dx.Network([POINT] * 2), dx.channels.HH())
    net = dx.connect(
        net, dx.select(net, cell=0), dx.select(net, cell=1), dx.synapses.Exp()
    )
    with pytest.raises(ValueError, match="emit no spikes.*SpikeDetector"):
        dx.simulate(net, 1.0, 0.1)


def test_delay_and_plasticity_need_an_event_synapse():
    net, pre, post = _pair()
    for kw in ({"delay": 1.0}, {"plasticity": dx.plasticity.STDP()}):
        with pytest.raises(ValueError, match="graded synapse"):
            dx.connect(net, pre, post, dx.synapses.Ionotropic(), **kw)


def test_dense_delivery_needs_one_delay_per_presynaptic_cell():
    net, pre, post = _pair()
    both = dx.select(net)
    net = dx.connect(
        net,
        pre,
        both,
        dx.synapses.Exp(),
        delay=np.array([[0.1, 0.2]]),
        delivery=dx.conn.Dense(),
        rule=dx.conn.AllToAll(self_connections=True),
    )
    with pytest.raises(ValueError, match="share one delay"):
        dx.simulate(net, 1.0, 0.1)


def test_event_driven_max_spikes_must_be_positive():
    with pytest.raises(ValueError, match="max_spikes"):
        dx.conn.EventDriven(max_spikes=0)


@pytest.mark.parametrize("n, k", [(5, 3), (300, 8), (5000, 16), (5000, 200)])
def test_compact_finds_every_spike_when_at_most_k(n, k):
    from dendrax._events import _compact

    rng = np.random.default_rng(n + k)
    for count in (0, 1, k // 2, k, k + 5):
        x = np.zeros(n)
        on = rng.choice(n, min(count, n), replace=False)
        x[on] = 1.0
        a, who = jax.jit(_compact, static_argnums=1)(jnp.asarray(x), k)
        assert a.shape == who.shape == (k,)
        picked = np.asarray(who)[np.asarray(a) > 0]
        assert len(set(picked.tolist())) == len(picked)  # no position twice
        assert set(picked.tolist()) <= set(on.tolist())
        assert len(picked) == min(count, k, n)
        assert np.all((np.asarray(who) >= 0) & (np.asarray(who) < n))


def test_event_driven_delivery_under_grad_and_vmap():
    """Every padding size and the whole-table pass trace under grad and vmap,
    with Segment's spikes and Segment's gradients (the surrogate slopes of
    cells that did not spike included)."""
    stim = [dx.Stimulus(dx.select(lif_net(20)), jnp.full(dx.n_steps(15.0, DT), 0.12))]

    def loss_and_grad(delivery):
        net = dx.make_trainable(_random_net(delivery), "Exp.weight", verbose=False)
        params, static = dx.partition(net)

        def loss(p):
            run = _run(dx.combine(p, static), stim, ["spikes"], t_max=15.0)
            return run.ys[0].sum(), run.ys[0]

        (_, spikes), g = jax.jit(jax.value_and_grad(loss, has_aux=True))(params)
        return spikes, jax.tree.leaves(g)

    ref_spikes, ref_g = loss_and_grad(dx.conn.Segment())
    assert max(np.abs(x).max(initial=0.0) for x in ref_g) > 0
    for max_spikes in (2, 64):
        spikes, g = loss_and_grad(dx.conn.EventDriven(max_spikes=max_spikes))
        np.testing.assert_array_equal(spikes, ref_spikes)
        for a, b in zip(g, ref_g):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)

    net = _random_net(dx.conn.EventDriven(max_spikes=4))
    v0 = jnp.stack([jnp.linspace(-60.0, -50.5, 20), jnp.linspace(-59.0, -51.0, 20)])

    def run(v):
        return _run(dx.set(net, "v_init", v), stim, ["spikes"], 15.0).ys[0]

    got = jax.jit(jax.vmap(run))(v0)
    for j in range(len(v0)):
        np.testing.assert_array_equal(got[j], run(v0[j]))


def _three_projections(delivery):
    """30 LIF cells; excitatory and inhibitory projections with one delay each
    (delivered together by EventDriven) and a third with per-cell delays (its
    own group), onto overlapping targets."""
    net = lif_net(30)
    net = dx.set(net, "v_init", jnp.linspace(-60.0, -50.2, 30))
    exc, inh = (
        dx.select(net, cell=np.arange(20)),
        dx.select(net, cell=np.arange(20, 30)),
    )
    rule = dx.conn.FixedInDegree(4, self_connections=False)
    for name, pre, syn, delay, seed in (
        ("exc", exc, dx.synapses.Exp(weight=4e-3, tau=3.0), DT, 1),
        ("inh", inh, dx.synapses.Exp(weight=6e-3, tau=8.0, e_syn=-80.0), DT, 2),
        (
            "mixed",
            exc,
            dx.synapses.Exp(weight=2e-3),
            (np.arange(20) % 2 * DT)[:, None],
            3,
        ),
    ):
        net = dx.connect(
            net,
            pre,
            dx.select(net),
            syn,
            rule,
            key=jax.random.key(seed),
            delay=delay,
            delivery=delivery,
            name=name,
        )
    return net


def test_event_driven_groups_match_segment():
    """Projections delivered in one EventDriven group give Segment's network."""
    from dendrax._events import _plans

    groups = {
        pl.group.members for pl in _plans(_three_projections(dx.conn.EventDriven()), DT)
    }
    assert groups == {(0, 1), (2,)}
    stim = [dx.Stimulus(dx.select(lif_net(30)), jnp.full(dx.n_steps(30.0, DT), 0.4))]
    ref = _run(_three_projections(dx.conn.Segment()), stim, ["spikes", "v"], 30.0).ys
    assert ref[0].sum() > 30
    for k in (1, 4, 64):  # whole-table passes, padded passes
        got = _run(
            _three_projections(dx.conn.EventDriven(max_spikes=k)),
            stim,
            ["spikes", "v"],
            30.0,
        ).ys
        np.testing.assert_array_equal(got[0], ref[0])
        np.testing.assert_allclose(got[1], ref[1], rtol=0, atol=1e-9)
