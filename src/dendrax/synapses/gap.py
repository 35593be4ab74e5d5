from typing import ClassVar

from jaxtyping import Array, Float

from .._check import Bound
from .base import AbstractSynapse, State, SynapseValues


class GapJunction(AbstractSynapse):
    """An electrical synapse (gap junction): an ohmic conductance `g` between two
    compartments, in these cells or in two different cells.

    **One edge is one whole, symmetric junction.** The current

        i = g * (v_post - v_pre)

    (nA, outward positive) leaves the postsynaptic compartment and the same
    current enters the presynaptic one, so charge is conserved and which side is
    called "pre" does not matter: `dx.connect(net, a, b, GapJunction(g=1e-3))`
    joins `a` and `b` through 1 nS, like a pair of NEURON `HalfGap` point
    processes (one at each side, each with that conductance) or one
    `LinearMechanism`. Connect each pair once: a rule that lists both (a, b)
    and (b, a), such as `AllToAll` from a population onto itself, puts two
    junctions in parallel (twice the conductance), and an edge from a
    compartment to itself carries no current.

    The junction is coupled implicitly (`implicit`, `reciprocal`): both
    potentials are solved together, exactly, in the same linear system as the
    cables, so the step is as stable and as accurate as without junctions,
    however strong they are. An explicit junction (the presynaptic potential
    of the start of the step, as a graded synapse or NEURON's `HalfGap` with a
    `POINTER`) is not: at 1 µS between two small somata and `dt = 0.025` ms it
    is off by millivolts. The cost is a few extra tree solves per step (see
    `AbstractSynapse`), none for networks without junctions.

    `Record("GapJunction.i")` records `i` per edge (the current out of the
    postsynaptic compartment).

    **Parameters:** `g` (µS, >= 0), one value per edge like any synapse field,
    trainable with `dx.make_trainable(net, "GapJunction.g")`. **State:** none.
    """

    implicit = True
    reciprocal = True

    g: SynapseValues = 1e-3
    bounds: ClassVar[dict[str, Bound]] = {"g": "nonnegative"}

    def init_state(
        self, v_pre: Float[Array, " edge"], v_post: Float[Array, " edge"]
    ) -> State:
        return {}

    def update_state(
        self,
        state: State,
        v_pre: Float[Array, " edge"],
        v_post: Float[Array, " edge"],
        dt: float,
    ) -> State:
        return state

    def current(
        self, state: State, v_pre: Float[Array, " edge"], v_post: Float[Array, " edge"]
    ) -> Float[Array, " edge"]:
        return self.g * (v_post - v_pre)
