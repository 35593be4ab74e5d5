"""`simulate` reports numerical failure: a non-finite state raises (or, with
`on_nonfinite="report"`, is reported in the `Solution`) with the step, time and
variable where it first happened; a step too long for the fastest channel warns."""

import warnings

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx

DT, T = 0.025, 3.0
CELL = dx.Cell(dx.Branch(dx.Compartment(), ncomp=2), parents=[-1, 0, 0])
NET = dx.insert(dx.Network([CELL]), dx.channels.HH())
SOMA = dx.select(NET, cell=0, branch=0, comp=0)


def drive(amp):
    return dx.Stimulus(SOMA, dx.step_current(1.0, 1.0, amp, DT, T))


def test_blow_up_is_reported_where_it_first_happened():
    # -1e3 nA drives v to about -1e4 mV, where an HH rate overflows.
    sol = dx.simulate(
        NET, T, DT, stimuli=drive(-1e3), on_nonfinite="report",
        record=[dx.Record("v"), dx.Record("HH.h"), dx.Record("HH.m")],
    )  # fmt: skip
    assert int(sol.result) == dx.Solution.NONFINITE
    k, name = int(sol.failed_step), sol.variables[int(sol.failed_variable)]
    assert float(sol.failed_time) == pytest.approx(k * DT)
    # The records agree: every variable is finite up to step k - 1, and the
    # reported one is not at step k.
    records = dict(zip(["v", "HH.h", "HH.m"], sol.ys))
    assert all(np.isfinite(np.asarray(y[:k])).all() for y in records.values())
    assert not np.isfinite(np.asarray(records[name][k])).all()
    assert f"in {name!r} at step {k} (t = {k * DT:g} ms)" in sol.failure
    # By default it raises, saying the same.
    with pytest.raises(eqx.EquinoxRuntimeError, match=rf"in '{name}' at step {k} "):
        dx.simulate(NET, T, DT, stimuli=drive(-1e3))


def test_blow_up_inside_jit_names_the_variable():
    @eqx.filter_jit
    def run(amp):
        return dx.simulate(NET, T, DT, stimuli=drive(amp)).ys

    assert np.isfinite(np.asarray(run(jnp.array(0.1)))).all()
    with pytest.raises(eqx.EquinoxRuntimeError, match=r"membrane potential became non"):
        run(jnp.array(-1e3))


def test_inside_jit_the_report_gives_the_step_at_which_v_failed():
    # Each step checks v; outside jit a failed run is repeated with every
    # variable checked, which finds the state that failed first (here a gate,
    # one step before v).
    eager = dx.simulate(NET, T, DT, stimuli=drive(-1e3), on_nonfinite="report")
    traced = eqx.filter_jit(
        lambda amp: dx.simulate(NET, T, DT, stimuli=drive(amp), on_nonfinite="report")
    )(jnp.array(-1e3))
    assert traced.variables[int(traced.failed_variable)] == "v"
    assert eager.variables[int(eager.failed_variable)] != "v"
    assert (
        int(eager.failed_step) < int(traced.failed_step) <= int(eager.failed_step) + 2
    )
    v = dx.simulate(NET, T, DT, stimuli=drive(-1e3), on_nonfinite="off").ys
    k = int(traced.failed_step)
    assert np.isfinite(np.asarray(v[:k])).all() and not np.isfinite(v[k]).all()


def test_nan_in_a_stimulus_is_refused():
    current = np.zeros(dx.n_steps(T, DT))
    current[10] = np.nan
    with pytest.raises(ValueError, match=r"Stimulus: current\[10\] = nan"):
        dx.Stimulus(SOMA, current)

    @eqx.filter_jit
    def run(i):  # traced: checked when the program runs
        return dx.simulate(NET, T, DT, stimuli=dx.Stimulus(SOMA, i)).ys

    assert np.isfinite(np.asarray(run(jnp.zeros_like(current)))).all()
    with pytest.raises(
        eqx.EquinoxRuntimeError, match="Stimulus: current must be finite"
    ):
        run(jnp.asarray(current))


def test_healthy_runs_report_success_and_off_skips_the_check():
    sol = dx.simulate(NET, T, DT, stimuli=drive(0.1), on_nonfinite="report")
    assert int(sol.result) == dx.Solution.SUCCESSFUL and sol.failure is None
    assert int(sol.failed_step) == -1 and int(sol.failed_variable) == -1
    off = dx.simulate(NET, T, DT, stimuli=drive(-1e3), on_nonfinite="off")
    assert int(off.result) == dx.Solution.SUCCESSFUL  # not checked
    assert not np.isfinite(np.asarray(off.ys)).all()


def test_each_run_of_a_vmap_reports_its_own_result():
    def run(amp):
        return dx.simulate(NET, T, DT, stimuli=drive(amp), on_nonfinite="report")

    sols = jax.vmap(run)(jnp.array([0.1, -1e3, 0.2]))
    np.testing.assert_array_equal(sols.result, [0, 1, 0])
    np.testing.assert_array_equal(sols.failed_step >= 0, [False, True, False])
    # Raising under vmap: any failed run raises.
    with pytest.raises(eqx.EquinoxRuntimeError, match="non-finite"):
        jax.vmap(lambda a: dx.simulate(NET, T, DT, stimuli=drive(a)).ys)(
            jnp.array([0.1, -1e3])
        )


def test_gradient_through_the_check():
    def loss(g):
        sol = dx.simulate(dx.set(NET, "HH.gNa", g), T, DT, stimuli=drive(0.3))
        return jnp.sum(sol.ys)

    g, eps = 0.12, 1e-6
    fd = (loss(g + eps) - loss(g - eps)) / (2 * eps)
    assert float(jax.grad(loss)(g)) == pytest.approx(float(fd), rel=1e-5)


def test_fastest_time_constant_of_hh():
    # hh.mod's m gate at -80 mV, 6.3 °C: tau = 1 / (alpha + beta).
    v = -80.0
    alpha = 0.1 * (v + 40) / (1 - np.exp(-(v + 40) / 10))
    beta = 4 * np.exp(-(v + 65) / 18)
    tau, where = dx.fastest_time_constant(NET)
    assert tau == pytest.approx(1 / (alpha + beta), rel=1e-12)
    assert where == "HH.m at -80 mV"
    # Three times faster at 16.3 °C (q10 = 3).
    warm = dx.set(NET, "HH.temperature", 16.3)
    assert dx.fastest_time_constant(warm)[0] == pytest.approx(tau / 3, rel=1e-12)
    assert dx.fastest_time_constant(dx.Network([CELL])) is None  # no gates


def test_coarse_step_warns():
    with pytest.warns(UserWarning, match=r"dt=2.0 ms is more than twice the fastest"):
        dx.simulate(NET, 10.0, 2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dx.simulate(NET, 1.0, 0.1)
