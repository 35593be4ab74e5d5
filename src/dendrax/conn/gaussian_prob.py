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


class GaussianProb(AbstractRule):
    """Cells on grids connect with a probability that falls off as a Gaussian of
    their distance: each (pre, post) pair independently with probability
    `p_max * exp(-d² / (2 sigma²))`.

    The positions come from the populations' shapes (`dx.connect(...,
    pre_shape=(4, 4), post_shape=(4, 4))`): the cell at index `(a, b)` of the
    presynaptic grid sits at `(a, b)`, so distances are in presynaptic grid
    spacings. A postsynaptic grid of another size is stretched over the same
    extent (its cell centres at `(i + 0.5) * n_pre_axis / n_post_axis - 0.5`
    along each axis), so that a 4 × 4 sheet and a 2 × 2 sheet overlap as two
    maps of one area. Both shapes need the same number of axes; 1-d
    populations are lines.

    Every pair is visited once (time proportional to `n_pre * n_post`, memory
    bounded by chunks); the draws come from the key given to
    `dx.connect(..., key=)`.

    **Arguments:**

    - `sigma`: the width of the Gaussian, in presynaptic grid spacings (> 0).
    - `p_max`: the probability at distance 0, in [0, 1] (default 1).
    - `periodic`: whether the grid wraps around (a torus; default False): the
      distance along each axis is the shorter way round a period of the
      presynaptic grid's length.
    - `self_connections`: whether a cell in both populations may connect to
      itself (default True).
    """

    sigma: float = eqx.field(static=True)
    p_max: float = eqx.field(static=True)
    periodic: bool = eqx.field(static=True)
    self_connections: bool = eqx.field(static=True)

    def __init__(
        self,
        sigma: Number,
        p_max: Number = 1.0,
        *,
        periodic: bool = False,
        self_connections: bool = True,
        key: PRNGKeyArray | None = None,
    ):
        refuse_key(key, "GaussianProb", rule_fix("GaussianProb", "sigma"))
        for name, v in (("sigma", sigma), ("p_max", p_max)):
            if isinstance(v, bool) or not isinstance(v, int | float | np.number):
                raise TypeError(f"GaussianProb: {name} must be a number, got {v!r}.")
        if not float(sigma) > 0.0 or not np.isfinite(float(sigma)):
            raise ValueError(
                f"GaussianProb: sigma must be finite and > 0 (grid spacings), got "
                f"sigma={sigma}."
            )
        if not 0.0 <= float(p_max) <= 1.0:
            raise ValueError(f"GaussianProb: p_max must lie in [0, 1], got {p_max}.")
        if not isinstance(periodic, bool | np.bool_):
            raise TypeError(
                f"GaussianProb: periodic must be True or False, got {periodic!r}."
            )
        self.sigma, self.p_max, self.periodic = float(sigma), float(p_max), periodic
        self.self_connections = check_self_connections(self_connections, "GaussianProb")

    def sample(
        self,
        pre: Int[np.ndarray, "*pre_shape"],
        post: Int[np.ndarray, "*post_shape"],
        key: PRNGKeyArray | None,
    ) -> tuple[Int[np.ndarray, " edge"], Int[np.ndarray, " edge"]]:
        if pre.ndim != post.ndim:
            raise ValueError(
                f"GaussianProb: the populations have shapes {pre.shape} and "
                f"{post.shape}; give dx.connect a pre_shape and a post_shape with the "
                "same number of axes, e.g. pre_shape=(4, 4), post_shape=(2, 2)."
            )
        rng = numpy_rng(key, self)
        extent = np.asarray(pre.shape, float)
        x = positions(pre.shape, pre.shape)
        y = positions(post.shape, pre.shape)
        pre, post = pre.ravel(), post.ravel()
        rows = max(1, 1_000_000 // max(len(post), 1))  # bound the chunk's memory
        out_pre, out_post = [], []
        for a in range(0, len(pre), rows):
            d = np.abs(x[a : a + rows, None, :] - y[None, :, :])
            if self.periodic:
                d = np.minimum(d, extent - d)
            p = self.p_max * np.exp(-(d**2).sum(-1) / (2.0 * self.sigma**2))
            if not self.self_connections:
                p[pre[a : a + rows, None] == post[None, :]] = 0.0
            i, j = np.nonzero(uniform(rng, p.shape) <= p)  # u > 0: p = 0 never
            out_pre.append(pre[a + i])
            out_post.append(post[j])
        if not out_pre:
            return np.zeros(0, pre.dtype), np.zeros(0, post.dtype)
        return np.concatenate(out_pre), np.concatenate(out_post)


def positions(shape: tuple[int, ...], frame: tuple[int, ...]) -> np.ndarray:
    """`(n, ndim)` positions of the cells of a grid of `shape` (C order), in the
    grid spacings of a grid of shape `frame` spanning the same extent."""
    index = np.indices(shape).reshape(len(shape), -1).T.astype(float)
    scale = np.asarray(frame, float) / np.asarray(shape, float)
    return (index + 0.5) * scale - 0.5
