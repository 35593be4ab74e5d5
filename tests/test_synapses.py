"""Synapse models: state updates, currents, how they enter the solver, user models.

Simulations run on two-cell networks through the module-level jitted `_run`, so each
network structure (unconnected, Ionotropic, TanhRate) compiles once.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx

DT, T = 0.025, 3.0
CELL = dx.Cell(dx.Branch(dx.Compartment(), ncomp=2), parents=[-1, 0])
PRE_SITE = 0  # global index of cell 0, branch 0, comp 0
POST_CELL = slice(4, 8)  # compartments of cell 1


def _pair():
    """Two HH cells, not connected."""
    return dx.insert(dx.Network([CELL, CELL]), dx.channels.HH())


def _connect(net, synapse):
    return dx.connect(net, dx.select(net, cell=0), dx.select(net, cell=1), synapse)


@eqx.filter_jit
def _run(net):
    """v of every compartment; cell 0 gets a suprathreshold pulse."""
    site = dx.select(net, cell=0, branch=0, comp=0)
    stim = dx.Stimulus(site, dx.step_current(0.5, 1.0, 0.05, DT, T))
    return dx.simulate(net, T, DT, stimuli=stim).ys


# (excitatory, inhibitory) versions of each built-in model.
SYNAPSES = {
    "Ionotropic": (
        dx.synapses.Ionotropic(gS=5e-4, e_syn=0.0),
        dx.synapses.Ionotropic(gS=5e-4, e_syn=-90.0),
    ),
    # x_offset at rest: no current until the presynaptic cell depolarises.
    "TanhRate": (
        dx.synapses.TanhRate(gS=5e-3, x_offset=-65.0, slope=0.1),
        dx.synapses.TanhRate(gS=-5e-3, x_offset=-65.0, slope=0.1),
    ),
}


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# --- the models on their own -----------------------------------------------------


def test_ionotropic_update_is_exact_exponential_step():
    rng = np.random.default_rng(0)
    n = 50
    v_pre = rng.uniform(-90.0, 30.0, n)
    s0 = rng.uniform(0.0, 1.0, n)
    k_minus = rng.uniform(0.01, 2.0, n)
    v_th = rng.uniform(-50.0, -20.0, n)
    delta = rng.uniform(2.0, 15.0, n)
    dt = 0.1
    syn = dx.synapses.Ionotropic(
        gS=1.0, e_syn=0.0, k_minus=k_minus, v_th=v_th, delta=delta
    )
    got = syn.update_state({"s": jnp.asarray(s0)}, jnp.asarray(v_pre), jnp.zeros(n), dt)
    s_inf = 1.0 / (1.0 + np.exp((v_th - v_pre) / delta))
    expected = s_inf + (s0 - s_inf) * np.exp(-dt * k_minus / (1.0 - s_inf))
    np.testing.assert_allclose(got["s"], expected, rtol=1e-12, atol=1e-14)
    # The new state lies between the old one and s_inf (no overshoot).
    lo, hi = np.minimum(s0, s_inf), np.maximum(s0, s_inf)
    assert np.all(got["s"] >= lo - 1e-15) and np.all(got["s"] <= hi + 1e-15)


def test_ionotropic_relaxes_to_s_inf_for_constant_v_pre():
    v_pre = jnp.array([-80.0, -35.0, -10.0, 20.0])
    syn = dx.synapses.Ionotropic(k_minus=1.0, v_th=-35.0, delta=10.0)
    s_inf = _sigmoid((np.asarray(v_pre) + 35.0) / 10.0)

    @jax.jit
    def relax(s):
        body = lambda _, s: syn.update_state({"s": s}, v_pre, v_pre, 0.025)["s"]  # noqa: E731
        return jax.lax.fori_loop(0, 1000, body, s)

    for start in (jnp.zeros(4), jnp.ones(4) * 0.999):
        np.testing.assert_allclose(relax(start), s_inf, rtol=0, atol=1e-9)
    # The initial state is closed, independent of the potentials.
    st = syn.init_state(v_pre, v_pre)
    assert list(st) == ["s"]
    np.testing.assert_array_equal(st["s"], np.zeros(4))


def test_ionotropic_current_formula():
    syn = dx.synapses.Ionotropic(
        gS=jnp.array([1e-3, 2e-3]), e_syn=jnp.array([0.0, -80.0])
    )
    s = {"s": jnp.array([0.25, 0.5])}
    v_post = jnp.array([-65.0, -60.0])
    got = syn.current(s, jnp.array([0.0, 0.0]), v_post)
    np.testing.assert_allclose(
        got, [1e-3 * 0.25 * -65.0, 2e-3 * 0.5 * 20.0], rtol=1e-14
    )


def test_tanh_rate_current_formula_and_stateless():
    rng = np.random.default_rng(1)
    v_pre = rng.uniform(-90.0, 30.0, 20)
    gS = rng.uniform(-1.0, 1.0, 20)
    x_off = rng.uniform(-70.0, -30.0, 20)
    slope = rng.uniform(0.01, 0.5, 20)
    syn = dx.synapses.TanhRate(gS=gS, x_offset=x_off, slope=slope)
    state = syn.init_state(jnp.asarray(v_pre), jnp.asarray(v_pre))
    assert state == {}
    assert syn.update_state(state, jnp.asarray(v_pre), jnp.asarray(v_pre), 0.1) == {}
    got = syn.current(state, jnp.asarray(v_pre), jnp.zeros(20) - 65.0)
    np.testing.assert_allclose(got, -gS * np.tanh(slope * (v_pre - x_off)), rtol=1e-12)


# --- synapses in a network ---------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(SYNAPSES))
def test_zero_weight_equals_unconnected_exactly(kind):
    exc, _ = SYNAPSES[kind]
    base = _pair()
    net = _connect(base, exc)
    net = dx.set(net, f"{kind}.gS", 0.0)
    np.testing.assert_array_equal(_run(net), _run(base))


@pytest.mark.parametrize("kind", sorted(SYNAPSES))
def test_synapse_sign_excitatory_and_inhibitory(kind):
    exc, inh = SYNAPSES[kind]
    base = _pair()
    v0 = np.asarray(_run(base))
    assert v0[:, PRE_SITE].max() > 0.0  # the presynaptic cell spikes
    for synapse, sign in ((exc, 1.0), (inh, -1.0)):
        v = np.asarray(_run(_connect(base, synapse)))
        # Only the postsynaptic cell is affected.
        np.testing.assert_allclose(v[:, :4], v0[:, :4], rtol=0, atol=1e-12)
        diff = sign * (v[:, POST_CELL] - v0[:, POST_CELL])
        assert np.all(diff.mean(axis=0) > 0.1), diff.mean(axis=0)
        assert np.all(diff[-1] > 0.0), diff[-1]


@eqx.filter_jit
def _run_records(net, records):
    site = dx.select(net, cell=0, branch=0, comp=0)
    stim = dx.Stimulus(site, dx.step_current(0.5, 1.0, 0.05, DT, T))
    return dx.simulate(net, T, DT, stimuli=stim, record=records).ys


def test_record_synaptic_state_at_edge_selection():
    net = dx.insert(dx.Network([CELL] * 3), dx.channels.HH())
    # A first projection shifts the global edge indices of the second.
    net = dx.connect(
        net,
        dx.select(net, cell=0),
        dx.select(net, cell=1),
        dx.synapses.TanhRate(gS=0.0),
        name="rate",
    )
    net = dx.connect(
        net,
        dx.select(net, cell=[0, 1]),
        dx.select(net, cell=[1, 2]),
        dx.synapses.Ionotropic(k_minus=0.5),
        dx.conn.AllToAll(self_connections=False),
    )
    t = dx.edge_table(net)
    assert t.projection.tolist() == ["rate", "Ionotropic", "Ionotropic", "Ionotropic"]
    assert list(zip(t.pre_cell[1:], t.post_cell[1:])) == [(0, 1), (0, 2), (1, 2)]
    sel = dx.select(net, edges=[2, 3])  # 0 -> 2 and 1 -> 2
    v, s = _run_records(net, (dx.Record("v"), dx.Record("Ionotropic.s", sel)))
    assert s.shape == (v.shape[0], 2)
    np.testing.assert_array_equal(s[0], [0.0, 0.0])
    # Replay the exact update from the recorded presynaptic potentials.
    v = np.asarray(v)
    for col, pre_node in enumerate(t.pre_node[2:]):
        s_k = 0.0
        for k in range(v.shape[0] - 1):
            x = (v[k + 1, pre_node] + 35.0) / 10.0
            s_inf = _sigmoid(x)
            s_k = s_inf + (s_k - s_inf) * np.exp(-DT * 0.5 / _sigmoid(-x))
        np.testing.assert_allclose(s_k, s[-1, col], rtol=1e-10)
    # Cell 0 spikes, cell 1 does not: its synapse opens far less.
    assert float(s[:, 0].max()) > 0.9 and float(s[:, 1].max()) < 0.2
    with pytest.raises(ValueError, match="do not have Ionotropic"):
        dx.simulate(
            net, T, DT, record=dx.Record("Ionotropic.s", dx.select(net, edges=[0]))
        )


def _single_compartment_pair(synapse):
    cell = dx.Cell(dx.Branch(dx.Compartment(v_init=-65.0)))
    net = dx.Network([cell, cell])
    net = dx.insert(net, dx.channels.Passive(g=2e-4, e=-70.0))
    return dx.connect(net, dx.select(net, cell=0), dx.select(net, cell=1), synapse)


@eqx.filter_jit
def _step(net, state, current):
    return dx.step(net, state, DT, current=current)


def _hand_step(v, i, di):
    """One implicit-Euler step of a lone passive compartment with extra current
    `i` (nA, outward) of slope `di` (µS); returns the new v."""
    area = 2 * np.pi * 1.0 * 10.0  # µm²
    cap = 1e-5 * 1.0 * area  # nF
    g_pas = 1e-2 * area * 2e-4  # µS
    i_total = g_pas * (v - (-70.0)) + i
    return v - i_total / (cap / DT + g_pas + di)


def test_ionotropic_current_enters_the_implicit_step():
    gS, e_syn, s = 3e-3, -10.0, 0.6
    net = _single_compartment_pair(dx.synapses.Ionotropic(gS=gS, e_syn=e_syn))
    state = dx.init_state(net)
    state = eqx.tree_at(lambda st: st.synapses[0]["s"], state, jnp.array([s]))
    new = _step(net, state, jnp.array([0.02, 0.0]))
    v0 = -65.0
    expected_post = _hand_step(v0, gS * s * (v0 - e_syn), gS * s)
    np.testing.assert_allclose(new.v[1], expected_post, rtol=1e-12)
    # The presynaptic compartment only sees the stimulus (0.02 nA depolarising).
    np.testing.assert_allclose(new.v[0], _hand_step(v0, -0.02, 0.0), rtol=1e-12)
    # s is then advanced by the exact step at the *new* presynaptic potential.
    s_inf = _sigmoid((float(new.v[0]) + 35.0) / 10.0)
    s_new = s_inf + (s - s_inf) * np.exp(-DT * 0.025 / (1 - s_inf))
    np.testing.assert_allclose(new.synapses[0]["s"], [s_new], rtol=1e-12)


def test_tanh_rate_current_enters_the_implicit_step():
    gS, x_off, slope = 4e-3, -75.0, 0.05
    net = _single_compartment_pair(
        dx.synapses.TanhRate(gS=gS, x_offset=x_off, slope=slope)
    )
    new = _step(net, dx.init_state(net), jnp.zeros(2))
    i = -gS * np.tanh(slope * (-65.0 - x_off))
    np.testing.assert_allclose(new.v[1], _hand_step(-65.0, i, 0.0), rtol=1e-12)
    np.testing.assert_allclose(new.v[0], _hand_step(-65.0, 0.0, 0.0), rtol=1e-12)


# --- a user-written synapse --------------------------------------------------------


class RelaxSyn(dx.synapses.AbstractSynapse):
    """Test model: r relaxes to sigmoid((v_pre + 20) / 4) with time constant tau;
    current g * r * (v_post - e)."""

    g: float | jax.Array = 1e-3
    e: float | jax.Array = 0.0
    tau: float | jax.Array = 0.5

    def init_state(self, v_pre, v_post):
        return {"r": jnp.zeros_like(v_pre)}

    def update_state(self, state, v_pre, v_post, dt):
        target = jax.nn.sigmoid((v_pre + 20.0) / 4.0)
        return {"r": target + (state["r"] - target) * jnp.exp(-dt / self.tau)}

    def current(self, state, v_pre, v_post):
        return self.g * state["r"] * (v_post - self.e)


def _user_net():
    return _connect(_pair(), RelaxSyn())


@eqx.filter_jit
def _user_loss(g, net):
    net = dx.set(net, "RelaxSyn.g", g)
    site = dx.select(net, cell=0, branch=0, comp=0)
    stim = dx.Stimulus(site, dx.step_current(0.5, 1.0, 0.05, DT, T))
    records = (dx.Record("v"), dx.Record("RelaxSyn.r", dx.select(net, edges="all")))
    v, r = dx.simulate(net, T, DT, stimuli=stim, record=records).ys
    return jnp.mean(v[:, POST_CELL]), (v, r)


_user_value_and_grad = eqx.filter_jit(
    eqx.filter_value_and_grad(_user_loss, has_aux=True)
)


def test_user_synapse_connect_set_record():
    net = _user_net()
    assert [p.name for p in net.synapses] == ["RelaxSyn"]
    assert {"RelaxSyn.g", "RelaxSyn.e", "RelaxSyn.tau"} <= set(net.param_names())
    np.testing.assert_array_equal(dx.get(net, "RelaxSyn.g"), [1e-3])
    net2 = dx.set(net, "RelaxSyn.g", 2e-3)
    np.testing.assert_array_equal(dx.get(net2, "RelaxSyn.g"), [2e-3])
    np.testing.assert_array_equal(dx.get(net, "RelaxSyn.g"), [1e-3])  # unchanged

    (_, (v, r)), _ = _user_value_and_grad(jnp.asarray(2e-3), net)
    assert r.shape == (v.shape[0], 1)
    assert float(r[0, 0]) == 0.0
    assert float(r.max()) > 0.5  # the presynaptic spike opens it
    # Reproduce r from the recorded presynaptic potential.
    v_pre = np.asarray(v)[:, PRE_SITE]
    r_k = 0.0
    for k in range(v.shape[0] - 1):
        target = _sigmoid((v_pre[k + 1] + 20.0) / 4.0)
        r_k = target + (r_k - target) * np.exp(-DT / 0.5)
    np.testing.assert_allclose(r_k, r[-1, 0], rtol=1e-10)
    # and its current depolarised the postsynaptic cell.
    v_off = np.asarray(_user_value_and_grad(jnp.asarray(0.0), net)[0][1][0])
    assert np.all(np.asarray(v)[-1, POST_CELL] > v_off[-1, POST_CELL] + 0.1)


def test_user_synapse_gradient_matches_finite_difference():
    net = _user_net()
    g0 = 2e-3
    (_, _), grad = _user_value_and_grad(jnp.asarray(g0), net)

    def f(g):
        return float(_user_value_and_grad(jnp.asarray(g), net)[0][0])

    eps = 1e-7
    fd = (f(g0 + eps) - f(g0 - eps)) / (2 * eps)
    assert fd > 1.0  # an excitatory conductance raises the mean potential
    np.testing.assert_allclose(float(grad), fd, rtol=1e-5)


def _shared_state_net(untie: bool):
    """4 HH cells, cells 0-1 onto all four (8 Ionotropic edges); v_th differs on
    the edges from cell 1 to cells 2-3, so cell 1's edges form two state groups.
    `untie`: the same values, but one tie group per edge (no sharing)."""
    net = dx.insert(dx.Network([CELL] * 4), dx.channels.HH())
    pre, post = dx.select(net, cell=[0, 1]), dx.select(net)
    net = dx.connect(net, pre, post, dx.synapses.Ionotropic(gS=2e-3, k_minus=0.3))
    t = dx.edge_table(net)
    odd = dx.select(net, edges=np.flatnonzero((t.pre_cell == 1) & (t.post_cell >= 2)))
    net = dx.set(net, "Ionotropic.v_th", -45.0, odd)
    if untie:
        for f in ("k_minus", "v_th", "delta"):
            net = dx.set(net, f"Ionotropic.{f}", dx.get(net, f"Ionotropic.{f}"))
    return net


def test_shared_synaptic_states_equal_per_edge_states():
    shared, per_edge = _shared_state_net(False), _shared_state_net(True)
    # 8 edges, 3 states: cell 0's, and cell 1's two v_th groups.
    assert dx.init_state(shared).synapses[0]["s"].shape == (3,)
    assert dx.init_state(per_edge).synapses[0]["s"].shape == (8,)
    rec = (dx.Record("v"), dx.Record("Ionotropic.s"))
    v_a, s_a = _run_records(shared, rec)
    v_b, s_b = _run_records(per_edge, rec)
    assert s_a.shape == s_b.shape == (v_a.shape[0], 8)
    np.testing.assert_allclose(v_a, v_b, rtol=0, atol=1e-12)
    np.testing.assert_allclose(s_a, s_b, rtol=0, atol=1e-14)
    assert float(jnp.max(s_a)) > 0.5  # the synapses did open
    t = dx.edge_table(shared)
    odd = (t.pre_cell == 1) & (t.post_cell >= 2)
    assert not np.allclose(s_a[:, odd][:, 0], s_a[:, (t.pre_cell == 1) & ~odd][:, 0])

    # Gradients through the shared states: a tied, trainable k_minus (one value
    # per presynaptic cell) and gS, against the per-edge network.
    def grads(net):
        net = dx.make_trainable(net, "Ionotropic.k_minus", by="pre_cell", verbose=False)
        net = dx.make_trainable(net, "Ionotropic.gS", verbose=False)
        params, static = dx.partition(net)

        def loss(p):
            v = _run_records(dx.combine(p, static), dx.Record("v"))
            return jnp.mean((v + 60.0) ** 2)

        return jax.grad(loss)(params), loss, params

    g_a, loss_a, p_a = grads(shared)
    g_b, _, _ = grads(per_edge)
    for name in ("Ionotropic.k_minus", "Ionotropic.gS"):
        a = dx.get(g_a, name, gradient=True)
        b = dx.get(g_b, name, gradient=True)
        np.testing.assert_allclose(a, b, rtol=1e-9)
        assert np.all(np.abs(a) > 0)
    # And against finite differences in the shared network.
    eps = 1e-6
    free = p_a.synapses[0].synapse.k_minus.free

    def at(d):
        p = eqx.tree_at(
            lambda q: q.synapses[0].synapse.k_minus.free, p_a, free.at[1].add(d)
        )
        return loss_a(p)

    fd = (at(eps) - at(-eps)) / (2 * eps)
    k = g_a.synapses[0].synapse.k_minus.free[1]
    assert float(k) == pytest.approx(float(fd), rel=1e-5)
