"""`AbstractRule`: connectivity rules as pure samplers."""

import abc

import equinox as eqx
import numpy as np
from jaxtyping import Int, PRNGKeyArray


class AbstractRule(eqx.Module):
    """Which presynaptic cells connect to which postsynaptic cells.

    A rule sees the presynaptic and postsynaptic cell ids (each sorted, unique)
    and returns the connected pairs as two arrays of cell ids. The result never
    depends on how the connections are read or stored later. Rules that draw at
    random take a `jax.random` key, so they are reproducible.
    """

    @abc.abstractmethod
    def sample(
        self,
        pre: Int[np.ndarray, " n_pre"],
        post: Int[np.ndarray, " n_post"],
        key: PRNGKeyArray | None,
    ) -> tuple[Int[np.ndarray, " edge"], Int[np.ndarray, " edge"]]:
        """The connected (pre cell id, post cell id) pairs."""


def grid(pre: np.ndarray, post: np.ndarray, self_connections: bool):
    """Every (pre, post) pair, pre-major, optionally without pre == post."""
    p, q = np.meshgrid(pre, post, indexing="ij")
    p, q = p.ravel(), q.ravel()
    if not self_connections:
        keep = p != q
        p, q = p[keep], q[keep]
    return p, q
