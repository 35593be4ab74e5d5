"""`AbstractChannel`: the interface every ion channel implements."""

import abc

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._check import Checked
from .._custom_types import FloatValues
from .._spike import heaviside

State = dict[str, Float[Array, " n"]]


class AbstractChannel(Checked):
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

    def time_constants(self, v: Float[Array, "..."]) -> dict[str, Float[Array, "..."]]:
        """Optional: the time constant (ms) of each gating state at `v`.

        `simulate` warns when `dt` is longer than the fastest of them over
        -80..40 mV (the run is then likely too coarse to follow the gate). The
        default, `{}`, opts out; channels with gates should give them.
        """
        return {}

    def currents(
        self, state: State, v: Float[Array, " n"]
    ) -> dict[str, Float[Array, " n"]]:
        """Optional: named parts of `current` (mA/cm², outward positive), e.g.
        one per ion as NEURON's `ina`, `ik`.

        Each part can be recorded, in nA per compartment, as
        `dx.Record("Name.part")` (e.g. `"HH.ina"`), besides the total,
        `dx.Record("Name.i")`. The default, `{}`, names no parts.
        """
        return {}


class AbstractSpiking(AbstractChannel):
    """A mechanism that emits spikes and may reset the membrane.

    After each solve the solver calls `fire` with the voltage before and after
    the step (at the compartments the mechanism is inserted in). Its spikes,
    summed per cell, are the cell's spikes: they drive event synapses
    (`dx.synapses.Exp`, ...), plasticity, and `dx.Record("spikes")`. A cell
    should hold one spiking mechanism, at one compartment.

    Write the spike as `dx.heaviside(v - threshold, slope)` so that it carries a
    surrogate derivative and spiking networks can be trained by gradient.
    """

    @abc.abstractmethod
    def fire(
        self,
        state: State,
        v_before: Float[Array, " n"],
        v: Float[Array, " n"],
        dt: float,
    ) -> tuple[State, Float[Array, " n"], Float[Array, " n"]]:
        """Detect spikes and apply resets at the end of a step.

        **Arguments:**

        - `state`: the mechanism's states after `update_state`.
        - `v_before`, `v`: membrane potential at the start and end of the step.
        - `dt`: the step (ms).

        **Returns:**

        `(state, v, spikes)`: states and potential after any reset, and 1.0 where
        a spike was emitted in this step (else 0.0).
        """


class SpikeDetector(AbstractSpiking):
    """Spikes at upward crossings of a voltage threshold, like a NEURON `NetCon`.

    Insert it at the compartment whose voltage should be watched (e.g. the soma
    of an HH cell). It carries no current and never changes the voltage: a spike
    is emitted in the step at whose end `v >= threshold` while at its start
    `v < threshold`.

    **Parameters:** `threshold` (mV, default 10 as NEURON's `NetCon`).
    """

    threshold: FloatValues = 10.0
    slope: float = eqx.field(static=True, default=1.0)

    def init_state(self, v: Float[Array, " n"]) -> State:
        return {}

    def update_state(self, state: State, v: Float[Array, " n"], dt: float) -> State:
        return state

    def current(self, state: State, v: Float[Array, " n"]) -> Float[Array, " n"]:
        return jnp.zeros_like(v)

    def fire(self, state, v_before, v, dt):
        above = heaviside(v - self.threshold, self.slope)
        was_above = heaviside(v_before - self.threshold, self.slope)
        return state, v, above * (1.0 - was_above)
