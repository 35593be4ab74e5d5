import equinox as eqx
import jax
import numpy as np
from jaxtyping import Int, PRNGKeyArray

from .base import AbstractRule


class Bernoulli(AbstractRule):
    """Each (pre, post) pair is connected independently with probability `p`.

    **Arguments:**

    - `p`: connection probability in [0, 1].
    - `self_connections`: whether a cell may connect to itself (default True).
    """

    p: float = eqx.field(static=True)
    self_connections: bool = eqx.field(static=True, default=True)

    def __check_init__(self):
        if not 0.0 <= float(self.p) <= 1.0:
            raise ValueError(f"Bernoulli: p must lie in [0, 1], got p={self.p}.")

    def sample(
        self,
        pre: Int[np.ndarray, " n_pre"],
        post: Int[np.ndarray, " n_post"],
        key: PRNGKeyArray | None,
    ) -> tuple[Int[np.ndarray, " edge"], Int[np.ndarray, " edge"]]:
        if key is None:
            raise ValueError(
                "Bernoulli draws at random: pass key=jax.random.key(...) to connect."
            )
        # One draw per pair of `grid(pre, post, self_connections)` (pre-major),
        # mapped back to pairs arithmetically: the pair grid itself, n_pre x n_post
        # long, is never built.
        n_post = len(post)
        skip = np.zeros(0, np.int64)  # flat positions of the excluded self pairs
        if not self.self_connections:
            rows = np.flatnonzero(np.isin(pre, post))
            skip = rows * n_post + np.searchsorted(post, pre[rows])
        n = len(pre) * n_post - len(skip)
        kept = np.flatnonzero(np.asarray(jax.random.bernoulli(key, self.p, (n,))))
        flat = kept + np.searchsorted(skip - np.arange(len(skip)), kept, side="right")
        return pre[flat // n_post], post[flat % n_post]
