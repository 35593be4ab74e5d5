"""Every user error raises a clear exception that names the offending argument."""

import equinox as eqx
import jax
import jax.numpy as jnp
import pytest

import dendrax as dx
from helpers import hh_net, small_cell

DT = 0.025
COMP = dx.Compartment()
BRANCH = dx.Branch(COMP)


@pytest.fixture(scope="module")
def net():
    net = hh_net(1, 2)
    return dx.insert(net, dx.channels.Passive(), dx.select(net, branch=1))


# --- morphology -------------------------------------------------------------------


def test_cell_parents_cycle():
    with pytest.raises(ValueError, match=r"parents.*cycle"):
        dx.Cell(BRANCH, parents=[-1, 2, 1])


def test_cell_parents_self_loop():
    with pytest.raises(ValueError, match=r"parents\[1\]"):
        dx.Cell(BRANCH, parents=[-1, 1])


@pytest.mark.parametrize("bad", [3, -2])
def test_cell_parents_out_of_range(bad):
    with pytest.raises(ValueError, match=rf"parents\[2\] = {bad} is out of range"):
        dx.Cell(BRANCH, parents=[-1, 0, bad])


def test_cell_two_roots():
    with pytest.raises(ValueError, match=r"parents must contain exactly one root"):
        dx.Cell(BRANCH, parents=[-1, 0, -1])


def test_cell_parents_wrong_length():
    with pytest.raises(ValueError, match=r"parents has 3 entries but there are 2"):
        dx.Cell([BRANCH, BRANCH], parents=[-1, 0, 0])


@pytest.mark.parametrize("ncomp", [0, -1])
def test_branch_ncomp(ncomp):
    with pytest.raises(
        ValueError, match=rf"ncomp must be an integer >= 1, got {ncomp}"
    ):
        dx.Branch(COMP, ncomp=ncomp)


@pytest.mark.parametrize("name", ["length", "radius"])
@pytest.mark.parametrize("value", [0.0, -1.0])
def test_compartment_non_positive(name, value):
    with pytest.raises(ValueError, match=rf"{name} must be a positive number"):
        dx.Compartment(**{name: value})


# --- network ----------------------------------------------------------------------


def test_set_unknown_parameter_lists_known(net):
    with pytest.raises(ValueError, match=r"unknown parameter 'HH\.gna'") as info:
        dx.set(net, "HH.gna", 0.1)
    assert "HH.gNa" in str(info.value) and "Passive.g" in str(info.value)
    assert "radius" in str(info.value)


def test_get_unknown_parameter(net):
    with pytest.raises(ValueError, match=r"unknown parameter 'Na\.gNa'"):
        dx.get(net, "Na.gNa")


def test_select_empty(net):
    with pytest.raises(ValueError, match=r"cell=5 holds 5, which is out of range"):
        dx.select(net, cell=5)


def test_select_empty_list(net):
    with pytest.raises(ValueError, match=r"cell=\[\] selects nothing"):
        dx.select(net, cell=[])


def test_select_empty_by_intersection(net):
    with pytest.raises(ValueError, match=r"branch=1, comp=0.*is empty"):
        dx.select(net, branch=1, comp=0, where=lambda t: t.branch == 0)


def test_set_wrong_shape(net):
    with pytest.raises(ValueError, match=r"set\('HH\.gNa'\).*shape \(4,\)"):
        dx.set(net, "HH.gNa", jnp.ones(4))
    # Per-element values count only selected compartments that have the channel.
    with pytest.raises(ValueError, match=r"set\('Passive\.g'\).*shape \(2,\)"):
        dx.set(net, "Passive.g", jnp.ones(6))


def test_set_where_lacking_the_channel(net):
    with pytest.raises(ValueError, match=r"'Passive\.g'"):
        dx.set(net, "Passive.g", 1e-4, dx.select(net, branch=0))


def test_insert_non_channel(net):
    with pytest.raises(TypeError, match="channel"):
        dx.insert(net, dx.Compartment())


def test_add_group_existing_name(net):
    net = dx.add_group(net, "tips", dx.select(net, comp=1))
    with pytest.raises(ValueError, match=r"group 'tips' exists already"):
        dx.add_group(net, "tips", dx.select(net, comp=0))


def test_select_unknown_group(net):
    with pytest.raises(ValueError, match=r"unknown group 'apical'"):
        dx.select(net, group="apical")


# --- simulate ---------------------------------------------------------------------


@pytest.mark.parametrize("dt", [0.0, -0.025])
def test_simulate_non_positive_dt(net, dt):
    with pytest.raises(ValueError, match=r"dt must be positive"):
        dx.simulate(net, 1.0, dt)


def test_simulate_t_max_shorter_than_dt(net):
    with pytest.raises(ValueError, match=r"t_max=0\.01 is shorter than one step"):
        dx.simulate(net, 0.01, DT)


def test_simulate_traced_dt(net):
    with pytest.raises(TypeError, match=r"dt"):
        jax.jit(lambda dt: dx.simulate(net, 1.0, dt).ys)(DT)


def test_stimulus_wrong_length(net):
    stim = dx.Stimulus(dx.select(net, comp=0), jnp.ones(39))
    with pytest.raises(ValueError, match=r"Stimulus: the waveform has shape \(39"):
        dx.simulate(net, 1.0, DT, stimuli=stim)


def test_stimulus_wrong_number_of_columns(net):
    stim = dx.Stimulus(dx.select(net, comp=0), jnp.ones((40, 2)))
    with pytest.raises(ValueError, match=r"Stimulus: .*\(40, 3\)"):
        dx.simulate(net, 1.0, DT, stimuli=stim)


def test_voltage_clamp_wrong_length(net):
    vc = dx.VoltageClamp(dx.select(net, comp=0, branch=0), jnp.ones(41))
    with pytest.raises(ValueError, match=r"VoltageClamp: the waveform"):
        dx.simulate(net, 1.0, DT, stimuli=vc)


def test_record_unknown_channel(net):
    with pytest.raises(ValueError, match=r"unknown name 'Na\.m'"):
        dx.simulate(net, 0.1, DT, record=dx.Record("Na.m"))


def test_record_unknown_state_name(net):
    with pytest.raises(ValueError, match=r"HH\.x"):
        dx.simulate(net, 0.1, DT, record=dx.Record("HH.x"))


def test_record_state_where_channel_is_missing(net):
    net = dx.insert(net, dx.channels.Na(), dx.select(net, branch=1))
    with pytest.raises(ValueError, match=r"Record\('Na\.m'\).*do not have Na"):
        dx.simulate(net, 0.1, DT, record=dx.Record("Na.m", dx.select(net, branch=0)))


def test_record_parameter_is_not_a_state(net):
    with pytest.raises(ValueError, match=r"Passive has no state or current 'g'"):
        dx.simulate(net, 0.1, DT, record=dx.Record("Passive.g"))


def test_simulate_rejects_state_of_another_network(net):
    other = dx.init_state(hh_net(2, 2))
    with pytest.raises(ValueError, match=r"state= does not fit"):
        dx.simulate(net, 0.1, DT, state=other)


def test_record_every_must_be_positive():
    with pytest.raises(ValueError, match=r"every must be an integer >= 1"):
        dx.Record("v", every=0)


def test_records_with_different_every(net):
    recs = [dx.Record("v", every=1), dx.Record("v", every=2)]
    with pytest.raises(ValueError, match=r"same every"):
        dx.simulate(net, 0.1, DT, record=recs)


@pytest.mark.parametrize("rs", [0.0, -1.0])
def test_voltage_clamp_non_positive_rs(net, rs):
    with pytest.raises(ValueError, match=rf"VoltageClamp: rs = {rs} must be > 0"):
        dx.VoltageClamp(dx.select(net, comp=0), jnp.zeros(40), rs=rs)


def test_step_current_shape(net):
    state = dx.init_state(net)
    with pytest.raises(ValueError, match=r"step: current has shape \(3,\)"):
        dx.step(net, state, DT, current=jnp.zeros(3))


def test_network_of_non_cells():
    with pytest.raises(TypeError, match=r"cells"):
        dx.Network([small_cell(1), "cell"])


@pytest.mark.parametrize("name", ["radius", "length", "capacitance"])
def test_set_non_positive_geometry(net, name):
    # A concrete value: a ValueError at once, naming the argument and value.
    with pytest.raises(ValueError, match=rf"set: {name} = -1.0 must be > 0"):
        dx.set(net, name, -1.0)
    # A traced one: checked when the program runs.
    with pytest.raises(eqx.EquinoxRuntimeError, match=rf"set: {name} must be finite"):
        eqx.filter_jit(lambda x: dx.get(dx.set(net, name, x), name))(jnp.array(-1.0))


def test_cell_groups_out_of_range():
    branch = dx.Branch(dx.Compartment())
    with pytest.raises(ValueError, match=r"groups\['soma'\]"):
        dx.Cell(branch, parents=[-1, 0], groups={"soma": [2]})
