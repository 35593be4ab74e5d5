import inspect
import math
from collections.abc import Callable
from typing import Literal

import equinox as eqx
import jax
import numpy as np
from jaxtyping import Array, Float, PRNGKeyArray

from .base import is_key, refuse_key

_FIX = (
    "write dx.conn.Init(initializer, form=...) and pass key= to dx.connect, which "
    "derives one key per Init field from it"
)

# Every initializer that `jax.nn.initializers.variance_scaling` makes (glorot_*,
# he_*, lecun_*, xavier_*, kaiming_*) is a closure over this one code object.
_VARIANCE_SCALING = jax.nn.initializers.variance_scaling(1.0, "fan_in", "normal")
_MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")


class Init(eqx.Module):
    """A synapse parameter drawn by a `jax.nn.initializers` function at connect
    time, in one of three storage forms.

    `Init` holds no key: `dx.connect(..., key=)` derives one for each field
    given as an `Init` from its own key and the field's name, so the same key
    gives the same values, and two fields (or a field and the rule's graph)
    never share draws.

    Fan-based initializers (those made by
    `jax.nn.initializers.variance_scaling`: `glorot_*`, `he_*`, `lecun_*`, ...)
    work in every form: their fans come from the connectivity, not from the
    shape the values are stored in. `fan_in` is the mean in-degree (edges per
    postsynaptic cell) and `fan_out` the mean out-degree (edges per presynaptic
    cell) of the new edges; for `AllToAll` these are `n_pre` and `n_post`, the
    fans of the dense `(n_pre, n_post)` matrix, and there the values equal
    jax's draw for that matrix exactly. Under `FixedInDegree(k)`, `fan_in = k`.
    Every edge's value then has the variance jax would give an entry of a
    dense layer with those fans (`scale / fan_in` for `he_*`, ...), whatever
    the form.

    **Arguments:**

    - `initializer`: e.g. `jax.nn.initializers.uniform(1.0)` or
      `jax.nn.initializers.glorot_normal()`, called as `initializer(key, shape)`.
    - `form`: keyword-only: "scalar" (one value for all edges), "vector" (one
      per edge, in the order of the pairs the rule returns) or "matrix" (an
      `(n_pre, n_post)` matrix over the two populations, read at the edges).
      Default "vector".
    """

    initializer: Callable = eqx.field(static=True)
    form: Literal["scalar", "vector", "matrix"] = eqx.field(static=True)

    def __init__(
        self,
        initializer: Callable,
        *args: object,
        form: Literal["scalar", "vector", "matrix"] = "vector",
        key: PRNGKeyArray | None = None,
    ):
        refuse_key(key, "Init", _FIX)
        for arg in (*args, form):
            if is_key(arg):
                refuse_key(arg, "Init", _FIX)
        if args:
            raise TypeError(
                "Init takes one positional argument, the initializer; give the "
                f"storage form by keyword, e.g. form='matrix' (got {args!r})."
            )
        if is_key(initializer) or not callable(initializer):
            raise TypeError(
                "Init: initializer must be a function f(key, shape) such as "
                f"jax.nn.initializers.uniform(1.0), got {initializer!r}."
            )
        self.initializer = initializer
        self.form = form

    def __check_init__(self):
        if not isinstance(self.form, str) or self.form not in (
            "scalar",
            "vector",
            "matrix",
        ):
            raise ValueError(
                f"Init: form must be 'scalar', 'vector' or 'matrix', got {self.form!r}."
            )


def fans(n_edges: int, n_pre: int, n_post: int) -> tuple[float, float]:
    """The fans a fan-based initializer sees for a projection.

    **Arguments:**

    - `n_edges`: the number of edges the rule made.
    - `n_pre`, `n_post`: the sizes of the two populations (the products of
      their shapes).

    **Returns:**

    `(fan_in, fan_out)`: the mean in-degree `n_edges / n_post` and the mean
    out-degree `n_edges / n_pre`; `(n_pre, n_post)` when there are no edges.
    For all-to-all connectivity these are the fans of the dense
    `(n_pre, n_post)` matrix.
    """
    if n_edges == 0:
        return float(n_pre), float(n_post)
    return n_edges / n_post, n_edges / n_pre


def _scaling(fn: Callable) -> dict | None:
    """The closure of a `jax.nn.initializers.variance_scaling` initializer
    (`scale`, `mode`, `in_axis`, ...), or None for any other function."""
    if getattr(fn, "__code__", None) is not _VARIANCE_SCALING.__code__:
        return None
    free = inspect.getclosurevars(fn).nonlocals
    if free.get("mode") not in _MODES or not {"in_axis", "out_axis"} <= set(free):
        return None
    return free


def _denominator(
    mode: str, shape: tuple[int | float, ...], axes: tuple[int, int]
) -> float:
    """What variance scaling divides `scale` by, for a 2-d weight `shape` whose
    input and output axes are `axes` (a shape of mean degrees stands for the
    dense matrix of the connectivity)."""
    fan_in, fan_out = float(shape[axes[0]]), float(shape[axes[1]])
    return {
        "fan_in": fan_in,
        "fan_out": fan_out,
        "fan_avg": (fan_in + fan_out) / 2,
        "fan_geo_avg": math.sqrt(fan_in * fan_out),
    }[mode]


def _axes(free: dict, name: str) -> tuple[int, int]:
    """The (input, output) axes of a variance-scaling initializer, as 0/1 of an
    `(n_pre, n_post)` matrix."""
    i, o, b = free["in_axis"], free["out_axis"], free.get("batch_axis", ())
    ok = (
        all(isinstance(a, int) and -2 <= a <= 1 for a in (i, o))
        and i % 2 != o % 2
        and b in ((), [])
    )
    if not ok:
        raise ValueError(
            f"connect: {name} is drawn by a variance-scaling initializer with "
            f"in_axis={i!r}, out_axis={o!r}, batch_axis={b!r}; a synapse "
            "parameter stands for a 2-d (n_pre, n_post) matrix, whose fans dendrax "
            "computes from the connectivity: build the initializer with the default "
            "axes, e.g. jax.nn.initializers.glorot_normal()."
        )
    return i % 2, o % 2


def draw(
    init: Init,
    key: PRNGKeyArray,
    n_edges: int,
    n_pre: int,
    n_post: int,
    name: str,
) -> Float[Array, "..."] | Float[np.ndarray, "..."]:
    """The values of an `Init` field: a scalar, one per edge (in rule order) or an
    `(n_pre, n_post)` matrix, as `init.form` says.

    A fan-based initializer (one made by `jax.nn.initializers.variance_scaling`)
    draws with the fans of `fans(n_edges, n_pre, n_post)` in every form: it is
    called on a 2-d shape holding the values needed (`(1, 1)`, `(1, n_edges)`,
    or `(n_pre, n_post)` when that is what is stored or all pairs are
    connected), and its values are rescaled from that shape's fans to the
    connectivity's. Other initializers are called on the stored shape.

    **Arguments:**

    - `init`: the `Init`.
    - `key`: its key (from `init_key`).
    - `n_edges`: the number of edges the rule made.
    - `n_pre`, `n_post`: the population sizes.
    - `name`: the field, for messages.

    **Returns:**

    The values, shaped `()`, `(n_edges,)` or `(n_pre, n_post)`.
    """
    dense = (n_pre, n_post)
    stored = {"scalar": (), "vector": (n_edges,), "matrix": dense}[init.form]
    free = _scaling(init.initializer)
    if free is None:
        try:
            return init.initializer(key, stored)
        except (ValueError, TypeError, IndexError, ZeroDivisionError) as e:
            if init.form == "matrix":
                raise
            raise ValueError(
                f"connect: {name} is drawn by dx.conn.Init(form={init.form!r}), but "
                f"its initializer failed on shape {stored} ({e}). Fans are computed "
                "from the connectivity only for initializers made by "
                "jax.nn.initializers.variance_scaling (glorot_*, he_*, lecun_*, ...); "
                "for another initializer that needs a 2-d shape, use form='matrix'."
            ) from e
    axes = _axes(free, name)
    if init.form == "vector" and n_edges == 0:
        return np.zeros(0)
    if init.form == "scalar":
        shape = (1, 1)
    elif init.form == "matrix" or n_edges == n_pre * n_post:
        shape = dense  # all pairs: jax's own draw for the dense matrix
    else:
        shape = (1, n_edges)
    values = init.initializer(key, shape)
    mode = free["mode"]
    ratio = _denominator(mode, shape, axes) / _denominator(
        mode, fans(n_edges, n_pre, n_post), axes
    )
    if ratio != 1.0:
        values = values * math.sqrt(ratio)
    return values.reshape(stored)
