"""`dx.connect`, the `dx.conn` rules and the edge table (no simulation)."""

import jax
import numpy as np
import pytest
from scipy import stats

import dendrax as dx

CELL = dx.Cell(dx.Branch(dx.Compartment(), ncomp=2), parents=[-1, 0])
NCOMP = 4  # compartments per cell


def _net(n):
    return dx.Network([CELL] * n)


def _cells(net, ids):
    return dx.select(net, cell=list(ids))


def _pairs(net):
    t = dx.edge_table(net)
    return list(zip(t.pre_cell.tolist(), t.post_cell.tolist()))


# --- rules -------------------------------------------------------------------------


def test_all_to_all_with_and_without_self_connections():
    net = _net(4)
    pre, post = _cells(net, [0, 1, 2]), _cells(net, [1, 2, 3])
    full = dx.connect(net, pre, post, dx.synapses.Ionotropic())
    assert full.n_edges == 9
    assert sorted(_pairs(full)) == [(i, j) for i in (0, 1, 2) for j in (1, 2, 3)]
    no_self = dx.connect(
        net,
        pre,
        post,
        dx.synapses.Ionotropic(),
        dx.conn.AllToAll(self_connections=False),
    )
    assert no_self.n_edges == 7
    assert all(i != j for i, j in _pairs(no_self))
    assert set(_pairs(no_self)) == set(_pairs(full)) - {(1, 1), (2, 2)}


def test_one_to_one_pairs_cells_in_id_order():
    net = _net(6)
    out = dx.connect(
        net,
        _cells(net, [0, 1, 2]),
        _cells(net, [5, 3, 4]),
        dx.synapses.Ionotropic(),
        dx.conn.OneToOne(),
    )
    assert _pairs(out) == [(0, 3), (1, 4), (2, 5)]


def test_bernoulli_edge_count_is_binomial_and_reproducible():
    net = _net(80)
    pre, post = _cells(net, range(40)), _cells(net, range(40, 80))
    rule = dx.conn.Bernoulli(p=0.3)
    key = jax.random.key(1234)
    a = dx.connect(net, pre, post, dx.synapses.Ionotropic(), rule, key=key)
    n, p = 40 * 40, 0.3
    sigma = np.sqrt(n * p * (1 - p))
    assert abs(a.n_edges - n * p) < 4 * sigma, a.n_edges
    t = dx.edge_table(a)
    assert np.all(t.pre_cell < 40) and np.all(t.post_cell >= 40)
    assert len(set(_pairs(a))) == a.n_edges  # no duplicated pair
    # Same key, same edges; another key, other edges.
    b = dx.connect(net, pre, post, dx.synapses.Ionotropic(), rule, key=key)
    assert _pairs(a) == _pairs(b)
    c = dx.connect(
        net, pre, post, dx.synapses.Ionotropic(), rule, key=jax.random.key(99)
    )
    assert _pairs(a) != _pairs(c)


def test_bernoulli_pairs_are_independent_and_uniform():
    # 8 x 8 cells at p = 0.25 over 400 keys: every pair ~ Binomial(400, 0.25),
    # and the edge count per key ~ Binomial(56, 0.25) without self pairs.
    cells = np.arange(8)
    rule = dx.conn.Bernoulli(p=0.25, self_connections=False)
    hits, sizes = np.zeros((8, 8)), []
    for i in range(400):
        p, q = rule.sample(cells, cells, jax.random.key(i))
        hits[p, q] += 1
        sizes.append(len(p))
    assert np.all(np.diag(hits) == 0)
    off = hits[~np.eye(8, dtype=bool)]
    var = 400 * 0.25 * 0.75
    chi2 = np.sum((off - 100.0) ** 2 / var)
    assert 20.0 < chi2 < 100.0, chi2  # 56 dof
    assert abs(np.mean(sizes) - 14.0) < 0.5
    assert 0.6 * 10.5 < np.var(sizes) < 1.5 * 10.5  # 56 p (1 - p)


def test_bernoulli_scales_with_edges():
    # 30,000 x 30,000 pairs (9e8: 7 GB as float64 draws) at p = 2e-4: about
    # 180,000 edges, drawn without touching the pairs.
    cells = np.arange(30_000)
    p, q = dx.conn.Bernoulli(2e-4).sample(cells, cells, jax.random.key(7))
    n, prob = 9e8, 2e-4
    assert abs(len(p) - n * prob) < 5 * np.sqrt(n * prob), len(p)
    flat = p.astype(np.int64) * 30_000 + q
    assert np.all(np.diff(flat) > 0)  # pre-major, no pair twice


def test_bernoulli_extremes_and_self_connections():
    net = _net(6)
    everyone = dx.select(net)
    key = jax.random.key(0)
    none = dx.connect(
        net,
        everyone,
        everyone,
        dx.synapses.Ionotropic(),
        dx.conn.Bernoulli(p=0.0),
        key=key,
    )
    assert none.n_edges == 0
    allp = dx.connect(
        net,
        everyone,
        everyone,
        dx.synapses.Ionotropic(),
        dx.conn.Bernoulli(p=1.0, self_connections=False),
        key=key,
    )
    assert allp.n_edges == 30
    assert all(i != j for i, j in _pairs(allp))


def test_from_ids_gives_exactly_the_listed_pairs():
    net = _net(5)
    rule = dx.conn.FromIds(pre=[3, 0, 1, 0], post=[4, 2, 2, 4])
    out = dx.connect(
        net, _cells(net, [0, 1, 3]), _cells(net, [2, 4]), dx.synapses.Ionotropic(), rule
    )
    assert sorted(_pairs(out)) == [(0, 2), (0, 4), (1, 2), (3, 4)]


# --- randomness: one key, given to connect -----------------------------------------

UNIFORM = jax.nn.initializers.uniform(1.0)


def _drawn(key, rule=dx.conn.AllToAll(), **fields):
    """Four cells onto four, every field of `fields` an `Init`."""
    net = _net(8)
    syn = dx.synapses.Ionotropic(**{f: dx.conn.Init(UNIFORM) for f in fields})
    return dx.connect(
        net, _cells(net, range(4)), _cells(net, range(4, 8)), syn, rule, key=key
    )


def test_one_key_gives_one_network():
    rule = dx.conn.Bernoulli(0.5)
    a = _drawn(jax.random.key(5), rule, gS=True, k_minus=True)
    b = _drawn(jax.random.key(5), rule, gS=True, k_minus=True)
    c = _drawn(jax.random.key(6), rule, gS=True, k_minus=True)
    assert _pairs(a) == _pairs(b) and _pairs(a) != _pairs(c)
    for name in ("Ionotropic.gS", "Ionotropic.k_minus"):
        np.testing.assert_array_equal(dx.get(a, name), dx.get(b, name))
    # A raw uint32 key (jax.random.PRNGKey) works the same way.
    raw = _drawn(jax.random.PRNGKey(5), rule, gS=True)
    d = _drawn(jax.random.wrap_key_data(jax.random.PRNGKey(5)), rule, gS=True)
    np.testing.assert_array_equal(
        dx.get(raw, "Ionotropic.gS"), dx.get(d, "Ionotropic.gS")
    )


def test_fields_and_rule_draw_independently():
    key = jax.random.key(11)
    net = _drawn(key, gS=True, k_minus=True)
    gS, k_minus = dx.get(net, "Ionotropic.gS"), dx.get(net, "Ionotropic.k_minus")
    assert len(np.unique(gS)) == 16 and not np.any(np.isin(gS, k_minus))
    assert abs(np.corrcoef(gS, k_minus)[0, 1]) < 0.8
    # The same field draws the same values whichever others are drawn with it...
    alone = _drawn(key, gS=True)
    np.testing.assert_array_equal(dx.get(alone, "Ionotropic.gS"), gS)
    # ...and the rule draws the same graph with or without Init fields, the
    # graph it draws from the key when called alone.
    rule = dx.conn.FixedInDegree(2)
    plain = _drawn(key, rule)
    drawn = _drawn(key, rule, gS=True)
    assert _pairs(plain) == _pairs(drawn)
    p, q = rule.sample(np.arange(4), np.arange(4, 8), key)
    assert sorted(zip(p.tolist(), q.tolist())) == _pairs(plain)


def test_init_without_key_names_key():
    net = _net(2)
    syn = dx.synapses.Ionotropic(gS=dx.conn.Init(UNIFORM, form="matrix"))
    with pytest.raises(
        ValueError, match=r"Ionotropic.gS is drawn by dx.conn.Init.*key="
    ):
        dx.connect(net, _cells(net, [0]), _cells(net, [1]), syn)


KEY = jax.random.key(0)


@pytest.mark.parametrize(
    "make",
    [
        lambda: dx.conn.Bernoulli(0.02, key=KEY),
        lambda: dx.conn.FixedInDegree(3, key=KEY),
        lambda: dx.conn.FixedOutDegree(3, key=KEY),
        lambda: dx.conn.AllToAll(key=KEY),
        lambda: dx.conn.OneToOne(key=KEY),
        lambda: dx.conn.FromIds([0], [1], key=KEY),
        lambda: dx.conn.FromMatrix(np.ones((1, 1)), key=KEY),
        lambda: dx.conn.Init(UNIFORM, key=KEY),
        lambda: dx.conn.Init(UNIFORM, KEY),
        lambda: dx.conn.Init(UNIFORM, KEY, form="matrix"),
    ],
    ids=[
        "Bernoulli",
        "FixedInDegree",
        "FixedOutDegree",
        "AllToAll",
        "OneToOne",
        "FromIds",
        "FromMatrix",
        "Init-key=",
        "Init-positional",
        "Init-positional-form",
    ],
)
def test_rules_and_init_refuse_keys_and_name_connect(make):
    with pytest.raises(TypeError, match=r"takes no key.*dx\.connect\(.*key="):
        make()


def test_init_form_is_keyword_only():
    with pytest.raises(TypeError, match="form by keyword"):
        dx.conn.Init(UNIFORM, "matrix")
    assert dx.conn.Init(UNIFORM).form == "vector"


def test_init_on_a_receptor_field_is_refused():
    net = _net(2)
    syn = dx.synapses.Exp(tau=dx.conn.Init(UNIFORM))
    with pytest.raises(TypeError, match="Exp.tau is a receptor field"):
        dx.connect(net, _cells(net, [0]), _cells(net, [1]), syn, key=KEY)


def test_traced_keys_draw_init_fields_but_not_graphs():
    import equinox as eqx

    def gS(key, rule=dx.conn.AllToAll()):
        return dx.get(_drawn(key, rule, gS=True), "Ionotropic.gS")

    keys = jax.random.split(jax.random.key(2), 3)
    batch = eqx.filter_vmap(gS)(keys)
    for k in range(3):
        np.testing.assert_array_equal(batch[k], gS(keys[k]))
    np.testing.assert_array_equal(jax.jit(gS)(keys[0]), gS(keys[0]))
    with pytest.raises(TypeError, match="must be concrete, not traced"):
        jax.jit(lambda k: gS(k, dx.conn.Bernoulli(0.5)))(keys[0])


# --- canonical order, values, merging ----------------------------------------------


def test_edges_are_in_canonical_order_and_values_follow_their_pairs():
    net = _net(5)
    rule = dx.conn.FromIds(pre=[3, 0, 1, 0], post=[4, 4, 2, 2])
    gS = np.array([34.0, 4.0, 12.0, 2.0])  # one per listed pair (pre * 10 + post)
    out = dx.connect(
        net,
        _cells(net, [0, 1, 3]),
        _cells(net, [2, 4]),
        dx.synapses.Ionotropic(gS=gS),
        rule,
    )
    t = dx.edge_table(out)
    order = np.lexsort((t.post_node, t.pre_node))
    np.testing.assert_array_equal(order, np.arange(out.n_edges))
    assert _pairs(out) == [(0, 2), (0, 4), (1, 2), (3, 4)]
    np.testing.assert_array_equal(
        dx.get(out, "Ionotropic.gS"), 10.0 * t.pre_cell + t.post_cell
    )


def test_same_name_merges_sorted_and_keeps_values():
    net = _net(5)
    a = dx.connect(
        net,
        _cells(net, [0, 2]),
        _cells(net, [3]),
        dx.synapses.Ionotropic(gS=np.array([1.0, 3.0])),
    )
    b = dx.connect(
        a,
        _cells(a, [1]),
        _cells(a, [3, 4]),
        dx.synapses.Ionotropic(gS=np.array([2.0, 2.5]), e_syn=-80.0),
    )
    assert len(b.synapses) == 1 and b.n_edges == 4
    assert _pairs(b) == [(0, 3), (1, 3), (1, 4), (2, 3)]
    np.testing.assert_array_equal(dx.get(b, "Ionotropic.gS"), [1.0, 2.0, 2.5, 3.0])
    np.testing.assert_array_equal(
        dx.get(b, "Ionotropic.e_syn"), [0.0, -80.0, -80.0, 0.0]
    )
    assert set(dx.edge_table(b).projection) == {"Ionotropic"}


def test_merge_keeps_ties_and_trainability_of_old_edges():
    net = _net(6)
    a = dx.connect(
        net, _cells(net, [0, 2]), _cells(net, [4, 5]), dx.synapses.Ionotropic(gS=0.5)
    )
    a = dx.make_trainable(a, "Ionotropic.gS", verbose=False)  # one shared value
    b = dx.connect(a, _cells(a, [1, 3]), _cells(a, [4]), dx.synapses.Ionotropic(gS=0.7))
    assert dx.n_trainable(b) == 1
    t = dx.edge_table(b)
    old = np.isin(t.pre_cell, [0, 2])
    gS = b.synapses[0].synapse.gS
    ids = gS.ids.array
    assert len(np.unique(ids[old])) == 1 and ids[old][0] < gS.n_free
    assert np.all(ids[~old] >= gS.n_free)
    np.testing.assert_array_equal(dx.get(b, "Ionotropic.gS"), np.where(old, 0.5, 0.7))


def test_named_projection_is_separate():
    net = _net(4)
    a = dx.connect(net, _cells(net, [0]), _cells(net, [2, 3]), dx.synapses.Ionotropic())
    b = dx.connect(
        a,
        _cells(a, [1]),
        _cells(a, [2, 3]),
        dx.synapses.Ionotropic(gS=7e-4, e_syn=-80.0),
        name="inh",
    )
    assert [p.name for p in b.synapses] == ["Ionotropic", "inh"]
    assert "inh.gS" in b.param_names() and "inh.e_syn" in b.param_names()
    np.testing.assert_array_equal(dx.get(b, "inh.gS"), [7e-4, 7e-4])
    np.testing.assert_array_equal(dx.get(b, "Ionotropic.gS"), [1e-4, 1e-4])
    t = dx.edge_table(b)
    assert t.projection.tolist() == ["Ionotropic", "Ionotropic", "inh", "inh"]
    assert t.pre_cell.tolist() == [0, 0, 1, 1]
    np.testing.assert_array_equal(t.index, np.arange(4))
    # setting one projection leaves the other alone
    c = dx.set(b, "inh.gS", 1.0)
    np.testing.assert_array_equal(dx.get(c, "Ionotropic.gS"), [1e-4, 1e-4])
    # and a different class under an existing name is refused
    with pytest.raises(ValueError, match="holds Ionotropic synapses"):
        dx.connect(
            b, _cells(b, [0]), _cells(b, [1]), dx.synapses.TanhRate(), name="inh"
        )


def test_sites_are_first_selected_compartment_of_each_cell():
    net = _net(3)
    pre = dx.select(net, cell=[0, 1], branch=1)
    post = dx.select(net, cell=2, comp=1)
    out = dx.connect(net, pre, post, dx.synapses.Ionotropic())
    t = dx.edge_table(out)
    np.testing.assert_array_equal(t.pre_branch, [1, 1])
    np.testing.assert_array_equal(t.pre_comp, [0, 0])
    np.testing.assert_array_equal(t.pre_node, [0 * NCOMP + 2, 1 * NCOMP + 2])
    np.testing.assert_array_equal(t.post_branch, [0, 0])
    np.testing.assert_array_equal(t.post_comp, [1, 1])
    np.testing.assert_array_equal(t.post_node, [2 * NCOMP + 1] * 2)
    p = out.synapses[0]
    np.testing.assert_array_equal(p.pre.array, t.pre_node)
    np.testing.assert_array_equal(p.post.array, t.post_node)


def test_edge_table_group_columns():
    net = _net(4)
    net = dx.add_group(net, "exc", dx.select(net, cell=[0, 1]))
    net = dx.add_group(net, "inh", dx.select(net, cell=2))
    net = dx.connect(
        net, dx.select(net), dx.select(net, cell=[0, 3]), dx.synapses.Ionotropic()
    )
    t = dx.edge_table(net)
    names = {0: "exc", 1: "exc", 2: "inh", 3: ""}
    assert t.pre_group.tolist() == [names[c] for c in t.pre_cell]
    assert t.post_group.tolist() == [names[c] for c in t.post_cell]
    assert len(t) == 8
    sel = dx.select(net, edges=lambda e: e.pre_group == "exc")
    np.testing.assert_array_equal(
        sel.indices, np.flatnonzero(np.isin(t.pre_cell, [0, 1]))
    )
    assert sel.kind == "edges"


def test_connect_does_not_mutate_input():
    net = _net(2)
    out = dx.connect(net, _cells(net, [0]), _cells(net, [1]), dx.synapses.Ionotropic())
    assert net.n_edges == 0 and out.n_edges == 1


# --- errors ------------------------------------------------------------------------


@pytest.fixture
def net():
    return _net(4)


def test_connect_empty_selection(net):
    empty = _cells(net, [0]) & _cells(net, [1])  # a Selection with no indices
    assert len(empty) == 0
    with pytest.raises(ValueError, match="empty selection"):
        dx.connect(net, empty, _cells(net, [2]), dx.synapses.Ionotropic())
    with pytest.raises(ValueError, match="empty selection"):
        dx.connect(net, _cells(net, [2]), empty, dx.synapses.Ionotropic())
    with pytest.raises(ValueError, match="out of range"):
        dx.select(net, cell=7)


def test_connect_with_edge_selection(net):
    net = dx.connect(net, _cells(net, [0]), _cells(net, [1]), dx.synapses.Ionotropic())
    with pytest.raises(ValueError, match="needs a selection of nodes"):
        dx.connect(
            net, dx.select(net, edges="all"), _cells(net, [1]), dx.synapses.Ionotropic()
        )


def test_one_to_one_unequal_sizes(net):
    with pytest.raises(ValueError, match="OneToOne needs populations of equal size"):
        dx.connect(
            net,
            _cells(net, [0, 1]),
            _cells(net, [2]),
            dx.synapses.Ionotropic(),
            dx.conn.OneToOne(),
        )


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_bernoulli_p_outside_unit_interval(p):
    with pytest.raises(ValueError, match=r"p must lie in \[0, 1\]"):
        dx.conn.Bernoulli(p=p)


def test_bernoulli_without_key(net):
    with pytest.raises(ValueError, match="key="):
        dx.connect(
            net,
            _cells(net, [0]),
            _cells(net, [1]),
            dx.synapses.Ionotropic(),
            dx.conn.Bernoulli(p=0.5),
        )


def test_from_ids_cell_not_in_selection(net):
    with pytest.raises(ValueError, match=r"pre cells \[3\] are not in the presynaptic"):
        dx.connect(
            net,
            _cells(net, [0, 1]),
            _cells(net, [2]),
            dx.synapses.Ionotropic(),
            dx.conn.FromIds([0, 3], [2, 2]),
        )
    with pytest.raises(
        ValueError, match=r"post cells \[1\] are not in the postsynaptic"
    ):
        dx.connect(
            net,
            _cells(net, [0, 1]),
            _cells(net, [2]),
            dx.synapses.Ionotropic(),
            dx.conn.FromIds([0, 1], [2, 1]),
        )


def test_from_ids_unequal_lengths():
    with pytest.raises(ValueError, match="FromIds: pre and post"):
        dx.conn.FromIds([0, 1], [2])


def test_connect_non_synapse(net):
    with pytest.raises(TypeError, match="synapse"):
        dx.connect(net, _cells(net, [0]), _cells(net, [1]), dx.channels.HH())


def test_projection_name_collides_with_channel(net):
    net = dx.insert(net, dx.channels.HH())
    with pytest.raises(ValueError, match="'HH' is taken by a channel"):
        dx.connect(
            net, _cells(net, [0]), _cells(net, [1]), dx.synapses.Ionotropic(), name="HH"
        )


def test_projection_name_must_be_identifier(net):
    with pytest.raises(ValueError, match="name must be an identifier"):
        dx.connect(
            net,
            _cells(net, [0]),
            _cells(net, [1]),
            dx.synapses.Ionotropic(),
            name="my syn",
        )


def test_per_edge_values_of_wrong_length(net):
    with pytest.raises(ValueError, match="'Ionotropic.gS' has shape"):
        dx.connect(
            net,
            _cells(net, [0, 1]),
            _cells(net, [2]),
            dx.synapses.Ionotropic(gS=np.array([1.0, 2.0, 3.0])),
        )


def test_select_edges_combined_with_cell(net):
    net = dx.connect(net, _cells(net, [0]), _cells(net, [1]), dx.synapses.Ionotropic())
    with pytest.raises(ValueError, match="edges= cannot be combined with cell"):
        dx.select(net, cell=0, edges="all")


def test_select_edges_without_edges_or_out_of_range(net):
    with pytest.raises(ValueError, match="no edges"):
        dx.select(net, edges="all")
    net = dx.connect(net, _cells(net, [0]), _cells(net, [1]), dx.synapses.Ionotropic())
    with pytest.raises(ValueError, match="edges=.* holds .*out of range"):
        dx.select(net, edges=[3])


def test_event_edges_with_other_receptor_values_need_their_own_projection():
    """Event projections hold one receptor per target: a second connect onto
    the same targets with other kinetics (no name=) is refused, not merged."""
    cell = dx.Cell(dx.Branch(dx.Compartment.from_area(20_000.0)), [-1])
    net = dx.insert(dx.Network([cell] * 4), dx.channels.LIF())
    exc, inh, post = (dx.select(net, cell=c) for c in ([0, 1], 2, 3))
    net = dx.connect(net, exc, post, dx.synapses.Exp(tau=5.0, e_syn=0.0))
    with pytest.raises(ValueError, match=r"already has a receptor at compartment 3 "
                       r"with tau=5; these edges give tau=10.*Pass name="):  # fmt: skip
        dx.connect(net, inh, post, dx.synapses.Exp(tau=10.0, e_syn=-80.0))
    both = dx.connect(
        net, inh, post, dx.synapses.Exp(tau=10.0, e_syn=-80.0), name="inh"
    )
    assert [p.name for p in both.synapses] == ["Exp", "inh"]
    np.testing.assert_array_equal(dx.get(both, "Exp.tau"), [5.0])
    # Same receptor values: the edges join the projection.
    more = dx.connect(net, inh, post, dx.synapses.Exp(tau=5.0, e_syn=0.0, weight=2e-3))
    assert len(more.synapses) == 1 and len(more.synapses[0].pre) == 3


# --- populations with shapes -------------------------------------------------------

POINT = dx.Cell(dx.Branch(dx.Compartment(length=20.0, radius=10.0)))


def _sheets():
    """A 4 x 4 sheet (cells 0-15) and a 3 x 3 one (16-24) of point cells."""
    net = dx.Network([POINT] * 25)
    return net, dx.select(net, cell=slice(0, 16)), dx.select(net, cell=slice(16, 25))


def _grid_weights():
    rng = np.random.default_rng(0)
    w = rng.uniform(1e-4, 1e-3, (4, 4, 3, 3))
    return w * (rng.uniform(size=w.shape) < 0.4)


def test_from_matrix_on_grids_equals_flattening_by_hand():
    net, pre, post = _sheets()
    w = _grid_weights()
    flat = w.reshape(16, 9)
    shaped = dx.connect(
        net,
        pre,
        post,
        dx.synapses.Ionotropic(gS=w),
        dx.conn.FromMatrix(w),
        pre_shape=(4, 4),
        post_shape=(3, 3),
    )
    by_hand = dx.connect(
        net, pre, post, dx.synapses.Ionotropic(gS=flat), dx.conn.FromMatrix(flat)
    )
    assert shaped.n_edges == np.count_nonzero(w) > 0
    assert _pairs(shaped) == _pairs(by_hand)
    np.testing.assert_array_equal(
        dx.get(shaped, "Ionotropic.gS"), dx.get(by_hand, "Ionotropic.gS")
    )
    # Entry [a, b, c, d]: the pre cell at (a, b) onto the post cell at (c, d).
    t = dx.edge_table(shaped)
    a, b = np.unravel_index(t.pre_cell, (4, 4))
    c, d = np.unravel_index(t.post_cell - 16, (3, 3))
    np.testing.assert_array_equal(dx.get(shaped, "Ionotropic.gS"), w[a, b, c, d])
    # The flat (16, 9) forms are accepted with shapes too, and mix with 4-d ones.
    mixed = dx.connect(
        net,
        pre,
        post,
        dx.synapses.Ionotropic(gS=flat),
        dx.conn.FromMatrix(w),
        pre_shape=[4, 4],
        post_shape=(3, 3),
    )
    assert eqx_equal(mixed, shaped)


def eqx_equal(a, b):
    return _pairs(a) == _pairs(b) and np.array_equal(
        dx.get(a, "Ionotropic.gS"), dx.get(b, "Ionotropic.gS")
    )


def test_shapes_reach_rules_and_do_not_change_flat_rules():
    net, pre, post = _sheets()
    seen = []

    class Spy(dx.conn.AbstractRule):
        def sample(self, pre, post, key):
            seen.append((pre.copy(), post.copy()))
            return pre.ravel()[:2], post.ravel()[:2]

    dx.connect(net, pre, post, dx.synapses.Ionotropic(), Spy(), pre_shape=(4, 4),
               post_shape=9)  # fmt: skip
    (p, q), = seen  # fmt: skip
    np.testing.assert_array_equal(p, np.arange(16).reshape(4, 4))
    np.testing.assert_array_equal(q, np.arange(16, 25))
    key = jax.random.key(1)
    for rule in (
        dx.conn.AllToAll(),
        dx.conn.Bernoulli(0.3),
        dx.conn.FixedInDegree(3),
        dx.conn.FixedOutDegree(2),
        dx.conn.FromIds([0, 5, 15], [16, 20, 24]),
    ):
        flat = dx.connect(net, pre, post, dx.synapses.Ionotropic(), rule, key=key)
        grid = dx.connect(net, pre, post, dx.synapses.Ionotropic(), rule, key=key,
                          pre_shape=(4, 4), post_shape=(3, 3))  # fmt: skip
        assert _pairs(grid) == _pairs(flat)
    one = dx.select(net, cell=slice(0, 9))
    flat = dx.connect(net, one, post, dx.synapses.Ionotropic(), dx.conn.OneToOne())
    grid = dx.connect(net, one, post, dx.synapses.Ionotropic(), dx.conn.OneToOne(),
                      pre_shape=(3, 3), post_shape=(3, 3))  # fmt: skip
    assert _pairs(grid) == _pairs(flat)


def test_init_fans_on_grids_use_the_products():
    net, pre, post = _sheets()
    key = jax.random.key(4)
    glorot = jax.nn.initializers.glorot_uniform()
    syn = dx.synapses.Ionotropic(gS=dx.conn.Init(glorot, form="matrix"))
    grid = dx.connect(net, pre, post, syn, key=key, pre_shape=(4, 4),
                      post_shape=(3, 3))  # fmt: skip
    from dendrax._connect import init_key

    dense = np.asarray(glorot(init_key(key, "gS"), (16, 9)))
    np.testing.assert_array_equal(dx.get(grid, "Ionotropic.gS"), dense.ravel())


def test_event_synapse_on_grids_delays_and_receptors():
    net = dx.insert(dx.Network([POINT] * 25), dx.channels.LIF())
    pre, post = dx.select(net, cell=slice(0, 16)), dx.select(net, cell=slice(16, 25))
    w = _grid_weights()
    delay = np.round(w * 1e4) * 0.1  # ms, multiples of 0.1
    tau = np.arange(1.0, 10.0).reshape(3, 3)
    shaped = dx.connect(
        net,
        pre,
        post,
        dx.synapses.Exp(weight=w, tau=tau),
        dx.conn.FromMatrix(w),
        delay=delay,
        pre_shape=(4, 4),
        post_shape=(3, 3),
    )
    flat = dx.connect(
        net,
        pre,
        post,
        dx.synapses.Exp(weight=w.reshape(16, 9), tau=tau.ravel()),
        dx.conn.FromMatrix(w.reshape(16, 9)),
        delay=delay.reshape(16, 9),
    )
    for name in ("Exp.weight", "Exp.tau"):
        np.testing.assert_array_equal(dx.get(shaped, name), dx.get(flat, name))
    np.testing.assert_array_equal(
        shaped.synapses[0].delay.array, flat.synapses[0].delay.array
    )


def _grid_loss_and_grad(shaped: bool):
    """d(mean post voltage)/d(gS) of a 2 x 2 sheet onto a 1 x 3 row, the sheet
    driven by a current step; the projection built on grids or flat."""
    net = dx.insert(dx.Network([POINT] * 7), dx.channels.HH())
    pre, post = dx.select(net, cell=slice(0, 4)), dx.select(net, cell=slice(4, 7))
    w = np.linspace(1e-3, 4e-3, 12).reshape(2, 2, 1, 3)
    kw = dict(pre_shape=(2, 2), post_shape=(1, 3)) if shaped else {}
    gS = w if shaped else w.reshape(4, 3)
    net = dx.connect(net, pre, post, dx.synapses.Ionotropic(gS=gS), **kw)
    net = dx.make_trainable(net, "Ionotropic.gS", by="index", verbose=False)
    params, static = dx.partition(net)
    stim = dx.Stimulus(pre, dx.step_current(0.5, 2.0, 0.2, 0.025, 5.0))

    def loss(p):
        sol = dx.simulate(dx.combine(p, static), 5.0, 0.025, stimuli=stim,
                          record=dx.Record("v", post))  # fmt: skip
        return sol.ys.mean()  # one record: ys is its array

    value, grad = jax.value_and_grad(loss)(params)
    return value, np.asarray(dx.get(grad, "Ionotropic.gS", gradient=True))


def test_grad_through_a_grid_projection_is_unaffected():
    v_grid, g_grid = _grid_loss_and_grad(True)
    v_flat, g_flat = _grid_loss_and_grad(False)
    assert v_grid == v_flat
    np.testing.assert_array_equal(g_grid, g_flat)
    assert g_grid.shape == (12,) and np.all(g_grid > 0)  # excitatory: more depolarised


@pytest.mark.parametrize(
    ("kw", "exc", "match"),
    [
        (dict(pre_shape=(4, 3)), ValueError, r"pre_shape=\(4, 3\) holds 12 cells, but"),
        (dict(post_shape=(2, 2)), ValueError, r"post_shape=\(2, 2\) holds 4 cells"),
        (dict(pre_shape=(4, 0, 4)), ValueError, r"each of length >= 1"),
        (dict(pre_shape=()), ValueError, r"at least one axis"),
        # (the suite's type checker names the argument before connect does)
        (dict(pre_shape="4x4"), TypeError, r"pre_shape"),
        (dict(pre_shape=(4.0, 4.0)), TypeError, r"pre_shape"),
    ],
)
def test_bad_population_shapes(kw, exc, match):
    net, pre, post = _sheets()
    with pytest.raises(exc, match=match):
        dx.connect(net, pre, post, dx.synapses.Ionotropic(), **kw)


def test_grid_matrices_of_the_wrong_shape():
    net, pre, post = _sheets()
    w = _grid_weights()
    # A 4-d matrix without shapes: the message says which shapes would read it.
    with pytest.raises(ValueError, match=r"pass pre_shape=\(4, 4\), post_shape=\(3, 3"):
        dx.connect(net, pre, post, dx.synapses.Ionotropic(), dx.conn.FromMatrix(w))
    with pytest.raises(ValueError, match=r"gS is a matrix of shape \(4, 4, 3, 3\)"):
        dx.connect(net, pre, post, dx.synapses.Ionotropic(gS=w))
    # With shapes, a matrix of neither form names both.
    grid = dict(pre_shape=(4, 4), post_shape=(3, 3))
    with pytest.raises(ValueError, match=r"give a \(16, 9\) or a \(4, 4, 3, 3\)"):
        dx.connect(net, pre, post, dx.synapses.Ionotropic(gS=np.ones((4, 4, 9))),
                   **grid)  # fmt: skip
    with pytest.raises(ValueError, match=r"give a \(16, 9\) matrix or a \(4, 4, 3, 3"):
        dx.connect(net, pre, post, dx.synapses.Ionotropic(),
                   dx.conn.FromMatrix(np.ones((2, 8, 3, 3))), **grid)  # fmt: skip
    with pytest.raises(ValueError, match=r"FromMatrix: matrix must be 2-d"):
        dx.conn.FromMatrix(np.ones(3))


# --- GaussianProb ------------------------------------------------------------------


def _gauss(shape_pre, shape_post, rule, key, n_pre=None, n_post=None):
    n_pre, n_post = int(np.prod(shape_pre)), int(np.prod(shape_post))
    pre = np.arange(n_pre).reshape(shape_pre)
    post = np.arange(100, 100 + n_post).reshape(shape_post)
    return rule.sample(pre, post, key)


def _gauss_probability(shape_pre, shape_post, sigma, p_max=1.0, periodic=False):
    """The (n_pre, n_post) probabilities, computed independently of the rule."""
    out = np.zeros((int(np.prod(shape_pre)), int(np.prod(shape_post))))
    for i, a in enumerate(np.ndindex(*shape_pre)):
        for j, b in enumerate(np.ndindex(*shape_post)):
            d2 = 0.0
            for ax, (x, y) in enumerate(zip(a, b)):
                n, m = shape_pre[ax], shape_post[ax]
                diff = abs(x - ((y + 0.5) * n / m - 0.5))
                if periodic:
                    diff = min(diff, n - diff)
                d2 += diff**2
            out[i, j] = p_max * np.exp(-d2 / (2 * sigma**2))
    return out


@pytest.mark.parametrize(
    ("pre_shape", "post_shape", "sigma", "p_max", "periodic"),
    [
        ((6, 6), (6, 6), 1.5, 1.0, False),
        ((6, 6), (6, 6), 1.5, 0.8, True),
        ((6, 6), (3, 3), 2.0, 1.0, False),
        ((12,), (4,), 3.0, 0.5, True),
    ],
)
def test_gaussian_prob_frequencies_match_the_probabilities(
    pre_shape, post_shape, sigma, p_max, periodic
):
    rule = dx.conn.GaussianProb(sigma, p_max, periodic=periodic)
    p = _gauss_probability(pre_shape, post_shape, sigma, p_max, periodic)
    counts = np.zeros_like(p)
    trials = 300
    for s in range(trials):
        i, j = _gauss(pre_shape, post_shape, rule, jax.random.key(s))
        assert np.all(np.diff(i) >= 0)  # pre-major
        np.add.at(counts, (i, j - 100), 1)
    # Pairs grouped by probability (to 3 decimals): binomial frequencies.
    groups, inverse = np.unique(np.round(p, 3), return_inverse=True)
    inverse = inverse.ravel()
    n = np.bincount(inverse) * trials
    k = np.bincount(inverse, weights=counts.ravel())
    mean_p = np.bincount(inverse, weights=p.ravel()) / np.bincount(inverse)
    z = (k - n * mean_p) / np.sqrt(n * mean_p * (1 - mean_p) + 1e-300)
    z = z[(mean_p > 0) & (mean_p < 1)]
    assert np.all(np.abs(z) < 4.5), np.abs(z).max()
    chi2 = float(np.sum(z**2))
    assert stats.chi2.sf(chi2, len(z)) > 1e-4, (chi2, len(z))


def test_gaussian_prob_without_self_connections_and_with_connect():
    net = _net(16)
    cells = dx.select(net, cell="all")
    rule = dx.conn.GaussianProb(1.0, self_connections=False)
    sheet = dict(pre_shape=(4, 4), post_shape=(4, 4))
    out = dx.connect(
        net,
        cells,
        cells,
        dx.synapses.Ionotropic(),
        rule,
        key=jax.random.key(0),
        **sheet,
    )
    pairs = np.array(_pairs(out))
    assert len(pairs) > 0 and not np.any(pairs[:, 0] == pairs[:, 1])
    # Neighbours (distance 1, p = 0.61) are far more common than distance-3 pairs.
    a = np.stack(np.unravel_index(pairs[:, 0], (4, 4)), 1)
    b = np.stack(np.unravel_index(pairs[:, 1], (4, 4)), 1)
    d2 = ((a - b) ** 2).sum(1)
    assert np.all(d2 <= 18)
    same = dx.connect(
        net,
        cells,
        cells,
        dx.synapses.Ionotropic(),
        rule,
        key=jax.random.key(0),
        **sheet,
    )
    assert _pairs(same) == _pairs(out)  # the key fixes the graph


def test_gaussian_prob_errors():
    with pytest.raises(ValueError, match=r"sigma must be finite and > 0"):
        dx.conn.GaussianProb(0.0)
    with pytest.raises(ValueError, match=r"p_max must lie in \[0, 1\]"):
        dx.conn.GaussianProb(1.0, 1.5)
    with pytest.raises(TypeError, match=r"takes no key"):
        dx.conn.GaussianProb(1.0, key=jax.random.key(0))
    with pytest.raises(ValueError, match=r"same number of axes"):
        _gauss((4, 4), (16,), dx.conn.GaussianProb(1.0), jax.random.key(0))
    with pytest.raises(ValueError, match=r"GaussianProb draws at random: pass key="):
        _gauss((4,), (4,), dx.conn.GaussianProb(1.0), None)
