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


# A point cell of 20000 µm² (200 pF at 1 µF/cm²), as in the COBA benchmark.
POINT = dx.Cell(
    dx.Branch(dx.Compartment(length=20000 / (2 * np.pi * 10), radius=10.0), 1),
    parents=[-1],
)


def lif_net(n_cells: int, **lif) -> dx.Network:
    """`n_cells` LIF point cells starting at rest (-60 mV)."""
    net = dx.Network([POINT] * n_cells)
    net = dx.set(net, "v_init", -60.0)
    return dx.insert(net, dx.channels.LIF(**lif))


def pulses(times, dt: float, t_max: float, amp: float = 60.0):
    """A current (nA) of one-step pulses starting at `times` (ms): each drives a
    resting 200 pF LIF cell over threshold within that step, so the cell spikes
    at the end of it, at `time + dt`."""
    w = np.zeros(dx.n_steps(t_max, dt))
    for t in np.atleast_1d(times):
        w[int(round(t / dt))] = amp
    return jnp.asarray(w)


def spike_times(sol_ts, counts, column: int = 0) -> np.ndarray:
    """Times of the spikes of one column of a `Record("spikes")` raster."""
    return np.asarray(sol_ts)[np.flatnonzero(np.asarray(counts)[:, column])]


def neuron_mechanism(name: str) -> dx.channels.AbstractChannel:
    """dendrax's equivalent of NEURON's `hh` or `pas` as the reference cases set
    them (tests/reference/cases.py)."""
    import cases

    hh = cases.HH
    if name == "hh":
        return dx.channels.HH(
            gNa=hh["gnabar"], gK=hh["gkbar"], gLeak=hh["gl"], eNa=hh["ena"],
            eK=hh["ek"], eLeak=hh["el"], temperature=cases.CELSIUS,
        )  # fmt: skip
    if name == "pas":
        return dx.channels.Passive(g=cases.PAS["g"], e=cases.PAS["e"])
    raise ValueError(name)
