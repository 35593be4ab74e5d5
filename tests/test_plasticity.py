"""Plasticity: the single-pairing STDP amounts (Song et al. 2000), weight bounds,
Tsodyks–Markram against its recurrence, weights as state, gradients, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx
from helpers import POINT, central_difference, lif_net, pulses

DT, T = 0.1, 40.0
W0, W_MAX = 2e-3, 1e-2
STDP = dx.plasticity.STDP(
    a_plus=0.01, a_minus=0.012, tau_plus=16.8, tau_minus=33.7, w_max=W_MAX
)


def _pair(plasticity, weight=W0, delay=0.0, slope=1.0):
    """Cell 0 -> cell 1, both LIF; the weight is far too weak to make cell 1
    spike, so each cell spikes exactly when its own pulses say."""
    net = lif_net(2, slope=slope)
    return dx.connect(
        net,
        dx.select(net, cell=0),
        dx.select(net, cell=1),
        dx.synapses.Exp(weight=weight),
        plasticity=plasticity,
        delay=delay,
    )


def _run(net, pre_times, post_times, names=("Exp.weight",), t_max=T):
    stim = [
        dx.Stimulus(dx.select(net, cell=0), pulses(pre_times, DT, t_max)),
        dx.Stimulus(dx.select(net, cell=1), pulses(post_times, DT, t_max)),
    ]
    return dx.simulate(
        net, t_max, DT, stimuli=stim, record=[dx.Record(n) for n in names]
    )


@pytest.mark.parametrize("lag", [1.0, 5.0, 12.3])
def test_stdp_single_pairing_changes_the_weight_by_the_analytic_amount(lag):
    """Pre arrives `lag` ms before post: +a_plus w_max exp(-lag / tau_plus);
    post `lag` ms before pre: -a_minus w_max exp(-lag / tau_minus)."""
    net = _pair(STDP)
    pre_first = _run(net, [5.0], [5.0 + lag])
    post_first = _run(net, [5.0 + lag], [5.0])
    up = 0.01 * W_MAX * np.exp(-lag / 16.8)
    down = 0.012 * W_MAX * np.exp(-lag / 33.7)
    np.testing.assert_allclose(pre_first.ys[0][-1, 0] - W0, up, rtol=1e-10)
    np.testing.assert_allclose(post_first.ys[0][-1, 0] - W0, -down, rtol=1e-10)
    # the weight changes exactly when the second spike of the pair occurs
    w = np.asarray(pre_first.ys[0][:, 0])
    changed = np.asarray(pre_first.ts)[1:][np.diff(w) != 0]
    np.testing.assert_allclose(changed, [5.1 + lag], atol=1e-9)


def test_stdp_uses_the_arrival_time_after_the_delay():
    """With a 3 ms delay, a pre spike 2 ms before post arrives 1 ms after it."""
    net = _pair(STDP, delay=3.0)
    w = _run(net, [5.0], [7.0]).ys[0][-1, 0]
    np.testing.assert_allclose(w - W0, -0.012 * W_MAX * np.exp(-1.0 / 33.7), rtol=1e-10)


def test_stdp_keeps_weights_within_bounds_and_pairs_add_up():
    rule = dx.plasticity.STDP(a_plus=0.3, a_minus=0.3, w_max=W_MAX)
    many = np.arange(2.0, 38.0, 6.0)
    up = _run(_pair(rule), many, many + 1.0).ys[0][:, 0]
    down = _run(_pair(rule), many + 1.0, many).ys[0][:, 0]
    assert up[-1] == W_MAX and down[-1] == 0.0
    for w in (up, down):
        assert np.all((w >= 0) & (w <= W_MAX))
    # two pairings 20 ms apart: the second adds its own amount plus the
    # (depressing) interaction of post 1 with pre 2, all-to-all
    rule = STDP
    w = _run(_pair(rule), [5.0, 25.0], [7.0, 27.0]).ys[0][-1, 0]
    a, b = 0.01 * W_MAX, 0.012 * W_MAX
    expected = 2 * a * np.exp(-2 / 16.8) - b * np.exp(-18 / 33.7)
    expected += a * np.exp(-22 / 16.8)  # pre 1 with post 2
    np.testing.assert_allclose(w - W0, expected, rtol=1e-10)


def test_tsodyks_markram_matches_its_recurrence():
    """Transmitted weights of a regular train, read off the jumps of g."""
    U, tau_d, tau_f, w = 0.2, 150.0, 400.0, 1e-3
    rule = dx.plasticity.TsodyksMarkram(U=U, tau_d=tau_d, tau_f=tau_f)
    times = np.arange(2.0, 80.0, 10.0)
    sol = _run(_pair(rule, weight=w), times, [], names=("Exp.g", "Exp.u"), t_max=90.0)
    g = np.asarray(sol.ys[0][:, 0])
    arrive = np.round((times + DT) / DT).astype(int)
    decay = np.exp(-DT / 5.0)
    jumps = g[arrive] - g[arrive - 1] * decay
    u, x, expected = 0.0, 1.0, []
    for k in range(len(times)):
        if k:
            u *= np.exp(-10.0 / tau_f)
            x = 1 + (x - 1) * np.exp(-10.0 / tau_d)
        u += U * (1 - u)
        expected.append(w * u * x)
        x -= u * x
    np.testing.assert_allclose(jumps, expected, rtol=1e-9)
    assert expected[1] > expected[0]  # facilitation first (small U)...
    assert expected[-1] < expected[1]  # ...then depression
    np.testing.assert_allclose(sol.ys[1][arrive[-1], 0], u, rtol=1e-9)


def test_weights_are_state_returned_at_the_end_and_continue():
    net = _pair(STDP)
    full = _run(net, [5.0, 25.0], [7.0, 27.0])
    assert full.state.plasticity[0]["weight"].shape == (1,)
    np.testing.assert_allclose(full.state.plasticity[0]["weight"], full.ys[0][-1])
    # the parameter itself is the initial weight and is not modified
    np.testing.assert_allclose(dx.get(net, "Exp.weight"), [W0])


def test_gradient_through_a_plastic_run_matches_finite_differences():
    """d(final weight and post voltage)/d(initial weight) through STDP.

    A steep surrogate makes the spikes' surrogate derivatives negligible, so the
    exact gradient of this fixed-spike-time run is what is checked."""

    def loss(w0):
        net = _pair(STDP, weight=w0, slope=1e6)
        sol = _run(net, [5.0, 15.0], [7.0], ("Exp.weight", "v"))
        return sol.ys[0][-1, 0] ** 2 + 1e-3 * sol.ys[1][:, 1].mean()

    g = jax.jit(jax.grad(loss))(W0)
    np.testing.assert_allclose(g, central_difference(loss, W0, 1e-7), rtol=1e-6)
    batched = jax.vmap(loss)(jnp.array([W0, 2 * W0]))
    np.testing.assert_allclose(batched[0], loss(W0), rtol=1e-12)


def test_plasticity_on_a_population_without_spikes_is_refused():
    net = dx.Network([POINT] * 2)
    net = dx.insert(net, dx.channels.LIF(), dx.select(net, cell=0))
    net = dx.insert(net, dx.channels.Leak(), dx.select(net, cell=1))
    net = dx.connect(
        net,
        dx.select(net, cell=0),
        dx.select(net, cell=1),
        dx.synapses.Exp(),
        plasticity=dx.plasticity.STDP(),
    )
    with pytest.raises(ValueError, match="plasticity needs postsynaptic spikes"):
        dx.simulate(net, 1.0, 0.1)


def test_plastic_weights_need_segment_delivery():
    net = lif_net(2)
    with pytest.raises(ValueError, match="need delivery=dx.conn.Segment"):
        dx.connect(
            net,
            dx.select(net, cell=0),
            dx.select(net, cell=1),
            dx.synapses.Exp(),
            plasticity=dx.plasticity.STDP(),
            delivery=dx.conn.Dense(),
        )
