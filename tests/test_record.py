"""Recording currents, and results that know what their columns are.

The currents are compared against NEURON in test_neuron.py (hh's ina, ik, il,
IClamp.i, SEClamp.i) and test_neuron_events.py (ExpSyn.i, Exp2Syn.i); here:
the balance of currents that the membrane equation states, the transforms,
and the labelled results."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest
import xarray as xr

import dendrax as dx
from helpers import central_difference, hh_net

DT, T = 0.025, 5.0


def _points(n: int) -> dx.Network:
    """`n` one-compartment HH cells."""
    cell = dx.Cell([dx.Branch([dx.Compartment(length=20.0, radius=10.0)])], [-1])
    return dx.insert(dx.Network([cell] * n), dx.channels.HH())


def _passive(solver=None):
    """One passive compartment (Leak only): its membrane equation is linear,
    so implicit Euler's step balances the currents at the step's end exactly."""
    cell = dx.Cell([dx.Branch([dx.Compartment(length=20.0, radius=5.0)])], [-1])
    net = dx.Network(cell)
    return dx.insert(net, dx.channels.Leak(gLeak=1e-3), dx.select(net, cell=0))


@pytest.mark.parametrize("electrode", ["Stimulus", "VoltageClamp"])
def test_currents_balance_the_membrane_equation(electrode):
    """C dv/dt = -Leak.i + electrode current, step by step (implicit Euler)."""
    net = _passive()
    here = dx.select(net, cell=0)
    if electrode == "Stimulus":
        drive = dx.Stimulus(here, dx.step_current(1.0, 2.0, 0.05, DT, T))
    else:
        drive = dx.VoltageClamp(here, jnp.full(round(T / DT), -40.0), rs=50.0)
    records = [dx.Record("v"), dx.Record("Leak.i"), dx.Record(f"{electrode}.i")]
    sol = dx.simulate(net, T, DT, stimuli=drive, record=records)
    v, leak, electrode_i = (np.asarray(sol[r.name])[:, 0] for r in records)
    geometry = dx.cable_geometry(net)
    cap = 1e-5 * float(geometry.area[0])  # nF (1 µF/cm²)
    lhs = cap * np.diff(v) / DT
    rhs = -leak[1:] + electrode_i[1:]
    assert np.abs(electrode_i).max() > 1e-3  # the electrode does something
    np.testing.assert_allclose(lhs, rhs, rtol=0, atol=1e-12 * np.abs(rhs).max())


def test_electrode_current_is_that_of_the_step_that_ends():
    """A pulse from 1 to 2 ms: the current of each step (sampled at its
    midpoint) shows at the step's end; at t = 0 the first step's."""
    net = _passive()
    w = dx.step_current(1.0, 1.0, 0.3, DT, T)
    sol = dx.simulate(
        net, T, DT, stimuli=dx.Stimulus(dx.select(net, cell=0), w),
        record=dx.Record("Stimulus.i"),
    )  # fmt: skip
    i = np.asarray(sol.ys)[:, 0]
    np.testing.assert_array_equal(i[1:], np.asarray(w))
    assert i[0] == w[0]


def test_hh_current_is_the_sum_of_its_ion_currents():
    net = hh_net(2, 2)
    stim = dx.Stimulus(
        dx.select(net, cell=0, comp=0), dx.step_current(0.5, 3, 0.3, DT, T)
    )
    names = ("HH.i", "HH.ina", "HH.ik", "HH.il")
    sol = dx.simulate(net, T, DT, stimuli=stim, record=[dx.Record(n) for n in names])
    total, *parts = (np.asarray(sol[n]) for n in names)
    assert total.shape == (round(T / DT) + 1, len(net))
    np.testing.assert_allclose(total, sum(parts), rtol=1e-12, atol=1e-15)
    assert np.abs(parts[0]).max() > 0.1  # a spike's sodium current, nA


def test_synaptic_currents_graded_and_event():
    """Ionotropic.i per edge and Exp.i per target compartment, against the
    synapse's own formula at the recorded states and voltages."""
    net = _points(3)
    net = dx.connect(
        net, dx.select(net, cell=0), dx.select(net, cell=[1, 2]),
        dx.synapses.Ionotropic(), dx.conn.AllToAll(),
    )  # fmt: skip
    net = dx.connect(
        net, dx.select(net, cell=0), dx.select(net, cell=2),
        dx.synapses.Exp(weight=5e-3), dx.conn.AllToAll(), delay=1.0,
    )  # fmt: skip
    net = dx.insert(net, dx.channels.SpikeDetector(), dx.select(net, cell=0))
    stim = dx.Stimulus(dx.select(net, cell=0), dx.step_current(0.5, 3, 0.5, DT, T))
    records = [
        dx.Record("v"), dx.Record("Ionotropic.s"), dx.Record("Ionotropic.i"),
        dx.Record("Exp.g"), dx.Record("Exp.i"),
    ]  # fmt: skip
    sol = dx.simulate(net, T, DT, stimuli=stim, record=records)
    v, s, i_graded, g, i_event = (np.asarray(y) for y in sol.ys)
    syn = dx.synapses.Ionotropic()
    expected = syn.gS * s * (v[:, [1, 2]] - syn.e_syn)
    np.testing.assert_allclose(i_graded, expected, rtol=1e-12, atol=1e-18)
    np.testing.assert_allclose(i_event, g * (v[:, [2]] - 0.0), rtol=1e-12, atol=1e-18)
    assert np.abs(i_event).max() > 1e-3 and np.abs(i_graded).max() > 1e-3
    assert sol.columns[2].kind == "edges" and sol.columns[4].kind == "nodes"
    np.testing.assert_array_equal(sol.columns[2].coord("post_cell"), [1, 2])


def test_current_records_under_jit_vmap_and_grad():
    net = _points(1)
    stim = dx.Stimulus(dx.select(net, cell=0), dx.step_current(0.5, 3, 0.3, DT, T))
    record = dx.Record("HH.ina")

    @eqx.filter_jit
    def run(g):
        return dx.simulate(dx.set(net, "HH.gNa", g), T, DT, stimuli=stim, record=record)

    eager = dx.simulate(net, T, DT, stimuli=stim, record=record)
    np.testing.assert_allclose(run(0.12).ys, eager.ys, rtol=1e-12)
    batch = jax.vmap(run)(jnp.array([0.1, 0.12]))
    np.testing.assert_allclose(batch.ys[1], eager.ys, rtol=1e-12)

    def charge(g):  # sodium charge over the run (pC)
        return jnp.sum(run(g).ys) * DT

    grad = jax.grad(charge)(0.12)
    assert np.isfinite(grad) and grad != 0
    np.testing.assert_allclose(grad, central_difference(charge, 0.12), rtol=1e-5)


def test_unknown_current_names_its_states_and_currents():
    net = _points(1)
    with pytest.raises(ValueError, match=r"states are \['h', 'm', 'n'\] and its "
                       r"currents \['i', 'ik', 'il', 'ina'\]"):  # fmt: skip
        dx.simulate(net, 1.0, DT, record=dx.Record("HH.ica"))
    with pytest.raises(ValueError, match="this run has no dx.VoltageClamp"):
        dx.simulate(net, 1.0, DT, record=dx.Record("VoltageClamp.i"))
    net2 = _points(2)
    clamp = dx.VoltageClamp(dx.select(net2, cell=0), jnp.full(40, -65.0))
    with pytest.raises(ValueError, match=r"nodes \[1\] are not clamped"):
        dx.simulate(
            net2, 1.0, DT, stimuli=clamp,
            record=dx.Record("VoltageClamp.i", dx.select(net2, cell=1)),
        )  # fmt: skip


def test_expcurrent_state_and_current():
    """ExpCurrent's state is `i_syn` (inward positive); its recorded current
    `i` is outward positive, like every current."""
    net = _points(2)
    net = dx.insert(net, dx.channels.SpikeDetector(), dx.select(net, cell=0))
    net = dx.connect(
        net, dx.select(net, cell=0), dx.select(net, cell=1),
        dx.synapses.ExpCurrent(weight=0.1), dx.conn.AllToAll(),
    )  # fmt: skip
    stim = dx.Stimulus(dx.select(net, cell=0), dx.step_current(0.5, 3, 0.5, DT, T))
    sol = dx.simulate(
        net, T, DT, stimuli=stim,
        record=[dx.Record("ExpCurrent.i_syn"), dx.Record("ExpCurrent.i")],
    )  # fmt: skip
    state, current = (np.asarray(y) for y in sol.ys)
    assert state.max() > 0.05
    np.testing.assert_array_equal(current, -state)


# --- labelled results ---------------------------------------------------------


def _labelled():
    net = hh_net(2, 2)
    stim = dx.Stimulus(
        dx.select(net, cell=0, comp=0), dx.step_current(0.5, 2, 0.3, DT, 2.0)
    )
    records = [
        dx.Record("v", dx.select(net, cell=1, branch=0), label="v_cell1"),
        dx.Record("HH.m", dx.select(net, cell=0, branch=0, comp=1)),
        dx.Record("v", dx.select(net, cell=0, branch=0, comp=0), label="soma"),
    ]
    return net, stim, records


def test_records_are_found_by_label():
    net, stim, records = _labelled()
    sol = dx.simulate(net, 2.0, DT, stimuli=stim, record=records)
    assert [c.label for c in sol.columns] == ["v_cell1", "HH.m", "soma"]
    assert sol["soma"] is sol.ys[2]
    assert sol[1] is sol.ys[1] and sol[-1] is sol.ys[2]
    cols = sol.columns[0]
    assert (cols.name, cols.kind, cols.unit) == ("v", "nodes", "mV")
    np.testing.assert_array_equal(cols.coord("cell"), [1, 1])
    np.testing.assert_array_equal(cols.coord("comp"), [0, 1])
    np.testing.assert_array_equal(cols.coord("node"), [6, 7])
    with pytest.raises(KeyError, match=r"no record labelled 'w'; the records are"):
        sol["w"]
    with pytest.raises(IndexError, match="out of range"):
        sol[3]
    twice = dx.simulate(net, 2.0, DT, record=[dx.Record("v"), dx.Record("v")])
    with pytest.raises(KeyError, match="2 records are labelled 'v'"):
        twice["v"]
    with pytest.raises(TypeError, match="label must be a non-empty string"):
        dx.Record("v", label="")


def test_to_pandas_and_to_xarray():
    net, stim, records = _labelled()
    sol = dx.simulate(net, 2.0, DT, stimuli=stim, record=records)
    frame = sol.to_pandas("v_cell1")
    assert isinstance(frame, pd.DataFrame)
    assert frame.index.name == "t" and frame.shape == (81, 2)
    assert frame.columns.names == ["node", "cell", "branch", "comp"]
    np.testing.assert_array_equal(frame[(7, 1, 0, 1)], np.asarray(sol["v_cell1"])[:, 1])
    assert frame.attrs["unit"] == "mV"
    with pytest.raises(ValueError, match="several records"):
        sol.to_pandas()
    data = sol.to_xarray()
    assert isinstance(data, xr.Dataset)
    assert set(data.data_vars) == {"v_cell1", "HH.m", "soma"}
    np.testing.assert_array_equal(data["soma"].values, np.asarray(sol["soma"]))
    np.testing.assert_array_equal(data["v_cell1_cell"].values, [1, 1])
    assert data["soma"].attrs == {"name": "v", "units": "mV"}
    np.testing.assert_allclose(data["t"].values, np.asarray(sol.ts))


def test_batched_solution_to_xarray_keeps_batch_dimensions():
    net, stim, records = _labelled()

    @jax.vmap
    def run(g):
        return dx.simulate(
            dx.set(net, "HH.gNa", g), 2.0, DT, stimuli=stim, record=records
        )

    sol = run(jnp.array([0.1, 0.12, 0.14]))
    data = sol.to_xarray()
    assert data["soma"].dims == ("batch_0", "t", "soma_column")
    assert data["soma"].shape == (3, 81, 1)
    with pytest.raises(ValueError, match="a batch of runs"):
        sol.to_pandas("soma")


# --- progress -----------------------------------------------------------------


def test_progress_reports_from_inside_jit_and_vmap():
    net = _points(1)
    calls = []
    n = round(T / DT)

    @eqx.filter_jit
    def run(g):
        return dx.simulate(
            dx.set(net, "HH.gNa", g), T, DT,
            progress=lambda done, total: calls.append((done, total)),
        )  # fmt: skip

    run(0.12)
    done = [d for d, _ in calls]
    assert done[0] == 1 and done[-1] == n and all(t == n for _, t in calls)
    assert done == sorted(done) and 15 <= len(done) <= 25
    calls.clear()
    run(0.1)  # the compiled run reports again
    assert calls[-1] == (n, n)
    calls.clear()
    jax.vmap(run)(jnp.array([0.1, 0.12]))
    assert calls[-1] == (n, n) and len(calls) <= 25


def test_progress_prints_and_costs_nothing_when_off(capfd):
    net = _points(1)
    dx.simulate(net, 1.0, DT, progress=True)
    err = capfd.readouterr().err
    assert "simulate: 40/40 steps (100%)" in err and "s left" in err

    def lowered(progress):  # (without the non-finite check, also a callback)
        run = lambda: dx.simulate(net, 1.0, DT, progress=progress, on_nonfinite="off")  # noqa: E731
        return jax.jit(lambda: run().ys).lower()

    assert "callback" in lowered(True).as_text()
    assert "callback" not in lowered(False).as_text()
