"""Spike sources: cells whose spikes come from a rate or from given times,
without membrane dynamics (`PoissonSource`, `SpikeTrain`)."""

from __future__ import annotations

import abc
from typing import ClassVar

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._check import Bound
from .._custom_types import FloatValues
from .base import AbstractChannel, State


class AbstractSource(AbstractChannel):
    """A spike source: a mechanism that emits a cell's spikes by itself.

    Inserted in one compartment of a cell, it makes the cell a spike source
    (as a spiking mechanism does), so the cell can be the presynaptic side of
    event synapses (`dx.synapses.Exp`, ...), of plasticity, and of
    `dx.Record("spikes")`. It carries no current and never reads or changes
    the membrane potential: the cell's compartment is only a place to hold it.

    Sources that draw random numbers set `random = True`; `simulate` then needs
    a `key`.
    """

    random: ClassVar[bool] = False

    def init_state(self, v: Float[Array, " n"]) -> State:
        return {}

    def update_state(self, state: State, v: Float[Array, " n"], dt: float) -> State:
        return state

    def current(self, state: State, v: Float[Array, " n"]) -> Float[Array, " n"]:
        return jnp.zeros_like(v)

    @abc.abstractmethod
    def emit(
        self,
        state: State,
        v: Float[Array, " n"],
        u: Float[Array, " n"] | None,
        dt: float,
    ) -> tuple[State, Float[Array, " n"]]:
        """The spikes of one step.

        **Arguments:**

        - `state`: the source's states.
        - `v`: the membrane potential at its compartments (mV; sources usually
          ignore it).
        - `u`: for a `random` source, independent uniform draws in [0, 1), one
          per compartment, new at every step (None otherwise).
        - `dt`: the step (ms).

        **Returns:**

        `(state, spikes)`: the new states and the number of spikes emitted in
        the step at each compartment.
        """


class PoissonSource(AbstractSource):
    """Poisson spikes at `rate` Hz (NEURON's `NetStim` with `noise = 1`,
    Brian's and BrainPy's `PoissonGroup`).

    In each step of `dt` ms a source spikes with probability
    `p = rate · dt / 1000`, independently of other steps and sources: a
    Bernoulli approximation of a Poisson process, exact in the limit
    `p → 0` and with at most one spike per step (at 20 Hz and dt = 0.025 ms,
    p = 5e-4: the chance of a second spike in the step, which is dropped, is
    p/2 = 2.5e-4 per spike). Intervals between spikes are then geometric:
    exponential as `dt → 0`, with no refractory period.

    The rate is a parameter like any other: one value per cell, changed with
    `dx.set(net, "PoissonSource.rate", ...)`, swept with `vmap`, and
    differentiated: a spike's derivative with respect to `p` is taken as 1
    (the straight-through estimator, the derivative of its expectation), so
    the gradient of any quantity linear in the spikes (e.g. a count, or a
    synaptic conductance) is unbiased. For a rate that changes in time give
    `dx.Rate(where, rates)` to `simulate`. Random draws come from the `key`
    given to `simulate`: the same key gives the same spikes.

    **Parameters:** `rate` (Hz, ≥ 0, default 10).
    """

    rate: FloatValues = 10.0
    random: ClassVar[bool] = True
    bounds: ClassVar[dict[str, Bound]] = {"rate": "nonnegative"}

    def emit(self, state, v, u, dt):
        p = jnp.minimum(self.rate * (dt * 1e-3), 1.0)
        hit = (u < p).astype(p.dtype)
        return state, p + jax.lax.stop_gradient(hit - p)


class SpikeTrain(AbstractSource):
    """A cell whose spikes are given: the times come at run time from
    `dx.SpikeTimes(where, times)` in `simulate`'s `stimuli` (NEURON's
    `VecStim`, BrainPy's `SpikeTimeGroup`, Brian's `SpikeGeneratorGroup`).

    Without `dx.SpikeTimes` it stays silent. It has no parameters.
    """

    def emit(self, state, v, u, dt):
        return state, jnp.zeros_like(v)
