"""How spikes reach their targets: the layout strategies of event projections."""

import equinox as eqx


class AbstractDelivery(eqx.Module):
    """How an event projection sums arriving spikes into its targets.

    All strategies compute the same sums (up to floating-point summation
    order); they differ in cost. Pass one to `dx.connect(..., delivery=)`.
    """


class Segment(AbstractDelivery):
    """Gather per edge, then a segment sum per target: cost proportional to the
    number of edges every step. Works with every delay layout and with
    plasticity. The default."""


class Dense(AbstractDelivery):
    """A dense `(n_pre, n_target)` weight matrix, built once per run, times the
    vector of arriving spikes: fastest for dense connectivity (and on
    accelerators). Needs each presynaptic cell's edges to share one delay; no
    plasticity."""


class EventDriven(AbstractDelivery):
    """Only the presynaptic cells that spiked are visited: cost proportional to
    the number of spikes times the largest out-degree. The fastest choice for
    sparse activity in large networks.

    The edges are laid out once per run as a `(presynaptic cell, out-degree)`
    table of (weight, target) pairs. Each step finds the cells that spiked and
    adds their rows into the targets, padded to the smallest of `max_spikes`,
    `max_spikes / 2`, `max_spikes / 4`, ... (at least 8) that holds the step's
    spikes. A step with more than `max_spikes` spikes adds the whole table, as
    `Segment` would: no spike is ever dropped. All `EventDriven` projections
    whose edges share one delay (e.g. an excitatory and an inhibitory one) are
    delivered together, in one table, with the sum of their `max_spikes`.
    Under `jax.vmap` the choice becomes a select, so every size runs.
    Gradients flow only through spikes that occurred (the surrogate gradient of
    cells that did not spike is dropped); train with `Segment` or `Dense`.
    Needs each presynaptic cell's edges to share one delay; no plasticity.

    **Arguments:**

    - `max_spikes`: the most presynaptic spikes one step handles without adding
      the whole table; a few times the mean number per step.
    """

    max_spikes: int = 64

    def __check_init__(self):
        if not isinstance(self.max_spikes, int) or self.max_spikes < 1:
            raise ValueError(
                f"EventDriven: max_spikes must be a positive int, got "
                f"{self.max_spikes!r}."
            )
