"""`AbstractRule`: connectivity rules as pure samplers."""

import abc

import equinox as eqx
import jax
import numpy as np
from jaxtyping import Int, PRNGKeyArray


class AbstractRule(eqx.Module):
    """Which presynaptic cells connect to which postsynaptic cells.

    A rule sees the presynaptic and postsynaptic cell ids (each sorted, unique)
    and returns the connected pairs as two flat arrays of cell ids. The id
    arrays have the populations' shapes: 1-d, unless `dx.connect` was given
    `pre_shape=`/`post_shape=`, in which case the ids fill those shapes in C
    order (`ids.ravel()` is the sorted list), so a rule that uses positions
    (`GaussianProb`) sees each cell's grid index. The result never
    depends on how the connections are read or stored later. A rule holds no
    key: rules that draw at random are handed the key given to
    `dx.connect(..., key=)`, so the same key gives the same graph.
    """

    @abc.abstractmethod
    def sample(
        self,
        pre: Int[np.ndarray, "*pre_shape"],
        post: Int[np.ndarray, "*post_shape"],
        key: PRNGKeyArray | None,
    ) -> tuple[Int[np.ndarray, " edge"], Int[np.ndarray, " edge"]]:
        """The connected (pre cell id, post cell id) pairs, as two 1-d arrays."""


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
    if isinstance(key, jax.core.Tracer):
        raise TypeError(
            f"{type(rule).__name__} draws the graph on the host when the network "
            "is built, so the key given to connect must be concrete, not traced: "
            "call connect outside jit/vmap (a traced key works only for Init "
            "fields under a rule that draws nothing, such as AllToAll)."
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


def is_key(value) -> bool:
    """Whether `value` looks like a `jax.random` key (typed, or the raw uint32
    data of one)."""
    dtype = getattr(value, "dtype", None)
    if dtype is None or isinstance(value, str):
        return False
    if jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key):
        return True
    return dtype == np.uint32 and getattr(value, "ndim", 0) >= 1


def refuse_key(key, who: str, fix: str) -> None:
    """A `TypeError` when a key is given to a rule or `Init`: randomness at build
    time comes from `dx.connect(..., key=)` alone.

    **Arguments:**

    - `key`: what was passed (None: nothing to refuse).
    - `who`: the class refusing it.
    - `fix`: how to write the call instead.
    """
    if key is not None:
        raise TypeError(
            f"{who} takes no key: randomness at build time comes from "
            f"dx.connect(..., key=) alone; {fix}."
        )


def rule_fix(who: str, args: str) -> str:
    """The fix `refuse_key` gives for a rule."""
    return (
        f"write dx.connect(net, pre, post, synapse, dx.conn.{who}({args}), "
        "key=jax.random.key(0))"
    )


def check_self_connections(value, who: str) -> bool:
    """`self_connections` checked: a bool (a key given here gets the key message)."""
    if is_key(value):
        refuse_key(value, who, rule_fix(who, "..."))
    if not isinstance(value, bool | np.bool_):
        raise TypeError(
            f"{who}: self_connections must be True or False, got {value!r}."
        )
    return bool(value)
