"""`AbstractChannel`: the interface every ion channel implements."""

import abc
from typing import ClassVar

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

    **Ions.** A channel that reads ion concentrations or reversal potentials
    names them in `ions`, by NEURON's names (e.g. `("cai",)` for a
    Ca-activated K channel, `("eca",)` for a Ca channel whose reversal follows
    the concentration). The solver then adds them, at the channel's
    compartments, to the `state` dict given to `current`, `currents` and
    `update_state`, and calls `init_state(v, ions)` with a dict of them. They
    come from the `AbstractIonPool` of that ion inserted at the compartment,
    or else from `dx.channels.ions.DEFAULTS`. A channel carries an ion's
    current by naming a part `"i" + ion` (e.g. `"ica"`) in `currents`: pools
    of that ion are driven by the sum of those parts.
    """

    ions: ClassVar[tuple[str, ...]] = ()

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


class AbstractIonPool(AbstractChannel):
    """A per-compartment pool of one ion: its concentration as a state.

    A pool carries no membrane current. Its state holds the inner
    concentration, `f"{ion}i"` (mM, e.g. `"cai"`); `update_state` finds in its
    `state` argument also `f"i{ion}"` (e.g. `"ica"`): the sum of the channels'
    currents of that ion at the compartment (mA/cm², outward positive), at the
    start of the step, as NEURON's state blocks read them (under
    Crank–Nicolson moved to the step's midpoint by their slope, as NEURON
    does), and `"theta"`, the solver's θ (1: implicit Euler, 0.5:
    Crank–Nicolson), for pools whose scheme follows it. `values` gives what
    channels that read the ion see (see `AbstractChannel`).

    Within a step: ion values from the pools' states at its start (reversal
    potentials by Nernst, as NEURON's ion mechanism), all currents at v(t),
    the voltage solve, then the pools advance, and then the channels' gates,
    reading the pools' new values (NEURON's order when the pool mechanism is
    registered before the channels, e.g. `cad` before `kca`).
    """

    ion: ClassVar[str]
    valence: ClassVar[int]

    @abc.abstractmethod
    def values(self, state: State) -> dict[str, Float[Array, " n"]]:
        """The ion values channels read here: at least `f"{ion}i"`, `f"{ion}o"`
        (mM) and `f"e{ion}"` (mV)."""

    def current(self, state: State, v: Float[Array, " n"]) -> Float[Array, " n"]:
        return jnp.zeros_like(v)


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
