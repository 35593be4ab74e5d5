from collections.abc import Sequence

import equinox as eqx
import numpy as np
from jaxtyping import ArrayLike, Int, PRNGKeyArray

from .._static import Ix
from .base import AbstractRule, refuse_key, rule_fix


def from_matrix(matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The nonzero entries of a dense `(n_pre, n_post)` matrix as edges.

    **Arguments:**

    - `matrix`: weights (or a boolean mask); entry `[i, j]` is pre i → post j.

    **Returns:**

    `(pre, post, values)`: row and column indices of the nonzero entries and
    their values, in canonical edge order (by pre, then post).
    """
    matrix = np.asarray(matrix)
    if matrix.ndim != 2:
        raise ValueError(f"from_matrix: matrix must be 2-d, got shape {matrix.shape}.")
    pre, post = np.nonzero(matrix)  # row-major: sorted by pre, then post
    return pre, post, matrix[pre, post]


def to_matrix(pre, post, values, shape: tuple[int, int]) -> np.ndarray:
    """A dense `(n_pre, n_post)` matrix from edges (the inverse of `from_matrix`).

    **Arguments:**

    - `pre`, `post`: edge endpoints (row and column indices).
    - `values`: one value per edge, or a scalar (e.g. `True` for a mask).
    - `shape`: `(n_pre, n_post)`.

    **Returns:**

    The matrix; entries without an edge are zero, and parallel edges add up.
    """
    pre, post = np.asarray(pre), np.asarray(post)
    values = np.broadcast_to(np.asarray(values), pre.shape)
    out = np.zeros(shape, dtype=np.result_type(values, np.float64))
    if values.dtype == bool:
        out = np.zeros(shape, dtype=bool)
        out[pre, post] = values
        return out
    np.add.at(out, (pre, post), values)
    return out


def to_csr(pre, post, n_pre: int) -> tuple[np.ndarray, np.ndarray]:
    """Compressed sparse rows of an edge list sorted by pre.

    **Arguments:**

    - `pre`, `post`: edge endpoints in canonical order (sorted by pre).
    - `n_pre`: number of presynaptic rows.

    **Returns:**

    `(indptr, indices)`: the targets of row `i` are `indices[indptr[i]:indptr[i+1]]`.
    """
    pre, post = np.asarray(pre), np.asarray(post)
    if pre.size and (pre.min() < 0 or pre.max() >= n_pre):
        raise ValueError(
            f"to_csr: pre indices must lie in [0, {n_pre}), got {pre.min()}.."
            f"{pre.max()}; pass the number of presynaptic rows as n_pre."
        )
    if np.any(np.diff(pre) < 0):
        raise ValueError("to_csr: edges must be sorted by pre (canonical order).")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(pre, minlength=n_pre))])
    return indptr, post.copy()


class FromMatrix(AbstractRule):
    """Edges at the nonzero entries of a matrix over the two populations (cells
    in increasing id order).

    **Arguments:**

    - `matrix`: a boolean mask or weights of shape `(n_pre, n_post)`, or
      `pre_shape + post_shape` when `dx.connect` is given the populations'
      shapes (e.g. `(4, 4, 3, 3)` for `pre_shape=(4, 4), post_shape=(3, 3)`:
      entry `[a, b, c, d]` connects the presynaptic cell at grid position
      `(a, b)` to the postsynaptic cell at `(c, d)`, the same as entry
      `[4 * a + b, 3 * c + d]` of the flattened `(16, 9)` matrix, which is
      accepted too). To use weights as a synapse parameter, pass the same
      matrix as that field's value.
    """

    mask: Ix = eqx.field(static=True)

    def __init__(
        self, matrix: ArrayLike | Sequence, *, key: PRNGKeyArray | None = None
    ):
        refuse_key(key, "FromMatrix", rule_fix("FromMatrix", "matrix"))
        matrix = np.asarray(matrix)
        if matrix.ndim < 2:
            raise ValueError(
                "FromMatrix: matrix must be 2-d (n_pre, n_post), or pre_shape + "
                f"post_shape for populations with shapes, got {matrix.shape}."
            )
        self.mask = Ix(matrix != 0)

    def sample(
        self,
        pre: Int[np.ndarray, "*pre_shape"],
        post: Int[np.ndarray, "*post_shape"],
        key: PRNGKeyArray | None,
    ) -> tuple[Int[np.ndarray, " edge"], Int[np.ndarray, " edge"]]:
        mask = self.mask.array
        flat = (pre.size, post.size)
        if mask.shape == pre.shape + post.shape:
            mask = mask.reshape(flat)
        elif mask.shape != flat:
            raise ValueError(
                f"FromMatrix: the matrix has shape {mask.shape} but the populations "
                f"have {pre.size} presynaptic and {post.size} postsynaptic cells"
                + _shaped(pre.shape, post.shape)
                + f"; give a {flat} matrix"
                + (
                    f" or a {pre.shape + post.shape} one"
                    if pre.ndim + post.ndim > 2
                    else ""
                )
                + grid_hint(mask.shape, flat, pre.ndim + post.ndim)
                + "."
            )
        rows, cols = np.nonzero(mask)
        pre, post = pre.ravel(), post.ravel()
        return pre[rows], post[cols]


def _shaped(pre_shape, post_shape) -> str:
    """` (shapes (4, 4) and (3, 3))` when connect was given shapes, else ``."""
    if len(pre_shape) + len(post_shape) == 2:
        return ""
    return f" (shapes {pre_shape} and {post_shape})"


def grid_hint(shape, flat, ndim) -> str:
    """For an N-d matrix given to 1-d populations of the right sizes: say how to
    name the populations' shapes."""
    if ndim != 2 or len(shape) <= 2 or int(np.prod(shape)) != flat[0] * flat[1]:
        return ""
    for k in range(1, len(shape)):
        a, b = shape[:k], shape[k:]
        if int(np.prod(a)) == flat[0] and int(np.prod(b)) == flat[1]:
            return (
                f", or pass pre_shape={a}, post_shape={b} to dx.connect to read this "
                "one as a grid"
            )
    return ""
