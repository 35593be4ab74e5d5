"""Morphology: `Compartment`, `Branch` and `Cell`.

These are plain, immutable build-time descriptions. `Network` turns them into a
struct-of-arrays node table and the static structure the solver needs.
Units follow NEURON: µm, µF/cm², Ω·cm, mV.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import equinox as eqx
import numpy as np

from ._custom_types import Number
from ._geometry import DLambda, frustums, split_points
from ._static import Ix

NcompRule = int | Sequence[int] | DLambda


def _positive(name: str, value: float | int, owner: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise TypeError(
            f"{owner}: {name} must be a positive number, got {type(value).__name__} "
            f"{value!r}."
        )
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive number, got {value}.")
    return value


class Compartment(eqx.Module):
    """One isopotential compartment (a NEURON segment).

    A point neuron is usually given by its size instead:
    `Compartment.from_area(20_000.0)` (µm²) or
    `Compartment.from_capacitance(0.2)` (nF) make the cylinder for it.

    **Arguments:**

    - `length`: length in µm.
    - `radius`: radius in µm.
    - `axial_resistivity`: Ra in Ω·cm (NEURON's default 35.4).
    - `capacitance`: membrane capacitance in µF/cm².
    - `v_init`: initial membrane potential in mV (NEURON's default -65).
    - `profile`: the compartment's membrane area and the axial resistances of
      its proximal and distal halves, each relative to the cylinder of this
      length and radius. (1, 1, 1), the default, is a cylinder;
      `Branch.from_points` and `read_swc` set it from 3-D points, and changing
      `length` or `radius` later scales that 3-D shape.
    """

    length: float | int = 10.0
    radius: float | int = 1.0
    axial_resistivity: float | int = 35.4
    capacitance: float | int = 1.0
    v_init: float | int = -65.0
    profile: tuple[float, float, float] = (1.0, 1.0, 1.0)

    def __check_init__(self):
        for name in ("length", "radius", "axial_resistivity", "capacitance"):
            _positive(name, getattr(self, name), "Compartment")
        v = self.v_init
        if isinstance(v, bool) or not isinstance(v, int | float | np.number):
            raise TypeError(f"Compartment: v_init must be a number, got {v!r}.")
        if not math.isfinite(float(v)):
            raise ValueError("Compartment: v_init must be a finite number.")
        if len(self.profile) != 3:
            raise ValueError("Compartment: profile must hold three numbers.")
        for p in self.profile:
            _positive("each entry of profile", p, "Compartment")

    @classmethod
    def from_area(
        cls,
        area: Number,
        *,
        aspect: Number = 1.0,
        axial_resistivity: Number = 35.4,
        capacitance: Number = 1.0,
        v_init: Number = -65.0,
    ) -> Compartment:
        """A cylinder of a given membrane area: a point neuron by its size.

        The cylinder is `aspect` times as long as it is wide (by default as long
        as wide, NEURON's usual soma, whose side has the area of a sphere of that
        diameter): radius `sqrt(area / (4π aspect))`, length `2 aspect radius`.
        Only the area matters for a compartment on its own; the aspect sets the
        axial resistance to neighbours, if it has any.

        **Arguments:**

        - `area`: membrane area in µm² (20,000 µm² = 200 pF at 1 µF/cm²).
        - `aspect`: length over diameter, default 1.
        - `axial_resistivity`, `capacitance`, `v_init`: as for `Compartment`
          (Ω·cm, µF/cm², mV).

        **Returns:**

        A `Compartment` whose area, as the solver sees it
        (`dx.cable_geometry`), is `area`.
        """
        who = "Compartment.from_area"
        area = _positive("area", area, who)
        aspect = _positive("aspect", aspect, who)
        radius = math.sqrt(area / (4.0 * math.pi * aspect))
        return cls(
            length=2.0 * aspect * radius,
            radius=radius,
            axial_resistivity=axial_resistivity,
            capacitance=capacitance,
            v_init=v_init,
        )

    @classmethod
    def from_capacitance(
        cls,
        total: Number,
        *,
        capacitance: Number = 1.0,
        aspect: Number = 1.0,
        axial_resistivity: Number = 35.4,
        v_init: Number = -65.0,
    ) -> Compartment:
        """A cylinder of a given total membrane capacitance: a point neuron as
        integrate-and-fire models state it (C = 200 pF, ...).

        The membrane area is `total / capacitance` (1 nF at 1 µF/cm² is
        100,000 µm²), shaped as in `Compartment.from_area`.

        **Arguments:**

        - `total`: the compartment's capacitance in nF (200 pF = 0.2 nF), the
          unit that goes with the solver's nA, mV and ms: `C dv/dt = I`.
        - `capacitance`: the specific capacitance in µF/cm², default 1; the
          compartment keeps it, so its area follows from the two.
        - `aspect`, `axial_resistivity`, `v_init`: as in `Compartment.from_area`.

        **Returns:**

        A `Compartment` whose capacitance, as the solver sees it (`capacitance`
        times the area of `dx.cable_geometry`), is `total`.
        """
        who = "Compartment.from_capacitance"
        total = _positive("total", total, who)
        capacitance = _positive("capacitance", capacitance, who)
        # µF/cm² × µm² = 1e-5 nF
        area = total / (1e-5 * capacitance)
        if not math.isfinite(area):
            raise ValueError(
                f"{who}: total={total} nF at {capacitance} µF/cm² gives an area that "
                "is not finite; check the units (nF and µF/cm²)."
            )
        return cls.from_area(
            area,
            aspect=aspect,
            axial_resistivity=axial_resistivity,
            capacitance=capacitance,
            v_init=v_init,
        )


def _check_points(points, who: str) -> np.ndarray:
    # Single precision is kept (NEURON's own 3-D points are floats, see read_swc).
    single = getattr(points, "dtype", None) == np.float32
    try:
        pts = np.array(points, dtype=np.float32 if single else float)
    except (TypeError, ValueError):
        raise TypeError(
            f"{who}: points must be numbers, shape (n, 4): x, y, z, radius in µm."
        ) from None
    if pts.ndim != 2 or pts.shape[1] != 4 or len(pts) < 2:
        raise ValueError(
            f"{who}: points has shape {pts.shape}; give at least two rows of "
            "(x, y, z, radius) in µm."
        )
    if not np.all(np.isfinite(pts)):
        raise ValueError(f"{who}: points must be finite.")
    if np.any(pts[:, 3] <= 0):
        k = int(np.flatnonzero(pts[:, 3] <= 0)[0])
        raise ValueError(
            f"{who}: point {k} has radius {pts[k, 3]}; every radius must be positive."
        )
    if np.linalg.norm(np.diff(pts[:, :3], axis=0), axis=1).sum() <= 0:
        raise ValueError(f"{who}: the points have zero total length.")
    if pts[:, 3].min() <= 0:  # a radius that underflowed
        raise ValueError(f"{who}: every radius must be positive.")
    return pts


def _check_ncomp(n, who: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"{who}: ncomp must be an integer >= 1, got {n!r}.")
    return int(n)


class Branch(eqx.Module):
    """An unbranched cable of compartments (a NEURON section).

    **Arguments:**

    - `comp`: a `Compartment` repeated `ncomp` times, or a sequence of
      compartments (then `ncomp` must be omitted or equal its length).
    - `ncomp`: number of compartments.
    - `points`: optional (n, 4) 3-D points (x, y, z, radius in µm) the
      compartments were made from (set by `Branch.from_points`); kept for
      drawing and for changing the number of compartments later.
    """

    comps: tuple[Compartment, ...]
    points: Ix | None = eqx.field(static=True)

    def __init__(
        self,
        comp: Compartment | Sequence[Compartment],
        ncomp: int | None = None,
        *,
        points=None,
    ):
        if isinstance(comp, Compartment):
            n = _check_ncomp(1 if ncomp is None else ncomp, "Branch")
            self.comps = (comp,) * n
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
        self.points = None if points is None else Ix(_check_points(points, "Branch"))

    @property
    def ncomp(self) -> int:
        return len(self.comps)

    @property
    def length(self) -> float:
        """Total length in µm."""
        return float(sum(float(c.length) for c in self.comps))

    @classmethod
    def from_points(
        cls,
        points,
        ncomp: int | DLambda = 1,
        *,
        axial_resistivity: float = 35.4,
        capacitance: float = 1.0,
        v_init: float = -65.0,
    ) -> Branch:
        """A branch traced by 3-D points (NEURON's `pt3dadd`), cut into `ncomp`
        compartments of equal length.

        The radius varies linearly between points; each compartment's membrane
        area, the axial resistance of each of its halves and its mean radius are
        integrated over the frustums between the points exactly as NEURON does
        (see `Compartment.profile`).

        **Arguments:**

        - `points`: (n >= 2, 4) array of x, y, z, radius in µm. Single-precision
          points (as NEURON stores them) are kept in single precision and the
          steps between them taken in it, as NEURON does.
        - `ncomp`: number of compartments, or a rule such as `dx.DLambda()`.
        - `axial_resistivity`, `capacitance`, `v_init`: as for `Compartment`.

        **Returns:**

        A `Branch` that remembers its points.
        """
        pts = _check_points(points, "Branch.from_points")
        if isinstance(ncomp, DLambda):
            ncomp = ncomp.ncomp(pts[:, :3], pts[:, 3], axial_resistivity, capacitance)
        ncomp = _check_ncomp(ncomp, "Branch.from_points")
        f = frustums(pts[:, :3], pts[:, 3], ncomp)
        comps = [
            Compartment(
                length=float(f.length[k]),
                radius=float(f.radius[k]),
                axial_resistivity=axial_resistivity,
                capacitance=capacitance,
                v_init=v_init,
                profile=tuple(float(x) for x in f.profile[k]),
            )
            for k in range(ncomp)
        ]
        return cls(comps, points=pts)

    def with_ncomp(self, ncomp: int | DLambda) -> Branch:
        """The same cable cut into a different number of compartments.

        Possible for a branch made from 3-D points and for a uniform cable (all
        compartments alike); the electrical properties are those of its first
        compartment.

        **Arguments:**

        - `ncomp`: number of compartments, or a rule such as `dx.DLambda()`.

        **Returns:**

        A new `Branch`.
        """
        c = self.comps[0]
        props = dict(
            axial_resistivity=c.axial_resistivity,
            capacitance=c.capacitance,
            v_init=c.v_init,
        )
        if self.points is not None:
            return Branch.from_points(self.points.array, ncomp, **props)
        if any(other != c for other in self.comps):
            raise ValueError(
                "Branch.with_ncomp: the compartments of this branch differ, so there "
                "is no single cable to cut anew; build it with Branch.from_points, "
                "or give its compartments yourself."
            )
        length = self.length
        if isinstance(ncomp, DLambda):
            ncomp = ncomp.ncomp(
                np.array([[0.0, 0.0, 0.0], [length, 0.0, 0.0]]),
                np.full(2, float(c.radius)),
                float(c.axial_resistivity),
                float(c.capacitance),
            )
        n = _check_ncomp(ncomp, "Branch.with_ncomp")
        return Branch(eqx.tree_at(lambda x: x.length, c, length / n), n)


def _check_parents(parents, n: int) -> tuple[int, ...]:
    if isinstance(parents, str | bytes):
        raise TypeError(
            f"Cell: parents must be a sequence of branch indices, got {parents!r}."
        )
    out = []
    for i, p in enumerate(parents):
        if isinstance(p, bool) or not isinstance(p, int | np.integer | float):
            raise TypeError(
                f"Cell: parents[{i}] = {p!r} is not an integer; give the index of "
                "the parent branch (-1 for the root)."
            )
        if int(p) != p:
            raise ValueError(
                f"Cell: parents[{i}] = {float(p)} is not an integer; give the index of "
                "the parent branch (-1 for the root)."
            )
        out.append(int(p))
    parents = tuple(out)
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


def _check_attach(attach, n: int) -> tuple[float, ...]:
    if attach is None:
        return (1.0,) * n
    out = []
    for a in attach:
        if isinstance(a, bool) or not isinstance(a, int | float | np.number):
            raise TypeError(f"Cell: attach must hold numbers in [0, 1], got {a!r}.")
        if not 0.0 <= float(a) <= 1.0:
            raise ValueError(
                f"Cell: attach must hold positions in [0, 1] along the parent, got "
                f"{a!r}."
            )
        out.append(float(a))
    if len(out) != n:
        raise ValueError(
            f"Cell: attach has {len(out)} entries but there are {n} branches."
        )
    return tuple(out)


def ncomp_rules(ncomp, n: int, who: str) -> list[int | DLambda]:
    """One count or rule per branch from `ncomp`: an int, one int per branch or a
    rule such as `DLambda` (for all branches)."""
    if isinstance(ncomp, int | np.integer | DLambda) and not isinstance(ncomp, bool):
        return [ncomp] * n
    if isinstance(ncomp, Sequence | np.ndarray) and not isinstance(ncomp, str):
        rules = list(ncomp)
        if len(rules) != n:
            raise ValueError(
                f"{who}: ncomp has {len(rules)} entries but there are {n} branches; "
                "give one count per branch, one count for all, or a rule such as "
                "dx.DLambda()."
            )
        return rules
    raise TypeError(
        f"{who}: ncomp must be an integer, a sequence of integers (one per branch) "
        f"or a rule such as dx.DLambda(), got {ncomp!r}."
    )


class Cell(eqx.Module):
    """A tree of branches.

    **Arguments:**

    - `branches`: one `Branch` (repeated for every entry of `parents`) or a
      sequence of branches.
    - `parents`: for each branch, the index of its parent branch, -1 for the root.
    - `attach`: optional, per branch, the position x in [0, 1] along its parent
      where it attaches (default 1, the distal end), as NEURON's
      `child.connect(parent(x))`: at x = 1 children meet at the parent's end; at
      0 < x < 1 a child joins the compartment containing x directly; at x = 0 it
      joins where the parent itself is attached (or the root's proximal end).
    - `groups`: optional mapping of group name to branch indices; the network
      turns these into node groups (`read_swc` sets "soma", "axon", ...).
    - `xyz`: optional (ncomp_total, 3) compartment centres in µm, for plotting.
    - `ncomp`: optional; cut every branch anew into this many compartments: an
      integer, one integer per branch, or a rule such as `dx.DLambda()` (see
      `Branch.with_ncomp`).
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
        ncomp: NcompRule | None = None,
    ):
        if isinstance(parents, str | bytes) or not isinstance(
            parents, Sequence | np.ndarray
        ):
            raise TypeError(
                f"Cell: parents must be a sequence of branch indices, got {parents!r}."
            )
        parents = list(parents)
        if isinstance(branches, Branch):
            branches = (branches,) * len(parents)
        branches = tuple(branches) if isinstance(branches, Sequence) else ()
        if not branches or not all(isinstance(b, Branch) for b in branches):
            raise TypeError(
                "Cell: branches must be a Branch or a sequence of Branches."
            )
        self.parents = _check_parents(parents, len(branches))
        if ncomp is not None:
            rules = ncomp_rules(ncomp, len(branches), "Cell")
            branches = tuple(b.with_ncomp(r) for b, r in zip(branches, rules))
        self.branches = branches
        self.attach = _check_attach(attach, len(branches))
        group_items = []
        if groups is not None and not isinstance(groups, Mapping):
            raise TypeError(
                "Cell: groups must map group names to branch indices, e.g. "
                f"{{'soma': [0]}}, got {groups!r}."
            )
        for k, v in (groups or {}).items():
            members = []
            for i in v:
                if isinstance(i, bool) or not isinstance(i, int | np.integer):
                    raise TypeError(
                        f"Cell: groups[{k!r}] must hold branch indices (integers), "
                        f"got {i!r}."
                    )
                members.append(int(i))
            group_items.append((str(k), tuple(members)))
        self.groups = tuple(group_items)
        for name, members in self.groups:
            if any(not 0 <= i < len(branches) for i in members):
                raise ValueError(
                    f"Cell: groups[{name!r}] = {list(members)} must hold branch "
                    f"indices in [0, {len(branches) - 1}]."
                )
        if xyz is not None:
            xyz = np.array(xyz, float)
            if xyz.shape != (self.ncomp, 3):
                raise ValueError(f"Cell: xyz must have shape ({self.ncomp}, 3).")
            if not np.all(np.isfinite(xyz)):
                raise ValueError("Cell: xyz must be finite (centres in µm).")
            xyz = Ix(xyz)
        self.xyz = xyz

    @property
    def ncomp(self) -> int:
        """Total number of compartments."""
        return sum(b.ncomp for b in self.branches)


class Outline(NamedTuple):
    """What a drawing of a cell needs: per compartment a polyline of 3-D points
    with radii (`comp[i]` says which compartment point `i` belongs to; a
    compartment's points are consecutive), and its centre."""

    xyz: np.ndarray
    radius: np.ndarray
    comp: np.ndarray
    centre: np.ndarray


def _layout(cell: Cell) -> list[tuple[np.ndarray, np.ndarray]]:
    """A planar layout, per branch (start, direction): the root along +x, each
    branch's children fanned out over ±40° around their parent's direction."""
    n = len(cell.branches)
    start = np.zeros((n, 3))
    angle = np.zeros(n)
    children = [[c for c in range(n) if cell.parents[c] == b] for b in range(n)]
    order = [cell.parents.index(-1)]
    for b in order:
        direction = np.array([np.cos(angle[b]), np.sin(angle[b]), 0.0])
        kids = children[b]
        spread = np.linspace(-0.7, 0.7, len(kids)) if len(kids) > 1 else [0.0]
        for c, da in zip(kids, spread):
            x = cell.attach[c]
            start[c] = start[b] + x * cell.branches[b].length * direction
            angle[c] = angle[b] + (np.pi if x == 0.0 else 0.0) + da
            order.append(c)
    return [
        (start[b], np.array([np.cos(angle[b]), np.sin(angle[b]), 0.0]))
        for b in range(n)
    ]


def outline(cell: Cell) -> Outline:
    """Where to draw a cell's compartments, in µm.

    Branches traced by 3-D points are drawn along their points; when every
    branch has points the cell keeps its own coordinates. Otherwise the cell is
    laid out in the plane (see `_layout`), each compartment a straight piece of
    its length. `cell.xyz`, when given, sets the centres.
    """
    use_points = all(b.points is not None for b in cell.branches)
    layout = None if use_points else _layout(cell)
    xyz, radius, comp = [], [], []
    offset = 0
    for b, br in enumerate(cell.branches):
        if use_points:
            pts = br.points.array
            p, r, c = split_points(pts[:, :3], pts[:, 3], br.ncomp)
        else:
            start, direction = layout[b]
            lengths = np.array([float(c.length) for c in br.comps])
            ends = np.concatenate([[0.0], np.cumsum(lengths)])
            s = np.stack([ends[:-1], ends[1:]], 1).reshape(-1)
            p = start + s[:, None] * direction
            r = np.repeat([float(c.radius) for c in br.comps], 2)
            c = np.repeat(np.arange(br.ncomp), 2)
        xyz.append(p)
        radius.append(r)
        comp.append(c + offset)
        offset += br.ncomp
    xyz, radius, comp = map(np.concatenate, (xyz, radius, comp))
    if cell.xyz is not None:
        centre = cell.xyz.array
    else:
        centre = np.zeros((cell.ncomp, 3))
        bounds = np.searchsorted(comp, np.arange(cell.ncomp + 1))
        for k in range(cell.ncomp):
            pts = xyz[bounds[k] : bounds[k + 1]]
            step = np.linalg.norm(np.diff(pts, axis=0), axis=1)
            arc = np.concatenate([[0.0], np.cumsum(step)])
            half = arc[-1] / 2
            centre[k] = [np.interp(half, arc, pts[:, i]) for i in range(3)]
    return Outline(xyz, radius, comp, centre)
