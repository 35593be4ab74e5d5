from typing import ClassVar

import equinox as eqx
import numpy as np
from jaxtyping import Int, PRNGKeyArray

from .._custom_types import Number
from .base import (
    AbstractRule,
    check_self_connections,
    numpy_rng,
    refuse_key,
    rule_fix,
    uniform,
)


class _FixedDegree(AbstractRule):
    """`k` distinct partners per cell on one side (`inward`: per postsynaptic
    cell, drawn among the presynaptic ones; else the reverse)."""

    k: int = eqx.field(static=True)
    self_connections: bool = eqx.field(static=True)
    inward: ClassVar[bool]

    def __init__(
        self,
        k: Number,
        self_connections: bool = True,
        *,
        key: PRNGKeyArray | None = None,
    ):
        who = type(self).__name__
        refuse_key(key, who, rule_fix(who, "k"))
        self.k = _check_k(k, who)
        self.self_connections = check_self_connections(self_connections, who)

    def sample(
        self,
        pre: Int[np.ndarray, "*pre_shape"],
        post: Int[np.ndarray, "*post_shape"],
        key: PRNGKeyArray | None,
    ) -> tuple[Int[np.ndarray, " edge"], Int[np.ndarray, " edge"]]:
        pre, post = pre.ravel(), post.ravel()
        owners, candidates = (post, pre) if self.inward else (pre, post)
        chosen = _draw(key, owners, candidates, self.k, self.self_connections, self)
        mine = np.repeat(owners, self.k)
        return (chosen, mine) if self.inward else (mine, chosen)


class FixedInDegree(_FixedDegree):
    """Every postsynaptic cell receives exactly `k` synapses, from `k` distinct
    presynaptic cells drawn uniformly without replacement.

    **Arguments:**

    - `k`: the in-degree.
    - `self_connections`: whether a cell may be drawn as its own input
      (default True).

    The draws come from the key given to `dx.connect(..., key=)`; the rule
    itself takes none.
    """

    inward: ClassVar[bool] = True


class FixedOutDegree(_FixedDegree):
    """Every presynaptic cell makes exactly `k` synapses, onto `k` distinct
    postsynaptic cells drawn uniformly without replacement.

    **Arguments:**

    - `k`: the out-degree.
    - `self_connections`: whether a cell may be drawn as its own target
      (default True).

    The draws come from the key given to `dx.connect(..., key=)`; the rule
    itself takes none.
    """

    inward: ClassVar[bool] = False


def _check_k(k, name: str) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
        raise ValueError(f"{name}: k must be a non-negative integer, got {k!r}.")
    return int(k)


def _draw(key, owners, candidates, k, self_connections, rule) -> np.ndarray:
    """Per owner (in order), `k` distinct candidates in random order; flattened
    owner-major. Vectorised over owners: Floyd's algorithm (k steps) when k is
    small next to the candidates, otherwise the k smallest of random keys; both
    draw every k-subset with the same probability."""
    rng = numpy_rng(key, rule)
    m, n_own = len(candidates), len(owners)
    # Per owner, the position of itself among the candidates (m: none excluded).
    excl = np.full(n_own, m, np.int64)
    if not self_connections:
        pos = np.searchsorted(candidates, owners).clip(max=max(m - 1, 0))
        hit = (candidates[pos] == owners) if m else np.zeros(n_own, bool)
        excl[hit] = pos[hit]
    pool = m - (excl < m)
    short = np.flatnonzero(pool < k)
    if short.size:
        i = short[0]
        raise ValueError(
            f"{type(rule).__name__}: k={k} exceeds the {pool[i]} cells available to "
            f"cell {owners[i]}; lower k or enlarge the other population."
        )
    if k == 0 or n_own == 0:
        return np.zeros(0, np.int64)
    if k * k <= 8 * m:
        idx = np.empty((n_own, k), np.int64)
        u = uniform(rng, (n_own, k))
        for t in range(k):
            j = pool - k + t  # draw from 0..j
            r = np.minimum(np.floor(u[:, t] * (j + 1)).astype(np.int64), j)
            dup = (idx[:, :t] == r[:, None]).any(axis=1)
            idx[:, t] = np.where(dup, j, r)
        order = np.argsort(uniform(rng, (n_own, k)), axis=1)
        idx = np.take_along_axis(idx, order, axis=1)
        idx = idx + (idx >= excl[:, None])  # skip the owner itself
    else:
        idx = np.empty((n_own, k), np.int64)
        rows = max(1, 4_000_000 // max(m, 1))  # bound the keys' memory
        for a in range(0, n_own, rows):
            keys = uniform(rng, (min(rows, n_own - a), m))
            ex = excl[a : a + rows]
            keys[np.flatnonzero(ex < m), ex[ex < m]] = 2.0  # the owner: never drawn
            idx[a : a + rows] = np.argsort(keys, axis=1)[:, :k]
    return candidates[idx].ravel()
