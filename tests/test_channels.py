"""Channels: the built-in catalogue and a user-written channel."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx
from helpers import CHANNELS

V = jnp.linspace(-89.0, 41.0, 14)  # avoids the removable singularities at -40, -55


@pytest.mark.parametrize("channel", CHANNELS)
def test_init_state_is_steady_state(channel):
    ch = channel()
    state = ch.init_state(V)
    for dt in (0.025, 1e3):
        new = ch.update_state(state, V, dt)
        assert new.keys() == state.keys()
        for k in state:
            np.testing.assert_allclose(new[k], state[k], rtol=1e-12, atol=1e-14)
    for k, x in state.items():
        assert x.shape == V.shape
        assert bool(jnp.all((x >= 0) & (x <= 1))), k


@pytest.mark.parametrize("channel", [dx.channels.HH, dx.channels.Na, dx.channels.K])
def test_gates_relax_to_new_steady_state(channel):
    ch = channel()
    start = ch.init_state(jnp.full_like(V, -65.0))
    relaxed = ch.update_state(start, V, 1e3)  # many time constants
    target = ch.init_state(V)
    for k in target:
        np.testing.assert_allclose(relaxed[k], target[k], rtol=1e-10, atol=1e-12)
    # A short step moves gates only part of the way.
    part = ch.update_state(start, V, 0.01)
    k = next(iter(target))
    assert not np.allclose(part[k], target[k])


@pytest.mark.parametrize(
    "channel, reversal",
    [
        (dx.channels.Na(eNa=45.0), 45.0),
        (dx.channels.K(eK=-80.0), -80.0),
        (dx.channels.Leak(eLeak=-60.0), -60.0),
        (dx.channels.Passive(e=-72.0), -72.0),
        (dx.channels.HH(eNa=-50.0, eK=-50.0, eLeak=-50.0), -50.0),
    ],
)
def test_current_vanishes_at_reversal(channel, reversal):
    # Gates from anywhere: only the driving force decides.
    state = channel.init_state(jnp.array([-70.0, -20.0, 10.0]))
    i = channel.current(state, jnp.full(3, reversal))
    np.testing.assert_allclose(i, 0.0, atol=1e-15)
    i_above = channel.current(state, jnp.full(3, reversal + 5.0))
    assert bool(jnp.all(i_above > 0))  # outward positive


@pytest.mark.parametrize("channel", CHANNELS)
def test_current_derivative_matches_finite_difference(channel):
    ch = channel()
    state = ch.init_state(V + 3.0)  # gates held fixed
    i, di = jax.jvp(lambda v: ch.current(state, v), (V,), (jnp.ones_like(V),))
    eps = 1e-4
    fd = (ch.current(state, V + eps) - ch.current(state, V - eps)) / (2 * eps)
    np.testing.assert_allclose(di, fd, rtol=1e-8, atol=1e-14)
    assert bool(jnp.all(di > 0))  # a conductance


def test_passive_current_formula():
    ch = dx.channels.Passive(g=2e-3, e=-70.0)
    np.testing.assert_allclose(ch.current({}, V), 2e-3 * (V + 70.0), rtol=1e-14)


# --- HH rates and temperature -----------------------------------------------------


def _hh_rates(v):
    """hh.mod rates (ms^-1), written out directly."""
    v = np.asarray(v, float)
    am = 0.1 * (v + 40.0) / (1.0 - np.exp(-(v + 40.0) / 10.0))
    bm = 4.0 * np.exp(-(v + 65.0) / 18.0)
    ah = 0.07 * np.exp(-(v + 65.0) / 20.0)
    bh = 1.0 / (1.0 + np.exp(-(v + 35.0) / 10.0))
    an = 0.01 * (v + 55.0) / (1.0 - np.exp(-(v + 55.0) / 10.0))
    bn = 0.125 * np.exp(-(v + 65.0) / 80.0)
    return {"m": (am, bm), "h": (ah, bh), "n": (an, bn)}


def test_hh_steady_state_matches_rates():
    state = dx.channels.HH().init_state(V)
    for k, (a, b) in _hh_rates(V).items():
        np.testing.assert_allclose(state[k], a / (a + b), rtol=1e-10)


def test_hh_rates_continuous_at_singularity():
    ch = dx.channels.HH()

    @jax.jit
    def states_and_grads(v):
        s = ch.init_state(v)
        dm = jax.grad(lambda u: ch.init_state(u)["m"].sum())(v)
        dn = jax.grad(lambda u: ch.init_state(u)["n"].sum())(v)
        return s, dm, dn

    v = jnp.array([-40.0, -40.0 + 1e-7, -55.0, -55.0 - 1e-7])
    s, dm, dn = states_and_grads(v)
    assert bool(jnp.all(jnp.isfinite(s["m"]))) and bool(jnp.all(jnp.isfinite(s["n"])))
    np.testing.assert_allclose(s["m"][0], s["m"][1], rtol=1e-6)
    np.testing.assert_allclose(s["n"][2], s["n"][3], rtol=1e-6)
    # Derivatives through the removable singularities are finite and continuous.
    assert bool(jnp.all(jnp.isfinite(dm))) and bool(jnp.all(jnp.isfinite(dn)))
    np.testing.assert_allclose(dm[0], dm[1], rtol=1e-4)
    np.testing.assert_allclose(dn[2], dn[3], rtol=1e-4)


@pytest.mark.parametrize("temperature", [6.3, 16.3, 25.0])
def test_hh_temperature_scales_kinetics_by_q10(temperature):
    dt = 0.05
    v_old, v = jnp.full_like(V, -65.0), V
    ch = dx.channels.HH(temperature=temperature)
    start = ch.init_state(v_old)
    new = ch.update_state(start, v, dt)
    q10 = 3.0 ** ((temperature - 6.3) / 10.0)
    for k, (a, b) in _hh_rates(v).items():
        inf, tau = a / (a + b), 1.0 / (q10 * (a + b))
        expected = inf + (np.asarray(start[k]) - inf) * np.exp(-dt / tau)
        np.testing.assert_allclose(new[k], expected, rtol=1e-10, atol=1e-13)
    # Equivalently: T changes the step by q10 (exponential Euler depends on dt * phi).
    ref = dx.channels.HH().update_state(start, v, dt * q10)
    for k in new:
        np.testing.assert_allclose(new[k], ref[k], rtol=1e-12, atol=1e-14)
    # Steady states do not depend on temperature.
    for k, x in ch.init_state(v).items():
        np.testing.assert_allclose(x, dx.channels.HH().init_state(v)[k], rtol=1e-14)


@pytest.mark.parametrize("channel", [dx.channels.Na, dx.channels.K])
def test_split_channels_sum_to_hh(channel):
    hh = dx.channels.HH()
    state = hh.init_state(V + 7.0)
    parts = (
        dx.channels.Na().current({k: state[k] for k in ("m", "h")}, V)
        + dx.channels.K().current({"n": state["n"]}, V)
        + dx.channels.Leak().current({}, V)
    )
    np.testing.assert_allclose(parts, hh.current(state, V), rtol=1e-12, atol=1e-15)
    sub = channel(temperature=20.0)
    full = dx.channels.HH(temperature=20.0).update_state(state, V, 0.1)
    sub_state = sub.update_state({k: state[k] for k in sub.init_state(V)}, V, 0.1)
    for k in sub_state:
        np.testing.assert_allclose(sub_state[k], full[k], rtol=1e-12)


# --- a user-written channel -------------------------------------------------------


class MyChannel(dx.channels.AbstractChannel):
    """A one-gate potassium-like current: g a (v - e), a relaxing with tau."""

    g: float = 0.002
    e: float = -80.0
    tau: float = 3.0

    def _a_inf(self, v):
        return jax.nn.sigmoid((v + 50.0) / 8.0)

    def init_state(self, v):
        return {"a": self._a_inf(v)}

    def update_state(self, state, v, dt):
        inf = self._a_inf(v)
        return {"a": inf + (state["a"] - inf) * jnp.exp(-dt / self.tau)}

    def current(self, state, v):
        return self.g * state["a"] * (v - self.e)


DT, T = 0.025, 2.0


def _user_net():
    net = dx.Network(dx.Cell(dx.Branch(dx.Compartment(v_init=-60.0))))
    net = dx.insert(net, dx.channels.Leak(gLeak=1e-4, eLeak=-60.0))
    return dx.insert(net, MyChannel())


def _drive(net):
    return dx.Stimulus(dx.select(net), dx.step_current(0.1, 1.0, 0.02, DT, T))


@eqx.filter_jit
def _user_loss(net):
    return jnp.mean(dx.simulate(net, T, DT, stimuli=_drive(net)).ys)


def test_user_channel_insert_set_record():
    net = _user_net()
    assert "MyChannel.g" in net.param_names() and "MyChannel.tau" in net.param_names()
    net = dx.set(net, "MyChannel.g", 0.004)
    np.testing.assert_allclose(dx.get(net, "MyChannel.g"), [0.004])
    sol = eqx.filter_jit(dx.simulate)(
        net,
        T,
        DT,
        stimuli=_drive(net),
        record=(dx.Record("v"), dx.Record("MyChannel.a")),
    )
    v, a = sol.ys
    np.testing.assert_allclose(a[0], MyChannel().init_state(jnp.array([-60.0]))["a"])
    # The depolarisation opens the gate; the recorded state follows the trace.
    assert float(v.max()) > -59.0
    assert float(a[-1, 0]) > float(a[0, 0])
    # Reproduce the gate from the recorded voltage: a_{k+1} = relax(a_k, v_{k+1}).
    ch = MyChannel(g=0.004)
    a_k = a[0]
    for k in range(len(v) - 1):
        a_k = ch.update_state({"a": a_k}, v[k + 1], DT)["a"]
    np.testing.assert_allclose(a_k, a[-1], rtol=1e-10)


def test_user_channel_gradient():
    net = _user_net()
    grads = eqx.filter_grad(_user_loss)(net)
    g = float(jnp.sum(grads.mechanisms[1].channel.g.fixed))

    def f(value):
        return float(_user_loss(dx.set(net, "MyChannel.g", value)))

    eps = 1e-8
    fd = (f(0.002 + eps) - f(0.002 - eps)) / (2 * eps)
    assert abs(fd) > 1.0  # more K-like conductance: lower mean v
    assert fd < 0
    assert g == pytest.approx(fd, rel=1e-5)
