"""`AbstractEventSynapse`: receptors driven by presynaptic spikes."""

import abc
from typing import ClassVar

from jaxtyping import Array, Float

from .._check import Checked
from .base import State, SynapseValues


class AbstractEventSynapse(Checked):
    """A receptor at each postsynaptic site, driven by spikes through edges.

    As NEURON's `ExpSyn` with its `NetCon`s, an event synapse has two parts:

    - per **edge** (synapse): the `weight` (µS for conductance-based receptors,
      nA for current-based ones), plus the delay and any plasticity given to
      `dx.connect`;
    - per **target** (postsynaptic compartment): the receptor's kinetics (its
      other fields, e.g. `tau`, `e_syn`) and its states.

    Receptor kinetics are linear, so every spike arriving at a target in a step
    just adds its weight to the target's input; this keeps the state per target
    instead of per edge, and lets delivery use a matrix product, a segment sum
    or event-driven scatter (`dx.conn.Dense`, `Segment`, `EventDriven`). The
    receptor fields are addressed by the projection name like other parameters
    (`"Exp.tau"`) and select by node; `"Exp.weight"` selects by edge.

    Units: v in mV, dt in ms, the current in nA (outward positive).
    """

    weight: SynapseValues = 1e-3

    edge_fields: ClassVar[tuple[str, ...]] = ("weight",)

    @abc.abstractmethod
    def init_state(self, v_post: Float[Array, " target"]) -> State:
        """Receptor states at rest, one value per target."""

    @abc.abstractmethod
    def update_state(
        self, state: State, input: Float[Array, " target"], dt: float
    ) -> State:
        """Advance by `dt`; `input` is the summed weight of the spikes that arrive
        at each target at the end of the step."""

    @abc.abstractmethod
    def current(
        self, state: State, v_post: Float[Array, " target"]
    ) -> Float[Array, " target"]:
        """Current (nA, outward positive) into each target compartment."""
