"""The channels of Mainen & Sejnowski (1996), "Influence of dendritic structure
on firing pattern in model neocortical neurons", Nature 382:363–366 (their
NEURON files, ModelDB 2488: na.mod, kv.mod, km.mod, kca.mod, ca.mod).

All scale rates *and* conductance by `tadj = q10 ** ((temperature - temp) / 10)`
(q10 2.3 from 23 °C), as those files do. Conductances are in S/cm² (the files'
pS/µm² times 1e-4: their default 1000 pS/µm² is 0.1 S/cm²); defaults are the
files' defaults, reversal potentials the paper's (eNa 60, eK -90 mV), and
`temperature` the paper's 37 °C. The files update their gates exactly over a
step at the new voltage, i.e. NEURON's cnexp; so does dendrax.
"""

from typing import ClassVar

import jax.numpy as jnp
from jaxtyping import Array, Float

from .._check import Bound
from .._custom_types import FloatValues
from . import _kinetics as kin
from .base import AbstractChannel, State
from .ions import DEFAULTS
from .pospischil import reuveni_rates


def _trap(x, a, q):
    """Mainen's `trap0(v, th, a, q) = a (v - th) / (1 - exp(-(v - th) / q))`,
    given `x = th - v`."""
    return a * kin.vtrap(x, q)


def _tadj(ch):
    return ch.q10 ** ((ch.temperature - ch.temp) / 10.0)


class _MHGates(AbstractChannel):
    """Gates `m` and `h` relaxing to their steady states with their time
    constants, `(m_∞, τ_m), (h_∞, τ_h) = self._inf_tau(v)` (Mainen's na and
    ca)."""

    def time_constants(self, v: Float[Array, "..."]) -> dict[str, Float[Array, "..."]]:
        m, h = self._inf_tau(v)
        return {"m": m[1], "h": h[1]}

    def update_state(self, state: State, v: Float[Array, " n"], dt: float) -> State:
        m, h = self._inf_tau(v)
        return {
            "m": kin.relax(state["m"], *m, dt),
            "h": kin.relax(state["h"], *h, dt),
        }


class NaMainen(_MHGates):
    """Na channel of Mainen & Sejnowski (1996) (na.mod).

    `i = tadj gNa m³ h (v - eNa)`; rates at `vm = v + vShift` (1/ms):
    `α_m = Ra (vm - tha) / (1 - exp(-(vm - tha) / qa))`,
    `β_m = Rb (tha - vm) / (1 - exp((vm - tha) / qa))`,
    `α_h = Rd (vm - thi1) / (1 - exp(-(vm - thi1) / qi))`,
    `β_h = Rg (thi2 - vm) / (1 - exp((vm - thi2) / qi))`,
    `m_∞ = α_m / (α_m + β_m)`, `τ_m = 1 / (tadj (α_m + β_m))` (likewise `τ_h`),
    `h_∞ = 1 / (1 + exp((vm - thinf) / qinf))`.

    **Parameters:** `gNa` (S/cm², default 0.1), `eNa` (mV, 60), `vShift` (mV,
    -5), the kinetic constants `tha` (-35 mV), `qa` (9 mV), `Ra` (0.182/ms),
    `Rb` (0.124/ms), `thi1` (-50 mV), `thi2` (-75 mV), `qi` (5 mV), `thinf`
    (-65 mV), `qinf` (6.2 mV), `Rg` (0.0091/ms), `Rd` (0.024/ms), `temp`
    (°C, 23), `q10` (2.3), `temperature` (°C, 37). **States:** `m`, `h`.
    **Currents:** `ina`.
    """

    gNa: FloatValues = 0.1
    eNa: FloatValues = 60.0
    vShift: FloatValues = -5.0
    tha: FloatValues = -35.0
    qa: FloatValues = 9.0
    Ra: FloatValues = 0.182
    Rb: FloatValues = 0.124
    thi1: FloatValues = -50.0
    thi2: FloatValues = -75.0
    qi: FloatValues = 5.0
    thinf: FloatValues = -65.0
    qinf: FloatValues = 6.2
    Rg: FloatValues = 0.0091
    Rd: FloatValues = 0.024
    temp: FloatValues = 23.0
    q10: FloatValues = 2.3
    temperature: FloatValues = 37.0
    bounds: ClassVar[dict[str, Bound]] = {"gNa": "nonnegative", "q10": "positive"}

    def _inf_tau(self, v):
        vm = v + self.vShift
        tadj = _tadj(self)
        a = _trap(self.tha - vm, self.Ra, self.qa)
        b = _trap(vm - self.tha, self.Rb, self.qa)
        m = (a / (a + b), 1.0 / tadj / (a + b))
        a = _trap(self.thi1 - vm, self.Rd, self.qi)
        b = _trap(vm - self.thi2, self.Rg, self.qi)
        h = (1.0 / (1.0 + jnp.exp((vm - self.thinf) / self.qinf)), 1.0 / tadj / (a + b))
        return m, h

    def init_state(self, v: Float[Array, " n"]) -> State:
        m, h = self._inf_tau(v)
        return {"m": m[0], "h": h[0]}

    def currents(
        self, state: State, v: Float[Array, " n"]
    ) -> dict[str, Float[Array, " n"]]:
        return {"ina": self.current(state, v)}

    def current(self, state: State, v: Float[Array, " n"]) -> Float[Array, " n"]:
        g = _tadj(self) * self.gNa * state["m"] ** 3 * state["h"]
        return g * (v - self.eNa)


def _k_inf_tau(ch, v):
    """`(n_inf, tau_n)` of Mainen's kv and km: `a = Ra (v - tha) / (1 -
    exp(-(v - tha) / qa))`, `b = -Rb (v - tha) / (1 - exp((v - tha) / qa))`."""
    a = _trap(ch.tha - v, ch.Ra, ch.qa)
    b = _trap(v - ch.tha, ch.Rb, ch.qa)
    return a / (a + b), 1.0 / _tadj(ch) / (a + b)


class _MainenK(AbstractChannel):
    """The gate and current of Mainen's kv and km (they differ only in their
    constants): `i = tadj gK n (v - eK)`, `n` relaxing to `n_∞` with `τ`."""

    bounds: ClassVar[dict[str, Bound]] = {"gK": "nonnegative", "q10": "positive"}

    def init_state(self, v: Float[Array, " n"]) -> State:
        return {"n": _k_inf_tau(self, v)[0]}

    def time_constants(self, v: Float[Array, "..."]) -> dict[str, Float[Array, "..."]]:
        return {"n": _k_inf_tau(self, v)[1]}

    def update_state(self, state: State, v: Float[Array, " n"], dt: float) -> State:
        return {"n": kin.relax(state["n"], *_k_inf_tau(self, v), dt)}

    def currents(
        self, state: State, v: Float[Array, " n"]
    ) -> dict[str, Float[Array, " n"]]:
        return {"ik": self.current(state, v)}

    def current(self, state: State, v: Float[Array, " n"]) -> Float[Array, " n"]:
        return _tadj(self) * self.gK * state["n"] * (v - self.eK)


class KvMainen(_MainenK):
    """Delayed-rectifier K channel of Mainen & Sejnowski (1996) (kv.mod).

    `i = tadj gK n (v - eK)`, `α = Ra (v - tha) / (1 - exp(-(v - tha) / qa))`,
    `β = -Rb (v - tha) / (1 - exp((v - tha) / qa))`, `n_∞ = α / (α + β)`,
    `τ = 1 / (tadj (α + β))`.

    **Parameters:** `gK` (S/cm², default 5e-4), `eK` (mV, -90), `tha` (25 mV),
    `qa` (9 mV), `Ra` (0.02/ms), `Rb` (0.002/ms), `temp` (°C, 23), `q10`
    (2.3), `temperature` (°C, 37). **States:** `n`. **Currents:** `ik`.
    """

    gK: FloatValues = 5e-4
    eK: FloatValues = -90.0
    tha: FloatValues = 25.0
    qa: FloatValues = 9.0
    Ra: FloatValues = 0.02
    Rb: FloatValues = 0.002
    temp: FloatValues = 23.0
    q10: FloatValues = 2.3
    temperature: FloatValues = 37.0


class KMMainen(_MainenK):
    """Slow, non-inactivating M-type K channel of Mainen & Sejnowski (1996)
    (km.mod): the rates of `KvMainen` with their own constants.

    **Parameters:** `gK` (S/cm², default 1e-3), `eK` (mV, -90), `tha` (-30 mV),
    `qa` (9 mV), `Ra` (0.001/ms), `Rb` (0.001/ms), `temp` (°C, 23), `q10`
    (2.3), `temperature` (°C, 37). **States:** `n`. **Currents:** `ik`.
    """

    gK: FloatValues = 1e-3
    eK: FloatValues = -90.0
    tha: FloatValues = -30.0
    qa: FloatValues = 9.0
    Ra: FloatValues = 0.001
    Rb: FloatValues = 0.001
    temp: FloatValues = 23.0
    q10: FloatValues = 2.3
    temperature: FloatValues = 37.0


class SKMainen(AbstractChannel):
    """Ca-activated, voltage-independent (SK-like) K channel of Mainen &
    Sejnowski (1996) (kca.mod, after Reuveni et al. 1993), for the slow
    afterhyperpolarisation.

    `i = tadj gK n (v - eK)`, `α = Ra cai^caix`, `β = Rb`,
    `n_∞ = α / (α + β)`, `τ = 1 / (tadj (α + β))`. Reads `cai` (mM): from the
    Ca pool at the compartment (e.g. `CaPool`), else NEURON's default 5e-5.

    **Parameters:** `gK` (S/cm², default 1e-3), `eK` (mV, -90), `caix` (1),
    `Ra` (0.01/ms/mM^caix), `Rb` (0.02/ms), `temp` (°C, 23), `q10` (2.3),
    `temperature` (°C, 37). **States:** `n`. **Reads:** `cai`.
    **Currents:** `ik`.
    """

    gK: FloatValues = 1e-3
    eK: FloatValues = -90.0
    caix: FloatValues = 1.0
    Ra: FloatValues = 0.01
    Rb: FloatValues = 0.02
    temp: FloatValues = 23.0
    q10: FloatValues = 2.3
    temperature: FloatValues = 37.0
    ions: ClassVar[tuple[str, ...]] = ("cai",)
    bounds: ClassVar[dict[str, Bound]] = {"gK": "nonnegative", "q10": "positive"}

    def _inf_tau(self, cai):
        a = self.Ra * cai**self.caix
        return a / (a + self.Rb), 1.0 / _tadj(self) / (a + self.Rb)

    def init_state(
        self, v: Float[Array, " n"], ions: dict[str, Float[Array, " n"]]
    ) -> State:
        return {"n": jnp.broadcast_to(self._inf_tau(ions["cai"])[0], v.shape)}

    def time_constants(self, v: Float[Array, "..."]) -> dict[str, Float[Array, "..."]]:
        """At NEURON's default `cai` (5e-5 mM); more Ca makes it faster."""
        tau = self._inf_tau(DEFAULTS["cai"])[1]
        return {"n": jnp.broadcast_to(tau, jnp.shape(v))}

    def update_state(self, state: State, v: Float[Array, " n"], dt: float) -> State:
        return {"n": kin.relax(state["n"], *self._inf_tau(state["cai"]), dt)}

    def currents(
        self, state: State, v: Float[Array, " n"]
    ) -> dict[str, Float[Array, " n"]]:
        return {"ik": self.current(state, v)}

    def current(self, state: State, v: Float[Array, " n"]) -> Float[Array, " n"]:
        return _tadj(self) * self.gK * state["n"] * (v - self.eK)


class CaHVAMainen(_MHGates):
    """High-voltage-activated Ca channel of Mainen & Sejnowski (1996) (ca.mod,
    rates of Reuveni et al. 1993).

    `i = tadj gCa m² h (v - eca)`; rates at `vm = v + vShift`:
    `α_m = 0.055 (-27 - vm) / (exp((-27 - vm) / 3.8) - 1)`,
    `β_m = 0.94 exp((-75 - vm) / 17)`, `α_h = 0.000457 exp((-13 - vm) / 50)`,
    `β_h = 0.0065 / (exp((-vm - 15) / 28) + 1)`, `τ = 1 / (tadj (α + β))`.
    Reads `eca` (mV): Nernst of the Ca pool at the compartment (e.g.
    `CaPool`), else NEURON's default 132.458. Its current is Ca's (`ica`).

    **Parameters:** `gCa` (S/cm², default 1e-5), `vShift` (mV, 0), `temp`
    (°C, 23), `q10` (2.3), `temperature` (°C, 37). **States:** `m`, `h`.
    **Reads:** `eca`. **Currents:** `ica`.
    """

    gCa: FloatValues = 1e-5
    vShift: FloatValues = 0.0
    temp: FloatValues = 23.0
    q10: FloatValues = 2.3
    temperature: FloatValues = 37.0
    ions: ClassVar[tuple[str, ...]] = ("eca",)
    bounds: ClassVar[dict[str, Bound]] = {"gCa": "nonnegative", "q10": "positive"}

    def _inf_tau(self, v):
        tadj = _tadj(self)
        m, h = reuveni_rates(v + self.vShift)
        return (
            (m[0] / (m[0] + m[1]), 1.0 / tadj / (m[0] + m[1])),
            (h[0] / (h[0] + h[1]), 1.0 / tadj / (h[0] + h[1])),
        )

    def init_state(
        self, v: Float[Array, " n"], ions: dict[str, Float[Array, " n"]]
    ) -> State:
        m, h = self._inf_tau(v)
        return {"m": m[0], "h": h[0]}

    def currents(
        self, state: State, v: Float[Array, " n"]
    ) -> dict[str, Float[Array, " n"]]:
        return {"ica": self.current(state, v)}

    def current(self, state: State, v: Float[Array, " n"]) -> Float[Array, " n"]:
        g = _tadj(self) * self.gCa * state["m"] ** 2 * state["h"]
        return g * (v - state["eca"])
