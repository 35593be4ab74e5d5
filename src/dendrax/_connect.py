"""`connect`: add synapses between cells."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import equinox as eqx
import jax
import numpy as np
from jaxtyping import PRNGKeyArray

from ._check import real
from ._custom_types import FloatValues
from ._network import (
    Network,
    Projection,
    as_param,
    map_params,
    merge_nodes,
    param_fields,
    parametrize,
)
from ._param import concat, float_values, take
from ._select import Selection, resolve
from ._static import Ix
from .conn import AbstractDelivery, AbstractRule, AllToAll, Init, Segment
from .conn.base import is_key
from .conn.from_matrix import grid_hint
from .conn.init import draw
from .plasticity.base import AbstractPlasticity
from .synapses.base import AbstractSynapse
from .synapses.event import AbstractEventSynapse


def _population(net: Network, sel: Selection, who: str):
    """Cell ids of a selection and, per cell, its first selected compartment."""
    if not isinstance(sel, Selection):
        raise TypeError(
            f"connect: {who} must be a dx.Selection (from dx.select), got "
            f"{type(sel).__name__}."
        )
    nodes = resolve(net, sel, f"connect ({who})")
    cells, first = np.unique(net.nodes.cell.array[nodes], return_index=True)
    return cells, nodes[first]


def connect(
    net: Network,
    pre: Selection,
    post: Selection,
    synapse: AbstractSynapse | AbstractEventSynapse,
    rule: AbstractRule = AllToAll(),
    *,
    key: PRNGKeyArray | None = None,
    name: str | None = None,
    delay: FloatValues | None = None,
    plasticity: AbstractPlasticity | None = None,
    delivery: AbstractDelivery | None = None,
    pre_shape: int | Sequence[int] | None = None,
    post_shape: int | Sequence[int] | None = None,
) -> Network:
    """Connect the cells of `pre` to the cells of `post` with synapses.

    `rule` decides which (pre cell, post cell) pairs are connected; each synapse
    runs from the first selected compartment of its presynaptic cell to the first
    selected compartment of its postsynaptic cell (select e.g. `comp=0` or a
    branch to choose the site). A population is a flat list of cells in
    increasing id order unless `pre_shape`/`post_shape` lay it out as a grid.

    **Arguments:**

    - `net`: the network.
    - `pre`, `post`: node `Selection`s; their cells form the two populations.
    - `synapse`: a graded (`dx.synapses.AbstractSynapse`) or spike-driven
      (`dx.synapses.AbstractEventSynapse`) synapse; its field values are the
      parameters. Per-edge parameters (every field of a graded synapse; the
      `weight` of an event synapse) take one of three storage forms: a scalar,
      a vector with one value per new edge (in the order of the pairs the rule
      returns; values follow their edges into canonical order), or a dense
      `(n_pre, n_post)` matrix over the two populations (cells in increasing id
      order), read at the edges; with shapes, a `pre_shape + post_shape` array
      too. A `dx.conn.Init` draws any of the three from a
      `jax.nn.initializers` function; fan-based ones (glorot, he, lecun) take
      their fans from the connectivity (see `dx.conn.Init`). The receptor fields
      of an event synapse (e.g. `tau`) live at the targets: a scalar, or one
      value per postsynaptic cell (a vector, or an array of `post_shape`).
    - `rule`: a `dx.conn` rule; default `dx.conn.AllToAll()`.
    - `key`: a `jax.random` key, the one source of randomness when a network is
      built: required when the rule draws at random or a field is a
      `dx.conn.Init`. The rule draws the graph from it, and each `Init` field
      draws from a key derived from it and the field's name, so the same key
      gives the same network and no two draws are shared. Rules and `Init`
      take no key of their own.
    - `name`: the projection's name (default: the synapse class name). Edges added
      under an existing name join that projection, which keeps its edges sorted by
      presynaptic, then postsynaptic compartment. Parameters are addressed as
      `"name.field"`, e.g. `"Ionotropic.gS"`. An event projection has one
      receptor per target compartment: joining edges whose receptor values
      (e.g. `tau`, `e_syn`) differ at a target it already has is an error;
      give such synapses their own name (e.g. `name="inh"`), or change the
      receptor with `dx.set`.
    - `delay`: event synapses only: the delay (ms, >= 0, default 0) from a
      presynaptic spike to its arrival at the target, as a scalar, one value per
      new edge, an `(n_pre, n_post)` (or `pre_shape + post_shape`) matrix, or an
      `(n_pre, 1)` column (one per presynaptic cell). A spike emitted at time t
      arrives at t + delay; delays must be multiples of the `dt` of the
      simulation.
    - `plasticity`: event synapses only: a `dx.plasticity` rule; the weights
      then become simulation state.
    - `delivery`: event synapses only: `dx.conn.Segment()` (default),
      `dx.conn.Dense()` or `dx.conn.EventDriven()`.
    - `pre_shape`, `post_shape`: the populations as grids, e.g. `(4, 4)` and
      `(3, 3)`: the cells, in increasing id order, fill the shape in C order
      (the `k`-th cell sits at `np.unravel_index(k, shape)`), so the product
      must equal the number of cells. Rules see the cell ids in these shapes
      (`dx.conn.GaussianProb` uses the positions), matrices may be given as
      `pre_shape + post_shape` arrays, and the fans of initializers are the
      products. Default: flat populations.

    **Returns:**

    A new network. Edge indices of earlier selections refer to the old network.
    """
    is_event = isinstance(synapse, AbstractEventSynapse)
    if not (is_event or isinstance(synapse, AbstractSynapse)):
        raise TypeError(
            "connect: synapse must be an AbstractSynapse or AbstractEventSynapse "
            f"instance, got {type(synapse).__name__}; write e.g. "
            "dx.synapses.Ionotropic() or dx.synapses.Exp()."
        )
    if not is_event:
        for arg, value in (("delay", delay), ("plasticity", plasticity)):
            if value is not None:
                raise ValueError(
                    f"connect: {arg}= needs spikes, but {type(synapse).__name__} is a "
                    "graded synapse; use an event synapse such as dx.synapses.Exp()."
                )
        if delivery is not None:
            raise ValueError(
                "connect: delivery= applies to event synapses only; "
                f"{type(synapse).__name__} is graded."
            )
    delivery = Segment() if delivery is None else delivery
    if not isinstance(delivery, AbstractDelivery):
        raise TypeError(
            "connect: delivery must be dx.conn.Segment(), dx.conn.Dense() or "
            "dx.conn.EventDriven()."
        )
    if plasticity is not None:
        if not isinstance(plasticity, AbstractPlasticity):
            raise TypeError(
                "connect: plasticity must be a dx.plasticity rule, e.g. "
                "dx.plasticity.STDP()."
            )
        if not isinstance(delivery, Segment):
            raise ValueError(
                "connect: plastic weights change every step, so they need "
                "delivery=dx.conn.Segment()."
            )
    if not isinstance(rule, AbstractRule):
        raise TypeError(
            "connect: rule must be a dx.conn rule, e.g. dx.conn.AllToAll()."
        )
    _check_key(key)
    pre_cells, pre_site = _population(net, pre, "pre")
    post_cells, post_site = _population(net, post, "post")
    pre_shape = _grid(pre_shape, len(pre_cells), "pre")
    post_shape = _grid(post_shape, len(post_cells), "post")
    pre_ids, post_ids = rule.sample(
        pre_cells.reshape(pre_shape), post_cells.reshape(post_shape), key
    )
    rows, cols = (
        np.searchsorted(pre_cells, pre_ids),
        np.searchsorted(post_cells, post_ids),
    )
    pre_nodes, post_nodes = pre_site[rows], post_site[cols]
    order = np.lexsort((post_nodes, pre_nodes))
    pre_nodes, post_nodes = pre_nodes[order], post_nodes[order]
    grids = (pre_shape, post_shape)
    edge_fields = synapse.edge_fields if is_event else None
    synapse = _per_edge(synapse, rows, cols, grids, key, edge_fields)
    n_new = len(pre_nodes)
    if is_event:
        # Receptors at the post sites, in node order; their fields are per target.
        t_order = np.argsort(post_site, kind="stable")
        targets = post_site[t_order]

        owner, bound = type(synapse).__name__, synapse.bound

        def per_field(f, v):
            name = f"{owner}.{f}"
            if f in edge_fields:
                return as_param(v, n_new, "connect", name, "new edge", bound(f))
            if isinstance(v, Init):
                raise TypeError(
                    f"connect: {name} is a receptor field (one value per "
                    "postsynaptic cell), and dx.conn.Init draws only per-edge "
                    f"fields ({', '.join(edge_fields)}); give {name} as a scalar or "
                    "one value per postsynaptic cell."
                )
            if len(post_shape) > 1 and np.shape(v) == post_shape:
                # one value per cell of the postsynaptic grid
                v = v.reshape(-1) if isinstance(v, jax.Array) else np.ravel(v)
            param = as_param(
                v, len(targets), "connect", name, "postsynaptic cell", bound(f)
            )
            return take(param, t_order)

        model = map_params(per_field, synapse)
        delays = _delays(delay, rows, cols, grids, n_new)
    else:
        model = parametrize(synapse, n_new, "connect", "new edge")
        targets = delays = None
    if order.size:
        model = map_params(
            lambda f, p: (
                take(p, order) if edge_fields is None or f in edge_fields else p
            ),
            model,
        )
    name = type(synapse).__name__ if name is None else name
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"connect: name must be an identifier, got {name!r}.")
    if any(m.name == name for m in net.mechanisms):
        raise ValueError(f"connect: name {name!r} is taken by a channel; pick another.")
    projections = list(net.synapses)
    same = [i for i, p in enumerate(projections) if p.name == name]
    new = Projection(
        model,
        Ix(pre_nodes),
        Ix(post_nodes),
        name,
        targets=None if targets is None else Ix(targets),
        delay=None if delays is None else Ix(delays[order]),
        plasticity=plasticity,
        delivery=delivery,
    )
    if not same:
        if n_new == 0:
            return net
        projections.append(new)
    else:
        old = projections[same[0]]
        if type(old.synapse) is not type(synapse):
            raise ValueError(
                f"connect: projection {name!r} holds {type(old.synapse).__name__} "
                f"synapses; pass name= to add {type(synapse).__name__} ones."
            )
        if old.delivery != new.delivery or not eqx.tree_equal(
            old.plasticity, new.plasticity
        ):
            raise ValueError(
                f"connect: projection {name!r} has another delivery or plasticity "
                "rule; pass name= to make a separate projection."
            )
        projections[same[0]] = _join(old, new)
    return eqx.tree_at(lambda n: n.synapses, net, tuple(projections))


def _check_key(key) -> None:
    """`key` is None or one `jax.random` key (typed, or raw uint32 data; traced
    keys pass, for `Init` fields under rules that draw nothing)."""
    if key is None:
        return
    typed = is_key(key) and jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key)
    if not is_key(key) or key.ndim != (0 if typed else 1):
        what = (
            f"an array of shape {key.shape}"
            if is_key(key)
            else f"{type(key).__name__} {key!r}"[:80]
        )
        raise TypeError(
            f"connect: key must be one jax.random key, e.g. key=jax.random.key(0), "
            f"got {what}."
        )


def init_key(key: PRNGKeyArray, field: str) -> PRNGKeyArray:
    """The key an `Init` for synapse field `field` draws with: `key` folded with
    a fixed hash of the field's name (CRC-32, the same on every machine), so
    fields draw independently of each other and of the rule."""
    return jax.random.fold_in(key, zlib.crc32(field.encode()))


def _grid(shape, n: int, who: str) -> tuple[int, ...]:
    """`pre_shape`/`post_shape` checked against the population's `n` cells."""
    arg = f"{who}_shape"
    if shape is None:
        return (n,)
    dims = (shape,) if isinstance(shape, int | np.integer) else shape
    if not isinstance(dims, tuple | list) or not all(
        isinstance(d, int | np.integer) and not isinstance(d, bool) for d in dims
    ):
        raise TypeError(
            f"connect: {arg} must be an int or a tuple of ints such as (4, 4), got "
            f"{shape!r}."
        )
    dims = tuple(int(d) for d in dims)
    if not dims or any(d < 1 for d in dims):
        raise ValueError(
            f"connect: {arg} must have at least one axis, each of length >= 1, got "
            f"{shape!r}."
        )
    if int(np.prod(dims)) != n:
        raise ValueError(
            f"connect: {arg}={dims} holds {int(np.prod(dims))} cells, but the "
            f"{who}synaptic selection has {n}; the product of the shape must equal "
            "the number of selected cells."
        )
    return dims


def _matrix(value, grids, what: str):
    """A matrix over the populations, given `(n_pre, n_post)` or as
    `pre_shape + post_shape`, as `(n_pre, n_post)`; anything else is an error."""
    flat = (int(np.prod(grids[0])), int(np.prod(grids[1])))
    full = grids[0] + grids[1]
    if value.shape == full:
        return value.reshape(flat)
    if value.shape == flat:
        return value
    gridded = len(full) > 2
    shapes = f"{grids[0]} x {grids[1]}" if gridded else f"{flat[0]} x {flat[1]}"
    fix = f"a {flat}" + (f" or a {full}" if gridded else "")
    raise ValueError(
        f"connect: {what} is a matrix of shape {value.shape}, but the populations "
        f"are {shapes} presynaptic x postsynaptic cells; give {fix} matrix"
        f"{grid_hint(value.shape, flat, len(full))}."
    )


def _per_edge(synapse, rows, cols, grids, key, fields=None):
    """Resolve `Init` values and matrices over the populations (`grids`: their
    shapes) to per-edge values (for `fields`, default all)."""
    owner = type(synapse).__name__
    n_pre, n_post = int(np.prod(grids[0])), int(np.prod(grids[1]))

    def per_edge(name, value):
        if fields is not None and name not in fields:
            return value
        if isinstance(value, Init):
            if key is None:
                raise ValueError(
                    f"connect: {owner}.{name} is drawn by dx.conn.Init, which needs "
                    "randomness: pass key=jax.random.key(...) to connect."
                )
            value = draw(
                value, init_key(key, name), len(rows), n_pre, n_post, f"{owner}.{name}"
            )
        value = float_values(value)
        if value.ndim < 2:
            return value
        return _matrix(value, grids, name)[rows, cols]

    return map_params(per_edge, synapse)


def _delays(delay, rows, cols, grids, n) -> np.ndarray:
    """Per-edge delays (ms) from a scalar, vector, matrix or per-pre column."""
    shape = (int(np.prod(grids[0])), int(np.prod(grids[1])))
    if delay is None:
        return np.zeros(n)
    if isinstance(delay, jax.core.Tracer):
        raise TypeError(
            "connect: delay must be concrete (it fixes the ring buffer's length), "
            "not traced."
        )
    d = real(delay, "connect", "delay")
    if d.shape == grids[0] + grids[1]:
        d = d.reshape(shape)
    if d.ndim == 2 and d.shape in (shape, (shape[0], 1)):
        d = np.broadcast_to(d, shape)[rows, cols]
    elif d.ndim == 0:
        d = np.full(n, float(d))
    elif d.shape != (n,):
        raise ValueError(
            f"connect: delay has shape {d.shape}; give a scalar, one value per new "
            f"edge ({n},), a {shape} matrix or a ({shape[0]}, 1) column (one per "
            "presynaptic cell)."
        )
    if not np.all(np.isfinite(d)) or np.any(d < 0):
        raise ValueError(
            f"connect: delays must be finite and >= 0 ms, got min {d.min()}; a "
            "spike cannot arrive before it is emitted."
        )
    return d


def _same_receptors(old: Projection, new: Projection, receptor: list[str]) -> None:
    """An event projection has one receptor per target compartment: refuse to
    join edges whose receptor values (time constants, reversal potential, ...)
    differ from those already at a shared target, which would silently change
    the old edges' kinetics. (Traced values cannot be compared; they pass.)"""
    a, b = old.targets.array, new.targets.array
    shared, ia, ib = np.intersect1d(a, b, return_indices=True)
    if not shared.size:
        return
    for f in receptor:
        x, y = getattr(old.synapse, f).values(), getattr(new.synapse, f).values()
        if isinstance(x, jax.core.Tracer) or isinstance(y, jax.core.Tracer):
            continue
        x, y = np.asarray(x)[ia], np.asarray(y)[ib]
        differ = ~np.isclose(x, y, rtol=1e-12, atol=0.0)
        if differ.any():
            k = int(np.argmax(differ))
            raise ValueError(
                f"connect: projection {old.name!r} already has a receptor at "
                f"compartment {int(shared[k])} with {f}={float(x[k]):g}; these "
                f"edges give {f}={float(y[k]):g}, which would change the old edges' "
                "kinetics too (an event projection has one receptor per target). "
                "Pass name= (e.g. name='inh') to make a separate projection."
            )


def _join(old: Projection, new: Projection) -> Projection:
    """Both edge lists in one projection, in canonical order."""
    pre = np.concatenate([old.pre.array, new.pre.array])
    post = np.concatenate([old.post.array, new.post.array])
    order = np.lexsort((post, pre))
    if not old.is_event:
        synapse = map_params(
            lambda _, a, b: take(concat(a, b), order), old.synapse, new.synapse
        )
        return Projection(synapse, Ix(pre[order]), Ix(post[order]), old.name)
    fields = old.synapse.edge_fields
    synapse = map_params(
        lambda f, a, b: take(concat(a, b), order) if f in fields else a,
        old.synapse,
        new.synapse,
    )
    receptor = [f for f in param_fields(synapse) if f not in fields]
    _same_receptors(old, new, receptor)
    synapse, targets = merge_nodes(
        synapse, old.targets.array, new.synapse, new.targets.array, receptor
    )
    delay = np.concatenate([old.delay.array, new.delay.array])[order]
    return Projection(
        synapse,
        Ix(pre[order]),
        Ix(post[order]),
        old.name,
        targets=Ix(targets),
        delay=Ix(delay),
        plasticity=old.plasticity,
        delivery=old.delivery,
    )
