"""`dx.select` by global index (`index=`) and by Python slices, for nodes and
edges, against Python's own slicing of the indices that exist."""

import jax
import numpy as np
import pytest

import dendrax as dx

B2 = dx.Branch(dx.Compartment(), ncomp=2)
B3 = dx.Branch(dx.Compartment(), ncomp=3)
BIG = dx.Cell([B2, B3, B3], parents=[-1, 0, 0])  # 8 compartments
SMALL = dx.Cell(B3)  # 3 compartments in one branch


def _net() -> dx.Network:
    """Cells of different shapes: slices of branches and compartments depend on
    how many each cell and branch has."""
    return dx.Network([BIG, SMALL, BIG, SMALL])


def _expected(net, column: str, owner: tuple[str, ...], s: slice) -> list[int]:
    """Global indices of the nodes whose `column` value lies in Python's slice
    `s` of the values that exist within their owner (e.g. a branch's
    compartments)."""
    t = dx.node_table(net)
    keys = list(zip(*(getattr(t, c).tolist() for c in owner))) or [()] * len(t)
    local = getattr(t, column).tolist()
    out = []
    for i in range(len(t)):
        existing = sorted({v for k, v in zip(keys, local) if k == keys[i]})
        if local[i] in existing[s]:
            out.append(i)
    return out


SLICES = [
    slice(None),
    slice(1, None),
    slice(None, None, 2),
    slice(1, None, 2),
    slice(-1, None),
    slice(None, -1),
    slice(0, 100),
    slice(None, None, -1),
    slice(-2, None, -1),
]


@pytest.mark.parametrize("s", SLICES, ids=str)
def test_slices_apply_within_each_owner_as_python_slices_do(s):
    net = _net()
    for column, owner in (
        ("cell", ()),
        ("index", ()),
        ("branch", ("cell",)),
        ("comp", ("cell", "branch")),
    ):
        want = _expected(net, column, owner, s)
        if not want:
            with pytest.raises(ValueError, match="selects nothing"):
                dx.select(net, **{column: s})
            continue
        got = dx.select(net, **{column: s}).indices.tolist()
        assert got == want, (column, s)


def test_slice_examples_of_the_docstring():
    net = _net()
    t = dx.node_table(net)
    last = dx.select(net, comp=slice(-1, None)).indices
    pairs = list(zip(t.cell.tolist(), t.branch.tolist())) + [None]
    ends = [i for i in range(len(t)) if pairs[i + 1] != pairs[i]]  # a branch ends
    assert last.tolist() == ends
    every_other = dx.select(net, comp=slice(None, None, 2))
    assert np.all(t.comp[every_other.indices] % 2 == 0)
    assert len(every_other) == len(dx.select(net, where=lambda t: t.comp % 2 == 0))
    first_two = dx.select(net, cell=slice(0, 2))
    assert first_two.indices.tolist() == dx.select(net, cell=[0, 1]).indices.tolist()


def test_index_selects_global_compartments_and_intersects():
    net = _net()
    assert dx.select(net, index=5).indices.tolist() == [5]
    assert dx.select(net, index=[3, 0, 3]).indices.tolist() == [0, 3]
    assert dx.select(net, index=np.array([12, 11])).indices.tolist() == [11, 12]
    assert dx.select(net, index=range(4)).indices.tolist() == [0, 1, 2, 3]
    assert len(dx.select(net, index="all")) == len(net)
    both = dx.select(net, index=slice(6, 12), cell=1)
    assert both.indices.tolist() == [8, 9, 10]
    # The same compartments as the equivalent where= predicate.
    via_where = dx.select(net, where=lambda t: (t.index >= 6) & (t.index < 12))
    assert dx.select(net, index=slice(6, 12)).indices.tolist() == (
        via_where.indices.tolist()
    )


def test_index_selection_drives_builders():
    net = dx.insert(_net(), dx.channels.HH())
    sel = dx.select(net, index=slice(0, None, 4))
    out = dx.set(net, "HH.gNa", 0.2, where=sel)
    g = np.asarray(dx.get(out, "HH.gNa"))
    assert np.all(g[sel.indices] == 0.2)
    assert np.all(np.delete(g, sel.indices) == 0.12)


def _edge_net():
    net = dx.Network([SMALL] * 5)
    return dx.connect(
        net,
        dx.select(net, cell=[0, 1], comp=0),
        dx.select(net, cell=[2, 3, 4], comp=0),
        dx.synapses.Ionotropic(),
    )  # 6 edges


@pytest.mark.parametrize("s", SLICES, ids=str)
def test_edge_slices_are_python_slices_of_the_edges(s):
    net = _edge_net()
    want = list(range(net.n_edges))[s]
    got = dx.select(net, edges=s)
    assert got.kind == "edges" and got.indices.tolist() == sorted(want)


def test_edges_by_int_and_slice_set_only_those():
    net = _edge_net()
    assert dx.select(net, edges=4).indices.tolist() == [4]
    out = dx.set(net, "Ionotropic.gS", 5e-3, where=dx.select(net, edges=slice(0, 3)))
    np.testing.assert_array_equal(dx.get(out, "Ionotropic.gS"), [5e-3] * 3 + [1e-4] * 3)


# --- bad input: errors that name the argument and the fix ---------------------------


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(cell=slice(0.5, 2)), TypeError, r"cell=slice\(0.5, 2, None\) has start"),
        (
            dict(comp=slice(0, "2")),
            TypeError,
            r"comp=.* has stop='2'.*integers or None",
        ),
        (dict(branch=slice(None, None, 1.0)), TypeError, "branch=.* has step=1.0"),
        (dict(index=slice(True, 3)), TypeError, "index=.* has start=True"),
        (dict(comp=slice(None, None, 0)), ValueError, "comp=.* has step 0"),
        (
            dict(cell=slice(4, 9)),
            ValueError,
            r"cell=slice\(4, 9, None\) selects nothing",
        ),
        (dict(comp=slice(3, None)), ValueError, "comp=.* selects nothing"),
        (dict(index=22), ValueError, "index=22 holds 22, which is out of range"),
        (dict(index=[0, -1]), ValueError, r"index=\[0, -1\] holds -1"),
        (dict(index=[0.0]), TypeError, "index must hold integers"),
        (dict(index=[]), ValueError, r"index=\[\] selects nothing"),
        (dict(index=[0], cell=1), ValueError, r"\(cell=1, index=\[0\]\) is empty"),
    ],
)
def test_bad_indices_and_slices_name_the_argument(kwargs, exc, match):
    # The suite's type-check hook (jaxtyping + beartype) rejects some wrong types
    # before dendrax does, naming the parameter; tests/catalogue.py checks
    # dendrax's own message without the hook.
    (name,) = [k for k in kwargs if k != "cell"] or ["cell"]
    hook = f"typechecking parameter '{name}'"
    with pytest.raises(exc, match=f"{match}|{hook}" if exc is TypeError else match):
        dx.select(_net(), **kwargs)


def test_bad_edge_slices_and_index_with_edges():
    net = _edge_net()
    with pytest.raises(ValueError, match="edges=.* selects nothing"):
        dx.select(net, edges=slice(6, None))
    with pytest.raises(ValueError, match="edges=.* has step 0"):
        dx.select(net, edges=slice(None, None, 0))
    with pytest.raises(ValueError, match="edges= cannot be combined with .*index"):
        dx.select(net, index=0, edges="all")


def test_selections_by_slice_and_index_are_static():
    # A selection holds no arrays, so it can be closed over or passed to jit.
    net = dx.insert(_net(), dx.channels.HH())
    sel = dx.select(net, comp=slice(-1, None))
    assert jax.tree.leaves(sel) == []

    @jax.jit
    def total(g):
        return dx.get(dx.set(net, "HH.gNa", g, where=sel), "HH.gNa").sum()

    n = len(net)
    assert float(total(0.5)) == pytest.approx(0.5 * len(sel) + 0.12 * (n - len(sel)))
