import equinox as eqx
import numpy as np
from jaxtyping import Int, PRNGKeyArray

from .base import AbstractRule, check_self_connections, grid, refuse_key, rule_fix


class AllToAll(AbstractRule):
    """Every presynaptic cell connects to every postsynaptic cell.

    **Arguments:**

    - `self_connections`: whether a cell in both populations connects to itself
      (default True: `n_pre * n_post` edges).
    """

    self_connections: bool = eqx.field(static=True)

    def __init__(
        self, self_connections: bool = True, *, key: PRNGKeyArray | None = None
    ):
        refuse_key(key, "AllToAll", rule_fix("AllToAll", ""))
        self.self_connections = check_self_connections(self_connections, "AllToAll")

    def sample(
        self,
        pre: Int[np.ndarray, "*pre_shape"],
        post: Int[np.ndarray, "*post_shape"],
        key: PRNGKeyArray | None,
    ) -> tuple[Int[np.ndarray, " edge"], Int[np.ndarray, " edge"]]:
        return grid(pre.ravel(), post.ravel(), self.self_connections)
