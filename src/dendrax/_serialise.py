"""Saving and loading networks with equinox serialisation (no pickle)."""

import hashlib
from pathlib import Path

import equinox as eqx
import jax
import numpy as np
from jaxtyping import PyTree


def _fingerprint(tree: PyTree) -> np.ndarray:
    # The tree structure includes every static field (morphology, edges, tie
    # ids), so equal fingerprints mean the saved values land where they belong.
    text = str(jax.tree.structure(tree)).encode()
    return np.frombuffer(hashlib.sha256(text).digest(), dtype=np.uint8).copy()


def save(path: str | Path, tree: PyTree) -> None:
    """Write the numeric values of a network (or params tree) to `path`.

    Array leaves are written with `eqx.tree_serialise_leaves`, after a
    fingerprint of the tree's structure. The structure itself - morphology,
    connectivity, which values are tied and trainable - is code: rebuild it the
    same way and pass it to `dx.load`.

    **Arguments:**

    - `path`: the file to write.
    - `tree`: a `Network`, a params tree from `dx.partition`, or any PyTree.

    **Returns:**

    Nothing.
    """
    eqx.tree_serialise_leaves(path, (_fingerprint(tree), tree))


def load(path: str | Path, like: PyTree) -> PyTree:
    """Read values written by `dx.save` into a tree shaped like `like`.

    **Arguments:**

    - `path`: the file written by `dx.save`.
    - `like`: a tree of the same structure (e.g. the network rebuilt by the same
      code, including its `share`/`make_trainable` calls).

    **Returns:**

    `like` with the saved values. Raises `ValueError` if the structure (including
    ties) or the shapes differ.
    """
    expected = _fingerprint(like)
    with open(path, "rb") as f:
        try:
            saved, tree = eqx.tree_deserialise_leaves(f, (expected, like))
        except Exception as e:  # shape or dtype mismatch inside equinox
            raise ValueError(f"load: {path} does not fit `like`: {e}") from None
        trailing = f.read(1)
    if trailing or not np.array_equal(np.asarray(saved), expected):
        raise ValueError(
            f"load: {path} was saved from a differently structured tree (other "
            "cells, edges, ties or trainable values); rebuild `like` the same way."
        )
    return tree
