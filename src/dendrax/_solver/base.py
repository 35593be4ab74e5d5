"""Membrane solvers: strategies as objects."""

import equinox as eqx


class AbstractSolver(eqx.Module):
    """A theta-method for the membrane potential (NEURON's fixed-step scheme).

    Each step solves the linearised cable equations for the change `Δ` of the
    voltage over `theta * dt`, then extrapolates to the full step,
    `v(t + dt) = v(t) + Δ / theta`. Channel gates are advanced afterwards by
    exponential Euler at the new voltage.
    """

    theta: eqx.AbstractClassVar[float]


class ImplicitEuler(AbstractSolver):
    """Backward Euler, first order and L-stable (NEURON's `secondorder = 0`)."""

    theta = 1.0


class CrankNicolson(AbstractSolver):
    """Crank–Nicolson, second order in the voltage (NEURON's `secondorder = 2`)."""

    theta = 0.5
