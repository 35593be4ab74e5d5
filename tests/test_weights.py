"""Weight layouts and weight-producing rules: `from_matrix` / `to_matrix` / `to_csr`,
the scalar / vector / matrix storage forms of synapse fields, `FromMatrix`,
`FixedInDegree` / `FixedOutDegree` and `dx.conn.Init`.

Networks are single-compartment cells, so node index == cell index and canonical
edge order (pre node, then post node) is (pre cell, then post cell).
"""

import itertools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx
from dendrax._connect import init_key

CELL = dx.Cell(dx.Branch(dx.Compartment()))

# The BrainPy example matrix: entry [i, j] is pre i -> post j.
SEED = np.array([[1, 1.5, 0, 0.5], [0, 2.5, 0, 0], [2, 0, 3, 0]])
SEED_PRE = [0, 0, 0, 1, 2, 2]
SEED_POST = [0, 1, 3, 1, 0, 2]
SEED_W = [1.0, 1.5, 0.5, 2.5, 2.0, 3.0]


def _net(n):
    return dx.Network([CELL] * n)


def _cells(net, ids):
    return dx.select(net, cell=list(ids))


def _pairs(net):
    t = dx.edge_table(net)
    return list(zip(t.pre_cell.tolist(), t.post_cell.tolist()))


def _gS(net):
    return np.asarray(dx.get(net, "Ionotropic.gS"))


# --- from_matrix / to_matrix / to_csr ----------------------------------------------


def test_from_matrix_brainpy_seed():
    pre, post, w = dx.conn.from_matrix(SEED.tolist())
    np.testing.assert_array_equal(pre, SEED_PRE)
    np.testing.assert_array_equal(post, SEED_POST)
    np.testing.assert_array_equal(w, SEED_W)
    assert pre.dtype.kind in "iu" and post.dtype.kind in "iu"


def test_from_matrix_of_a_mask_and_of_nothing():
    pre, post, w = dx.conn.from_matrix(SEED != 0)
    np.testing.assert_array_equal(pre, SEED_PRE)
    np.testing.assert_array_equal(post, SEED_POST)
    assert w.dtype == bool and w.all()
    pre, post, w = dx.conn.from_matrix(np.zeros((2, 3)))
    assert pre.size == post.size == w.size == 0
    with pytest.raises(ValueError, match="2-d"):
        dx.conn.from_matrix(np.ones(4))


def test_to_matrix_inverts_from_matrix():
    pre, post, w = dx.conn.from_matrix(SEED)
    back = dx.conn.to_matrix(pre, post, w, SEED.shape)
    assert back.shape == (3, 4)
    np.testing.assert_array_equal(back, SEED)
    # A boolean value gives the mask.
    mask = dx.conn.to_matrix(pre, post, True, SEED.shape)
    assert mask.dtype == bool
    np.testing.assert_array_equal(mask, SEED != 0)
    # A random round trip, negative weights included.
    rng = np.random.default_rng(7)
    m = rng.normal(size=(5, 6)) * (rng.random((5, 6)) < 0.4)
    np.testing.assert_array_equal(
        dx.conn.to_matrix(*dx.conn.from_matrix(m), m.shape), m
    )


def test_to_matrix_adds_parallel_edges():
    out = dx.conn.to_matrix([0, 1, 0], [2, 0, 2], [1.0, 4.0, 0.25], (2, 3))
    np.testing.assert_array_equal(out, [[0.0, 0.0, 1.25], [4.0, 0.0, 0.0]])


def test_to_csr_matches_mask_rows():
    pre, post, _ = dx.conn.from_matrix(SEED)
    indptr, indices = dx.conn.to_csr(pre, post, 3)
    np.testing.assert_array_equal(indptr, [0, 3, 4, 6])
    np.testing.assert_array_equal(indices, SEED_POST)
    mask = SEED != 0
    for i in range(3):
        np.testing.assert_array_equal(
            indices[indptr[i] : indptr[i + 1]], np.flatnonzero(mask[i])
        )
    # Empty rows, at the start and at the end, still get their (empty) slot.
    m = np.zeros((5, 4))
    m[1, [0, 3]] = 1.0
    m[3, 2] = 1.0
    indptr, indices = dx.conn.to_csr(*dx.conn.from_matrix(m)[:2], 5)
    np.testing.assert_array_equal(indptr, [0, 0, 2, 2, 3, 3])
    np.testing.assert_array_equal(indices, [0, 3, 2])


def test_to_csr_rejects_unsorted_edges():
    with pytest.raises(ValueError, match="sorted by pre"):
        dx.conn.to_csr([0, 2, 1], [0, 0, 0], 3)


@pytest.mark.parametrize("pre", [[0, 5], [-1, 0]])
def test_to_csr_rejects_rows_outside_n_pre(pre):
    # A row outside [0, n_pre) would give an indptr of the wrong length.
    with pytest.raises(ValueError, match=r"pre indices must lie in \[0, 3\)"):
        dx.conn.to_csr(pre, [1, 2], 3)


# --- storage forms: scalar, vector, matrix ----------------------------------------

DT, T = 0.025, 5.0
N_PRE, N_POST = 3, 4
# Weights (µS) over 3 pre (cells 0-2) x 4 post (cells 3-6); every post cell gets
# an input and the pre cells fire at different times, so which weight sits on
# which pair shows in the postsynaptic voltages.
W = 2e-4 * SEED
ONSETS = np.array([0.5, 1.5, 2.5])


def _hh7():
    return dx.insert(_net(N_PRE + N_POST), dx.channels.HH())


@eqx.filter_jit
def _run(net):
    """v of all 7 cells; pre cell i gets a 0.5 ms suprathreshold pulse at ONSETS[i]."""
    t = dx.stimulus_times(T, DT)[:, None]
    current = jnp.where((t >= ONSETS) & (t < ONSETS + 0.5), 0.05, 0.0)
    stim = dx.Stimulus(dx.select(net, cell=[0, 1, 2]), current)
    return dx.simulate(net, T, DT, stimuli=stim).ys


def _pre_post(net):
    return _cells(net, range(N_PRE)), _cells(net, range(N_PRE, N_PRE + N_POST))


def test_matrix_and_vector_forms_give_the_same_network_and_run():
    net = _hh7()
    pre, post = _pre_post(net)
    as_matrix = dx.connect(
        net, pre, post, dx.synapses.Ionotropic(gS=W), dx.conn.FromMatrix(W)
    )
    rows, cols, w = dx.conn.from_matrix(W)
    as_vector = dx.connect(
        net,
        pre,
        post,
        dx.synapses.Ionotropic(gS=w),
        dx.conn.FromIds(rows, cols + N_PRE),
    )
    assert _pairs(as_matrix) == _pairs(as_vector)
    assert _pairs(as_matrix) == [(i, j + N_PRE) for i, j in zip(SEED_PRE, SEED_POST)]
    np.testing.assert_array_equal(_gS(as_matrix), 2e-4 * np.array(SEED_W))
    np.testing.assert_array_equal(_gS(as_matrix), _gS(as_vector))

    v_matrix, v_vector = _run(as_matrix), _run(as_vector)
    np.testing.assert_array_equal(v_matrix, v_vector)
    # The synapses matter: every post cell moves away from the unconnected run by
    # more than 1 mV, and a wrong assignment of the same weights changes the run.
    v_none = _run(net)
    assert np.all(np.abs(v_matrix - v_none)[:, N_PRE:].max(axis=0) > 1.0)
    shuffled = dx.connect(
        net,
        pre,
        post,
        dx.synapses.Ionotropic(gS=w[::-1]),
        dx.conn.FromIds(rows, cols + N_PRE),
    )
    assert np.abs(_run(shuffled) - v_matrix)[:, N_PRE:].max() > 1e-3


def test_scalar_vector_matrix_forms_agree_for_equal_weights():
    net = _hh7()
    pre, post = _pre_post(net)
    g = 3e-4
    full = np.full((N_PRE, N_POST), g)
    nets = [
        dx.connect(net, pre, post, dx.synapses.Ionotropic(gS=g)),
        dx.connect(net, pre, post, dx.synapses.Ionotropic(gS=np.full(12, g))),
        dx.connect(net, pre, post, dx.synapses.Ionotropic(gS=full)),
        dx.connect(
            net, pre, post, dx.synapses.Ionotropic(gS=full), dx.conn.FromMatrix(full)
        ),
    ]
    for other in nets:
        assert other.n_edges == 12
        assert _pairs(other) == _pairs(nets[0])
        np.testing.assert_array_equal(_gS(other), np.full(12, g))
    runs = [_run(n) for n in nets]
    for v in runs[1:]:
        np.testing.assert_array_equal(v, runs[0])
    assert np.abs(runs[0] - _run(net))[:, N_PRE:].max() > 1.0


def test_vector_in_noncanonical_rule_order_follows_its_pairs():
    net = _net(7)
    pre, post = _pre_post(net)
    rows, cols, w = dx.conn.from_matrix(SEED)
    reference = dx.connect(
        net, pre, post, dx.synapses.Ionotropic(gS=SEED), dx.conn.FromMatrix(SEED)
    )
    for seed in range(3):
        perm = np.random.default_rng(seed).permutation(len(w))
        rule = dx.conn.FromIds(rows[perm], cols[perm] + N_PRE)
        as_vector = dx.connect(net, pre, post, dx.synapses.Ionotropic(gS=w[perm]), rule)
        as_matrix = dx.connect(net, pre, post, dx.synapses.Ionotropic(gS=SEED), rule)
        for out in (as_vector, as_matrix):
            assert _pairs(out) == _pairs(reference)
            np.testing.assert_array_equal(_gS(out), SEED_W)


def test_matrix_rows_and_columns_are_cells_in_increasing_id_order():
    net = _net(8)
    # Interleaved, unsorted selections: rows are cells 1, 3, 5; columns 0, 2, 6, 7.
    pre, post = _cells(net, [5, 1, 3]), _cells(net, [7, 0, 6, 2])
    rows_ids, cols_ids = np.array([1, 3, 5]), np.array([0, 2, 6, 7])
    m = np.arange(1.0, 13.0).reshape(3, 4)
    out = dx.connect(net, pre, post, dx.synapses.Ionotropic(gS=m))
    t = dx.edge_table(out)
    r = np.searchsorted(rows_ids, t.pre_cell)
    c = np.searchsorted(cols_ids, t.post_cell)
    np.testing.assert_array_equal(rows_ids[r], t.pre_cell)
    np.testing.assert_array_equal(cols_ids[c], t.post_cell)
    np.testing.assert_array_equal(_gS(out), m[r, c])
    # FromMatrix reads its mask the same way.
    mask = np.zeros((3, 4), bool)
    mask[0, 3] = mask[2, 0] = mask[1, 1] = True
    sparse = dx.connect(
        net, pre, post, dx.synapses.Ionotropic(gS=m), dx.conn.FromMatrix(mask)
    )
    assert _pairs(sparse) == [(1, 7), (3, 2), (5, 0)]
    np.testing.assert_array_equal(_gS(sparse), [m[0, 3], m[1, 1], m[2, 0]])


def test_matrix_form_on_overlapping_populations():
    net = _net(4)
    everyone = dx.select(net)
    m = 10.0 * np.arange(4)[:, None] + np.arange(4)[None, :]  # pre * 10 + post
    out = dx.connect(
        net,
        everyone,
        everyone,
        dx.synapses.Ionotropic(gS=m),
        dx.conn.AllToAll(self_connections=False),
    )
    t = dx.edge_table(out)
    assert out.n_edges == 12 and np.all(t.pre_cell != t.post_cell)
    np.testing.assert_array_equal(_gS(out), 10.0 * t.pre_cell + t.post_cell)


# --- FromMatrix --------------------------------------------------------------------


def test_from_matrix_rule_edges_at_nonzero_entries():
    net = _net(7)
    pre, post = _pre_post(net)
    out = dx.connect(net, pre, post, dx.synapses.Ionotropic(), dx.conn.FromMatrix(SEED))
    assert out.n_edges == 6
    assert _pairs(out) == [(i, j + N_PRE) for i, j in zip(SEED_PRE, SEED_POST)]
    # Weights are not taken from the rule's matrix: the synapse default applies.
    np.testing.assert_array_equal(_gS(out), np.full(6, 1e-4))
    # An all-zero matrix connects nothing.
    none = dx.connect(
        net, pre, post, dx.synapses.Ionotropic(), dx.conn.FromMatrix(np.zeros((3, 4)))
    )
    assert none.n_edges == 0


def test_from_matrix_rule_shape_errors():
    net = _net(7)
    pre, post = _pre_post(net)
    with pytest.raises(ValueError, match=r"give a \(3, 4\) matrix"):
        dx.connect(net, pre, post, dx.synapses.Ionotropic(), dx.conn.FromMatrix(SEED.T))
    with pytest.raises(ValueError, match="2-d"):
        dx.conn.FromMatrix(np.ones(4))


def test_wrong_shaped_matrix_value_raises():
    net = _net(7)
    pre, post = _pre_post(net)
    with pytest.raises(ValueError, match=r"gS is a matrix of shape \(4, 3\).*\(3, 4\)"):
        dx.connect(net, pre, post, dx.synapses.Ionotropic(gS=np.ones((4, 3))))
    with pytest.raises(ValueError, match=r"e_syn is a matrix"):
        dx.connect(
            net,
            pre,
            post,
            dx.synapses.Ionotropic(e_syn=np.zeros((3, 3))),
            dx.conn.FromMatrix(SEED),
        )


def test_wrong_length_vector_value_raises():
    net = _net(7)
    pre, post = _pre_post(net)
    # FromMatrix(SEED) makes 6 edges; 12 values (one per cell pair) is not a vector
    # over the edges.
    with pytest.raises(ValueError, match=r"'Ionotropic.gS'.*\(6,\)"):
        dx.connect(
            net,
            pre,
            post,
            dx.synapses.Ionotropic(gS=np.ones(12)),
            dx.conn.FromMatrix(SEED),
        )
    with pytest.raises(ValueError, match="'Ionotropic.k_minus'"):
        dx.connect(net, pre, post, dx.synapses.Ionotropic(k_minus=np.ones(5)))


# --- FixedInDegree / FixedOutDegree ------------------------------------------------


@pytest.mark.parametrize("self_connections", [True, False])
def test_fixed_in_degree_exact(self_connections):
    net = _net(12)
    # Overlapping populations: cells 4-7 are both pre and post.
    pre, post = _cells(net, range(8)), _cells(net, range(4, 12))
    rule = dx.conn.FixedInDegree(3, self_connections=self_connections)
    key = jax.random.key(5)
    out = dx.connect(net, pre, post, dx.synapses.Ionotropic(), rule, key=key)
    pairs = _pairs(out)
    assert out.n_edges == 8 * 3
    assert len(set(pairs)) == len(pairs)
    t = dx.edge_table(out)
    assert np.all(t.pre_cell < 8) and np.all(t.post_cell >= 4)
    np.testing.assert_array_equal(
        np.bincount(t.post_cell, minlength=12)[4:], np.full(8, 3)
    )
    if not self_connections:
        assert np.all(t.pre_cell != t.post_cell)
    same = dx.connect(net, pre, post, dx.synapses.Ionotropic(), rule, key=key)
    assert _pairs(same) == pairs
    other = dx.connect(
        net, pre, post, dx.synapses.Ionotropic(), rule, key=jax.random.key(6)
    )
    assert _pairs(other) != pairs


@pytest.mark.parametrize("self_connections", [True, False])
def test_fixed_out_degree_exact(self_connections):
    net = _net(12)
    pre, post = _cells(net, range(8)), _cells(net, range(4, 12))
    rule = dx.conn.FixedOutDegree(5, self_connections=self_connections)
    key = jax.random.key(5)
    out = dx.connect(net, pre, post, dx.synapses.Ionotropic(), rule, key=key)
    pairs = _pairs(out)
    assert out.n_edges == 8 * 5
    assert len(set(pairs)) == len(pairs)
    t = dx.edge_table(out)
    assert np.all(t.pre_cell < 8) and np.all(t.post_cell >= 4)
    np.testing.assert_array_equal(np.bincount(t.pre_cell, minlength=8), np.full(8, 5))
    if not self_connections:
        assert np.all(t.pre_cell != t.post_cell)
    same = dx.connect(net, pre, post, dx.synapses.Ionotropic(), rule, key=key)
    assert _pairs(same) == pairs
    other = dx.connect(
        net, pre, post, dx.synapses.Ionotropic(), rule, key=jax.random.key(6)
    )
    assert _pairs(other) != pairs


def test_fixed_degree_can_use_every_candidate():
    net = _net(6)
    everyone = dx.select(net)
    for rule, n in (
        (dx.conn.FixedInDegree(6), 36),
        (dx.conn.FixedOutDegree(5, self_connections=False), 30),
    ):
        out = dx.connect(
            net,
            everyone,
            everyone,
            dx.synapses.Ionotropic(),
            rule,
            key=jax.random.key(0),
        )
        full = dx.connect(
            net,
            everyone,
            everyone,
            dx.synapses.Ionotropic(),
            dx.conn.AllToAll(self_connections=n == 36),
        )
        assert out.n_edges == n and _pairs(out) == _pairs(full)


def test_fixed_degree_other_side_degree_statistics():
    # 40 pre x 30 post, k = 10: the "other side" degree is Binomial(n_owner, k /
    # n_other): mean k * n_owner / n_other, variance n_owner p (1 - p).
    pre, post = np.arange(40), np.arange(40, 70)
    key = jax.random.key(2024)
    p_in, q_in = dx.conn.FixedInDegree(10).sample(pre, post, key)
    out_degree = np.bincount(p_in, minlength=40)  # per pre cell
    p_out, q_out = dx.conn.FixedOutDegree(10).sample(post, pre, key)
    in_degree = np.bincount(q_out, minlength=40)  # per post cell (ids 0-39 here)
    for owner_side, deg in ((q_in, out_degree), (p_out, in_degree)):
        np.testing.assert_array_equal(np.unique(owner_side, return_counts=True)[1], 10)
        assert len(deg) == 40
        np.testing.assert_allclose(deg.mean(), 10 * 30 / 40, rtol=0, atol=1e-12)
        var = 30 * 0.25 * 0.75  # 5.625; the sample variance has sd ~ 1.3
        assert 0.4 * var < deg.var(ddof=1) < 2.0 * var, deg.var(ddof=1)
        # Chi-square of the candidates' frequencies (~ 39 dof, scaled by 1 - p).
        chi2 = np.sum((deg - 7.5) ** 2 / 7.5)
        assert 10.0 < chi2 < 80.0, chi2


def test_fixed_in_degree_draws_subsets_uniformly():
    # 200 owners each draw 2 of 5 candidates: each of the 10 subsets ~ 20 times.
    pre, post = np.arange(5), np.arange(5, 205)
    p, q = dx.conn.FixedInDegree(2).sample(pre, post, jax.random.key(11))
    np.testing.assert_array_equal(q, np.repeat(post, 2))
    chosen = p.reshape(200, 2)
    assert np.all(chosen[:, 0] != chosen[:, 1])
    subsets = list(itertools.combinations(range(5), 2))
    counts = np.array(
        [np.sum((chosen.min(1) == a) & (chosen.max(1) == b)) for a, b in subsets]
    )
    assert counts.sum() == 200
    chi2 = np.sum((counts - 20.0) ** 2 / 20.0)
    assert chi2 < 30.0, (chi2, counts)  # chi2(9): P(> 30) ~ 4e-4
    # Each candidate is chosen 2/5 of the time; also both positions are unbiased.
    freq = np.bincount(p, minlength=5) / 200
    np.testing.assert_allclose(freq, 0.4, atol=0.12)
    first = np.bincount(chosen[:, 0], minlength=5) / 200
    np.testing.assert_allclose(first, 0.2, atol=0.1)


def test_fixed_out_degree_without_self_is_uniform_over_the_others():
    # Every cell of 5 picks 1 target among the other 4; pooled over keys each
    # (owner, target != owner) pair is equally likely.
    cells = np.arange(5)
    rule = dx.conn.FixedOutDegree(1, self_connections=False)
    counts = np.zeros((5, 5))
    for i in range(40):
        p, q = rule.sample(cells, cells, jax.random.key(100 + i))
        np.testing.assert_array_equal(p, cells)
        counts[p, q] += 1
    assert np.all(np.diag(counts) == 0)
    off = counts[~np.eye(5, dtype=bool)].reshape(5, 4)
    chi2 = np.sum((off - 10.0) ** 2 / 10.0)  # 15 dof
    assert chi2 < 45.0, (chi2, off)


def test_fixed_degree_errors():
    net = _net(12)
    pre, post = _cells(net, range(8)), _cells(net, range(4, 12))
    key = jax.random.key(0)
    syn = dx.synapses.Ionotropic()
    with pytest.raises(ValueError, match=r"k=9 exceeds the 8 cells"):
        dx.connect(net, pre, post, syn, dx.conn.FixedInDegree(9), key=key)
    with pytest.raises(ValueError, match=r"k=9 exceeds the 8 cells"):
        dx.connect(net, pre, post, syn, dx.conn.FixedOutDegree(9), key=key)
    # Without self-connections the cells in both populations have one fewer.
    with pytest.raises(ValueError, match=r"k=8 exceeds the 7 cells"):
        dx.connect(
            net,
            pre,
            post,
            syn,
            dx.conn.FixedInDegree(8, self_connections=False),
            key=key,
        )
    for rule in (dx.conn.FixedInDegree(2), dx.conn.FixedOutDegree(2)):
        with pytest.raises(ValueError, match="key"):
            dx.connect(net, pre, post, syn, rule)
    for cls in (dx.conn.FixedInDegree, dx.conn.FixedOutDegree):
        with pytest.raises(ValueError, match="non-negative integer"):
            cls(-1)
        # A float k is refused too (a TypeError under the jaxtyping test hook).
        with pytest.raises((ValueError, TypeError), match="k"):
            cls(2.5)


def test_fixed_degree_zero_makes_no_edges():
    net = _net(4)
    out = dx.connect(
        net,
        _cells(net, [0, 1]),
        _cells(net, [2, 3]),
        dx.synapses.Ionotropic(),
        dx.conn.FixedInDegree(0),
        key=jax.random.key(0),
    )
    assert out.n_edges == 0


# --- Init --------------------------------------------------------------------------


def _grid_net():
    """A 16-cell population (a 4 x 4 grid, cells 0-15) and a 9-cell one (16-24)."""
    net = _net(25)
    return net, _cells(net, range(16)), _cells(net, range(16, 25))


def test_init_matrix_form_reads_the_drawn_matrix():
    net, pre, post = _grid_net()
    key = jax.random.key(42)
    init = jax.nn.initializers.uniform(1.0)
    out = dx.connect(
        net,
        pre,
        post,
        dx.synapses.Ionotropic(gS=dx.conn.Init(init, form="matrix")),
        key=key,
    )
    assert out.n_edges == 144
    expected = np.asarray(init(init_key(key, "gS"), (16, 9)))
    t = dx.edge_table(out)
    np.testing.assert_array_equal(_gS(out), expected[t.pre_cell, t.post_cell - 16])
    np.testing.assert_array_equal(_gS(out), expected.ravel())  # canonical order
    assert 0.0 <= expected.min() and expected.max() < 1.0
    assert len(np.unique(expected)) == 144


def test_init_matrix_form_with_a_sparse_rule():
    net, pre, post = _grid_net()
    key = jax.random.key(3)
    init = jax.nn.initializers.normal(2.0)
    rule = dx.conn.FixedInDegree(4)
    out = dx.connect(
        net,
        pre,
        post,
        dx.synapses.Ionotropic(gS=dx.conn.Init(init, form="matrix")),
        rule,
        key=key,
    )
    assert out.n_edges == 36
    t = dx.edge_table(out)
    # The rule draws the graph from the key itself, as when called alone.
    p, q = rule.sample(np.arange(16), np.arange(16, 25), key)
    assert sorted(zip(p.tolist(), q.tolist())) == _pairs(out)
    expected = np.asarray(init(init_key(key, "gS"), (16, 9)))
    np.testing.assert_array_equal(_gS(out), expected[t.pre_cell, t.post_cell - 16])


def test_init_vector_form_is_in_rule_order():
    net, pre, post = _grid_net()
    key = jax.random.key(8)
    init = jax.nn.initializers.normal(1.0)
    # AllToAll: the rule order is the canonical order.
    out = dx.connect(
        net, pre, post, dx.synapses.Ionotropic(gS=dx.conn.Init(init)), key=key
    )
    draw = np.asarray(init(init_key(key, "gS"), (144,)))
    np.testing.assert_array_equal(_gS(out), draw)
    # FixedInDegree returns its pairs post-major: values follow them into order.
    rule = dx.conn.FixedInDegree(3)
    out = dx.connect(
        net,
        pre,
        post,
        dx.synapses.Ionotropic(gS=dx.conn.Init(init, form="vector")),
        rule,
        key=key,
    )
    p, q = rule.sample(np.arange(16), np.arange(16, 25), key)
    draw = np.asarray(init(init_key(key, "gS"), (27,)))
    by_pair = dict(zip(zip(p.tolist(), q.tolist()), draw))
    assert len(by_pair) == 27
    assert sorted(by_pair) == _pairs(out)
    assert _pairs(out) != list(zip(p.tolist(), q.tolist()))  # order did change
    np.testing.assert_array_equal(_gS(out), [by_pair[pq] for pq in _pairs(out)])


def test_init_scalar_form_is_one_shared_value():
    net, pre, post = _grid_net()
    key = jax.random.key(1)
    init = jax.nn.initializers.uniform(1.0)
    out = dx.connect(
        net,
        pre,
        post,
        dx.synapses.Ionotropic(gS=dx.conn.Init(init, form="scalar")),
        key=key,
    )
    value = float(init(init_key(key, "gS"), ()))
    assert 0.0 < value < 1.0
    np.testing.assert_array_equal(_gS(out), np.full(144, value))


@pytest.mark.parametrize(
    "init",
    [
        jax.nn.initializers.constant(0.3),
        jax.nn.initializers.normal(0.5),
        jax.nn.initializers.truncated_normal(0.5),
        jax.nn.initializers.uniform(2.0),
    ],
    ids=["constant", "normal", "truncated_normal", "uniform"],
)
@pytest.mark.parametrize("form", ["scalar", "vector", "matrix"])
def test_init_with_other_initializers(init, form):
    net = _net(5)
    pre, post = _cells(net, [0, 1]), _cells(net, [2, 3, 4])
    key = jax.random.key(17)
    out = dx.connect(
        net,
        pre,
        post,
        dx.synapses.Ionotropic(gS=dx.conn.Init(init, form=form), e_syn=-70.0),
        key=key,
    )
    shape = {"scalar": (), "vector": (6,), "matrix": (2, 3)}[form]
    draw = np.asarray(init(init_key(key, "gS"), shape))
    # AllToAll's rule order is canonical, so a vector is stored as drawn.
    expected = draw if form == "vector" else np.broadcast_to(draw, (2, 3)).ravel()
    np.testing.assert_array_equal(_gS(out), expected)
    np.testing.assert_array_equal(dx.get(out, "Ionotropic.e_syn"), np.full(6, -70.0))
    assert np.all(np.isfinite(expected))


def test_init_matrix_form_with_fan_based_initializers():
    # glorot / he need a 2-d shape: they work in "matrix" form over (n_pre, n_post).
    net = _net(7)
    pre, post = _pre_post(net)
    for init in (
        jax.nn.initializers.glorot_uniform(),
        jax.nn.initializers.he_normal(),
    ):
        key = jax.random.key(23)
        out = dx.connect(
            net,
            pre,
            post,
            dx.synapses.Ionotropic(gS=dx.conn.Init(init, form="matrix")),
            key=key,
        )
        drawn = init(init_key(key, "gS"), (3, 4))
        np.testing.assert_array_equal(_gS(out), np.asarray(drawn).ravel())


def test_truncated_normal_init_stays_within_two_stddevs():
    net, pre, post = _grid_net()
    init = jax.nn.initializers.truncated_normal(0.5)
    out = dx.connect(
        net,
        pre,
        post,
        dx.synapses.Ionotropic(gS=dx.conn.Init(init, form="vector")),
        key=jax.random.key(0),
    )
    g = _gS(out)
    # truncated at +-2 sd of the underlying normal; sd 0.5 is rescaled by 1/0.88
    assert np.all(np.abs(g) <= 2 * 0.5 / 0.87962566103423978 + 1e-12)
    assert g.std() > 0.3 and abs(g.mean()) < 0.15


def test_init_bad_form_raises():
    init = jax.nn.initializers.uniform(1.0)
    # ValueError from __check_init__; under the project's jaxtyping/beartype test
    # hook the Literal annotation rejects it first with a TypeError. Both name it.
    for form in ("dense", "Vector", ""):
        with pytest.raises((ValueError, TypeError), match=f"form.*'{form}'"):
            dx.conn.Init(init, form=form)


def test_fixed_degree_many_of_few_draws_subsets_uniformly():
    # k = 10 of 12 candidates takes the random-keys branch (k² > 8 m): the two
    # candidates left out are uniform over the 66 pairs.
    owners, cands = np.arange(100, 760), np.arange(12)
    p, q = dx.conn.FixedOutDegree(10).sample(owners, cands, jax.random.key(3))
    np.testing.assert_array_equal(p, np.repeat(owners, 10))
    chosen = q.reshape(-1, 10)
    assert all(len(set(row)) == 10 for row in chosen)
    left = np.ones((len(owners), 12), bool)
    left[np.arange(len(owners))[:, None], chosen] = False
    a, b = np.nonzero(left)[1].reshape(-1, 2).T
    counts = np.bincount(a * 12 + b, minlength=144)[
        (np.arange(12)[:, None] < np.arange(12)).ravel()
    ]
    chi2 = np.sum((counts - 10.0) ** 2 / 10.0)
    assert chi2 < 110.0, chi2  # 65 dof: P(> 110) ~ 4e-4


def test_fixed_degree_many_of_few_without_self():
    # 12 cells each pick 10 of the 11 others (random-keys branch): the one left
    # out is uniform over the others, pooled over 60 keys.
    cells = np.arange(12)
    rule = dx.conn.FixedOutDegree(10, self_connections=False)
    left = np.zeros((12, 12))
    for i in range(60):
        p, q = rule.sample(cells, cells, jax.random.key(i))
        chosen = q.reshape(12, 10)
        assert not np.any(chosen == cells[:, None])
        out = np.ones((12, 12), bool)
        out[cells[:, None], chosen] = False
        out[cells, cells] = False
        left += out
    assert np.all(left.sum(1) == 60) and np.all(np.diag(left) == 0)
    off = left[~np.eye(12, dtype=bool)]
    chi2 = np.sum((off - 60 / 11) ** 2 / (60 / 11))
    assert chi2 < 180.0, chi2  # 120 dof: P(> 180) ~ 4e-4
    with pytest.raises(ValueError, match=r"k=12 exceeds the 11 cells"):
        dx.conn.FixedOutDegree(12, self_connections=False).sample(
            cells, cells, jax.random.key(0)
        )


def test_fixed_degree_scales_with_edges():
    # 20,000 owners x 50 of 20,000 candidates: 1M edges without any
    # owners x candidates array (8 bytes x 4e8 = 3.2 GB if it were built).
    cells = np.arange(20_000)
    p, q = dx.conn.FixedInDegree(50, self_connections=False).sample(
        cells, cells, jax.random.key(0)
    )
    assert len(p) == len(q) == 1_000_000
    np.testing.assert_array_equal(q, np.repeat(cells, 50))
    assert not np.any(p == q)
    pairs = p.astype(np.int64) * 20_000 + q
    assert len(np.unique(pairs)) == len(pairs)
    # Out-degrees ~ Binomial(20,000, 50 / 19,999): mean 50, variance ~ 49.9.
    deg = np.bincount(p, minlength=20_000)
    assert deg.mean() == 50.0
    assert 40 < deg.var() < 60, deg.var()
