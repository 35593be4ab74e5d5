"""Parameter transforms: optimise in an unconstrained space.

A trainable `Param` stores its free values *unconstrained*; `Param.values()`
maps them through the transform's `forward`. Gradients and optimiser updates
therefore act on the unconstrained numbers, and the constrained value can never
leave its domain.
"""

import abc

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float


class AbstractTransform(eqx.Module):
    """A bijection between the real line and a parameter's domain."""

    @abc.abstractmethod
    def forward(self, u: Float[Array, " k"]) -> Float[Array, " k"]:
        """Unconstrained → constrained."""

    @abc.abstractmethod
    def inverse(self, x: Float[Array, " k"]) -> Float[Array, " k"]:
        """Constrained → unconstrained."""


class Identity(AbstractTransform):
    """No constraint."""

    def forward(self, u: Float[Array, " k"]) -> Float[Array, " k"]:
        return u

    def inverse(self, x: Float[Array, " k"]) -> Float[Array, " k"]:
        return x


class Softplus(AbstractTransform):
    """Positive values, `x = softplus(u)`; close to linear for large `x`."""

    def forward(self, u: Float[Array, " k"]) -> Float[Array, " k"]:
        return jax.nn.softplus(u)

    def inverse(self, x: Float[Array, " k"]) -> Float[Array, " k"]:
        # log(exp(x) - 1), written to stay finite for large x.
        return x + jnp.log(-jnp.expm1(-x))


class Exp(AbstractTransform):
    """Positive values, `x = exp(u)`: steps in `u` are relative changes of `x`,
    suited to conductances that span orders of magnitude."""

    def forward(self, u: Float[Array, " k"]) -> Float[Array, " k"]:
        return jnp.exp(u)

    def inverse(self, x: Float[Array, " k"]) -> Float[Array, " k"]:
        return jnp.log(x)


class Sigmoid(AbstractTransform):
    """Values in the open interval (`lower`, `upper`).

    **Arguments:**

    - `lower`, `upper`: the bounds, `lower < upper`.
    """

    lower: float = eqx.field(static=True)
    upper: float = eqx.field(static=True)

    def __check_init__(self):
        if not float(self.lower) < float(self.upper):
            raise ValueError(
                f"Sigmoid: lower must be below upper, got {self.lower}, {self.upper}."
            )

    def forward(self, u: Float[Array, " k"]) -> Float[Array, " k"]:
        return self.lower + (self.upper - self.lower) * jax.nn.sigmoid(u)

    def inverse(self, x: Float[Array, " k"]) -> Float[Array, " k"]:
        p = (x - self.lower) / (self.upper - self.lower)
        return jnp.log(p) - jnp.log1p(-p)
