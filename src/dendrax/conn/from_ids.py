from collections.abc import Sequence

import equinox as eqx
import numpy as np
from jaxtyping import ArrayLike, Int, PRNGKeyArray

from .._static import Ix
from .base import AbstractRule, refuse_key, rule_fix


class FromIds(AbstractRule):
    """Explicit edges: `pre[k]` connects to `post[k]` (cell ids).

    **Arguments:**

    - `pre`, `post`: equal-length sequences of cell ids; each must belong to the
      presynaptic (postsynaptic) selection passed to `dx.connect`.
    """

    pre: Ix = eqx.field(static=True)
    post: Ix = eqx.field(static=True)

    def __init__(
        self,
        pre: ArrayLike | Sequence[int],
        post: ArrayLike | Sequence[int],
        *,
        key: PRNGKeyArray | None = None,
    ):
        refuse_key(key, "FromIds", rule_fix("FromIds", "pre, post"))
        pre, post = np.asarray(pre), np.asarray(post)
        if pre.ndim != 1 or pre.shape != post.shape or pre.dtype.kind not in "iu":
            raise ValueError(
                "FromIds: pre and post must be 1-d integer arrays of equal length, "
                f"got shapes {pre.shape} and {post.shape}."
            )
        self.pre, self.post = Ix(pre), Ix(post)

    def sample(
        self,
        pre: Int[np.ndarray, "*pre_shape"],
        post: Int[np.ndarray, "*post_shape"],
        key: PRNGKeyArray | None,
    ) -> tuple[Int[np.ndarray, " edge"], Int[np.ndarray, " edge"]]:
        pre, post = pre.ravel(), post.ravel()
        for name, ids, allowed in (("pre", self.pre, pre), ("post", self.post, post)):
            bad = np.setdiff1d(ids.array, allowed)
            if bad.size:
                raise ValueError(
                    f"FromIds: {name} cells {bad[:5].tolist()} are not in the "
                    f"{name}synaptic selection passed to connect."
                )
        return self.pre.array.copy(), self.post.array.copy()
