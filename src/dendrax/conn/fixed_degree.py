import equinox as eqx
import jax
import numpy as np
from jaxtyping import Int, PRNGKeyArray

from .base import AbstractRule


class FixedInDegree(AbstractRule):
    """Every postsynaptic cell receives exactly `k` synapses, from `k` distinct
    presynaptic cells drawn uniformly without replacement.

    **Arguments:**

    - `k`: the in-degree.
    - `self_connections`: whether a cell may be drawn as its own input
      (default True).
    """

    k: int | np.integer = eqx.field(static=True)
    self_connections: bool = eqx.field(static=True, default=True)

    def __check_init__(self):
        _check_k(self.k, type(self).__name__)

    def sample(
        self,
        pre: Int[np.ndarray, " n_pre"],
        post: Int[np.ndarray, " n_post"],
        key: PRNGKeyArray | None,
    ) -> tuple[Int[np.ndarray, " edge"], Int[np.ndarray, " edge"]]:
        chosen = _draw(key, post, pre, self.k, self.self_connections, self)
        return chosen, np.repeat(post, self.k)


class FixedOutDegree(AbstractRule):
    """Every presynaptic cell makes exactly `k` synapses, onto `k` distinct
    postsynaptic cells drawn uniformly without replacement.

    **Arguments:**

    - `k`: the out-degree.
    - `self_connections`: whether a cell may be drawn as its own target
      (default True).
    """

    k: int | np.integer = eqx.field(static=True)
    self_connections: bool = eqx.field(static=True, default=True)

    def __check_init__(self):
        _check_k(self.k, type(self).__name__)

    def sample(
        self,
        pre: Int[np.ndarray, " n_pre"],
        post: Int[np.ndarray, " n_post"],
        key: PRNGKeyArray | None,
    ) -> tuple[Int[np.ndarray, " edge"], Int[np.ndarray, " edge"]]:
        chosen = _draw(key, pre, post, self.k, self.self_connections, self)
        return np.repeat(pre, self.k), chosen


def _check_k(k, name: str) -> None:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
        raise ValueError(f"{name}: k must be a non-negative integer, got {k!r}.")


def _draw(key, owners, candidates, k, self_connections, rule) -> np.ndarray:
    """Per owner (in order), `k` distinct candidates; flattened owner-major."""
    name = type(rule).__name__
    if key is None:
        raise ValueError(f"{name} draws at random: pass key=jax.random.key(...).")
    out = np.empty((len(owners), k), np.int64)
    keys = jax.random.split(key, len(owners))
    for i, owner in enumerate(owners):
        pool = candidates if self_connections else candidates[candidates != owner]
        if k > len(pool):
            raise ValueError(
                f"{name}: k={k} exceeds the {len(pool)} cells available to cell "
                f"{owner}; lower k or enlarge the other population."
            )
        pick = np.asarray(jax.random.choice(keys[i], len(pool), (k,), replace=False))
        out[i] = pool[pick]
    return out.ravel()
