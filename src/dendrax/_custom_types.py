"""Shared jaxtyping aliases."""

from typing import TypeAlias

import numpy as np
from jaxtyping import Array, ArrayLike, Float, Int

RealScalarLike: TypeAlias = float | int | Float[ArrayLike, ""]
FloatValues: TypeAlias = float | int | Float[ArrayLike, "..."]
NodeVector: TypeAlias = Float[Array, " node"]
IndexArray: TypeAlias = Int[np.ndarray, " n"]
