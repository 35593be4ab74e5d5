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


class Bernoulli(AbstractRule):
    """Each (pre, post) pair is connected independently with probability `p`.

    Sampled in time and memory proportional to the number of edges, not of
    pairs: the gaps between connected pairs, in pre-major order, are drawn from
    the geometric distribution (the gaps of a Bernoulli process), so 10⁴ × 10⁴
    cells at p = 0.01 draw 10⁶ numbers, not 10⁸.

    The draws come from the key given to `dx.connect(..., key=)`; the rule
    itself takes none.

    **Arguments:**

    - `p`: connection probability in [0, 1].
    - `self_connections`: whether a cell may connect to itself (default True).
    """

    p: float = eqx.field(static=True)
    self_connections: bool = eqx.field(static=True)

    def __init__(
        self,
        p: Number,
        self_connections: bool = True,
        *,
        key: PRNGKeyArray | None = None,
    ):
        refuse_key(key, "Bernoulli", rule_fix("Bernoulli", "p"))
        if isinstance(p, bool) or not isinstance(p, int | float | np.number):
            raise TypeError(f"Bernoulli: p must be a number in [0, 1], got {p!r}.")
        if not 0.0 <= float(p) <= 1.0:
            raise ValueError(f"Bernoulli: p must lie in [0, 1], got p={p}.")
        self.p = float(p)
        self.self_connections = check_self_connections(self_connections, "Bernoulli")

    def sample(
        self,
        pre: Int[np.ndarray, "*pre_shape"],
        post: Int[np.ndarray, "*post_shape"],
        key: PRNGKeyArray | None,
    ) -> tuple[Int[np.ndarray, " edge"], Int[np.ndarray, " edge"]]:
        rng = numpy_rng(key, self)
        pre, post = pre.ravel(), post.ravel()
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
