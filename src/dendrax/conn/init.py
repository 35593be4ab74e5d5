from collections.abc import Callable
from typing import Literal

import equinox as eqx
from jaxtyping import PRNGKeyArray


class Init(eqx.Module):
    """A synapse parameter drawn by a `jax.nn.initializers` function at connect
    time, in one of three storage forms.

    **Arguments:**

    - `initializer`: e.g. `jax.nn.initializers.uniform(1.0)`, called as
      `initializer(key, shape)`.
    - `key`: a `jax.random` key.
    - `form`: "scalar" (one value for all edges, shape `()`), "vector" (one per
      edge, shape `(n_edges,)`, canonical order) or "matrix" (shape
      `(n_pre, n_post)` over the two populations, read at the edges).
      Fan-based initializers (glorot, he, ...) need the 2-d "matrix" form.
    """

    initializer: Callable = eqx.field(static=True)
    key: PRNGKeyArray
    form: Literal["scalar", "vector", "matrix"] = eqx.field(
        static=True, default="vector"
    )

    def __check_init__(self):
        if self.form not in ("scalar", "vector", "matrix"):
            raise ValueError(
                f"Init: form must be 'scalar', 'vector' or 'matrix', got {self.form!r}."
            )
