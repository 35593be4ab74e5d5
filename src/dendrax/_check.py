"""Checks of user-given numbers: real, finite and within bounds.

One rule per parameter, declared by its owner (`bounds` of a channel, synapse or
plasticity rule; the compartment properties below). Concrete values are checked
eagerly and raise a `TypeError`/`ValueError` that names the argument, the value
and the fix; traced values (inside `jit`, `vmap`, `grad`) are checked where they
are used, with `eqx.error_if`.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ._sharding import error_if

Bound = Literal["finite", "positive", "nonnegative", "unit"]

_WANT = {
    "positive": ("must be > 0", "give a positive value"),
    "nonnegative": ("must be >= 0", "give a value >= 0"),
    "unit": ("must be in (0, 1]", "give a fraction in (0, 1]"),
}


def _outside(x, bound: Bound):
    """Mask of finite values outside `bound` (NumPy or JAX, as `x`)."""
    if bound == "positive":
        return x <= 0
    if bound == "nonnegative":
        return x < 0
    if bound == "unit":
        return (x <= 0) | (x > 1)
    return x != x  # "finite": nothing more to check


def _where(name: str, a: np.ndarray, k: int) -> str:
    if a.ndim == 0:
        return name
    pos = np.unravel_index(k, a.shape)
    return f"{name}[{', '.join(str(int(i)) for i in pos)}]"


def real(value, who: str, name: str):
    """`value` as a float NumPy array, or a `TypeError` when it is not real
    numbers (strings, complex numbers, None, objects)."""
    if isinstance(value, bool | np.bool_):
        kind = "b"
    else:
        try:
            arr = np.asarray(value)
            kind = arr.dtype.kind
        except (TypeError, ValueError):  # ragged lists and the like
            kind = "O"
    if kind not in "iuf":
        got = f"an array of {arr.dtype}" if kind in "cOU" and arr.ndim else repr(value)
        raise TypeError(
            f"{who}: {name} must be a real number or an array of real numbers, got "
            f"{got[:80]}."
        )
    return arr.astype(float, copy=False)


def check(value, who: str, name: str, bound: Bound = "finite"):
    """`value` checked: real (else `TypeError`), finite and within `bound` (else
    `ValueError`, naming the first bad element). A traced value is returned
    wrapped in `eqx.error_if`, which raises when the program runs.

    **Arguments:**

    - `value`: a number or array, concrete or traced.
    - `who`, `name`: the function (or class) and argument, for the message.
    - `bound`: "finite", "positive", "nonnegative" or "unit" (in (0, 1]).

    **Returns:**

    `value` unchanged (concrete) or guarded (traced).
    """
    if isinstance(value, jax.core.Tracer):
        x = jnp.asarray(value)
        if not jnp.issubdtype(x.dtype, jnp.floating) and not jnp.issubdtype(
            x.dtype, jnp.integer
        ):
            raise TypeError(
                f"{who}: {name} must be real numbers, got an array of {x.dtype}."
            )
        want = _WANT[bound][0].removeprefix("must be ") if bound in _WANT else ""
        return error_if(
            x.astype(jnp.result_type(float)),
            jnp.any(~jnp.isfinite(x) | _outside(x, bound)),
            [f"{who}: {name} must be finite{' and ' + want if want else ''}."],
        )
    a = real(value, who, name)
    bad = ~np.isfinite(a)
    if bad.any():
        k = int(np.flatnonzero(bad.ravel())[0])
        raise ValueError(
            f"{who}: {_where(name, a, k)} = {a.ravel()[k]} is not finite; give a "
            "finite number."
        )
    out = _outside(a, bound)
    if np.any(out):
        k = int(np.flatnonzero(np.ravel(out))[0])
        want, fix = _WANT[bound]
        raise ValueError(f"{who}: {_where(name, a, k)} = {a.ravel()[k]} {want}; {fix}.")
    return value


def off_grid(x, dt: float):
    """Steps of times `x` (ms, >= 0) on the grid of `dt`, and a mask of those
    that are not multiples of `dt` to 1e-9 relative: the one rule for `t_max`
    and synaptic delays, which are never rounded."""
    x = np.asarray(x, float)
    steps = np.round(x / dt)
    return steps.astype(np.int64), np.abs(steps * dt - x) > 1e-9 * np.maximum(x, dt)


def _skip(value) -> bool:
    """Values checked elsewhere: traced ones (at insert/connect), `Param`s (the
    network's own, checked when set) and `dx.conn.Init` (drawn at connect)."""
    from ._param import Param
    from .conn.init import Init

    return isinstance(value, jax.core.Tracer | Param | Init | jax.ShapeDtypeStruct)


class Checked(eqx.Module):
    """A model (channel, synapse, plasticity rule) whose parameter fields are
    checked when it is made: real, finite, and within the bound its class
    declares in `bounds` (e.g. `{"tau": "positive"}`; others: "finite")."""

    bounds: ClassVar[dict[str, Bound]] = {}

    def __check_init__(self):
        who = type(self).__name__
        for f in dataclasses.fields(self):
            if f.metadata.get("static", False):
                continue
            value = getattr(self, f.name)
            if not _skip(value):
                check(value, who, f.name, self.bound(f.name))

    @classmethod
    def bound(cls, field: str) -> Bound:
        """The bound of parameter `field` ("finite" unless declared)."""
        return cls.bounds.get(field, "finite")
