"""Morphology: `Compartment`, `Branch`, `Cell` and `read_swc`.

These are plain, immutable build-time descriptions. `Network` turns them into a
struct-of-arrays node table and the static structure the solver needs.
Units follow NEURON: µm, µF/cm², Ω·cm, mV.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import equinox as eqx
import numpy as np

from ._static import Ix


def _positive(name: str, value: float | int, owner: str) -> float:
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive number, got {value}.")
    return value


class Compartment(eqx.Module):
    """One isopotential cylinder (a NEURON segment).

    **Arguments:**

    - `length`: length in µm.
    - `radius`: radius in µm.
    - `axial_resistivity`: Ra in Ω·cm (NEURON's default 35.4).
    - `capacitance`: membrane capacitance in µF/cm².
    - `v_init`: initial membrane potential in mV (NEURON's default -65).
    """

    length: float | int = 10.0
    radius: float | int = 1.0
    axial_resistivity: float | int = 35.4
    capacitance: float | int = 1.0
    v_init: float | int = -65.0

    def __check_init__(self):
        for name in ("length", "radius", "axial_resistivity", "capacitance"):
            _positive(name, getattr(self, name), "Compartment")
        if not math.isfinite(float(self.v_init)):
            raise ValueError("Compartment: v_init must be a finite number.")


class Branch(eqx.Module):
    """An unbranched cable of compartments (a NEURON section).

    **Arguments:**

    - `comp`: a `Compartment` repeated `ncomp` times, or a sequence of
      compartments (then `ncomp` must be omitted or equal its length).
    - `ncomp`: number of compartments.
    """

    comps: tuple[Compartment, ...]

    def __init__(
        self, comp: Compartment | Sequence[Compartment], ncomp: int | None = None
    ):
        if isinstance(comp, Compartment):
            n = 1 if ncomp is None else ncomp
            if not isinstance(n, int | np.integer) or n < 1:
                raise ValueError(f"Branch: ncomp must be an integer >= 1, got {n!r}.")
            self.comps = (comp,) * int(n)
        else:
            comps = tuple(comp)
            if not comps or not all(isinstance(c, Compartment) for c in comps):
                raise TypeError(
                    "Branch: comp must be a Compartment or a non-empty sequence of "
                    "Compartments."
                )
            if ncomp is not None and ncomp != len(comps):
                raise ValueError(
                    f"Branch: ncomp={ncomp} but {len(comps)} compartments were given; "
                    "omit ncomp."
                )
            self.comps = comps

    @property
    def ncomp(self) -> int:
        return len(self.comps)


def _check_parents(parents: Sequence[int], n: int) -> tuple[int, ...]:
    parents = tuple(int(p) for p in parents)
    if len(parents) != n:
        raise ValueError(
            f"Cell: parents has {len(parents)} entries but there are {n} branches; "
            "give one parent index per branch (-1 for the root)."
        )
    for i, p in enumerate(parents):
        if p < -1 or p >= n:
            raise ValueError(
                f"Cell: parents[{i}] = {p} is out of range; use -1 for the root or an "
                f"index in [0, {n - 1}]."
            )
        if p == i:
            raise ValueError(
                f"Cell: parents[{i}] = {i} makes branch {i} its own parent."
            )
    roots = [i for i, p in enumerate(parents) if p == -1]
    if len(roots) != 1:
        raise ValueError(
            f"Cell: parents must contain exactly one root (-1), found {len(roots)} "
            f"(at {roots}); a cell is a single tree."
        )
    for i in range(n):
        seen, j = set(), i
        while j != -1:
            if j in seen:
                raise ValueError(
                    f"Cell: parents contains a cycle through branch {j}; every branch "
                    "must lead back to the root."
                )
            seen.add(j)
            j = parents[j]
    return parents


class Cell(eqx.Module):
    """A tree of branches.

    **Arguments:**

    - `branches`: one `Branch` (repeated for every entry of `parents`) or a
      sequence of branches.
    - `parents`: for each branch, the index of its parent branch, -1 for the root.
      A child attaches at the distal end (x = 1) of its parent, as NEURON's
      `child.connect(parent(1))`.
    - `attach`: optional, per branch, 1.0 (distal end, default) or 0.0 (proximal
      end) of the parent where it attaches.
    - `groups`: optional mapping of group name to branch indices; the network
      turns these into node groups (`read_swc` sets "soma", "axon", ...).
    - `xyz`: optional (ncomp_total, 3) compartment centres in µm, for plotting.
    """

    branches: tuple[Branch, ...]
    parents: tuple[int, ...]
    attach: tuple[float, ...]
    groups: tuple[tuple[str, tuple[int, ...]], ...]
    xyz: Ix | None = eqx.field(static=True)

    def __init__(
        self,
        branches: Branch | Sequence[Branch],
        parents: Sequence[int] = (-1,),
        *,
        attach: Sequence[float | int] | None = None,
        groups: dict[str, Sequence[int]] | None = None,
        xyz: np.ndarray | None = None,
    ):
        parents = list(parents)
        if isinstance(branches, Branch):
            branches = (branches,) * len(parents)
        branches = tuple(branches)
        if not branches or not all(isinstance(b, Branch) for b in branches):
            raise TypeError(
                "Cell: branches must be a Branch or a sequence of Branches."
            )
        self.parents = _check_parents(parents, len(branches))
        self.branches = branches
        attach = (1.0,) * len(branches) if attach is None else tuple(map(float, attach))
        if len(attach) != len(branches) or any(a not in (0.0, 1.0) for a in attach):
            raise ValueError("Cell: attach must hold 0.0 or 1.0 for every branch.")
        self.attach = attach
        self.groups = tuple(
            (str(k), tuple(int(i) for i in v)) for k, v in (groups or {}).items()
        )
        for name, members in self.groups:
            if any(not 0 <= i < len(branches) for i in members):
                raise ValueError(
                    f"Cell: groups[{name!r}] = {list(members)} must hold branch "
                    f"indices in [0, {len(branches) - 1}]."
                )
        if xyz is not None:
            xyz = np.asarray(xyz, float)
            if xyz.shape != (self.ncomp, 3):
                raise ValueError(f"Cell: xyz must have shape ({self.ncomp}, 3).")
            xyz = Ix(xyz)
        self.xyz = xyz

    @property
    def ncomp(self) -> int:
        """Total number of compartments."""
        return sum(b.ncomp for b in self.branches)


# --- SWC -------------------------------------------------------------------------

_SWC_TYPES = {1: "soma", 2: "axon", 3: "basal", 4: "apical"}


def _parse_swc(path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rows = []
    for lineno, line in enumerate(Path(path).read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) != 7:
            raise ValueError(
                f"read_swc: line {lineno} of {path} has {len(fields)} columns; SWC "
                "needs 7 (id type x y z radius parent)."
            )
        rows.append([float(f) for f in fields])
    if not rows:
        raise ValueError(f"read_swc: {path} contains no points.")
    data = np.array(rows)
    data = data[np.argsort(data[:, 0])]
    ids = data[:, 0].astype(int)
    pos = {int(i): k for k, i in enumerate(ids)}
    parent_ids = data[:, 6].astype(int)
    roots = np.flatnonzero(parent_ids == -1)
    if len(roots) != 1:
        raise ValueError(f"read_swc: {path} must have exactly one root point.")
    try:
        parent = np.array([-1 if p == -1 else pos[int(p)] for p in parent_ids])
    except KeyError as e:
        raise ValueError(f"read_swc: parent id {e} does not exist in {path}.") from None
    if np.any(parent >= np.arange(len(parent))):
        raise ValueError(f"read_swc: in {path} every parent must precede its child.")
    return data[:, 1].astype(int), data[:, 2:5], data[:, 5], parent


def _expand_point_soma(types, xyz, radius, parent):
    """Replace a one-point soma by NeuroMorpho's three-point cylinder.

    Two type-1 points at ±r along y become the root's first children: the soma
    is then a cylinder of length and diameter 2r (the membrane area of a sphere
    of radius r) whose two halves meet at the root, where the dendrites attach.
    """
    root = 0  # parents precede children, so the root comes first
    if types[root] != 1 or np.any((parent == root) & (types == 1)):
        return types, xyz, radius, parent
    r = radius[root]
    extra = xyz[root] + np.array([[0.0, -r, 0.0], [0.0, r, 0.0]])
    parent = np.where(parent > root, parent + 2, parent)
    return (
        np.concatenate([types[:1], [1, 1], types[1:]]),
        np.concatenate([xyz[:1], extra, xyz[1:]]),
        np.concatenate([radius[:1], [r, r], radius[1:]]),
        np.concatenate([parent[:1], [root, root], parent[1:]]),
    )


def read_swc(path: str | Path, ncomp: int) -> Cell:
    """Read an SWC morphology into a `Cell`.

    Unbranched runs of points become branches. A new branch starts at a point
    whose parent has two or more children, whose type differs from its parent's,
    or which is a second (third, ...) child of the root. A branch attaches at the
    distal end of the branch ending at its parent point, or at the proximal end of
    the root branch when its parent point is the root. Each branch is split into
    `ncomp` compartments of equal length; a compartment's radius is the point
    radius interpolated linearly along the path at its centre. Groups "soma",
    "axon", "basal", "apical" (and "type_N" for other SWC types) are set.
    A one-point soma becomes the three-point cylinder of NeuroMorpho's
    convention (length and diameter 2r, the area of its sphere), with the
    processes at the root attached at its centre.

    **Arguments:**

    - `path`: the SWC file.
    - `ncomp`: compartments per branch.

    **Returns:**

    A `Cell` with compartment centres in `xyz`.
    """
    if not isinstance(ncomp, int | np.integer) or ncomp < 1:
        raise ValueError(f"read_swc: ncomp must be an integer >= 1, got {ncomp!r}.")
    types, xyz, radius, parent = _parse_swc(path)
    types, xyz, radius, parent = _expand_point_soma(types, xyz, radius, parent)
    n = len(types)
    children = [[] for _ in range(n)]
    for i in range(1, n):
        children[parent[i]].append(i)
    root = int(np.flatnonzero(parent == -1)[0])
    section_of = np.full(n, -1)
    points: list[list[int]] = []
    sec_parent: list[int] = []
    sec_attach: list[float] = []
    for q in range(n):
        if q == root:
            continue
        p = parent[q]
        new = (
            (p == root and q != children[root][0])
            or len(children[p]) >= 2
            or types[q] != types[p]
        )
        if p == root and q == children[root][0]:
            section_of[root] = 0
            section_of[q] = len(points)
            points.append([root, q])
            sec_parent.append(-1)
            sec_attach.append(1.0)
        elif new:
            section_of[q] = len(points)
            points.append([p, q])
            sec_parent.append(int(section_of[p]))
            sec_attach.append(0.0 if p == root else 1.0)
        else:
            section_of[q] = section_of[p]
            points[section_of[p]].append(q)
    if not points:
        raise ValueError(f"read_swc: {path} needs at least two points.")

    branches, centres, groups = [], [], {}
    for s, pts in enumerate(points):
        seg = np.linalg.norm(np.diff(xyz[pts], axis=0), axis=1)
        arc = np.concatenate([[0.0], np.cumsum(seg)])
        total = arc[-1]
        if total <= 0:
            raise ValueError(f"read_swc: branch {s} of {path} has zero length.")
        s_mid = (np.arange(ncomp) + 0.5) / ncomp * total
        r_mid = np.interp(s_mid, arc, radius[pts])
        centres.append(
            np.stack([np.interp(s_mid, arc, xyz[pts, k]) for k in range(3)], 1)
        )
        branches.append(
            Branch([Compartment(length=total / ncomp, radius=float(r)) for r in r_mid])
        )
        t = int(types[pts[1]])
        groups.setdefault(_SWC_TYPES.get(t, f"type_{t}"), []).append(s)
    return Cell(
        branches,
        sec_parent,
        attach=sec_attach,
        groups=groups,
        xyz=np.concatenate(centres),
    )


def coordinates(cell: Cell) -> np.ndarray:
    """Compartment centres (ncomp, 3) in µm: `cell.xyz`, or a planar layout.

    The layout draws the root branch along +x and fans each branch's children out
    over ±40° around their parent's direction, to scale.
    """
    if cell.xyz is not None:
        return cell.xyz.array
    n = len(cell.branches)
    start = np.zeros((n, 2))
    angle = np.zeros(n)
    out = [None] * n
    children = [[c for c in range(n) if cell.parents[c] == b] for b in range(n)]
    order = [cell.parents.index(-1)]
    for b in order:
        br = cell.branches[b]
        lengths = np.array([c.length for c in br.comps])
        s_mid = np.cumsum(lengths) - lengths / 2
        direction = np.array([np.cos(angle[b]), np.sin(angle[b])])
        out[b] = start[b] + s_mid[:, None] * direction
        end = start[b] + lengths.sum() * direction
        kids = children[b]
        spread = np.linspace(-0.7, 0.7, len(kids)) if len(kids) > 1 else [0.0]
        for c, da in zip(kids, spread):
            at_start = cell.attach[c] == 0.0
            start[c] = start[b] if at_start else end
            angle[c] = angle[b] + (np.pi if at_start else 0.0) + da
            order.append(c)
    xy = np.concatenate(out)
    return np.concatenate([xy, np.zeros((len(xy), 1))], axis=1)
