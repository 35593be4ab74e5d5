"""A hashable, immutable wrapper for NumPy index arrays held as static fields.

Structure (which compartment is whose parent, which elements share a value) must be
known while tracing, so it cannot be a traced leaf. Equinox static fields must be
hashable; a bare NumPy array is not. `Ix` wraps one, read-only, hashed once.
"""

from __future__ import annotations

import numpy as np


class Ix:
    """A read-only integer (or bool/float) NumPy array that is hashable by value."""

    __slots__ = ("array", "_hash")

    def __init__(self, array):
        a = np.array(array, copy=True)
        if a.dtype.kind in "iu":
            a = a.astype(np.int64)
        a.setflags(write=False)
        self.array = a
        self._hash = hash((a.shape, a.dtype.str, a.tobytes()))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other) -> bool:
        if self is other:
            return True
        if not isinstance(other, Ix) or self._hash != other._hash:
            return False
        return self.array.shape == other.array.shape and bool(
            np.array_equal(self.array, other.array)
        )

    def index(self) -> np.ndarray | slice:
        """The array as an indexer: a slice when it is a contiguous range.

        Slices lower to cheap dynamic-slice ops in XLA instead of gathers and
        scatters, which matters on the per-step path.
        """
        a = self.array
        if a.ndim == 1 and a.size and a.dtype.kind == "i":
            if np.array_equal(a, np.arange(a[0], a[0] + a.size)):
                return slice(int(a[0]), int(a[0]) + a.size)
        return a

    def __len__(self) -> int:
        return len(self.array)

    def __repr__(self) -> str:
        return f"Ix({self.array.tolist()!r})"


class TracedIx(Ix):
    """An index array that is data rather than structure (a traced array): one
    device's part of a network split over a mesh, or the argument of a custom
    derivative. Same interface as `Ix`, without hashing or slices."""

    def __init__(self, array):
        self.array = array
        self._hash = id(self)

    def index(self):
        return self.array
