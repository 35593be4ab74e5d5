from collections.abc import Callable
from typing import Literal

import equinox as eqx
from jaxtyping import PRNGKeyArray

from .base import is_key, refuse_key

_FIX = (
    "write dx.conn.Init(initializer, form=...) and pass key= to dx.connect, which "
    "derives one key per Init field from it"
)


class Init(eqx.Module):
    """A synapse parameter drawn by a `jax.nn.initializers` function at connect
    time, in one of three storage forms.

    `Init` holds no key: `dx.connect(..., key=)` derives one for each field
    given as an `Init` from its own key and the field's name, so the same key
    gives the same values, and two fields (or a field and the rule's graph)
    never share draws.

    **Arguments:**

    - `initializer`: e.g. `jax.nn.initializers.uniform(1.0)`, called as
      `initializer(key, shape)`.
    - `form`: keyword-only: "scalar" (one value for all edges, shape `()`),
      "vector" (one per edge, shape `(n_edges,)`, in the order of the pairs the
      rule returns) or "matrix" (shape `(n_pre, n_post)` over the two
      populations, read at the edges). Fan-based initializers (glorot, he, ...)
      need the 2-d "matrix" form. Default "vector".
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
