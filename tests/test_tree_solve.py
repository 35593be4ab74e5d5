"""The condensed tree solve against a dense solve, on trees of every shape."""

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx
from dendrax._solver import tree_solve
from dendrax._solver._tree import cell_plan

MORPH = Path(__file__).parent / "data" / "morphologies"


def _dense_check(net: dx.Network, seed=0):
    topo = net.topology
    rng = np.random.default_rng(seed)
    n = topo.n_total
    parent = topo.parent.array
    has = parent >= 0
    g = np.where(has, rng.uniform(0.1, 5.0, n), 0.0)
    d = rng.uniform(0.5, 2.0, n) + g
    np.add.at(d, parent[has], g[has])
    b = rng.normal(size=n)
    A = np.diag(d)
    for i in np.flatnonzero(has):
        A[i, parent[i]] = A[parent[i], i] = -g[i]
    expected = np.linalg.solve(A, b)
    got = jax.jit(lambda d, b, g: tree_solve(d, b, g, topo))(
        jnp.asarray(d), jnp.asarray(b), jnp.asarray(g)
    )
    np.testing.assert_allclose(got, expected, rtol=1e-11, atol=1e-12)


def _binary_tree(n_branches, ncomp=8):
    parents = [-1] + [(i - 1) // 2 for i in range(1, n_branches)]
    return dx.Cell(dx.Branch(dx.Compartment(), ncomp), parents)


CELLS = {
    "point": lambda: dx.Cell(dx.Branch(dx.Compartment())),
    "one_branch": lambda: dx.Cell(dx.Branch(dx.Compartment(), 5)),
    "long_branch": lambda: dx.Cell(dx.Branch(dx.Compartment(), 150)),  # cut chains
    "binary_tree": lambda: _binary_tree(32),
    "interior": lambda: dx.Cell(
        dx.Branch(dx.Compartment(), 4),
        parents=[-1, 0, 0, 1, 1, 2],
        attach=[1.0, 0.5, 0.0, 0.0, 0.3, 1.0],
    ),
    "ca1": lambda: dx.read_swc(MORPH / "ca1_n120.swc", 4),
    "ca1_dlambda": lambda: dx.read_swc(MORPH / "ca1_n120.swc", dx.DLambda(0.05)),
    "one_point_soma": lambda: dx.read_swc(MORPH / "one_point_soma.swc", 3),
}


@pytest.mark.parametrize("name", sorted(CELLS))
def test_condensed_solve_matches_dense(name):
    _dense_check(dx.Network(CELLS[name]()))


def test_many_cells_of_several_shapes():
    cells = [CELLS[k]() for k in ("point", "binary_tree", "interior", "long_branch")]
    _dense_check(dx.Network(cells * 3), seed=1)


def test_plan_bounds_chains_and_roots_junctions_at_the_centre():
    # A 150-compartment cable: chains are cut so none is longer than the bound,
    # and the junction tree is rooted in the middle, so it is shallow.
    parent = np.arange(-1, 149)
    plan = cell_plan(parent)
    longest = max(len(c) for c in plan["chains"])
    assert longest <= max(8, int(np.sqrt(150 * 4)))
    depth = int(plan["jdepth"].max())
    assert depth <= (150 // longest) // 2 + 1
    # Every node is in exactly one chain or is a junction.
    seen = np.concatenate([np.concatenate(plan["chains"]), plan["junctions"]])
    assert sorted(seen.tolist()) == list(range(150))
    # A binary tree of 32 branches: the branch points are the junctions, the
    # branches the chains, and the junction tree is about half as deep as the
    # tree of branches.
    net = dx.Network(_binary_tree(32))
    p = net.topology.plan
    assert p.chain_node.array.shape == (8, 32)
    assert p.junction_levels.array.shape[0] <= 4


@pytest.mark.parametrize("name", ["interior", "binary_tree"])
def test_solve_derivatives_match_dense(name):
    # tree_solve differentiates by the implicit function theorem
    # (custom_linear_solve); the reference differentiates a dense solve of the
    # same matrix. Reverse and forward mode, w.r.t. d, b and the couplings g.
    topo = dx.Network([CELLS[name]()] * 2).topology
    n = topo.n_total
    parent = topo.parent.array
    has = parent >= 0
    rng = np.random.default_rng(3)
    g = jnp.asarray(np.where(has, rng.uniform(0.1, 5.0, n), 0.0))
    d = jnp.asarray(rng.uniform(0.5, 2.0, n)) + 2 * g
    b = jnp.asarray(rng.normal(size=n))
    w = jnp.asarray(rng.normal(size=n))
    rows, cols = np.flatnonzero(has), parent[has]

    def dense(d, b, g):
        A = jnp.diag(d).at[rows, cols].add(-g[rows]).at[cols, rows].add(-g[rows])
        return jnp.sin(jnp.linalg.solve(A, b)) @ w

    def ours(d, b, g):
        return jnp.sin(tree_solve(d, b, g, topo)) @ w

    expected = jax.grad(dense, argnums=(0, 1, 2))(d, b, g)
    got = jax.jit(jax.grad(ours, argnums=(0, 1, 2)))(d, b, g)
    for x, y in zip(got, expected):
        np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-12)
    assert float(jnp.abs(got[2]).max()) > 0
    np.testing.assert_array_equal(got[2][~has], 0.0)  # a root's g is no entry
    tangent = (b, w, g)
    _, jvp = jax.jvp(ours, (d, b, g), tangent)
    _, jvp_dense = jax.jvp(dense, (d, b, g), tangent)
    np.testing.assert_allclose(jvp, jvp_dense, rtol=1e-9)
    # vmap over right-hand sides.
    bs = jnp.stack([b, 2 * b, -b])
    xs = jax.vmap(lambda b: tree_solve(d, b, g, topo))(bs)
    np.testing.assert_allclose(xs[1], 2 * xs[0], rtol=1e-12)
