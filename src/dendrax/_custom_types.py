"""Shared jaxtyping aliases."""

from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
from jaxtyping import ArrayLike, Float

RealScalarLike: TypeAlias = float | int | Float[ArrayLike, ""]
# A concrete Python or NumPy number (it fixes shapes, so it must not be traced).
Number: TypeAlias = float | int | np.floating | np.integer
FloatValues: TypeAlias = float | int | Sequence[float | int] | Float[ArrayLike, "..."]
