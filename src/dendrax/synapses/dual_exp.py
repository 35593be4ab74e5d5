from typing import ClassVar

import jax.numpy as jnp
from jaxtyping import Array, Float

from .._check import Bound
from .base import State, SynapseValues
from .event import AbstractEventSynapse


class DualExp(AbstractEventSynapse):
    """Conductance-based dual-exponential synapse (NEURON's `Exp2Syn`).

    A spike at time 0 gives `g(t) = weight f (exp(-t/tau_decay) - exp(-t/tau_rise))`
    with `f` chosen so that the peak is `weight`. As in `Exp2Syn`, `tau_rise` is
    capped at `0.9999 tau_decay`.

    **Parameters:** `weight` (µS, the peak, per edge), `tau_rise`, `tau_decay`
    (ms), `e_syn` (mV). **States:** `a`, `b` (µS); `g = b - a`.
    """

    weight: SynapseValues = 1e-3
    tau_rise: SynapseValues = 0.5
    tau_decay: SynapseValues = 5.0
    e_syn: SynapseValues = 0.0
    bounds: ClassVar[dict[str, Bound]] = {
        "tau_rise": "positive",
        "tau_decay": "positive",
    }

    def _taus(self):
        return jnp.minimum(self.tau_rise, 0.9999 * self.tau_decay), self.tau_decay

    def init_state(self, v_post: Float[Array, " target"]) -> State:
        return {"a": jnp.zeros_like(v_post), "b": jnp.zeros_like(v_post)}

    def update_state(self, state, input, dt):
        t1, t2 = self._taus()
        t_peak = t1 * t2 / (t2 - t1) * jnp.log(t2 / t1)
        f = 1.0 / (jnp.exp(-t_peak / t2) - jnp.exp(-t_peak / t1))
        return {
            "a": state["a"] * jnp.exp(-dt / t1) + f * input,
            "b": state["b"] * jnp.exp(-dt / t2) + f * input,
        }

    def current(self, state, v_post):
        return (state["b"] - state["a"]) * (v_post - self.e_syn)


class AMPA(DualExp):
    """`DualExp` with typical AMPA-receptor kinetics: rise 0.2 ms, decay 2 ms,
    reversal 0 mV. Replace any of them for your preparation."""

    tau_rise: SynapseValues = 0.2
    tau_decay: SynapseValues = 2.0
    e_syn: SynapseValues = 0.0


class GABA_A(DualExp):
    """`DualExp` with typical GABA_A-receptor kinetics: rise 0.5 ms, decay 5 ms,
    reversal -80 mV. Replace any of them for your preparation."""

    tau_rise: SynapseValues = 0.5
    tau_decay: SynapseValues = 5.0
    e_syn: SynapseValues = -80.0
