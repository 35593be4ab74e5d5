import jax
import jax.numpy as jnp
import numpy as np

import dendrax as dx


def tree_allclose(a, b, rtol=1e-7, atol=1e-9) -> bool:
    la, ta = jax.tree.flatten(a)
    lb, tb = jax.tree.flatten(b)
    return ta == tb and all(
        np.allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=atol)
        for x, y in zip(la, lb)
    )


def small_cell(ncomp: int = 2) -> dx.Cell:
    """Soma branch with two child branches, `ncomp` compartments each."""
    return dx.Cell(dx.Branch(dx.Compartment(), ncomp=ncomp), parents=[-1, 0, 0])


def hh_net(n_cells: int = 2, ncomp: int = 2) -> dx.Network:
    net = dx.Network([small_cell(ncomp)] * n_cells)
    return dx.insert(net, dx.channels.HH())


def central_difference(f, x, eps=1e-6):
    x = jnp.asarray(x, float)
    return (f(x + eps) - f(x - eps)) / (2 * eps)


# The channel catalogue, for tests parametrised over every channel.
CHANNELS = [
    dx.channels.HH,
    dx.channels.Na,
    dx.channels.K,
    dx.channels.Leak,
    dx.channels.Passive,
]
