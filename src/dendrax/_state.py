"""`State`, the simulation state carried from step to step, `init_state`, and the
check that a given state fits a network."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

from ._custom_types import Number
from ._events import _buffer_length, _plans
from ._network import Network
from ._prepare import _prepare
from ._stimulus import n_steps
from .channels import ions
from .channels.base import AbstractIonPool


class State(eqx.Module):
    """Simulation state: voltages of all solver nodes, every channel's gates,
    every projection's synaptic (and plasticity) states, and recent spikes.

    `v[:len(net)]` are the compartments; the rest are zero-area branch points.
    A graded synapse that shares its states between edges (see
    `dx.synapses.AbstractSynapse`) holds one value per shared group, not per
    edge; `Record` reads them per edge.
    `spikes` is a ring buffer of the cells' spikes over the last steps (as long
    as the longest synaptic delay needs); the spikes of the latest step are
    `spikes[(step - 1) % len(spikes)]`.
    """

    v: Float[Array, " total"]
    channels: tuple[dict[str, Float[Array, " _n"]], ...]
    synapses: tuple[dict[str, Float[Array, " _e"]], ...]
    plasticity: tuple[dict[str, Float[Array, " _e"]], ...]
    spikes: Float[Array, "slot cell"]
    step: Int[Array, ""]


def init_state(net: Network, dt: Number | None = None) -> State:
    """The state at `t = 0`: `v_init` everywhere, gates at steady state.

    Branch points start at the `v_init` of the compartment they join, as NEURON's
    `finitialize`. Synaptic states start at rest and no spikes are pending.

    **Arguments:**

    - `net`: the network.
    - `dt`: the step (ms); needed only if the network has synaptic delays (they
      fix the length of the spike ring buffer).

    **Returns:**

    A `State`.
    """
    if dt is not None:
        n_steps(dt, dt)
    topo = net.topology
    v0 = net.nodes.v_init.values()
    # A branch point starts at the v_init of the compartment it hangs from, the
    # owner of its half resistance (half index // 2).
    v_bp = v0[topo.half_a.array[topo.n_comp :] // 2]
    plans = _plans(net, dt)
    prep = _prepare(net)
    # Pools first; channels that read ions start from the pools' values.
    nodes = [m.nodes.array for m in net.mechanisms]
    pools = [isinstance(ch, AbstractIonPool) for ch in prep.channels]
    channels = [
        ch.init_state(v0[idx]) if pool else {}
        for ch, idx, pool in zip(prep.channels, nodes, pools)
    ]
    values = ions._values(prep.channels, nodes, channels, v0)
    channels = tuple(
        st if pool else ions._init(ch, v0[idx], values, idx)
        for ch, idx, pool, st in zip(prep.channels, nodes, pools, channels)
    )
    synapses, plasticity = [], []
    for syn, p, gr, shared in zip(
        prep.synapses, net.synapses, prep.groups, prep.shared
    ):
        if p.is_event:
            synapses.append(syn.init_state(v0[p.targets.array]))
        else:
            model, pre, post = syn, p.pre.array, p.post.array
            if gr is not None:  # one state per group (see `state_groups`)
                model, pre, post = shared, pre[gr[0].array], post[gr[0].array]
            synapses.append(model.init_state(v0[pre], v0[post]))
        plasticity.append({} if p.plasticity is None else p.plasticity.init(syn.weight))
    return State(
        v=jnp.concatenate([v0, v_bp]),
        channels=channels,
        synapses=tuple(synapses),
        plasticity=tuple(plasticity),
        spikes=jnp.zeros((_buffer_length(plans), net.n_cells), v0.dtype),
        step=jnp.zeros((), jnp.int32),
    )


def _check_state(net: Network, state, dt, who: str) -> None:
    expected = jax.eval_shape(lambda: init_state(net, dt))
    shapes = jax.tree.map(lambda x: (x.shape, x.dtype), expected)
    if not isinstance(state, State) or (
        jax.tree.structure(state) != jax.tree.structure(expected)
        or jax.tree.map(lambda x: (x.shape, x.dtype), state) != shapes
    ):
        raise ValueError(
            f"{who}: state= does not fit this network; pass a state from "
            "dx.init_state(net, dt) or from a previous Solution of the same network "
            "and dt."
        )
