"""`AbstractChannel`: the interface every ion channel implements."""

import abc

import equinox as eqx
from jaxtyping import Array, Float

State = dict[str, Float[Array, " n"]]


class AbstractChannel(eqx.Module):
    """A membrane mechanism: gating states plus a current density.

    A channel is a small equinox module whose (non-static) fields are its
    parameters, given as floats with defaults. `dx.insert` turns every field into a
    `dx.Param` over the compartments it is inserted in; inside the solver each
    field is an array with one value per compartment, so the methods below are
    written element-wise and vectorise for free.

    Units: v in mV, dt in ms, currents in mA/cm² (outward positive),
    conductances in S/cm², as in NEURON.

    The parameter `"Name.field"` of a channel is addressed by its class name.
    """

    @abc.abstractmethod
    def init_state(self, v: Float[Array, " n"]) -> State:
        """Gating states at rest (steady state at `v`), as a dict of arrays."""

    @abc.abstractmethod
    def update_state(self, state: State, v: Float[Array, " n"], dt: float) -> State:
        """Advance the states by `dt` given the membrane potential `v`."""

    @abc.abstractmethod
    def current(self, state: State, v: Float[Array, " n"]) -> Float[Array, " n"]:
        """Current density (mA/cm², outward positive) at `v`."""
