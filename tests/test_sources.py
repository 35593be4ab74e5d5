"""Spike sources: `PoissonSource` (constant and time-varying rate), given
spike times (`SpikeTrain` + `SpikeTimes`, against NEURON), keys, vmap, grad."""

import sys
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx

ROOT = Path(__file__).parent
sys.path.insert(0, str(ROOT / "reference"))
import cases  # noqa: E402
from make_source_refs import CASE  # noqa: E402

DT = 0.1


def _sources(n, rate=20.0):
    net = dx.Network([dx.Cell(dx.Branch(dx.Compartment(), 1), parents=[-1])] * n)
    return dx.insert(net, dx.channels.PoissonSource(rate=rate))


@eqx.filter_jit
def _raster(net, t_max, key, stimuli=()):
    return dx.simulate(
        net, t_max, DT, record=dx.Record("spikes"), key=key, stimuli=stimuli
    ).ys


@pytest.fixture(scope="module")
def poisson():
    """200 sources at 20 Hz for 2 s: the raster (steps, cells)."""
    return np.asarray(_raster(_sources(200), 2000.0, jax.random.key(0)))[1:]


def test_poisson_rate(poisson):
    """The count over all cells is within 4 standard deviations of its mean."""
    n_steps, n = poisson.shape
    p = 20.0 * DT * 1e-3
    mean, sd = n * n_steps * p, np.sqrt(n * n_steps * p * (1 - p))
    assert set(np.unique(poisson)) <= {0.0, 1.0}
    assert abs(poisson.sum() - mean) < 4 * sd
    # per cell: counts spread as a binomial's (variance over mean ~ 1 - p)
    counts = poisson.sum(0)
    fano = counts.var(ddof=1) / counts.mean()
    assert 0.7 < fano < 1.35, fano


def test_poisson_intervals(poisson):
    """Inter-spike intervals are geometric (exponential as dt -> 0): mean
    1/rate, coefficient of variation ~1, and their distribution passes a
    chi-square test against the geometric law."""
    isis = np.concatenate([np.diff(np.flatnonzero(c)) for c in poisson.T])
    p = 20.0 * DT * 1e-3
    assert len(isis) > 5000
    mean = isis.mean() * DT
    assert mean == pytest.approx(50.0, rel=0.05)
    cv = isis.std() / isis.mean()
    assert cv == pytest.approx(np.sqrt(1 - p), abs=0.05)
    # chi-square over 10 bins of equal probability of the geometric law
    edges = np.unique(np.ceil(np.log1p(-np.linspace(0, 1, 11)[:-1]) / np.log1p(-p)))
    edges = np.append(edges.clip(1), np.inf)
    observed = np.histogram(isis, edges)[0]
    cdf = 1 - (1 - p) ** (edges - 1)
    expected = len(isis) * np.diff(cdf)
    chi2 = ((observed - expected) ** 2 / expected).sum()
    assert chi2 < 27.9, chi2  # 99.9% quantile, 9 degrees of freedom


def test_same_key_same_spikes_other_key_others():
    net = _sources(20)
    a = _raster(net, 200.0, jax.random.key(1))
    b = _raster(net, 200.0, jax.random.key(1))
    c = _raster(net, 200.0, jax.random.key(2))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # the old-style raw key gives spikes too
    assert np.asarray(_raster(net, 200.0, jax.random.PRNGKey(1))).sum() > 0


def test_continued_run_draws_new_numbers():
    """A run continued from its final state draws from later steps: it equals
    one long run with the same key."""
    net, key = _sources(10, 200.0), jax.random.key(3)
    rec = dx.Record("spikes")
    whole = dx.simulate(net, 20.0, DT, record=rec, key=key).ys
    first = dx.simulate(net, 10.0, DT, record=rec, key=key)
    second = dx.simulate(net, 10.0, DT, record=rec, key=key, state=first.state).ys
    np.testing.assert_array_equal(whole[1:101], first.ys[1:])
    np.testing.assert_array_equal(whole[101:], second[1:])


def test_vmap_over_rates_and_keys():
    net = _sources(50)

    def count(rate, key):
        return _raster(dx.set(net, "PoissonSource.rate", rate), 500.0, key).sum()

    rates = jnp.array([5.0, 40.0])
    counts = jax.vmap(count, in_axes=(0, None))(rates, jax.random.key(0))
    expected = 50 * 500.0 * 1e-3 * rates
    assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected))
    keys = jax.random.split(jax.random.key(0), 3)
    trials = jax.vmap(lambda k: _raster(net, 500.0, k))(keys)
    for i, k in enumerate(keys):  # each trial as run alone; all different
        np.testing.assert_array_equal(trials[i], _raster(net, 500.0, k))
        assert not np.array_equal(trials[i], trials[i - 1])


def test_grad_of_count_is_that_of_its_expectation():
    """Straight-through: d(count)/d(rate) is d E[count] / d(rate), exactly."""
    net = _sources(5)

    def count(rate):
        swept = dx.set(net, "PoissonSource.rate", rate)
        return _raster(swept, 100.0, jax.random.key(0)).sum()

    g = jax.grad(count)(20.0)
    assert g == pytest.approx(5 * 1000 * DT * 1e-3, rel=1e-12)


def test_rate_waveform_inhomogeneous():
    """A rate switched from 0 to 100 Hz halfway: no spike before, the rate
    after; and its gradient flows into the waveform."""
    net = _sources(100)
    t = dx.stimulus_times(200.0, DT)
    rate = jnp.where(t >= 100.0, 100.0, 0.0)
    where = dx.select(net, cell="all")
    r = np.asarray(_raster(net, 200.0, jax.random.key(0), dx.Rate(where, rate)))[1:]
    assert r[:1000].sum() == 0
    expected = 100 * 100.0 * 100.0 * 1e-3
    assert abs(r[1000:].sum() - expected) < 4 * np.sqrt(expected)
    grad = jax.grad(
        lambda w: _raster(net, 200.0, jax.random.key(0), dx.Rate(where, w)).sum()
    )(rate)
    np.testing.assert_allclose(grad, 100 * DT * 1e-3, rtol=1e-12)


def test_rate_per_site_and_traced_in_jit():
    net = _sources(2)
    t = dx.stimulus_times(1000.0, DT)
    rate = jnp.stack([jnp.zeros_like(t), jnp.full_like(t, 50.0)], 1)
    where = dx.select(net, cell="all")
    r = np.asarray(_raster(net, 1000.0, jax.random.key(0), dx.Rate(where, rate)))
    assert r[:, 0].sum() == 0 and 25 < r[:, 1].sum() < 80


def test_poisson_drives_a_synapse_exactly():
    """Every source spike reaches the target: the summed weight arriving at
    an Exp synapse (tau large) equals weight x count (no refractory loss, as
    a relay cell had)."""
    net = dx.Network([dx.Cell(dx.Branch(dx.Compartment(), 1), parents=[-1])] * 21)
    inputs = dx.select(net, cell=range(20))
    net = dx.insert(net, dx.channels.PoissonSource(rate=50.0), inputs)
    net = dx.insert(net, dx.channels.Leak(), dx.select(net, cell=20))
    net = dx.connect(
        net, inputs, dx.select(net, cell=20),
        dx.synapses.Exp(weight=1e-4, tau=1e12), dx.conn.AllToAll(),
    )  # fmt: skip
    sol = dx.simulate(
        net, 200.0, DT, record=[dx.Record("spikes"), dx.Record("Exp.g")],
        key=jax.random.key(5),
    )  # fmt: skip
    count = np.asarray(sol.ys[0]).sum()
    assert count > 100
    assert float(sol.ys[1][-1, 0]) == pytest.approx(1e-4 * count, rel=1e-9)


def _train_network():
    soma = cases.HH_SOMA["sections"][0]
    comp = dx.Compartment(
        length=soma["L"], radius=soma["diam"] / 2,
        axial_resistivity=soma["Ra"], capacitance=soma["cm"],
    )  # fmt: skip
    net = dx.Network([dx.Cell(dx.Branch(comp, 1), parents=[-1])] * 3)
    hh = cases.HH
    net = dx.insert(
        net,
        dx.channels.HH(
            gNa=hh["gnabar"], gK=hh["gkbar"], gLeak=hh["gl"], eNa=hh["ena"],
            eK=hh["ek"], eLeak=hh["el"], temperature=cases.CELSIUS,
        ),
        dx.select(net, cell=0),
    )  # fmt: skip
    net = dx.insert(net, dx.channels.SpikeTrain(), dx.select(net, cell=[1, 2]))
    pre, weight, delay = (np.array(x) for x in zip(*CASE["edges"]))
    net = dx.connect(
        net, dx.select(net, cell=[1, 2]), dx.select(net, cell=0),
        dx.synapses.Exp(weight=weight, tau=CASE["tau"], e_syn=CASE["e"]),
        dx.conn.FromIds(pre + 1, np.zeros_like(pre)),
        delay=delay, delivery=dx.conn.Segment(),
    )  # fmt: skip
    return dx.set(net, "v_init", cases.V_INIT)


@pytest.mark.parametrize(
    "method, solver", [("ie", dx.ImplicitEuler()), ("cn", dx.CrankNicolson())]
)
def test_spike_times_match_neuron(method, solver):
    """Given times (on and off the grid) through delays into an
    ExpSyn on an HH soma: v equals NEURON's to round-off."""
    ref = np.load(ROOT / "reference" / "data" / "vecstim.npz")
    net = _train_network()
    times = dx.SpikeTimes(dx.select(net, cell=[1, 2]), CASE["times"])
    sol = dx.simulate(
        net, CASE["t_max"], cases.DT, stimuli=times, solver=solver,
        record=dx.Record("v", dx.select(net, cell=0)),
    )  # fmt: skip
    v = np.asarray(sol.ys)[:, 0]
    assert ref[f"v_{method}"].max() > 0  # the inputs make it spike
    err = np.abs(v - ref[f"v_{method}"]).max()
    assert err < 1e-8, err


def test_spike_times_steps():
    net = dx.Network([dx.Cell(dx.Branch(dx.Compartment(), 1), parents=[-1])] * 2)
    net = dx.insert(net, dx.channels.SpikeTrain())
    times = dx.SpikeTimes(
        dx.select(net, cell="all"), [[0.0, 0.3, 0.31, 0.35, 1.0, 99.0], np.array([0.2])]
    )
    r = dx.simulate(net, 1.0, DT, record=dx.Record("spikes"), stimuli=times).ys
    r = np.asarray(r)
    # step ends nearest each time (0.35: halfway, the earlier), 0 in the first
    np.testing.assert_array_equal(np.flatnonzero(r[:, 0]), [1, 3, 10])
    np.testing.assert_array_equal(r[[1, 3, 10], 0], [1, 3, 1])
    np.testing.assert_array_equal(np.flatnonzero(r[:, 1]), [2])


def test_source_errors():
    net = _sources(2)
    with pytest.raises(ValueError, match="pass key=jax.random.key"):
        dx.simulate(net, 1.0, DT)
    with pytest.raises(TypeError):  # (the type-check hook speaks first here)
        dx.simulate(net, 1.0, DT, key=3)
    plain = dx.Network([dx.Cell(dx.Branch(dx.Compartment(), 1), parents=[-1])])
    site = dx.select(plain, cell=0)
    with pytest.raises(ValueError, match="holds no PoissonSource"):
        dx.simulate(plain, 1.0, DT, stimuli=dx.Rate(site, 5.0 * jnp.ones(10)))
    with pytest.raises(ValueError, match="holds no SpikeTrain"):
        dx.simulate(plain, 1.0, DT, stimuli=dx.SpikeTimes(site, [1.0]))
    both = dx.insert(net, dx.channels.SpikeTrain())
    with pytest.raises(ValueError, match="more than one spike source"):
        dx.simulate(both, 1.0, DT, key=jax.random.key(0))


def test_step_takes_the_key_as_simulate():
    """`dx.step` draws what `simulate` draws for the same key and step."""
    net, key = _sources(30, 500.0), jax.random.key(7)
    state = dx.init_state(net, DT)
    steps = []
    for _ in range(20):
        state = dx.step(net, state, DT, key=key)
        steps.append(state.spikes[0])
    ref = dx.simulate(net, 20 * DT, DT, record=dx.Record("spikes"), key=key).ys[1:]
    np.testing.assert_array_equal(np.stack(steps), ref)
    assert ref.sum() > 0


def test_spike_raster_equals_times_and_vmaps():
    """A raster gives the spikes its times give; a batch of rasters runs under
    vmap, and the gradient of a synaptic conductance with respect to an input
    spike is that spike's contribution."""
    net = dx.Network([dx.Cell(dx.Branch(dx.Compartment(), 1), parents=[-1])] * 3)
    net = dx.insert(net, dx.channels.SpikeTrain(), dx.select(net, cell=[0, 1]))
    net = dx.insert(net, dx.channels.Leak(), dx.select(net, cell=2))
    net = dx.connect(
        net, dx.select(net, cell=[0, 1]), dx.select(net, cell=2),
        dx.synapses.Exp(weight=1e-3, tau=5.0), dx.conn.AllToAll(),
    )  # fmt: skip
    inputs, t_max = dx.select(net, cell=[0, 1]), 10.0
    n = dx.n_steps(t_max, DT)
    raster = np.zeros((n, 2))
    raster[[4, 20, 21], 0] = 1.0
    raster[50, 1] = 2.0
    times = [[0.5, 2.1, 2.2], [5.1, 5.1]]
    rec = [dx.Record("spikes"), dx.Record("Exp.g")]

    def run(stim):
        return dx.simulate(net, t_max, DT, stimuli=stim, record=rec).ys

    by_times = run(dx.SpikeTimes(inputs, times))
    by_raster = run(dx.SpikeRaster(inputs, raster))
    for a, b in zip(by_times, by_raster):
        np.testing.assert_array_equal(a, b)
    batch = jax.vmap(lambda r: run(dx.SpikeRaster(inputs, r))[1])(
        jnp.stack([raster, 2 * raster])
    )
    np.testing.assert_allclose(batch[1], 2 * batch[0], rtol=1e-12)
    grad = jax.grad(lambda r: run(dx.SpikeRaster(inputs, r))[1][-1, 0])(
        jnp.asarray(raster)
    )
    # a spike at the end of step k decays over the n - 1 - k steps after it
    k = np.arange(n)
    np.testing.assert_allclose(
        grad[:, 0], 1e-3 * np.exp(-DT / 5.0) ** (n - 1 - k), rtol=1e-9
    )
