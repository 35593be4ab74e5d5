"""Gap junctions: the coupled solve against a dense solve, dendrax against
NEURON's LinearMechanism (implicit) and half gaps (explicit), and the
junction's physics, gradients and transformations.

Reference data: tests/reference/make_gap_refs.py.
"""

import sys
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx
from dendrax._solver._coupled import coupled_solve
from dendrax.synapses.base import AbstractSynapse
from helpers import neuron_mechanism

ROOT = Path(__file__).parent
sys.path.insert(0, str(ROOT / "reference"))
import make_gap_refs as refs  # noqa: E402

# --- the solver ------------------------------------------------------------------


def _tree(net, rng):
    """A random tree matrix on a network's topology: (d, g, dense A)."""
    topo = net.topology
    n, parent = topo.n_total, topo.parent.array
    has = parent >= 0
    g = np.where(has, rng.uniform(0.1, 5.0, n), 0.0)
    d = rng.uniform(0.5, 2.0, n) + g
    np.add.at(d, parent[has], g[has])
    a = np.diag(d)
    for i in np.flatnonzero(has):
        a[i, parent[i]] = a[parent[i], i] = -g[i]
    return d, g, a


def _cells():
    comp = dx.Compartment()
    return [
        dx.Cell(dx.Branch(comp)),
        dx.Cell(dx.Branch(comp, 5)),
        dx.Cell(dx.Branch(comp, 3), parents=[-1, 0, 0, 1, 1, 2]),
        dx.Cell(dx.Branch(comp, 40)),  # chains cut into pieces
    ]


@pytest.mark.parametrize(
    "seed,n_sites,n_entries",
    [(0, 1, 1), (1, 2, 4), (2, 7, 20), (3, 7, 3), (4, 30, 60), (5, 30, 200)],
)
def test_coupled_solve_matches_dense(seed, n_sites, n_entries):
    rng = np.random.default_rng(seed)
    cells = _cells()
    net = dx.Network([cells[k] for k in rng.integers(0, len(cells), 5)])
    topo = net.topology
    d, g, a = _tree(net, rng)
    sites = np.sort(rng.choice(topo.n_total, n_sites, replace=False))
    rows = rng.integers(0, n_sites, n_entries)
    cols = rng.integers(0, n_sites, n_entries)
    values = rng.uniform(-1.0, 1.0, n_entries)
    np.add.at(a, (sites[rows], sites[cols]), values)
    b = rng.normal(size=topo.n_total)
    expected = np.linalg.solve(a, b)
    got = jax.jit(
        lambda d, b, g, w: coupled_solve(d, b, g, topo, sites, rows, cols, w)
    )(d, b, g, values)
    np.testing.assert_allclose(got, expected, rtol=1e-11, atol=1e-12)


def test_coupled_solve_gradient_matches_dense():
    rng = np.random.default_rng(5)
    net = dx.Network(_cells())
    topo = net.topology
    d, g, a = _tree(net, rng)
    sites = np.array([2, 9, 20])
    rows, cols = np.array([0, 0, 1, 2, 2]), np.array([1, 0, 2, 0, 2])
    values = rng.uniform(0.1, 1.0, 5)
    b = rng.normal(size=topo.n_total)
    w = rng.normal(size=topo.n_total)

    def mine(d, b, values):
        return w @ coupled_solve(d, b, g, topo, sites, rows, cols, values)

    def dense(d, b, values):
        full = jnp.asarray(a) + jnp.diag(d - jnp.diag(jnp.asarray(a)))
        full = full.at[sites[rows], sites[cols]].add(values)
        return w @ jnp.linalg.solve(full, b)

    args = (jnp.asarray(d), jnp.asarray(b), jnp.asarray(values))
    for got, want in zip(
        jax.jit(jax.grad(mine, (0, 1, 2)))(*args),
        jax.jit(jax.grad(dense, (0, 1, 2)))(*args),
    ):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


# --- against NEURON --------------------------------------------------------------


class _HalfGap(AbstractSynapse):
    """An explicit half gap as a plain graded synapse (the current into post
    only, v_pre from the start of the step), as NEURON's HalfGap."""

    g: float = 1e-3

    def init_state(self, v_pre, v_post):
        return {}

    def update_state(self, state, v_pre, v_post, dt):
        return state

    def current(self, state, v_pre, v_post):
        return self.g * (v_post - v_pre)


def _build(case, explicit=False):
    """A make_gap_refs case as a dendrax network, its stimuli and record."""
    cells = []
    for secs in case["cells"]:
        branches = [
            dx.Branch(
                dx.Compartment(
                    length=s["L"] / s["nseg"], radius=s["diam"] / 2,
                    axial_resistivity=s["Ra"], capacitance=s["cm"],
                ),
                s["nseg"],
            )
            for s in secs
        ]  # fmt: skip
        attach = [1.0 if s["attach"] is None else s["attach"] for s in secs]
        cells.append(dx.Cell(branches, [s["parent"] for s in secs], attach=attach))
    net = dx.Network(cells)
    for c, secs in enumerate(case["cells"]):
        for b, s in enumerate(secs):
            where = dx.select(net, cell=c, branch=b)
            net = dx.insert(net, neuron_mechanism(s["mech"]), where=where)
    net = dx.set(net, "v_init", refs.V_INIT)

    def at(loc):
        return dx.select(net, cell=loc[0], branch=loc[1], comp=loc[2])

    for a, b, g in case["junctions"]:
        if explicit:  # two half gaps, one each way
            net = dx.connect(net, at(a), at(b), _HalfGap(g=g), name="half")
            net = dx.connect(net, at(b), at(a), _HalfGap(g=g), name="half")
        else:
            net = dx.connect(net, at(a), at(b), dx.synapses.GapJunction(g=g))
    stimuli = [
        dx.Stimulus(at((c, s, k)), dx.step_current(d, dur, amp, refs.DT, case["t_max"]))
        for c, s, k, d, dur, amp in case["stimuli"]
    ]
    where = at(case["record"][0])
    for loc in case["record"][1:]:  # listed in node order, as records return
        where = where | at(loc)
    return net, stimuli, dx.Record("v", where)


@eqx.filter_jit
def _run(net, stimuli, record, t_max, solver):
    return dx.simulate(
        net, t_max, refs.DT, stimuli=stimuli, record=record, solver=solver
    )


@pytest.mark.parametrize("name", sorted(refs.CASES))
def test_junctions_match_neuron_linear_mechanism(name):
    case = refs.CASES[name]
    ref = np.load(ROOT / "reference" / "data" / f"{name}.npz")
    net, stimuli, record = _build(case)
    sol = _run(net, stimuli, record, case["t_max"], dx.ImplicitEuler())
    np.testing.assert_allclose(sol.ts, ref["t"], atol=1e-9)
    err = np.abs(np.asarray(sol.ys) - ref["v_ie"]).max()
    assert err <= 1e-6, f"{name}: max |ΔV| = {err:.3g} mV"
    # The reference spikes, and the junction carries it to the other cell.
    v = ref["v_ie"]
    assert v[:, 0].max() > 0 and v[:, -1].max() > 0


@pytest.mark.parametrize("name", sorted(refs.CASES))
@pytest.mark.parametrize("method", ["ie", "cn"])
def test_explicit_half_gaps_match_neuron_half_gaps(name, method):
    # What the implicit junction replaces: a graded synapse each way is
    # NEURON's HalfGap pair, to round-off, and far from the exact solution.
    ref = np.load(ROOT / "reference" / "data" / f"{name}.npz")
    if f"v_half_{method}" not in ref:  # NEURON's run diverged (see the script)
        pytest.skip("the explicit form diverges here")
    case = refs.CASES[name]
    net, stimuli, record = _build(case, explicit=True)
    solver = dx.ImplicitEuler() if method == "ie" else dx.CrankNicolson()
    sol = _run(net, stimuli, record, case["t_max"], solver)
    ys = np.asarray(sol.ys)
    assert np.abs(ys - ref[f"v_half_{method}"]).max() <= 1e-6
    assert np.abs(ref["v_half_ie"] - ref["v_ie"]).max() > 10.0


# --- physics ----------------------------------------------------------------------


def _pair(g, hh=True, comp=None):
    """Two single-compartment cells joined by one junction."""
    comp = dx.Compartment() if comp is None else comp
    net = dx.Network([dx.Cell(dx.Branch(comp))] * 2)
    if hh:
        net = dx.insert(net, dx.channels.HH())
    a, b = dx.select(net, cell=0), dx.select(net, cell=1)
    return dx.connect(net, a, b, dx.synapses.GapJunction(g=g)), a, b


def _transient(g, dt, explicit=False):
    """Issue 15's case: two small HH somata (default compartments), 1 µS, 1 pA
    into the first from 1 ms; the second cell's depolarisation at 10 ms."""
    net = dx.Network([dx.Cell(dx.Branch(dx.Compartment()))] * 2)
    net = dx.insert(net, dx.channels.HH())
    a, b = dx.select(net, cell=0), dx.select(net, cell=1)
    if explicit:
        net = dx.connect(net, a, b, _HalfGap(g=g), name="half")
        net = dx.connect(net, b, a, _HalfGap(g=g), name="half")
    else:
        net = dx.connect(net, a, b, dx.synapses.GapJunction(g=g))
    stim = dx.Stimulus(a, dx.step_current(1.0, 100.0, 1e-3, dt, 10.0))
    ys = dx.simulate(net, 10.0, dt, stimuli=stim, record=dx.Record("v", b)).ys
    return float(ys[-1, 0] - ys[0, 0])


def test_strong_junction_at_a_coarse_step_is_close_to_a_fine_step():
    fine = _transient(1.0, 0.001)
    coarse = _transient(1.0, 0.025)
    assert 0.5 < fine < 0.7  # mV; measured 0.585
    assert abs(coarse - fine) < 0.02  # measured 0.006: IE's own O(dt) error
    # The explicit form at dt = 0.025 is far off (measured 0.17 mV).
    assert abs(_transient(1.0, 0.025, explicit=True) - fine) > 0.3


@pytest.mark.parametrize("solver", [dx.ImplicitEuler(), dx.CrankNicolson()])
def test_junction_equals_an_axial_resistor(solver):
    # Two compartments of one branch are joined by an axial conductance; the
    # same two compartments as two cells joined by a junction of that
    # conductance are the same linear system.
    comp = dx.Compartment(length=20.0, radius=10.0, axial_resistivity=300.0)
    one = dx.insert(dx.Network(dx.Cell(dx.Branch(comp, 2))), dx.channels.HH())
    # Axial conductance between the centres: two half-compartment resistances
    # (Ω·cm × cm / cm² = Ω; µS = 1e6 / Ω).
    r_half = comp.axial_resistivity * (comp.length / 2 * 1e-4)
    r_half /= np.pi * (comp.radius * 1e-4) ** 2
    two, a, b = _pair(1e6 / (2 * r_half), comp=comp)
    t_max, dt = 15.0, 0.025
    runs = []
    for net, first in ((one, dx.select(one, comp=0)), (two, a)):
        stim = dx.Stimulus(first, dx.step_current(1.0, 10.0, 0.5, dt, t_max))
        sol = dx.simulate(
            net, t_max, dt, stimuli=stim, record=dx.Record("v"), solver=solver
        )
        runs.append(np.asarray(sol.ys))
    assert runs[0][:, 0].max() > 0  # spikes
    np.testing.assert_allclose(runs[1], runs[0], atol=1e-9)


def test_charge_is_conserved_and_current_recorded():
    # Passive membranes without leak: the junction only moves charge, so
    # C0 v0 + C1 v1 changes by the injected charge alone (exactly, per step).
    comp_a = dx.Compartment(length=20.0, radius=5.0)
    comp_b = dx.Compartment(length=10.0, radius=3.0)
    net = dx.Network([dx.Cell(dx.Branch(comp_a)), dx.Cell(dx.Branch(comp_b))])
    net = dx.insert(net, dx.channels.Passive(g=0.0))
    a, b = dx.select(net, cell=0), dx.select(net, cell=1)
    net = dx.connect(net, b, a, dx.synapses.GapJunction(g=0.05))  # pre = b
    t_max, dt, amp = 5.0, 0.025, 0.02
    stim = dx.Stimulus(a, dx.step_current(0.0, 2.0, amp, dt, t_max))
    sol = dx.simulate(
        net, t_max, dt, stimuli=stim,
        record=[dx.Record("v"), dx.Record("GapJunction.i")],
    )  # fmt: skip
    v, i = np.asarray(sol.ys[0]), np.asarray(sol.ys[1])[:, 0]
    cap = 1e-5 * np.array([2 * np.pi * 5.0 * 20.0, 2 * np.pi * 3.0 * 10.0])  # nF
    charge = (v - v[0]) @ cap  # pC
    injected = amp * np.minimum(np.asarray(sol.ts), 2.0)
    np.testing.assert_allclose(charge, injected, atol=1e-12)
    # The recorded current leaves the postsynaptic side (a) and enters b.
    np.testing.assert_allclose(i, 0.05 * (v[:, 0] - v[:, 1]), atol=1e-14)
    assert i[40] > 0  # a is depolarised by the stimulus, so current flows to b
    # What leaves a: the stimulus minus a's own charging.
    dq_a = np.diff(v[:, 0]) * cap[0] / dt
    np.testing.assert_allclose(dq_a[:80], amp - i[1:81], atol=1e-12)


def test_junction_within_one_cell():
    # Between two branches of one cell (a loop in the cable graph), against a
    # dense implicit Euler solve of the same passive cell: its cable matrix
    # (axial conductances as the solver prepares them) plus the junction.
    from dendrax._prepare import _prepare

    comp = dx.Compartment(length=30.0, radius=1.0)
    cell = dx.Cell(dx.Branch(comp, 3), parents=[-1, 0, 0])
    net = dx.insert(dx.Network(cell), dx.channels.Passive(g=1e-4, e=-65.0))
    j, k, gj = 5, 7, 0.01  # branch 1 comp 2, branch 2 comp 1
    net = dx.connect(
        net,
        dx.select(net, branch=1, comp=2),
        dx.select(net, branch=2, comp=1),
        dx.synapses.GapJunction(g=gj),
    )
    n_steps, dt, amp = 200, 0.025, 0.1
    stim = dx.Stimulus(dx.select(net, branch=1, comp=2), jnp.full(n_steps, amp))
    sol = dx.simulate(net, n_steps * dt, dt, stimuli=stim, record=dx.Record("v"))
    prep, topo = _prepare(net), net.topology
    n, n_comp, parent = topo.n_total, topo.n_comp, topo.parent.array
    a = np.diag(np.asarray(prep.diag))
    for i in np.flatnonzero(parent >= 0):
        a[i, parent[i]] = a[parent[i], i] = -prep.g[i]
    a[[j, k, j, k], [j, k, k, j]] += [gj, gj, -gj, -gj]
    gl = np.zeros(n)
    gl[:n_comp] = 1e-2 * 1e-4 * np.asarray(prep.area)  # µS
    cap = np.asarray(prep.cap)
    x = np.full(n, -65.0)
    drive = np.zeros(n)
    drive[j] = amp
    for step in range(n_steps):
        # Branch-point nodes carry no capacitance: solved as algebraic nodes.
        x = np.linalg.solve(
            np.diag(cap / dt + gl) + a, cap / dt * x - 65.0 * gl + drive
        )
        np.testing.assert_allclose(sol.ys[step + 1], x[:n_comp], atol=1e-9)
    assert sol.ys[-1, k] - sol.ys[0, k] > 1.0  # the junction carries the drive


# --- gradients and transformations ------------------------------------------------


def _loss_of_g(g, dt=0.025):
    net, a, b = _pair(g)
    net = dx.make_trainable(net, "GapJunction.g")
    stim = dx.Stimulus(a, dx.step_current(1.0, 5.0, 0.05, dt, 8.0))
    ys = dx.simulate(net, 8.0, dt, stimuli=stim, record=dx.Record("v", b)).ys
    return jnp.mean((ys + 60.0) ** 2)


def test_gradient_in_g_matches_finite_differences():
    # Through dx.partition, as a training loop takes it.
    g, h = 2e-3, 1e-7
    net, a, b = _pair(g)
    net = dx.make_trainable(net, "GapJunction.g")
    params, static = dx.partition(net)
    stim = dx.Stimulus(a, dx.step_current(1.0, 5.0, 0.05, 0.025, 8.0))

    @eqx.filter_jit
    @eqx.filter_grad
    def grad(params):
        net = dx.combine(params, static)
        ys = dx.simulate(net, 8.0, 0.025, stimuli=stim, record=dx.Record("v", b)).ys
        return jnp.mean((ys + 60.0) ** 2)

    got = grad(params).synapses[0].synapse.g.free
    fd = (_loss_of_g(g + h) - _loss_of_g(g - h)) / (2 * h)
    assert got.shape == (1,) and abs(float(fd)) > 1.0  # the junction matters
    np.testing.assert_allclose(got[0], fd, rtol=1e-5)


def test_jit_and_vmap_over_g():
    gs = jnp.array([0.0, 1e-3, 1e-2, 1.0])
    batched = jax.jit(jax.vmap(_loss_of_g))(gs)
    one_by_one = jnp.stack([_loss_of_g(g) for g in gs])
    np.testing.assert_allclose(batched, one_by_one, rtol=1e-12)
    assert len(set(np.round(np.asarray(batched), 6))) == 4


def test_step_and_simulate_agree():
    net, a, _ = _pair(0.5)
    state = dx.init_state(net)
    current = jnp.zeros(len(net)).at[0].set(0.05)
    for _ in range(8):
        state = dx.step(net, state, 0.025, current=current)
    stim = dx.Stimulus(a, jnp.full(8, 0.05))
    sol = dx.simulate(net, 0.2, 0.025, stimuli=stim, record=dx.Record("v"))
    np.testing.assert_allclose(state.v, sol.ys[-1], atol=1e-12)


def test_mesh_refuses_gap_junctions():
    net, _, _ = _pair(1e-3)
    mesh = jax.sharding.Mesh(np.array(jax.devices()[:1]), ("cells",))
    with pytest.raises(ValueError, match="implicitly coupled synapses"):
        dx.simulate(net, 1.0, 0.025, mesh=mesh)
