"""The currents of Pospischil et al. (2008), "Minimal Hodgkin–Huxley type models
for different classes of cortical and thalamic neurons", Biol Cybern 99:427–441.

Defaults are the paper's regular-spiking (RS) cell where it has the current,
else the cell type that has it (IB for `CaLPospischil`, LTS for
`CaTPospischil`); the paper's models run at 36 °C. The temperature factors are
those of Destexhe's NEURON files the models come from: q10 3 for the
Traub–Miles Na and K rates and 2.3 for the M current (both 1 at 36 °C), q10 3
from 24 °C for the T current's inactivation.
"""

from typing import ClassVar

import jax.numpy as jnp
from jaxtyping import Array, Float

from .._check import Bound
from .._custom_types import FloatValues
from . import _kinetics as kin
from .base import AbstractChannel, State


def _phi(temperature, q10, reference):
    return q10 ** ((temperature - reference) / 10.0)


def _na_rates(v, vT, phi):
    """`((alpha_m, beta_m), (alpha_h, beta_h))` of the Traub–Miles Na current."""
    v2 = v - vT
    m = (phi * 0.32 * kin.vtrap(13.0 - v2, 4.0), phi * 0.28 * kin.vtrap(v2 - 40.0, 5.0))
    h = (
        phi * 0.128 * jnp.exp((17.0 - v2) / 18.0),
        phi * 4.0 / (1.0 + jnp.exp((40.0 - v2) / 5.0)),
    )
    return m, h


def _kd_rates(v, vT, phi):
    v2 = v - vT
    alpha = phi * 0.032 * kin.vtrap(15.0 - v2, 5.0)
    return alpha, phi * 0.5 * jnp.exp((10.0 - v2) / 40.0)


class NaPospischil(AbstractChannel):
    """Transient Na current of Pospischil et al. (2008) (Traub & Miles 1991).

    `i = gNa m³ h (v - eNa)`, with `v₂ = v - vT` (`vT` sets the spike
    threshold) and rates (1/ms) scaled by `φ = 3 ** ((temperature - 36) / 10)`:

    - `α_m = -0.32 (v₂ - 13) / (exp(-(v₂ - 13) / 4) - 1)`,
      `β_m = 0.28 (v₂ - 40) / (exp((v₂ - 40) / 5) - 1)`,
    - `α_h = 0.128 exp(-(v₂ - 17) / 18)`, `β_h = 4 / (1 + exp(-(v₂ - 40) / 5))`.

    States advance by exponential Euler (NEURON's cnexp).

    **Parameters:** `gNa` (S/cm², default 0.056, RS), `eNa` (mV, 50), `vT`
    (mV, -56.2, RS), `temperature` (°C, 36). **States:** `m`, `h`.
    **Currents:** `ina`.
    """

    gNa: FloatValues = 0.056
    eNa: FloatValues = 50.0
    vT: FloatValues = -56.2
    temperature: FloatValues = 36.0
    bounds: ClassVar[dict[str, Bound]] = {"gNa": "nonnegative"}

    def _rates(self, v):
        return _na_rates(v, self.vT, _phi(self.temperature, 3.0, 36.0))

    def init_state(self, v: Float[Array, " n"]) -> State:
        m, h = self._rates(v)
        return {"m": kin.steady(*m)[0], "h": kin.steady(*h)[0]}

    def time_constants(self, v: Float[Array, "..."]) -> dict[str, Float[Array, "..."]]:
        m, h = self._rates(v)
        return {"m": kin.steady(*m)[1], "h": kin.steady(*h)[1]}

    def update_state(self, state: State, v: Float[Array, " n"], dt: float) -> State:
        m, h = self._rates(v)
        return {
            "m": kin.relax(state["m"], *kin.steady(*m), dt),
            "h": kin.relax(state["h"], *kin.steady(*h), dt),
        }

    def currents(
        self, state: State, v: Float[Array, " n"]
    ) -> dict[str, Float[Array, " n"]]:
        return {"ina": self.current(state, v)}

    def current(self, state: State, v: Float[Array, " n"]) -> Float[Array, " n"]:
        return self.gNa * state["m"] ** 3 * state["h"] * (v - self.eNa)


class KdPospischil(AbstractChannel):
    """Delayed-rectifier K current of Pospischil et al. (2008) (Traub & Miles
    1991).

    `i = gK n⁴ (v - eK)`, with `v₂ = v - vT` and rates (1/ms) scaled by
    `φ = 3 ** ((temperature - 36) / 10)`:
    `α_n = -0.032 (v₂ - 15) / (exp(-(v₂ - 15) / 5) - 1)`,
    `β_n = 0.5 exp(-(v₂ - 10) / 40)`. Exponential Euler (cnexp).

    **Parameters:** `gK` (S/cm², default 0.006, RS), `eK` (mV, -90), `vT` (mV,
    -56.2, RS), `temperature` (°C, 36). **States:** `n`. **Currents:** `ik`.
    """

    gK: FloatValues = 0.006
    eK: FloatValues = -90.0
    vT: FloatValues = -56.2
    temperature: FloatValues = 36.0
    bounds: ClassVar[dict[str, Bound]] = {"gK": "nonnegative"}

    def _rates(self, v):
        return _kd_rates(v, self.vT, _phi(self.temperature, 3.0, 36.0))

    def init_state(self, v: Float[Array, " n"]) -> State:
        return {"n": kin.steady(*self._rates(v))[0]}

    def time_constants(self, v: Float[Array, "..."]) -> dict[str, Float[Array, "..."]]:
        return {"n": kin.steady(*self._rates(v))[1]}

    def update_state(self, state: State, v: Float[Array, " n"], dt: float) -> State:
        return {"n": kin.relax(state["n"], *kin.steady(*self._rates(v)), dt)}

    def currents(
        self, state: State, v: Float[Array, " n"]
    ) -> dict[str, Float[Array, " n"]]:
        return {"ik": self.current(state, v)}

    def current(self, state: State, v: Float[Array, " n"]) -> Float[Array, " n"]:
        return self.gK * state["n"] ** 4 * (v - self.eK)


class KMPospischil(AbstractChannel):
    """Slow non-inactivating K current (M current) of Pospischil et al. (2008)
    (after Yamada, Koch & Adams 1989), for spike-frequency adaptation.

    `i = gK p (v - eK)`, `p' = (p_∞ - p) / τ_p`,
    `p_∞ = 1 / (1 + exp(-(v + 35) / 10))`,
    `τ_p = tauMax / (3.3 exp((v + 35) / 20) + exp(-(v + 35) / 20)) / φ`,
    `φ = 2.3 ** ((temperature - 36) / 10)`. Exponential Euler (cnexp).

    **Parameters:** `gK` (S/cm², default 7.5e-5, RS), `eK` (mV, -90),
    `tauMax` (ms, 608, RS), `temperature` (°C, 36). **States:** `p`.
    **Currents:** `ik`.
    """

    gK: FloatValues = 7.5e-5
    eK: FloatValues = -90.0
    tauMax: FloatValues = 608.0
    temperature: FloatValues = 36.0
    bounds: ClassVar[dict[str, Bound]] = {"gK": "nonnegative", "tauMax": "positive"}

    def _inf_tau(self, v):
        x = v + 35.0
        inf = 1.0 / (1.0 + jnp.exp(-x / 10.0))
        tau = self.tauMax / (3.3 * jnp.exp(x / 20.0) + jnp.exp(-x / 20.0))
        return inf, tau / _phi(self.temperature, 2.3, 36.0)

    def init_state(self, v: Float[Array, " n"]) -> State:
        return {"p": self._inf_tau(v)[0]}

    def time_constants(self, v: Float[Array, "..."]) -> dict[str, Float[Array, "..."]]:
        return {"p": self._inf_tau(v)[1]}

    def update_state(self, state: State, v: Float[Array, " n"], dt: float) -> State:
        return {"p": kin.relax(state["p"], *self._inf_tau(v), dt)}

    def currents(
        self, state: State, v: Float[Array, " n"]
    ) -> dict[str, Float[Array, " n"]]:
        return {"ik": self.current(state, v)}

    def current(self, state: State, v: Float[Array, " n"]) -> Float[Array, " n"]:
        return self.gK * state["p"] * (v - self.eK)


def reuveni_rates(vm):
    """`((alpha_m, beta_m), (alpha_h, beta_h))` (1/ms) of the HVA Ca current of
    Reuveni et al. (1993) at `vm` (mV)."""
    m = (0.055 * kin.vtrap(-27.0 - vm, 3.8), 0.94 * jnp.exp((-75.0 - vm) / 17.0))
    h = (
        0.000457 * jnp.exp((-13.0 - vm) / 50.0),
        0.0065 / (jnp.exp((-15.0 - vm) / 28.0) + 1.0),
    )
    return m, h


class CaLPospischil(AbstractChannel):
    """High-threshold L-type Ca current of Pospischil et al. (2008), with the
    rates of Reuveni et al. (1993), for the intrinsically bursting (IB) cell.

    `i = gCa q² r (v - eCa)` with the paper's fixed reversal `eCa`;
    `α_q = 0.055 (-27 - v) / (exp((-27 - v) / 3.8) - 1)`,
    `β_q = 0.94 exp((-75 - v) / 17)`, `α_r = 0.000457 exp((-13 - v) / 50)`,
    `β_r = 0.0065 / (exp((-15 - v) / 28) + 1)` (1/ms, no temperature
    dependence: the paper's model is at 36 °C). Exponential Euler (cnexp).
    Its current is Ca's (`ica`): a Ca pool at the compartment integrates it.

    **Parameters:** `gCa` (S/cm², default 1e-4, IB), `eCa` (mV, 120).
    **States:** `q`, `r`. **Currents:** `ica`.
    """

    gCa: FloatValues = 1e-4
    eCa: FloatValues = 120.0
    bounds: ClassVar[dict[str, Bound]] = {"gCa": "nonnegative"}

    def init_state(self, v: Float[Array, " n"]) -> State:
        q, r = reuveni_rates(v)
        return {"q": kin.steady(*q)[0], "r": kin.steady(*r)[0]}

    def time_constants(self, v: Float[Array, "..."]) -> dict[str, Float[Array, "..."]]:
        q, r = reuveni_rates(v)
        return {"q": kin.steady(*q)[1], "r": kin.steady(*r)[1]}

    def update_state(self, state: State, v: Float[Array, " n"], dt: float) -> State:
        q, r = reuveni_rates(v)
        return {
            "q": kin.relax(state["q"], *kin.steady(*q), dt),
            "r": kin.relax(state["r"], *kin.steady(*r), dt),
        }

    def currents(
        self, state: State, v: Float[Array, " n"]
    ) -> dict[str, Float[Array, " n"]]:
        return {"ica": self.current(state, v)}

    def current(self, state: State, v: Float[Array, " n"]) -> Float[Array, " n"]:
        return self.gCa * state["q"] ** 2 * state["r"] * (v - self.eCa)


class CaTPospischil(AbstractChannel):
    """Low-threshold T-type Ca current of Pospischil et al. (2008) (after
    Destexhe et al. 1996), for the low-threshold spiking (LTS) cell.

    `i = gCa s_∞(v)² u (v - eCa)`, activation instantaneous, with the paper's
    fixed reversal `eCa` and a shift `vX` of all voltage dependence:
    `s_∞ = 1 / (1 + exp(-(v + vX + 57) / 6.2))`,
    `u_∞ = 1 / (1 + exp((v + vX + 81) / 4))`,
    `τ_u = (30.8 + (211.4 + exp((v + vX + 113.2) / 5))
    / (1 + exp((v + vX + 84) / 3.2))) / φ`, `φ = 3 ** ((temperature - 24) / 10)`
    (3.74 at 36 °C, the paper's 3.7; the parenthesisation is Destexhe et al.'s,
    which the paper's printed formula garbles). Exponential Euler (cnexp). Its
    current is Ca's (`ica`).

    **Parameters:** `gCa` (S/cm², default 4e-4, LTS), `eCa` (mV, 120), `vX`
    (mV, -7, LTS), `temperature` (°C, 36). **States:** `u`. **Currents:**
    `ica`.
    """

    gCa: FloatValues = 4e-4
    eCa: FloatValues = 120.0
    vX: FloatValues = -7.0
    temperature: FloatValues = 36.0
    bounds: ClassVar[dict[str, Bound]] = {"gCa": "nonnegative"}

    def _inf_tau(self, v):
        w = v + self.vX
        inf = 1.0 / (1.0 + jnp.exp((w + 81.0) / 4.0))
        tau = 30.8 + (211.4 + jnp.exp((w + 113.2) / 5.0)) / (
            1.0 + jnp.exp((w + 84.0) / 3.2)
        )
        return inf, tau / _phi(self.temperature, 3.0, 24.0)

    def init_state(self, v: Float[Array, " n"]) -> State:
        return {"u": self._inf_tau(v)[0]}

    def time_constants(self, v: Float[Array, "..."]) -> dict[str, Float[Array, "..."]]:
        return {"u": self._inf_tau(v)[1]}

    def update_state(self, state: State, v: Float[Array, " n"], dt: float) -> State:
        return {"u": kin.relax(state["u"], *self._inf_tau(v), dt)}

    def currents(
        self, state: State, v: Float[Array, " n"]
    ) -> dict[str, Float[Array, " n"]]:
        return {"ica": self.current(state, v)}

    def current(self, state: State, v: Float[Array, " n"]) -> Float[Array, " n"]:
        s = 1.0 / (1.0 + jnp.exp(-(v + self.vX + 57.0) / 6.2))
        return self.gCa * s * s * state["u"] * (v - self.eCa)
