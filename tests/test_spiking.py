"""Spiking mechanisms: LIF against its exact discrete solution and the analytic
first-spike time, Izhikevich and AdEx against fine-step references, spike
detection and rasters, surrogate gradients and training."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import dendrax as dx
from helpers import POINT, lif_net, pulses, spike_times

AREA = 20000.0  # µm² of POINT
C = 1e-5 * AREA  # nF
G_L = 5e-5 * 1e-2 * AREA  # µS (10 nS)


def _run_current(net, amp, t_max, dt, record=("v", "spikes")):
    stim = dx.Stimulus(dx.select(net, cell=0), jnp.full(dx.n_steps(t_max, dt), amp))
    return dx.simulate(
        net, t_max, dt, stimuli=stim, record=[dx.Record(r) for r in record]
    )


def test_lif_matches_exact_implicit_euler_and_refractory_period():
    """Below threshold the scheme is implicit Euler on a linear ODE, whose
    solution is known in closed form; after a spike v sits at v_reset for
    exactly t_ref / dt steps."""
    dt, t_max, amp = 0.1, 60.0, 0.25  # nA; v_inf = -60 + 25 = -35 mV
    net = lif_net(1)
    sol = _run_current(net, amp, t_max, dt)
    v, counts = np.asarray(sol.ys[0][:, 0]), np.asarray(sol.ys[1][:, 0])
    tau, v_inf = C / G_L, -60.0 + amp / G_L
    k = np.arange(len(v))
    exact = v_inf + (-60.0 - v_inf) / (1 + dt / tau) ** k
    first = int(np.argmax(exact >= -50.0))
    assert counts[first] == 1 and counts[:first].sum() == 0
    np.testing.assert_allclose(v[:first], exact[:first], rtol=0, atol=1e-10)
    # held at reset for t_ref = 50 steps, then free again
    np.testing.assert_array_equal(v[first : first + 51], -60.0)
    assert v[first + 51] > -60.0
    # continuous-time first spike, tau ln(I R / (I R - (v_th - E_L)))
    t_star = tau * np.log(25.0 / (25.0 - 10.0))
    assert abs(sol.ts[first] - t_star) < 0.1 * t_star
    # periodic firing: every interval is the same number of steps
    isi = np.diff(np.flatnonzero(counts))
    assert len(isi) >= 2 and np.all(isi == isi[0])


def test_lif_first_spike_converges_to_analytic_time():
    """Halving dt halves the error of the first-spike time (first order)."""
    amp = 0.25
    t_star = C / G_L * np.log(25.0 / 15.0)
    errors = []
    for dt in (0.1, 0.05, 0.025):
        sol = _run_current(lif_net(1), amp, 20.0, dt, record=("spikes",))
        errors.append(abs(spike_times(sol.ts, sol.ys[0])[0] - t_star))
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.15


def _izhikevich_reference(p, i_ext, t_max, dt=1e-3):
    """Forward Euler at a fine step: spike times of Izhikevich's equations."""
    v, u, out = -65.0, p["b"] * -65.0, []
    for k in range(int(round(t_max / dt))):
        v, u = (
            v + dt * (0.04 * v * v + 5 * v + 140 - u + i_ext),
            u + dt * p["a"] * (p["b"] * v - u),
        )
        if v >= 30.0:
            out.append((k + 1) * dt)
            v, u = p["c"], u + p["d"]
    return np.array(out)


@pytest.mark.parametrize(
    "name, p",
    [
        ("regular spiking", dict(a=0.02, b=0.2, c=-65.0, d=8.0)),
        ("fast spiking", dict(a=0.1, b=0.2, c=-65.0, d=2.0)),
        ("chattering", dict(a=0.02, b=0.2, c=-50.0, d=2.0)),
    ],
)
def test_izhikevich_spike_times_match_fine_reference(name, p):
    dt, t_max, i_ext = 0.01, 200.0, 10.0
    net = dx.insert(dx.Network(POINT), dx.channels.Izhikevich(**p))
    # Izhikevich's I (mV/ms) is I * 1e-5 * area nA at 1 µF/cm².
    sol = _run_current(net, i_ext * 1e-5 * AREA, t_max, dt, record=("spikes",))
    got = spike_times(sol.ts, sol.ys[0])
    ref = _izhikevich_reference(p, i_ext, t_max)
    assert len(got) == len(ref) > 3, name
    # first order in dt: the first spike within 0.3 ms, intervals within 2 %
    assert abs(got[0] - ref[0]) < 0.3
    np.testing.assert_allclose(np.diff(got), np.diff(ref), rtol=0.02)


def _adex_reference(i_ext, t_max, dt=1e-3):
    """Brette and Gerstner (2005) in pF, nS, mV, ms, pA; forward Euler."""
    c, gl, el, vt, d_t, a, tw, b = 281.0, 30.0, -70.6, -50.4, 2.0, 4.0, 144.0, 80.5
    v, w, out = el, 0.0, []
    for k in range(int(round(t_max / dt))):
        dv = (-gl * (v - el) + gl * d_t * np.exp((v - vt) / d_t) - w + i_ext) / c
        v, w = v + dt * dv, w + dt * (a * (v - el) - w) / tw
        if v >= 20.0:
            out.append((k + 1) * dt)
            v, w = el, w + b
    return np.array(out)


def test_adex_adapting_spike_times_match_fine_reference():
    area = 28100.0  # 281 pF at 1 µF/cm²
    cell = dx.Cell(
        dx.Branch(dx.Compartment(length=area / (2 * np.pi * 10), radius=10.0), 1),
        parents=[-1],
    )
    net = dx.set(dx.insert(dx.Network(cell), dx.channels.AdEx()), "v_init", -70.6)
    dt, t_max, i_pa = 0.005, 150.0, 800.0
    sol = _run_current(net, i_pa * 1e-3, t_max, dt, record=("spikes",))
    got = spike_times(sol.ts, sol.ys[0])
    ref = _adex_reference(i_pa, t_max)
    assert len(got) == len(ref) > 3
    assert abs(got[0] - ref[0]) < 0.3
    np.testing.assert_allclose(np.diff(got), np.diff(ref), rtol=0.02)
    assert np.all(np.diff(np.diff(got)) > 0)  # adaptation: intervals lengthen


def test_spike_detector_on_hh_counts_crossings_and_leaves_v_alone():
    cell = dx.Cell(dx.Branch(dx.Compartment(length=20.0, radius=10.0), 1), [-1])
    net = dx.insert(dx.Network([cell] * 2), dx.channels.HH())
    det = dx.insert(net, dx.channels.SpikeDetector(threshold=0.0))
    dt, t_max = 0.025, 30.0
    stim = dx.Stimulus(dx.select(net, cell=0), dx.step_current(2, 25, 0.1, dt, t_max))
    v = dx.simulate(net, t_max, dt, stimuli=stim).ys
    sol = dx.simulate(
        det, t_max, dt, stimuli=stim, record=[dx.Record("v"), dx.Record("spikes")]
    )
    np.testing.assert_allclose(sol.ys[0], v, rtol=0, atol=1e-10)  # v untouched
    v0 = np.asarray(v[:, 0])
    crossings = np.flatnonzero((v0[:-1] < 0.0) & (v0[1:] >= 0.0)) + 1
    assert len(crossings) >= 2
    np.testing.assert_array_equal(np.flatnonzero(sol.ys[1][:, 0]), crossings)
    assert not np.any(sol.ys[1][:, 1])  # the unstimulated cell is silent
    times, cols = dx.spike_times(sol.ts, sol.ys[1])
    np.testing.assert_allclose(times, sol.ts[crossings])
    np.testing.assert_array_equal(cols, 0)


def test_record_spikes_every_counts_per_interval_and_selects_cells():
    dt, t_max = 0.1, 20.0
    net = lif_net(3, t_ref=0.0)
    w = pulses([1.0, 1.2, 1.4, 5.0], dt, t_max)
    stim = dx.Stimulus(dx.select(net, cell=[0, 2]), w)
    fine = dx.simulate(net, t_max, dt, stimuli=stim, record=dx.Record("spikes"))
    coarse = dx.simulate(
        net,
        t_max,
        dt,
        stimuli=stim,
        record=dx.Record("spikes", dx.select(net, cell=[1, 2]), every=10),
    )
    assert fine.ys.shape == (201, 3) and coarse.ys.shape == (21, 2)
    np.testing.assert_array_equal(
        coarse.ys[1:], np.asarray(fine.ys[1:, 1:]).reshape(20, 10, 2).sum(1)
    )
    # spikes at 1.1, 1.3, 1.5 ms fall in the interval (1, 2] ms closed by ts[2]
    assert coarse.ys[2, 1] == 3 and coarse.ys[:, 0].sum() == 0


def test_heaviside_is_a_step_with_fast_sigmoid_derivative():
    x = jnp.array([-2.0, -0.1, 0.0, 0.3])
    np.testing.assert_array_equal(dx.heaviside(x), [0.0, 0.0, 1.0, 1.0])
    g = jax.vmap(jax.grad(lambda x: dx.heaviside(x, 4.0)))(x)
    np.testing.assert_allclose(g, 1.0 / (1.0 + 4.0 * jnp.abs(x)) ** 2)


def _rate_model(weight, dt=0.1, t_max=30.0):
    """Three input LIF cells, each driven to spike at fixed times, excite one
    output LIF cell through current-based synapses of the given weights."""
    net = lif_net(4)
    net = dx.connect(
        net,
        dx.select(net, cell=[0, 1, 2]),
        dx.select(net, cell=3),
        dx.synapses.ExpCurrent(weight=weight, tau=5.0),
    )
    times = [[2.0, 8.0, 14.0, 20.0], [3.0, 9.0, 15.0, 21.0], [4.0, 10.0, 16.0, 22.0]]
    stimuli = [
        dx.Stimulus(dx.select(net, cell=i), pulses(t, dt, t_max))
        for i, t in enumerate(times)
    ]
    sol = dx.simulate(net, t_max, dt, stimuli=stimuli, record=dx.Record("spikes"))
    return sol.ys[:, 3].sum()


def test_surrogate_gradient_trains_a_spike_count():
    """Adam on the surrogate gradient raises the output's spike count from 0 to
    the target."""
    target = 3.0

    @eqx.filter_jit
    def loss_and_grad(w):
        return jax.value_and_grad(lambda w: (_rate_model(w) - target) ** 2)(w)

    w = jnp.full(3, 0.05)
    assert _rate_model(w) == 0.0
    grad0 = loss_and_grad(w)[1]
    assert np.all(np.asarray(grad0) < 0)  # more weight, more spikes
    opt = optax.adam(0.05)
    state = opt.init(w)
    for _ in range(30):
        loss, g = loss_and_grad(w)
        if loss == 0:
            break
        updates, state = opt.update(g, state)
        w = w + updates
    assert _rate_model(w) == target


def test_lif_network_under_jit_vmap_and_grad():
    def mean_v(g_leak):
        net = dx.set(lif_net(2), "LIF.g_leak", g_leak)
        return _run_current(net, 0.15, 5.0, 0.1, record=("v",)).ys[0].mean()

    gs = jnp.array([4e-5, 5e-5, 6e-5])
    batched = jax.jit(jax.vmap(mean_v))(gs)
    np.testing.assert_allclose(batched, [mean_v(g) for g in gs], rtol=1e-12)
    g = jax.grad(mean_v)(5e-5)
    fd = (mean_v(5e-5 + 1e-9) - mean_v(5e-5 - 1e-9)) / 2e-9
    np.testing.assert_allclose(g, fd, rtol=1e-5)
    assert g < 0  # more leak, lower voltage


def test_two_spike_sources_in_one_cell_are_refused():
    net = dx.insert(lif_net(1), dx.channels.SpikeDetector())
    with pytest.raises(ValueError, match="more than one spike source"):
        dx.simulate(net, 1.0, 0.1)


def test_record_spikes_needs_a_spike_source():
    net = dx.insert(dx.Network(POINT), dx.channels.HH())
    with pytest.raises(ValueError, match="SpikeDetector"):
        dx.simulate(net, 1.0, 0.1, record=dx.Record("spikes"))
