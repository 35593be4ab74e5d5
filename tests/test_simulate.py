"""The membrane solver: tree_solve, analytic checks, records, stimuli, clamps.

Compilation dominates the cost of these tests, so most of them share a few
jitted runners over one small HH cable (`CABLE`) with a fixed duration.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx
from dendrax._solver import tree_solve
from helpers import small_cell, tree_allclose

DT = 0.025
T = 2.0
N = 80  # steps in T
SOLVERS = [dx.ImplicitEuler(), dx.CrankNicolson()]


def _cable():
    """One unbranched 3-compartment HH cable."""
    return dx.insert(
        dx.Network(dx.Cell(dx.Branch(dx.Compartment(), ncomp=3))), dx.channels.HH()
    )


CABLE = _cable()
SITE = dx.select(CABLE, comp=0)
PULSE = dx.step_current(0.25, 1.0, 0.4, DT, T)  # enough for a spike at comp 0


# One compiled program per configuration (eager runs compile several).
sim = eqx.filter_jit(dx.simulate)


@eqx.filter_jit
def run(net, w, solver, state, t_max=T):
    """v everywhere, driven by waveform `w` at `SITE`."""
    return dx.simulate(
        net, t_max, DT, stimuli=dx.Stimulus(SITE, w), solver=solver, state=state
    )


# --- tree_solve -------------------------------------------------------------------


def _random_cell(rng) -> dx.Cell:
    n_br = int(rng.integers(1, 7))
    parents = [-1] + [int(rng.integers(0, i)) for i in range(1, n_br)]
    attach = [1.0] + [float(rng.integers(0, 2)) for _ in range(1, n_br)]
    branches = [
        dx.Branch(dx.Compartment(), ncomp=int(rng.integers(1, 4))) for _ in parents
    ]
    return dx.Cell(branches, parents, attach=attach)


def test_tree_solve_matches_dense():
    rng = np.random.default_rng(0)
    cells = [_random_cell(rng) for _ in range(6)]
    topo = dx.Network(cells).topology
    n = topo.n_total
    parent = topo.parent.array
    has = parent >= 0
    g = np.where(has, rng.uniform(0.1, 5.0, n), 0.0)
    # Diagonal dominant like the cable matrix, plus a positive membrane term.
    d = rng.uniform(0.5, 2.0, n) + g
    np.add.at(d, parent[has], g[has])
    b = rng.normal(size=n)

    A = np.diag(d)
    for i in np.flatnonzero(has):
        A[i, parent[i]] = A[parent[i], i] = -g[i]
    expected = np.linalg.solve(A, b)
    got = tree_solve(jnp.asarray(d), jnp.asarray(b), jnp.asarray(g), topo)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_tree_solve_single_node():
    topo = dx.Network(dx.Cell(dx.Branch(dx.Compartment()))).topology
    got = tree_solve(jnp.array([4.0]), jnp.array([2.0]), jnp.array([0.0]), topo)
    np.testing.assert_allclose(got, [0.5], rtol=1e-14)


# --- analytic: passive cells ------------------------------------------------------
#
# One network holds two branched passive cells and an isolated single passive
# compartment (cell 2) that receives a current step.

E_PAS, G_PAS = -65.0, 5e-4


def _passive_cells(point: dx.Compartment):
    rng = np.random.default_rng(1)

    def comps(k):
        return [
            dx.Compartment(
                length=float(rng.uniform(5, 30)),
                radius=float(rng.uniform(0.3, 2)),
                axial_resistivity=float(rng.uniform(50, 200)),
                capacitance=float(rng.uniform(0.5, 2)),
                v_init=float(rng.uniform(-80, -50)),
            )
            for _ in range(k)
        ]

    cell_a = dx.Cell(
        [dx.Branch(comps(2)), dx.Branch(comps(3)), dx.Branch(comps(1))]
        + [dx.Branch(comps(2))],
        parents=[-1, 0, 0, 1],
        attach=[1.0, 1.0, 0.0, 1.0],
    )
    cell_b = dx.Cell([dx.Branch(comps(2)), dx.Branch(comps(2))], parents=[-1, 0])
    return [cell_a, cell_b, dx.Cell(dx.Branch(point))]


def _passive_net(point, g, e):
    cells = _passive_cells(point)
    net = dx.insert(dx.Network(cells), dx.channels.Passive(g=G_PAS, e=E_PAS))
    pt = dx.select(net, cell=2)
    net = dx.set(dx.set(net, "Passive.g", g, pt), "Passive.e", e, pt)
    return net, cells


@eqx.filter_jit
def run_passive(net, w, solver, t_max):
    stim = dx.Stimulus(dx.select(net, cell=2), w)
    return dx.simulate(net, t_max, DT, stimuli=stim, solver=solver).ys


def _expected_point(theta, n, length, radius, cm, g, e, v0, current):
    area = 2 * np.pi * radius * length  # µm²
    C = cm * area * 1e-5  # nF
    G = g * area * 1e-2  # µS
    v = np.empty(n + 1)
    v[0] = v0
    for k in range(n):
        if theta == 1.0:
            tau = C / G
            v[k + 1] = (v[k] + DT / tau * e + DT * current[k] / C) / (1 + DT / tau)
        else:  # trapezoidal rule
            v[k + 1] = (v[k] * (C / DT - G / 2) + G * e + current[k]) / (C / DT + G / 2)
    return v, e + current[-1] / G


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(
    "geom",
    [(10.0, 1.0, 1.0, 0.01, -70.0, -65.0), (20.0, 5.0, 2.0, 0.02, -60.0, -80.0)],
)
def test_passive_point_recursion(solver, geom):
    length, radius, cm, g, e, v0 = geom
    point = dx.Compartment(length=length, radius=radius, capacitance=cm, v_init=v0)
    net, _ = _passive_net(point, g, e)
    t_max, amp = 5.0, 0.3
    current = dx.step_current(1.0, 10.0, amp, DT, t_max)
    ys = run_passive(net, current, solver, t_max)
    n = dx.n_steps(t_max, DT)
    expected, v_ss = _expected_point(
        solver.theta, n, length, radius, cm, g, e, v0, np.asarray(current)
    )
    np.testing.assert_allclose(ys[:, -1], expected, rtol=1e-10, atol=1e-10)
    # tau = cm / g µs <= 0.1 ms: after 4 ms of current v sits at e + I / g_total.
    assert abs(float(ys[-1, -1]) - v_ss) < 1e-6
    assert abs(v_ss - e) > 1.0  # the current actually moved it


def _dense_cable(net, cells, theta, n):
    """Independent assembly of the compartmental cable matrix (with branch points)."""
    L = np.asarray(dx.get(net, "length"))
    r = np.asarray(dx.get(net, "radius"))
    ra = np.asarray(dx.get(net, "axial_resistivity"))
    cm = np.asarray(dx.get(net, "capacitance"))
    g_m = np.asarray(dx.get(net, "Passive.g"))
    e_m = np.asarray(dx.get(net, "Passive.e"))
    area = 2 * np.pi * r * L
    half = 1e-2 * ra * (L / 2) / (np.pi * r**2)  # MΩ
    edges, nodes, off = [], len(net), 0
    for cell in cells:
        starts = np.cumsum([0] + [b.ncomp for b in cell.branches]) + off
        for b, br in enumerate(cell.branches):
            for j in range(1, br.ncomp):
                u = starts[b] + j
                edges.append((u - 1, u, half[u - 1] + half[u]))
        points = {}
        for b, (p, x) in enumerate(zip(cell.parents, cell.attach)):
            if p < 0:
                continue
            if (p, x) not in points:
                points[(p, x)] = nodes
                end = starts[p] if x == 0.0 else starts[p + 1] - 1
                edges.append((end, nodes, half[end]))
                nodes += 1
            edges.append((starts[b], points[(p, x)], half[starts[b]]))
        off += cell.ncomp
    lap = np.zeros((nodes, nodes))
    for u, w, R in edges:
        lap[[u, w], [u, w]] += 1 / R
        lap[u, w] -= 1 / R
        lap[w, u] -= 1 / R
    pad = lambda x: np.concatenate([x, np.zeros(nodes - len(net))])  # noqa: E731
    C, G, E = pad(cm * area * 1e-5), pad(g_m * area * 1e-2), pad(e_m)
    M = np.diag(C / (theta * DT) + G) + lap
    v = pad(np.asarray(dx.get(net, "v_init")))
    out = [v[: len(net)]]
    for _ in range(n):
        v = v + np.linalg.solve(M, -lap @ v - G * (v - E)) / theta
        out.append(v[: len(net)])
    return np.array(out)


@pytest.mark.parametrize("solver", SOLVERS)
def test_branched_passive_cells_match_dense_cable(solver):
    net, cells = _passive_net(dx.Compartment(), 0.01, -70.0)
    t_max = 5.0
    ys = run_passive(net, jnp.zeros(dx.n_steps(t_max, DT)), solver, t_max)
    expected = _dense_cable(net, cells, solver.theta, 40)
    np.testing.assert_allclose(ys[:41], expected, rtol=1e-10, atol=1e-9)
    # Voltages actually spread along the cells.
    n_ab = cells[0].ncomp
    assert np.ptp(np.asarray(ys[40, :n_ab])) < 0.5 * np.ptp(np.asarray(ys[0, :n_ab]))


def test_python_int_arguments_accepted():
    # n_steps itself accepts ints; t_max=2 (ms) or rs=1 (MΩ) should not need ".0".
    assert dx.n_steps(2, DT) == N
    np.testing.assert_array_equal(
        dx.step_current(1, 2, 1, DT, 2), dx.step_current(1.0, 2.0, 1.0, DT, 2.0)
    )
    vc = dx.VoltageClamp(SITE, jnp.zeros(N), rs=1)
    out = jax.eval_shape(lambda: dx.simulate(CABLE, 2, DT, stimuli=vc).ys)
    assert out.shape == (N + 1, 3)


def test_stimulus_is_sampled_at_step_midpoints():
    np.testing.assert_allclose(
        dx.stimulus_times(0.1, DT), [0.0125, 0.0375, 0.0625, 0.0875], rtol=1e-12
    )
    w = dx.step_current(0.05, 0.025, 2.0, DT, 0.1)
    np.testing.assert_array_equal(w, [0.0, 0.0, 2.0, 0.0])
    assert dx.n_steps(1.0, DT) == 40


# --- HH cable ---------------------------------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS)
def test_resting_hh_stays_at_rest(solver):
    sol = run(CABLE, jnp.zeros(N), solver, dx.init_state(CABLE))
    assert sol.ys.shape == (N + 1, 3)
    assert float(jnp.max(jnp.abs(sol.ys + 65.0))) < 0.1
    # ... while the pulse makes it spike.
    spike = run(CABLE, PULSE, solver, dx.init_state(CABLE))
    assert float(spike.ys[:, 0].max()) > 0.0


def test_init_state_branch_points_take_parent_v_init():
    net = dx.Network(small_cell(2))
    v = jnp.array([-60.0, -61.0, -62.0, -63.0, -64.0, -66.0])
    net = dx.set(net, "v_init", v)
    state = dx.init_state(net)
    assert state.v.shape == (net.topology.n_total,)
    np.testing.assert_array_equal(state.v[:6], v)
    # The single branch point sits at the distal end of branch 0 (compartment 1).
    np.testing.assert_array_equal(state.v[6:], [-61.0])


@pytest.mark.parametrize("every", [7])  # 7 does not divide N: a tail of 3 steps
def test_record_every(every):
    full = run(CABLE, PULSE, SOLVERS[0], dx.init_state(CABLE))
    sub = sim(
        CABLE,
        T,
        DT,
        stimuli=dx.Stimulus(SITE, PULSE),
        record=dx.Record("v", every=every),
    )
    np.testing.assert_allclose(sub.ts, np.arange(0, N + 1, every) * DT, rtol=1e-12)
    np.testing.assert_allclose(sub.ys, full.ys[::every], rtol=1e-12, atol=1e-12)
    # The final state includes the steps after the last recording.
    assert tree_allclose(sub.state, full.state, rtol=1e-12, atol=1e-12)


def test_record_channel_state_and_multiple_records():
    recs = (
        dx.Record("v", SITE),
        dx.Record("HH.m"),
        dx.Record("HH.n", dx.select(CABLE, comp=[1, 2])),
    )
    sol = sim(CABLE, T, DT, stimuli=dx.Stimulus(SITE, PULSE), record=recs)
    assert isinstance(sol.ys, tuple) and len(sol.ys) == 3
    full = run(CABLE, PULSE, SOLVERS[0], dx.init_state(CABLE))
    np.testing.assert_allclose(sol.ys[0], full.ys[:, :1], rtol=1e-12)
    m, n = sol.ys[1], sol.ys[2]
    assert m.shape == (N + 1, 3) and n.shape == (N + 1, 2)
    rest = dx.channels.HH().init_state(jnp.full(3, -65.0))
    np.testing.assert_allclose(m[0], rest["m"], rtol=1e-12)
    np.testing.assert_allclose(m[-1], sol.state.channels[0]["m"], rtol=1e-12)
    np.testing.assert_allclose(n[-1], sol.state.channels[0]["n"][1:], rtol=1e-12)
    assert float(m[:, 0].max()) > 0.5  # the spike opened the sodium gate


A, B = dx.select(CABLE, comp=1), dx.select(CABLE, comp=2)
Z = jnp.zeros(N)


@jax.jit
def multi(w_ab_cols, w_ab, w_a, w_a2, w_b):
    """Five stimuli in one program; tests switch them on by passing waveforms."""
    stimuli = [
        dx.Stimulus(A | B, w_ab_cols),  # (steps, 2): one column per compartment
        dx.Stimulus(A | B, w_ab),  # (steps,): the same into both
        dx.Stimulus(A, w_a),
        dx.Stimulus(A, w_a2),  # a second stimulus at the same compartment
        dx.Stimulus(B, w_b),
    ]
    return dx.simulate(CABLE, T, DT, stimuli=stimuli).ys


def test_stimulus_per_compartment_waveform():
    wa = dx.step_current(0.2, 1.0, 0.3, DT, T)
    wb = dx.step_current(0.5, 1.0, -0.2, DT, T)
    z2 = jnp.zeros((N, 2))
    joint = multi(jnp.stack([wa, wb], 1), Z, Z, Z, Z)
    separate = multi(z2, Z, wa, Z, wb)
    np.testing.assert_allclose(joint, separate, rtol=1e-12, atol=1e-12)
    # A (steps,) waveform drives every selected compartment with the same current.
    shared = multi(z2, wa, Z, Z, Z)
    np.testing.assert_allclose(shared, multi(z2, Z, wa, Z, wa), rtol=1e-12, atol=1e-12)
    assert not np.allclose(shared, joint)
    assert np.abs(np.asarray(joint[:, 1:] + 65.0)).max() > 1.0  # it did something


def test_stimuli_at_the_same_compartment_add_up():
    wa = dx.step_current(0.2, 1.0, 0.3, DT, T)
    wb = dx.step_current(0.6, 1.0, 0.2, DT, T)
    z2 = jnp.zeros((N, 2))
    both = multi(z2, Z, wa, wb, Z)
    summed = multi(z2, Z, wa + wb, Z, Z)
    np.testing.assert_allclose(both, summed, rtol=1e-12, atol=1e-12)
    assert not np.allclose(both, multi(z2, Z, wa, Z, Z))


@eqx.filter_jit
def clamp_run(command, rs, solver):
    vc = dx.VoltageClamp(SITE, command, rs=rs)
    return dx.simulate(
        CABLE, T, DT, stimuli=vc, record=dx.Record("v", SITE), solver=solver
    )


def test_voltage_clamp_implicit_euler_holds_command():
    command = jnp.where(jnp.arange(N) < 40, -65.0, -30.0)
    sol = clamp_run(command, 0.001, dx.ImplicitEuler())
    err = np.abs(np.asarray(sol.ys[1:, 0]) - np.asarray(command))
    assert err.max() < 0.05
    # With a large series resistance the clamp no longer holds.
    loose = clamp_run(command, 1000.0, dx.ImplicitEuler())
    assert np.abs(np.asarray(loose.ys[1:, 0]) - np.asarray(command)).max() > 10.0


def test_voltage_clamp_crank_nicolson_holds_midpoint():
    # Crank–Nicolson extrapolates v to the end of the step; the half-step value
    # (v_k + v_{k+1}) / 2 is what the (implicit, stiff) clamp holds.
    sol = clamp_run(jnp.full(N, -40.0), 0.001, dx.CrankNicolson())
    v = np.asarray(sol.ys[:, 0])
    np.testing.assert_allclose((v[1:] + v[:-1]) / 2, -40.0, atol=0.05)


# --- continuation, step, checkpoint -----------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS)
def test_continue_from_state_equals_long_run(solver):
    w = 0.4 * jnp.sin(jnp.arange(N) * 0.1)
    long = run(CABLE, w, solver, dx.init_state(CABLE))
    a = run(CABLE, w[: N // 2], solver, dx.init_state(CABLE), t_max=T / 2)
    b = run(CABLE, w[N // 2 :], solver, a.state, t_max=T / 2)
    np.testing.assert_allclose(a.ys, long.ys[: N // 2 + 1], rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(b.ys, long.ys[N // 2 :], rtol=1e-12, atol=1e-10)
    assert tree_allclose(b.state, long.state, rtol=1e-12, atol=1e-10)


@pytest.mark.parametrize("solver", SOLVERS)
def test_step_repeated_equals_simulate(solver):
    sol = run(CABLE, PULSE, solver, dx.init_state(CABLE))
    one_step = jax.jit(lambda s, cur: dx.step(CABLE, s, DT, current=cur, solver=solver))
    state = dx.init_state(CABLE)
    vs = [state.v]
    for k in range(N):
        state = one_step(state, jnp.zeros(3).at[SITE.indices].set(PULSE[k]))
        vs.append(state.v)
    np.testing.assert_allclose(jnp.stack(vs), sol.ys, rtol=1e-12, atol=1e-10)
    assert tree_allclose(state, sol.state, rtol=1e-12, atol=1e-10)


@pytest.mark.parametrize("t_max, every", [(2.0, 5), (2.0, 1), (1.525, 1), (2.0, 40)])
def test_checkpoint_same_values_and_gradients(t_max, every):
    # A gated channel (K) keeps the recomputed forward pass non-trivial. The
    # cases: segments of recording intervals; of single steps; a prime number
    # of steps (61: padded segments); one long recording interval (segments
    # inside it).
    net = dx.Network(dx.Cell(dx.Branch(dx.Compartment())))
    net = dx.insert(dx.insert(net, dx.channels.K()), dx.channels.Leak())
    w = dx.step_current(0.25, 1.0, 0.05, DT, t_max)

    @eqx.filter_jit
    @eqx.filter_value_and_grad(has_aux=True)
    def loss(net, checkpoint):
        sol = dx.simulate(
            net,
            t_max,
            DT,
            stimuli=dx.Stimulus(dx.select(net), w),
            checkpoint=checkpoint,
            record=dx.Record("v", every=every),
        )
        return jnp.mean(sol.ys), sol.ys

    (l0, y0), g0 = loss(net, False)
    (l1, y1), g1 = loss(net, True)
    np.testing.assert_allclose(y1, y0, rtol=1e-13, atol=1e-12)
    assert tree_allclose(g1, g0, rtol=1e-10, atol=1e-14)
    assert float(jnp.abs(g0.nodes.radius.fixed).max()) > 0
    assert float(jnp.abs(g0.mechanisms[0].channel.gK.fixed).max()) > 0


def test_gradient_memory_grows_sublinearly_by_default():
    # XLA's own account of the temporary memory of the compiled gradient (only
    # compiled, never run).
    net = dx.insert(dx.Network([small_cell(2)] * 2), dx.channels.HH())
    net = dx.make_trainable(net, "HH.gNa", by="cell", verbose=False)
    params, static = dx.partition(net)
    # Records grow linearly (they are the output): every 50 steps keeps them
    # small next to the checkpoints.
    record = dx.Record("v", dx.select(net, branch=0, comp=0), every=50)

    def memory(n, **kwargs):
        def loss(p):
            sol = dx.simulate(
                dx.combine(p, static), n * DT, DT, record=record, **kwargs
            )
            return jnp.mean(sol.ys**2)

        compiled = jax.jit(jax.grad(loss)).lower(params).compile()
        return compiled.memory_analysis().temp_size_in_bytes

    # 1e4 and 1e5 steps: at most √10 = 3.2 times the memory, against 10 times
    # when every step is stored.
    default = memory(100_000) / memory(10_000)
    stored = memory(100_000, checkpoint=False) / memory(10_000, checkpoint=False)
    assert stored > 8
    assert default < 3.5
    # A short run of a small network stores every step by default: its tape
    # (200 steps) is far below the budget, and a stored gradient is faster.
    assert memory(200) == memory(200, checkpoint=False)
    assert memory(200, checkpoint=True) != memory(200, checkpoint=False)


def test_float32_close_to_float64():
    v64 = run(CABLE, PULSE, SOLVERS[0], dx.init_state(CABLE)).ys
    assert v64.dtype == jnp.float64
    with jax.enable_x64(False):
        net32 = _cable()
        assert net32.nodes.radius.fixed.dtype == jnp.float32
        v32 = run(
            net32, jnp.asarray(PULSE, jnp.float32), SOLVERS[0], dx.init_state(net32)
        ).ys
        assert v32.dtype == jnp.float32
    assert jnp.zeros(1).dtype == jnp.float64  # the flag is restored
    assert float(v64.max()) > 0.0  # a spike: the hardest part to match
    np.testing.assert_allclose(np.asarray(v32, np.float64), v64, atol=1e-2, rtol=0)


def test_builders_and_inputs_own_their_arrays():
    """Changing the caller's NumPy arrays after a builder or input took them
    changes nothing (JAX on CPU may adopt a NumPy buffer without copying)."""
    cell = dx.Cell(dx.Branch(dx.Compartment(), ncomp=2), parents=[-1, 0])
    base = dx.insert(dx.Network([cell] * 2), dx.channels.HH())
    n = dx.n_steps(5.0, 0.025)
    current = np.full((n, 2), 0.3)
    clamp_v = np.full(n, -30.0)
    g_na = np.linspace(0.1, 0.13, 8)  # 8 compartments
    radius = np.linspace(1.0, 2.0, 8)
    weights = np.array([[1e-3, 2e-3], [3e-3, 4e-3]])

    def build():
        net = dx.insert(base, dx.channels.HH(gNa=g_na))
        net = dx.set(net, "radius", radius)
        net = dx.connect(
            net, dx.select(net, branch=0, comp=0), dx.select(net, branch=1, comp=1),
            dx.synapses.Ionotropic(gS=weights),
        )  # fmt: skip
        stim = [
            dx.Stimulus(dx.select(net, cell=[0, 1], branch=0, comp=0), current),
            dx.VoltageClamp(dx.select(net, cell=1, branch=1, comp=1), clamp_v),
        ]
        return net, stim

    net, stim = build()
    before = dx.simulate(net, 5.0, 0.025, stimuli=stim).ys
    for a in (current, clamp_v, g_na, radius, weights):
        a[...] = -a * 7.0  # every input, after every builder
    after = dx.simulate(net, 5.0, 0.025, stimuli=stim).ys
    np.testing.assert_array_equal(before, after)
