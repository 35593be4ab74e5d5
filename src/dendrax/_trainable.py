"""What gets trained: `is_trainable`, `partition`, `combine`, `n_trainable`.

A network can sit anywhere in a model (beside an `eqx.nn.MLP`, in a list, inside
another module). Inside a network exactly the values the user made trainable are
trained: the `free` arrays of its `Param`s. Everywhere else, every floating-point
array is, as with `eqx.is_inexact_array`. The fixed values of a network are
ordinary float arrays (so that `eqx.filter_grad` over a whole network still
gives the gradient of every parameter), which is why a filter must see each
`Param` whole rather than its arrays one by one.
"""

from __future__ import annotations

import equinox as eqx
import jax
from jaxtyping import PyTree

from ._network import Network
from ._param import Param


def _param_spec(param: Param) -> Param:
    spec = jax.tree.map(lambda _: False, param)
    return eqx.tree_at(lambda p: p.free, spec, True)


def is_trainable(x) -> bool | PyTree[bool]:
    """The filter of what is trained, for `eqx.partition` and friends.

    Use it with `is_leaf=dx.is_param`, so that it sees each `Param` whole:
    `eqx.partition(model, dx.is_trainable, is_leaf=dx.is_param)` is
    `dx.partition(model)`, and it combines with equinox's own filter
    specifications (e.g. `dx.is_trainable` for one field of a model and `False`
    for another). Without `is_leaf` a filter sees single arrays, and the free
    and fixed arrays of a `Param` look alike.

    **Arguments:**

    - `x`: a `Param`, a `Network`, or any other node or leaf of a PyTree.

    **Returns:**

    For a `Param`, a tree of booleans of its shape marking its `free` values;
    for a `Network`, the same for all its `Param`s and `False` for anything else
    in it; otherwise whether `x` is a floating-point array
    (`eqx.is_inexact_array`).
    """
    if isinstance(x, Param):
        return _param_spec(x)
    if isinstance(x, Network):
        return jax.tree.map(
            lambda y: _param_spec(y) if isinstance(y, Param) else False,
            x,
            is_leaf=lambda y: isinstance(y, Param),
        )
    return eqx.is_inexact_array(x)


def _whole(x) -> bool:
    return isinstance(x, Param | Network)


def partition(tree: PyTree) -> tuple[PyTree, PyTree]:
    """Split any PyTree into what is trained and everything else.

    **Arguments:**

    - `tree`: a `Network`, or any PyTree holding networks, `Param`s and other
      arrays (e.g. an equinox model with a network and an `eqx.nn.MLP`).

    **Returns:**

    `(params, static)` as from `eqx.partition`: `params` holds, inside every
    network, exactly its trainable values (the `free` array of each `Param`,
    empty when none is trainable) and, elsewhere, every floating-point array;
    `dx.combine(params, static)` rebuilds the tree. `params` can go straight to
    an optax optimiser and to `jax.grad`.
    """
    return eqx.partition(tree, is_trainable, is_leaf=_whole)


def combine(params: PyTree, static: PyTree) -> PyTree:
    """Inverse of `partition`.

    **Arguments:**

    - `params`, `static`: the two halves returned by `partition`.

    **Returns:**

    The rebuilt tree.
    """
    return eqx.combine(params, static)


def n_trainable(tree: PyTree) -> int:
    """Number of trained values in a tree: the size of `partition(tree)[0]`.

    **Arguments:**

    - `tree`: a `Network` or any PyTree (see `partition`).

    **Returns:**

    The total number of trainable numbers (array elements).
    """
    return sum(x.size for x in jax.tree.leaves(partition(tree)[0]))
