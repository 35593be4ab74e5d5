"""`AbstractPlasticity`: rules that make synaptic weights part of the state."""

import abc

from jaxtyping import Array, Float

from .._check import Checked

State = dict[str, Float[Array, " edge"]]


class AbstractPlasticity(Checked):
    """A synaptic plasticity rule: a pure update of per-edge states.

    Given to `dx.connect(..., plasticity=rule)` for an event synapse. Inside the
    time loop, at the end of every step, the solver calls `update` with the
    spikes that arrived at each edge (after its delay) and the spikes of each
    edge's postsynaptic cell in that step; the weight it returns is what the
    arriving spikes transmit. The states (e.g. the learned `weight`) are part
    of the simulation state: record them with `dx.Record("Projection.weight")`,
    read the final ones from `Solution.state`, and differentiate through them.

    The rule's fields are hyperparameters (scalars or per-edge arrays).
    """

    @abc.abstractmethod
    def init(self, weight: Float[Array, " edge"]) -> State:
        """Per-edge states at the start of a run, given the initial weights."""

    @abc.abstractmethod
    def update(
        self,
        state: State,
        weight: Float[Array, " edge"],
        pre: Float[Array, " edge"],
        post: Float[Array, " edge"],
        dt: float,
    ) -> tuple[State, Float[Array, " edge"]]:
        """Advance by one step of `dt` ms.

        **Arguments:**

        - `state`: per-edge states.
        - `weight`: the edges' weight parameter (the initial weight).
        - `pre`: 1.0 where a presynaptic spike arrives at the edge in this step.
        - `post`: 1.0 where the postsynaptic cell spikes in this step.
        - `dt`: the step (ms).

        **Returns:**

        `(state, transmitted)`: the new states and the weight each arriving spike
        transmits in this step.
        """
