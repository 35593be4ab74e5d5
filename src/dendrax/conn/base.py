"""`AbstractRule`: connectivity rules as pure samplers."""

import abc

import equinox as eqx
import jax
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


def numpy_rng(key: PRNGKeyArray | None, rule: AbstractRule) -> np.random.Generator:
    """A NumPy generator seeded from a `jax.random` key, for rules that sample on
    the host in O(edges) time and memory.

    The seed is the key's raw data, and the rules use only the generator's raw
    64-bit output (`random_raw`, whose stream NumPy keeps stable), so a key gives
    the same graph on every machine and version.

    **Arguments:**

    - `key`: the key passed to `connect`.
    - `rule`: the rule asking (named in the error when `key` is missing).

    **Returns:**

    A `numpy.random.Generator` on PCG64.
    """
    if key is None:
        raise ValueError(
            f"{type(rule).__name__} draws at random: pass key=jax.random.key(...) "
            "to connect."
        )
    if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):
        key = jax.random.key_data(key)
    seed = np.asarray(key, np.uint32).ravel()
    return np.random.Generator(np.random.PCG64(seed.tolist()))


def uniform(rng: np.random.Generator, shape) -> np.ndarray:
    """Uniform floats in (0, 1] with 53 random bits, from the raw stream."""
    size = int(np.prod(shape, dtype=np.int64))
    raw = rng.bit_generator.random_raw(size)
    return ((raw >> np.uint64(11)).astype(np.float64) + 1.0).reshape(shape) * 2.0**-53
