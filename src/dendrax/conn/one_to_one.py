import numpy as np
from jaxtyping import Int, PRNGKeyArray

from .base import AbstractRule, refuse_key, rule_fix


class OneToOne(AbstractRule):
    """The i-th presynaptic cell connects to the i-th postsynaptic cell (cells in
    increasing id order); both populations must have the same size."""

    def __init__(self, *, key: PRNGKeyArray | None = None):
        refuse_key(key, "OneToOne", rule_fix("OneToOne", ""))

    def sample(
        self,
        pre: Int[np.ndarray, "*pre_shape"],
        post: Int[np.ndarray, "*post_shape"],
        key: PRNGKeyArray | None,
    ) -> tuple[Int[np.ndarray, " edge"], Int[np.ndarray, " edge"]]:
        pre, post = pre.ravel(), post.ravel()
        if len(pre) != len(post):
            raise ValueError(
                f"OneToOne needs populations of equal size, got {len(pre)} "
                f"presynaptic and {len(post)} postsynaptic cells; select as many "
                "of each or use another rule."
            )
        return pre.copy(), post.copy()
