"""Saving and loading networks with equinox serialisation (no pickle)."""

from pathlib import Path

import equinox as eqx
from jaxtyping import PyTree


def save(path: str | Path, tree: PyTree) -> None:
    """Write the numeric values of a network (or params tree) to `path`.

    Only array leaves are written (`eqx.tree_serialise_leaves`); the structure -
    morphology, connectivity, which values are tied and trainable - is code, so
    rebuild it the same way and pass it to `dx.load`.

    **Arguments:**

    - `path`: the file to write.
    - `tree`: a `Network`, a params tree from `dx.partition`, or any PyTree.

    **Returns:**

    Nothing.
    """
    eqx.tree_serialise_leaves(path, tree)


def load(path: str | Path, like: PyTree) -> PyTree:
    """Read values written by `dx.save` into a tree shaped like `like`.

    **Arguments:**

    - `path`: the file written by `dx.save`.
    - `like`: a tree of the same structure (e.g. the network rebuilt by the same
      code, including its `share`/`make_trainable` calls).

    **Returns:**

    `like` with the saved values. Raises if the structure or shapes differ.
    """
    return eqx.tree_deserialise_leaves(path, like)
