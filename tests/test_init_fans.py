"""Fan-based initializers (`jax.nn.initializers.variance_scaling` and its
glorot / he / lecun specialisations) through `dx.conn.Init`, in every storage
form, against jax's own draws for the equivalent dense matrix."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import dendrax as dx
from dendrax._connect import init_key
from dendrax.conn.init import draw, fans

init = jax.nn.initializers
CELL = dx.Cell(dx.Branch(dx.Compartment()))

# (name, factory, scale, mode, distribution), as jax defines them.
FAN_BASED = [
    ("glorot_normal", init.glorot_normal, 1.0, "fan_avg", "truncated_normal"),
    ("glorot_uniform", init.glorot_uniform, 1.0, "fan_avg", "uniform"),
    ("he_normal", init.he_normal, 2.0, "fan_in", "truncated_normal"),
    ("he_uniform", init.he_uniform, 2.0, "fan_in", "uniform"),
    ("lecun_normal", init.lecun_normal, 1.0, "fan_in", "truncated_normal"),
    ("lecun_uniform", init.lecun_uniform, 1.0, "fan_in", "uniform"),
]
IDS = [f[0] for f in FAN_BASED]
FORMS = ["scalar", "vector", "matrix"]


def _variance(scale, mode, fan_in, fan_out):
    """The variance jax's variance_scaling gives an entry with these fans."""
    return (
        scale
        / {
            "fan_in": fan_in,
            "fan_out": fan_out,
            "fan_avg": (fan_in + fan_out) / 2,
        }[mode]
    )


def _bound(variance, distribution):
    """The largest |value| the distribution can take."""
    if distribution == "uniform":
        return np.sqrt(3 * variance)
    return 2 * np.sqrt(variance) / 0.87962566103423978  # truncated at +-2 sd


def _reference(make, fan_in, fan_out, n):
    """`n` entries of jax's draws for dense (fan_in, fan_out) matrices."""
    f = make()
    keys = jax.random.split(jax.random.key(12345), -(-n // (fan_in * fan_out)))
    return np.asarray(jax.vmap(lambda k: f(k, (fan_in, fan_out)))(keys)).ravel()[:n]


def _gS(net):
    return np.asarray(dx.get(net, "Ionotropic.gS"))


def _pops(n_pre, n_post):
    net = dx.Network([CELL] * (n_pre + n_post))
    pre = dx.select(net, cell=slice(0, n_pre))
    post = dx.select(net, cell=slice(n_pre, n_pre + n_post))
    return net, pre, post


# --- the fans -------------------------------------------------------------------


def test_fans_are_the_mean_degrees():
    assert fans(12 * 7, 12, 7) == (12.0, 7.0)  # all-to-all: the dense matrix's
    assert fans(40 * 5, 10, 40) == (5.0, 20.0)  # FixedInDegree(5): fan_in = 5
    assert fans(0, 3, 4) == (3.0, 4.0)  # no edges: the populations'


# --- every form x glorot / he / lecun: the distribution jax gives the dense matrix


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(("name", "make", "scale", "mode", "dist"), FAN_BASED, ids=IDS)
def test_fan_based_init_draws_the_dense_distribution(
    name, make, scale, mode, dist, form
):
    # FixedInDegree(10) from 40 cells onto 20: the equivalent dense matrix is
    # (fan_in, fan_out) = (10, 5), with 10 of 40 inputs per cell.
    n_pre, n_post, k = 40, 20, 10
    rule = dx.conn.FixedInDegree(k)
    n_edges = k * n_post
    f_in, f_out = fans(n_edges, n_pre, n_post)
    assert (f_in, f_out) == (10.0, 5.0)
    variance = _variance(scale, mode, f_in, f_out)
    # Many draws of the form's values, as connect makes them (pooled over keys).
    keys = jax.random.split(jax.random.key(0), 4000 if form == "scalar" else 40)
    one = lambda key: draw(  # noqa: E731
        dx.conn.Init(make(), form=form), key, n_edges, n_pre, n_post, "gS"
    )
    values = np.asarray(jax.vmap(one)(keys))
    if form == "matrix":  # read at the edges of each draw's graph
        values = np.stack(
            [v[rule.sample(np.arange(n_pre), np.arange(n_post), k_)] for v, k_ in
             zip(values, jax.random.split(jax.random.key(1), len(keys)))]
        )  # fmt: skip
    values = values.ravel()
    assert values.size >= 4000
    # The variance within sampling error (4 standard errors of the estimate)...
    kurt = 1.8 if dist == "uniform" else 2.54  # E[x^4] / var^2 of the shape
    se = variance * np.sqrt((kurt - 1) / values.size)
    assert abs(values.var() - variance) < 4 * se, (values.var(), variance)
    assert abs(values.mean()) < 4 * np.sqrt(variance / values.size)
    # ...the truncation / support bounds respected and reached...
    bound = _bound(variance, dist)
    assert np.abs(values).max() <= bound * (1 + 1e-12)
    assert np.abs(values).max() > 0.97 * bound
    # ...and the same distribution as jax's draws of dense (10, 5) matrices.
    reference = _reference(make, 10, 5, 20_000)
    assert stats.ks_2samp(values, reference).pvalue > 1e-3


@pytest.mark.parametrize("form", ["vector", "matrix"])
@pytest.mark.parametrize(("name", "make", "scale", "mode", "dist"), FAN_BASED, ids=IDS)
def test_all_to_all_equals_jax_dense_draw_exactly(name, make, scale, mode, dist, form):
    net, pre, post = _pops(12, 7)
    key = jax.random.key(5)
    syn = dx.synapses.Ionotropic(gS=dx.conn.Init(make(), form=form))
    out = dx.connect(net, pre, post, syn, key=key)
    dense = np.asarray(make()(init_key(key, "gS"), (12, 7)))
    np.testing.assert_array_equal(_gS(out), dense.ravel())  # canonical = row-major


@pytest.mark.parametrize(("name", "make", "scale", "mode", "dist"), FAN_BASED, ids=IDS)
def test_scalar_form_is_one_value_with_the_population_fans(
    name, make, scale, mode, dist
):
    net, pre, post = _pops(12, 7)
    key = jax.random.key(9)
    syn = dx.synapses.Ionotropic(gS=dx.conn.Init(make(), form="scalar"))
    out = dx.connect(net, pre, post, syn, key=key)
    param = out.synapses[0].synapse.gS
    assert param.n_groups == 1  # one tie group for the 84 edges
    g = _gS(out)
    assert g.shape == (84,) and np.all(g == g[0]) and g[0] != 0.0
    # jax's draw on a (1, 1) matrix, rescaled from fans (1, 1) to (12, 7).
    unit = float(make()(init_key(key, "gS"), (1, 1))[0, 0])
    ratio = _variance(scale, mode, 12, 7) / _variance(scale, mode, 1, 1)
    np.testing.assert_allclose(g[0], unit * np.sqrt(ratio), rtol=1e-14)


def test_matrix_form_under_a_sparse_rule_rescales_jax_dense_draw():
    # he_normal (fan_in) under FixedInDegree(4) from 16 cells: jax's (16, 9)
    # matrix, read at the edges, with variance 2/4 instead of 2/16.
    net, pre, post = _pops(16, 9)
    key = jax.random.key(2)
    syn = dx.synapses.Ionotropic(gS=dx.conn.Init(init.he_normal(), form="matrix"))
    out = dx.connect(net, pre, post, syn, dx.conn.FixedInDegree(4), key=key)
    t = dx.edge_table(out)
    dense = np.asarray(init.he_normal()(init_key(key, "gS"), (16, 9)))
    np.testing.assert_allclose(
        _gS(out), dense[t.pre_cell, t.post_cell - 16] * np.sqrt(16 / 4), rtol=1e-14
    )


def test_fan_in_follows_the_rule():
    # he_uniform: Var = 2 / fan_in. The same 200 -> 100 populations, three rules.
    n_pre, n_post = 200, 100
    net, pre, post = _pops(n_pre, n_post)
    syn = dx.synapses.Ionotropic(gS=dx.conn.Init(init.he_uniform()))
    for rule, fan_in in [
        (dx.conn.AllToAll(), 200.0),
        (dx.conn.FixedInDegree(8), 8.0),
        (dx.conn.FixedOutDegree(10), 10 * 200 / 100),
    ]:
        out = dx.connect(net, pre, post, syn, rule, key=jax.random.key(4))
        g = _gS(out)
        assert fans(len(g), n_pre, n_post)[0] == fan_in
        bound = np.sqrt(6.0 / fan_in)
        assert np.abs(g).max() <= bound * (1 + 1e-12)
        assert np.abs(g).max() > 0.99 * bound
        se = (2.0 / fan_in) * np.sqrt(0.8 / len(g))
        assert abs(g.var() - 2.0 / fan_in) < 4 * se
    # Bernoulli(p): fan_in is the realised mean in-degree.
    out = dx.connect(net, pre, post, syn, dx.conn.Bernoulli(0.1), key=jax.random.key(4))
    g = _gS(out)
    fan_in = len(g) / n_post
    assert 15 < fan_in < 25
    np.testing.assert_allclose(np.abs(g).max(), np.sqrt(6 / fan_in), rtol=0.01)


def test_shared_groups_take_values_from_the_drawn_edges():
    # Tying after the draw (one value per presynaptic cell) keeps drawn values:
    # each group's value is the value of one of its edges.
    net, pre, post = _pops(30, 20)
    syn = dx.synapses.Ionotropic(gS=dx.conn.Init(init.glorot_normal()))
    out = dx.connect(
        net, pre, post, syn, dx.conn.FixedInDegree(6), key=jax.random.key(3)
    )
    drawn = _gS(out)
    tied = dx.share(out, "Ionotropic.gS", by="pre_cell")
    param = tied.synapses[0].synapse.gS
    t = dx.edge_table(tied)
    groups = np.unique(t.pre_cell)
    assert param.n_groups == len(groups)
    g = _gS(tied)
    for cell in groups:
        mine = t.pre_cell == cell
        assert np.all(g[mine] == g[mine][0]) and g[mine][0] in drawn[mine]


def test_event_weight_and_transposed_axes():
    # An event synapse's weight; an initializer whose input axis is the last
    # one reads the (n_pre, n_post) matrix as (out, in), as jax would.
    net = dx.insert(dx.Network([CELL] * 11), dx.channels.LIF())
    pre, post = dx.select(net, cell=slice(0, 5)), dx.select(net, cell=slice(5, 11))
    key = jax.random.key(8)
    he_t = init.he_normal(in_axis=-1, out_axis=-2)
    for form in ("vector", "matrix"):
        w = dx.conn.Init(he_t, form=form)
        out = dx.connect(net, pre, post, dx.synapses.Exp(weight=w), key=key)
        dense = np.asarray(he_t(init_key(key, "weight"), (5, 6)))
        np.testing.assert_array_equal(dx.get(out, "Exp.weight"), dense.ravel())
    # Under a sparse rule: the vector form, fan_in = mean out-degree here.
    rule = dx.conn.FixedOutDegree(3)
    out = dx.connect(
        net, pre, post, dx.synapses.Exp(weight=dx.conn.Init(he_t)), rule, key=key
    )
    w = np.asarray(dx.get(out, "Exp.weight"))
    assert np.abs(w).max() <= 2 * np.sqrt(2 / 3) / 0.87962566103423978


def test_fan_based_init_errors():
    net, pre, post = _pops(3, 4)
    key = jax.random.key(0)

    def conn(f, form="vector"):
        syn = dx.synapses.Ionotropic(gS=dx.conn.Init(f, form=form))
        return dx.connect(net, pre, post, syn, key=key)

    with pytest.raises(ValueError, match=r"Ionotropic.gS is drawn by a variance"):
        conn(init.glorot_normal(batch_axis=0))
    with pytest.raises(ValueError, match=r"for another initializer that needs a 2-d"):
        conn(init.orthogonal())
    assert _gS(conn(init.orthogonal(), "matrix")).shape == (12,)  # works as a matrix


def test_fan_based_init_under_jit_and_vmap():
    net, pre, post = _pops(6, 5)
    syn = dx.synapses.Ionotropic(gS=dx.conn.Init(init.lecun_normal()))

    @eqx.filter_jit
    def build(key):
        return dx.connect(net, pre, post, syn, key=key)

    key = jax.random.key(6)
    eager = dx.connect(net, pre, post, syn, key=key)
    np.testing.assert_array_equal(_gS(build(key)), _gS(eager))
    batch = jax.vmap(lambda k: dx.get(build(k), "Ionotropic.gS"))(
        jax.random.split(key, 3)
    )
    assert batch.shape == (3, 30) and len(np.unique(np.asarray(batch))) == 90
    assert jnp.all(jnp.abs(batch) <= 2 / np.sqrt(6) / 0.87962566103423978)


def test_fan_based_init_without_edges():
    net, pre, post = _pops(3, 4)
    for form in FORMS:
        syn = dx.synapses.Ionotropic(gS=dx.conn.Init(init.he_normal(), form=form))
        out = dx.connect(
            net, pre, post, syn, dx.conn.Bernoulli(0.0), key=jax.random.key(0)
        )
        assert out.n_edges == 0
    assert draw(
        dx.conn.Init(init.he_normal()), jax.random.key(0), 0, 3, 4, "w"
    ).shape == (0,)
