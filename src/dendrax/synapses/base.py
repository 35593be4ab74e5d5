"""`AbstractSynapse`: the interface every synapse model implements."""

import abc
from typing import ClassVar

from jaxtyping import Array, Float

from .._check import Checked
from .._custom_types import FloatValues
from ..conn.init import Init

State = dict[str, Float[Array, " edge"]]

# A synapse field before `connect`: a scalar, a per-edge vector, an
# (n_pre, n_post) matrix, or an initializer that draws one of them.
SynapseValues = FloatValues | Init


class AbstractSynapse(Checked):
    """A synapse model: per-edge states plus a postsynaptic current.

    Like a channel, a synapse is a small equinox module whose (non-static) fields
    are its parameters, given as floats with defaults. `dx.connect` turns every
    field into a `dx.Param` over the edges it creates; inside the solver each
    field is an array with one value per edge, so the methods are written
    element-wise over edges.

    Units: voltages in mV, dt in ms, the current in nA (outward positive, so an
    excitatory synapse returns a negative current), conductances in µS.

    **State de-duplication.** A synapse whose states depend only on the
    presynaptic potential and some of its parameters declares those parameters
    in `presynaptic` (e.g. `("k_minus", "v_th", "delta")`): its `init_state`
    and `update_state` then must not read `v_post` or any other field. Edges
    that share a presynaptic compartment and the tie groups of those parameters
    (a scalar is one tie group for all edges) then share one state, advanced
    once per step; `current` still runs per edge. States, `Record` and
    gradients see one value per edge as before. `None` (the default): one state
    per edge.

    **Implicit coupling.** By default the solver linearises the current in
    `v_post` only: the presynaptic potential enters at its value at the start
    of the step, which is accurate when the synapse is slow next to `dt`. A
    synapse whose current follows `v_pre` faster than that (an electrical
    synapse) sets `implicit = True`: the solver then also takes `∂i/∂v_pre` and
    solves pre- and postsynaptic potentials together, exactly (see
    `dendrax._solver._coupled`; it costs O(n M) per step for M junction
    sites). `reciprocal = True` (which implies `implicit`) declares that the
    current leaving the postsynaptic compartment enters the presynaptic one,
    so one edge is a whole junction conserving charge, as
    `dx.synapses.GapJunction`. Networks with such synapses cannot be split
    over a mesh (`simulate(mesh=...)`).
    """

    presynaptic: ClassVar[tuple[str, ...] | None] = None
    implicit: ClassVar[bool] = False
    reciprocal: ClassVar[bool] = False

    @abc.abstractmethod
    def init_state(
        self, v_pre: Float[Array, " edge"], v_post: Float[Array, " edge"]
    ) -> State:
        """Per-edge states at the start of a run, as a dict of arrays."""

    @abc.abstractmethod
    def update_state(
        self,
        state: State,
        v_pre: Float[Array, " edge"],
        v_post: Float[Array, " edge"],
        dt: float,
    ) -> State:
        """Advance the states by `dt` given pre- and postsynaptic potentials."""

    @abc.abstractmethod
    def current(
        self, state: State, v_pre: Float[Array, " edge"], v_post: Float[Array, " edge"]
    ) -> Float[Array, " edge"]:
        """Current (nA, outward positive) into the postsynaptic compartment."""
