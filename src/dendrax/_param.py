"""`Param`: tied parameters as a segment-id gather.

Every numeric parameter of a compartment, channel or synapse population is a
`Param`. It stores one value per *tie group* and, per element, the index of the
group that element reads. At run time the per-element values are
`concatenate([free, fixed])[ids]`; gradients flow back through the gather as a
segment-sum, so a tied value receives the sum of the gradients of the elements it
controls without any extra code.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, Int

from ._static import Ix
from ._transform import AbstractTransform, Identity


class Param(eqx.Module):
    """Values of one parameter for `n` elements, tied into `k` groups.

    **Attributes:**

    - `free`: the trainable tie groups, unconstrained (what optimisers see).
    - `fixed`: values of the fixed tie groups.
    - `ids`: static, per element, the index into `concatenate([free, fixed])`.
    - `transform`: maps `free` to values (`dx.Identity()` unless set by
      `make_trainable(..., transform=)`).
    """

    free: Float[Array, " free"]
    fixed: Float[Array, " fixed"]
    ids: Ix = eqx.field(static=True)
    transform: AbstractTransform = Identity()

    def __check_init__(self):
        k = self.free.shape[0] + self.fixed.shape[0]
        ids = self.ids.array
        if ids.ndim != 1 or (ids.size and (ids.min() < 0 or ids.max() >= k)):
            raise ValueError(f"Param ids must index the {k} tie groups.")

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def n_groups(self) -> int:
        """Number of tie groups (free and fixed)."""
        return self.free.shape[0] + self.fixed.shape[0]

    @property
    def n_free(self) -> int:
        """Number of trainable tie groups."""
        return self.free.shape[0]

    def values(self) -> Float[Array, " n"]:
        """Per-element values, `concatenate([free, fixed])[ids]`.

        **Returns:**

        An array with one value per element.
        """
        return self.groups()[self.ids.array]

    def groups(self) -> Float[Array, " k"]:
        """The tie-group values, free ones first (after the transform)."""
        return jnp.concatenate([self.transform.forward(self.free), self.fixed])


def untied(values: Float[ArrayLike, " n"]) -> Param:
    """A fixed `Param` giving each element its own value.

    **Arguments:**

    - `values`: one value per element.

    **Returns:**

    A `Param` with `len(values)` fixed tie groups.
    """
    values = _to_device(values)
    if values.ndim != 1:
        raise ValueError("untied(values): values must be one-dimensional.")
    return Param(
        free=_to_device(np.zeros(0)), fixed=values, ids=Ix(np.arange(len(values)))
    )


def tied(value: Float[ArrayLike, ""], n: int) -> Param:
    """A fixed `Param` of `n` elements sharing one tie group.

    **Arguments:**

    - `value`: the value of every element (a scalar).
    - `n`: the number of elements.

    **Returns:**

    A `Param` with one fixed tie group (none when `n` is 0).
    """
    value = _to_device(value)
    if value.ndim != 0:
        raise ValueError("tied(value, n): value must be a scalar.")
    return Param(
        free=_to_device(np.zeros(0)),
        fixed=value.reshape(1) if n else _to_device(np.zeros(0)),
        ids=Ix(np.zeros(n, np.int64)),
    )


def float_values(x):
    """`x` as floats: a NumPy array when concrete, a JAX array when traced.

    Building a network regroups values many times, each at a new shape; as eager
    JAX operations every one would compile a small XLA program, so concrete
    values stay on the host until a `Param` is made.
    """
    if isinstance(x, jax.core.Tracer):
        return jnp.asarray(x, dtype=float)
    # A copy: a network owns its values (JAX on CPU may adopt a NumPy buffer,
    # which the caller could then change under it).
    return np.array(x, dtype=jnp.result_type(float), copy=True)


def _to_device(x) -> Array:
    """A float JAX array of `x`; concrete inputs are cast on the host first, so
    that no conversion program is compiled while a network is built."""
    x = float_values(x)
    return x if isinstance(x, jax.core.Tracer) else jax.device_put(x)


def retie(
    param: Param,
    keys: Int[np.ndarray, "n ..."],
    elem_values: Float[Array, " n"] | Float[np.ndarray, " n"] | None = None,
    free: np.ndarray | None = None,
    transform: AbstractTransform | None = None,
) -> Param:
    """Regroup `param` so elements with equal `keys` share one value.

    The value of a new group is the (new or current) value of its first element;
    its trainability is that of its first element unless `free` (per element)
    overrides it. Free groups come first, in order of first appearance, and are
    stored through `transform` (default: the param's own).
    """
    if transform is None:
        transform = param.transform
    keys = np.asarray(keys)
    if elem_values is None:
        elem_values = _elem_values(param)
    elif not isinstance(elem_values, jax.core.Tracer):
        elem_values = np.asarray(elem_values)
    if free is None:
        free = param.ids.array < param.n_free
    # 1-d keys take NumPy's fast path; rows of 2-d keys are compared as records.
    axis = 0 if keys.ndim > 1 else None
    _, first, inverse = np.unique(
        keys, axis=axis, return_index=True, return_inverse=True
    )
    inverse = inverse.reshape(-1)
    group_free = np.asarray(free, bool)[first]
    # Stable: free groups first, each part ordered by first appearance.
    order = np.lexsort((first, ~group_free))
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    group_values = elem_values[first[order]]
    n_free = int(group_free.sum())
    free_values = group_values[:n_free]
    if not isinstance(transform, Identity):
        free_values = transform.inverse(jnp.asarray(free_values))
        bad = ~jnp.all(jnp.isfinite(free_values))
        message = (
            f"a trainable value lies outside the domain of {type(transform).__name__}"
            "; give values inside it (or change the transform)."
        )
        if isinstance(bad, jax.core.Tracer):
            free_values = eqx.error_if(free_values, bad, message)
        elif bad:
            raise ValueError(message)
    return Param(
        free=_to_device(free_values),
        fixed=_to_device(group_values[n_free:]),
        ids=Ix(rank[inverse]),
        transform=transform,
    )


def _elem_values(param: Param):
    """Per-element values; computed with NumPy when nothing is traced (see
    `float_values`)."""
    if isinstance(param.free, jax.core.Tracer) or isinstance(
        param.fixed, jax.core.Tracer
    ):
        return param.values()
    groups = [np.asarray(param.transform.forward(param.free)), np.asarray(param.fixed)]
    return np.concatenate(groups)[param.ids.array]


def take(param: Param, index: Int[np.ndarray, " m"]) -> Param:
    """The elements at `index` (in that order), keeping their ties and
    trainability."""
    index = np.asarray(index, dtype=np.int64)
    ids, n = param.ids.array, len(param)
    if (
        param.n_groups == n
        and param.n_free in (0, n)
        and np.array_equal(ids, np.arange(n))
        and (index.size == 0 or np.bincount(index, minlength=n).max() <= 1)
    ):
        # Untied and all free or all fixed, no element taken twice: the groups
        # are the elements, so regrouping is plain indexing (O(n), no sort).
        def pick(x):
            if isinstance(x, jax.core.Tracer):
                return x[index]
            return _to_device(np.asarray(x)[index])

        free, fixed = param.free, param.fixed
        if param.n_free:
            free = pick(free)
        else:
            fixed = pick(fixed)
        return Param(free, fixed, Ix(np.arange(len(index))), param.transform)
    free = ids < param.n_free
    return retie(param, ids[index], _elem_values(param)[index], free[index])


def concat(a: Param, b: Param) -> Param:
    """The elements of `a` followed by those of `b`; no group is shared across
    the two. The result uses `a`'s transform."""
    keys = np.concatenate([a.ids.array, a.n_groups + b.ids.array])
    free = np.concatenate([a.ids.array < a.n_free, b.ids.array < b.n_free])
    va, vb = _elem_values(a), _elem_values(b)
    both = (
        np.concatenate([va, vb])
        if isinstance(va, np.ndarray) and isinstance(vb, np.ndarray)
        else jnp.concatenate([va, vb])
    )
    return retie(a, keys, both, free)


def set_values(
    param: Param, index: Int[np.ndarray, " m"], value: Float[ArrayLike, ...]
) -> Param:
    """Give the elements at `index` a new value (the rest are untouched).

    A scalar keeps existing ties among the selected elements; an array of one
    value per selected element unties them. Tie groups that straddle the
    selection are split so that nothing outside it changes.
    """
    index = np.asarray(index)
    traced = isinstance(value, jax.core.Tracer)
    value = jnp.asarray(value) if traced else np.array(value, copy=True)
    if value.ndim == 0:
        per_elem = False
    elif value.shape == (len(index),):
        per_elem = True
    else:
        raise ValueError(
            f"value has shape {value.shape}; expected a scalar or one value per "
            f"selected element, shape ({len(index)},)."
        )
    old = _elem_values(param)
    if traced or not isinstance(old, np.ndarray):
        new = jnp.asarray(old).at[index].set(jnp.asarray(value, old.dtype))
    else:
        new = old.copy()
        new[index] = value
    inside = np.zeros(len(param), np.int64)
    inside[index] = 1 + (np.arange(len(index)) if per_elem else 0)
    keys = np.stack([param.ids.array, inside], axis=1)
    return retie(param, keys, new)


def is_param(x) -> bool:
    """Whether `x` is a `Param` (use as `is_leaf`)."""
    return isinstance(x, Param)
