import equinox as eqx
import numpy as np
from jaxtyping import Int, PRNGKeyArray

from .base import AbstractRule, numpy_rng, uniform


class Bernoulli(AbstractRule):
    """Each (pre, post) pair is connected independently with probability `p`.

    Sampled in time and memory proportional to the number of edges, not of
    pairs: the gaps between connected pairs, in pre-major order, are drawn from
    the geometric distribution (the gaps of a Bernoulli process), so 10⁴ × 10⁴
    cells at p = 0.01 draw 10⁶ numbers, not 10⁸.

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
        rng = numpy_rng(key, self)
        # Positions in the pre-major grid of `grid(pre, post, self_connections)`,
        # mapped back to pairs arithmetically: the grid itself is never built.
        n_post = len(post)
        skip = np.zeros(0, np.int64)  # flat positions of the excluded self pairs
        if not self.self_connections:
            rows = np.flatnonzero(np.isin(pre, post))
            skip = rows * n_post + np.searchsorted(post, pre[rows])
        n = len(pre) * n_post - len(skip)
        kept = _bernoulli_positions(rng, n, float(self.p))
        flat = kept + np.searchsorted(skip - np.arange(len(skip)), kept, side="right")
        return pre[flat // n_post], post[flat % n_post]


def _bernoulli_positions(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    """The successes of n Bernoulli(p) trials, in increasing order: cumulative
    sums of geometric gaps, drawn in chunks until they pass n."""
    if n == 0 or p == 0.0:
        return np.zeros(0, np.int64)
    if p == 1.0:
        return np.arange(n, dtype=np.int64)
    log_q = np.log1p(-p)
    out, start = [], -1  # the last success so far
    while True:
        m = (n - 1 - start) * p  # successes expected in the rest
        size = int(m + 6.0 * np.sqrt(m) + 16)
        # Trials up to and including the next success: 1 + floor(log u / log q).
        gaps = 1 + np.floor(np.log(uniform(rng, size)) / log_q).astype(np.int64)
        pos = start + np.cumsum(gaps)
        done = pos[-1] >= n
        out.append(pos[pos < n])
        if done:
            return np.concatenate(out)
        start = int(pos[-1])
