"""SWC files read as NEURON's importer reads them.

NEURON users load reconstructions with `Import3d_SWC_read` and `Import3d_GUI`
(`share/nrn/lib/hoc/import3d/`), and compare everything against the sections that
importer makes. `read_swc` makes the same sections from the same points, so a
cell read here and in NEURON has the same 3-D points, connections and therefore
the same compartments. The importer's rules, in short:

- Points are sorted by id. A section is a maximal run of consecutive points, each
  the only child of the previous one, all of one type. Soma points chained one
  after the other stay in one section unless a soma point has several soma
  children.
- A non-root section starts with a copy of its parent point. For a section that
  leaves the soma, that first point takes the diameter of the section's own first
  point.
- A one-point soma becomes a cylinder of length and diameter 2r along x (the
  area of the sphere); NeuroMorpho's three-point soma (root plus two points at
  distance r, all of radius r) is read as that one-point sphere.
- Processes leaving a one-point soma are joined to soma(0.5) by a "wire": the
  copy of the soma point is dropped, so the process starts at its own first
  point. Processes leaving an interior soma point join soma(0.5) (by a wire when
  they have several points); at the first point of the root section, x = 0; at
  the last point of a section, x = 1.
- A branch whose parent is the first point of a process wired to the soma joins
  that process at x = 0; so do branches of a root point that is not soma.
- Sections of a single point, or of two points at the same place, are removed
  and their children joined to their parent.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ._geometry import DLambda
from ._morphology import Branch, Cell, ncomp_rules

SWC_TYPES = {1: "soma", 2: "axon", 3: "basal", 4: "apical"}


def _group_name(t: int) -> str:
    return SWC_TYPES.get(t, f"type_{t}")


class _Points:
    """The points of an SWC file sorted by id; parent indices (-1: root)."""

    def __init__(self, path: Path):
        self.path = path
        rows, lines = [], []
        names = ("id", "type", "x", "y", "z", "radius", "parent")
        text = path.read_text()
        for lineno, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            fields = line.split()
            if len(fields) < 7:
                self.fail(
                    lineno,
                    f"has {len(fields)} columns; an SWC point needs 7 (id type x y z "
                    "radius parent)",
                )
            vals = []
            for k, f in enumerate(fields[:7]):
                try:
                    vals.append(float(f))
                except ValueError:
                    hint = (
                        " (SWC types are integers: 1 soma, 2 axon, 3 basal "
                        "dendrite, 4 apical dendrite)"
                        if k == 1
                        else ""
                    )
                    self.fail(lineno, f"{names[k]} is {f!r}, not a number{hint}", k + 1)
            for k, v in enumerate(vals):
                if not math.isfinite(v):
                    self.fail(lineno, f"{names[k]} {fields[k]} is not finite", k + 1)
            for k in (0, 1, 6):
                if vals[k] != int(vals[k]):
                    self.fail(
                        lineno,
                        f"{names[k]} {fields[k]} is not an integer; SWC ids, types "
                        "and parents are whole numbers",
                        k + 1,
                    )
            for k in (0, 1):
                if vals[k] < 0:
                    self.fail(
                        lineno,
                        f"{names[k]} {fields[k]} is negative; SWC ids and types are "
                        "integers >= 0",
                        k + 1,
                    )
            if vals[5] <= 0:
                self.fail(
                    lineno,
                    f"radius {fields[5]} is not positive; every point needs a "
                    "radius > 0 (a zero radius blocks the axial current)",
                    6,
                )
            rows.append(vals)
            lines.append(lineno)
        if not rows:
            raise ValueError(f"read_swc: {path} contains no points.")
        data = np.array(rows)
        lines = np.array(lines)
        ids = data[:, 0].astype(np.int64)
        order = np.argsort(ids, kind="stable")
        data, lines, ids = data[order], lines[order], ids[order]
        dup = np.flatnonzero(ids[1:] == ids[:-1])
        if dup.size:
            k = int(dup[0])
            raise ValueError(
                f"read_swc: {path}: id {ids[k]} appears twice, on lines "
                f"{lines[k]} and {lines[k + 1]}; give every point its own id."
            )
        pid = data[:, 6].astype(np.int64)
        roots = np.flatnonzero(pid < 0)
        if len(roots) != 1:
            where = ", ".join(str(lines[r]) for r in roots[:5])
            raise ValueError(
                f"read_swc: {path} holds {len(roots)} trees (roots on lines {where}); "
                "a cell is one tree: give exactly one point parent -1, or split the "
                "file into one file per tree."
                if len(roots)
                else f"read_swc: {path} has no root; give one point parent -1."
            )
        index = {int(i): k for k, i in enumerate(ids)}
        parent = np.full(len(ids), -1)
        for k in range(len(ids)):
            if pid[k] < 0:
                continue
            if int(pid[k]) not in index:
                self.fail(
                    lines[k],
                    f"point {ids[k]} has parent {pid[k]}, which is not in the file",
                    7,
                )
            parent[k] = index[int(pid[k])]
        for k in np.flatnonzero(pid >= ids):
            seen, j = [], int(k)
            while j >= 0 and j not in seen:
                seen.append(j)
                j = int(parent[j])
            if j >= 0:
                cycle = " -> ".join(str(ids[i]) for i in seen[seen.index(j) :])
                raise ValueError(
                    f"read_swc: {path}: the points {cycle} -> {ids[j]} form a cycle "
                    f"(line {lines[j]}); every point must lead back to the root."
                )
            self.fail(
                lines[k],
                f"point {ids[k]} has parent {pid[k]}, which is not smaller than its "
                "id; NEURON's importer needs every parent listed with a smaller id: "
                "renumber the points",
                7,
            )
        self.type = data[:, 1].astype(np.int64)
        self.xyz = data[:, 2:5]
        self.diam = 2.0 * data[:, 5]
        self.parent = parent
        self.lines = lines

    def fail(self, lineno, what: str, column: int | None = None):
        where = f"line {lineno}" + ("" if column is None else f", column {column}")
        raise ValueError(f"read_swc: {self.path}, {where}: {what}.")


class _Section:
    """A section as the importer makes it: raw point indices (the first may be
    the parent point), diameters, and how it attaches."""

    def __init__(self, first: int, points: list[int], diam: np.ndarray, type_: int):
        self.first = first  # index of its first own point
        self.points = points
        self.diam = diam
        self.type = type_
        self.parent: _Section | None = None
        self.parentx = 1.0
        self.wire = False  # drop the copy of the parent point


def _sections(p: _Points) -> list[_Section]:
    """Import3d_SWC_read: split the points into sections and connect them."""
    n = len(p.type)
    t, par = p.type, p.parent.copy()
    # Children per point: 1 for a contiguous child, 1.01 for any other, plus 0.01
    # when the child's type differs; a point ends a section unless exactly 1.
    nchild = np.zeros(n)
    prox = np.zeros(n, bool)  # connect to the proximal end of the parent section
    for i in range(n):
        q = par[i]
        if q < 0:
            continue
        nchild[q] += 1
        if q != i - 1:
            nchild[q] += 0.01
            if q > 1:
                if t[q] != 1 and t[par[q]] == 1:
                    prox[i] = True
                    nchild[q] = 1
            elif q == 0 and t[q] != 1:
                prox[i] = True
                nchild[q] = 1
        if t[q] != t[i]:
            nchild[q] += 0.01
    soma_kids = np.zeros(n)
    for i in range(1, n):
        if t[i] == 1 and par[i] >= 0 and t[par[i]] == 1:
            soma_kids[par[i]] += 1
    sphere = False
    if np.sum(t == 1) == 3 and n >= 3 and par[1] == 0 and par[2] == 0:
        d = p.diam
        if nchild[1] == 0 and nchild[2] == 0 and d[1] == d[0] and d[2] == d[0]:
            span = np.linalg.norm(p.xyz[1] - p.xyz[0])
            span += np.linalg.norm(p.xyz[2] - p.xyz[0])
            if abs(span / d[0] - 1) < 0.01:
                sphere = True  # NeuroMorpho's three-point soma
                par[2] = 1
    for i in range(n - 1):
        if t[i] == 1 and t[i + 1] == 1 and par[i + 1] == i:
            if not (i != 0 and soma_kids[i] > 1):
                nchild[i] = 1
    ends = np.flatnonzero(nchild != 1)
    sec_of = np.searchsorted(ends, np.arange(n))
    sections: list[_Section] = []
    starts = np.concatenate([[0], ends[:-1] + 1])
    for s, (first, last) in enumerate(zip(starts, ends)):
        first, stop = int(first), int(last) + 1
        if s == 0:
            own = [0] if sphere else list(range(first, stop))
            sec = _Section(first, own, p.diam[own].copy(), int(t[first]))
            sections.append(sec)
            continue
        q = int(par[first])
        psec = sections[sec_of[q]]
        pts = [q] + list(range(first, stop))
        sec = _Section(first, pts, p.diam[pts].copy(), int(t[first]))
        sec.parent = psec
        n_own = stop - first
        den_con_soma = psec.type == 1 and t[first] != 1
        handled = False
        if psec is sections[0]:
            handled = True
            if den_con_soma and len(psec.points) == 1:
                sec.parentx = 0.5
                sec.wire = n_own > 1
            elif q == psec.first:
                sec.parentx = 0.0
                sec.wire = t[first] != 1 and soma_kids[q] > 1
            else:
                handled = False
        if not handled and psec.type == 1:
            # Index of the parent section's last point.
            last_pt = psec.first + len(psec.points) - (1 if psec.first == 0 else 2)
            if q < last_pt:
                sec.parentx = 0.5
                sec.wire = den_con_soma and n_own > 1
            elif n_own > 1 and soma_kids[q] > 1 and t[first] != 1:
                sec.wire = True
        if psec.type == 1 and sec.type != 1:
            sec.diam[0] = sec.diam[1]
        if prox[first]:
            sec.parentx = 0.0
        sections.append(sec)
    return sections


def _prune(p: _Points, sections: list[_Section]) -> list[_Section]:
    """Import3d_GUI.chk_valid: drop sections of one point, or of two points at
    the same place, joining their children to their parent."""
    sections = list(sections)
    for i in range(len(sections) - 1, -1, -1):
        sec = sections[i]
        if sec.parent is None:
            continue
        own = sec.points[int(sec.wire) :]
        if len(own) > 2:
            continue
        if len(own) == 2 and np.any(np.abs(p.xyz[own[0]] - p.xyz[own[1]]) > 1e-11):
            continue
        del sections[i]
        for other in sections[i:]:
            if other.parent is sec:
                other.parent, other.parentx = sec.parent, sec.parentx
    return sections


def as_neuron_stores(x: np.ndarray) -> np.ndarray:
    """3-D point values as NEURON holds them: the importer writes them with 8
    significant digits (`pt3dadd(%.8g, ...)`) and NEURON keeps 3-D points in
    single precision (`Pt3d` holds floats, and the steps between points are
    float differences); areas and resistances integrated from them differ by up
    to ~1e-5 (relative) from those of the exact values. Single-precision points
    keep that arithmetic in `Branch.from_points`.
    """
    printed = np.vectorize(lambda v: float(f"{v:.8g}"))(x)
    return printed.astype(np.float32)


def read_swc(
    path: str | Path,
    ncomp: int | list[int] | DLambda = 1,
    *,
    axial_resistivity: float = 35.4,
    capacitance: float = 1.0,
) -> Cell:
    """Read an SWC morphology into a `Cell`, as NEURON's importer does.

    The sections, their 3-D points and where each attaches are those of NEURON's
    `Import3d_SWC_read` + `Import3d_GUI.instantiate` (see the module docs), and
    each compartment's area and axial resistances are integrated over the 3-D
    points as in NEURON (`Branch.from_points`). Branches come in the importer's
    section order: the k-th branch of group "basal" is NEURON's `dend[k]`
    ("soma", "axon", "apical" for `soma`, `axon`, `apic`; "type_N" for
    `dend_N`).

    **Arguments:**

    - `path`: the SWC file.
    - `ncomp`: compartments per branch: an integer, one integer per branch, or a
      rule such as `dx.DLambda()` (NEURON's d_lambda rule).
    - `axial_resistivity`: Ra of every compartment in Ω·cm (used by a
      d_lambda rule; can be changed later with `dx.set`).
    - `capacitance`: cm in µF/cm² (likewise).

    **Returns:**

    A `Cell` whose branches keep their 3-D points.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"read_swc: no file {path}.")
    p = _Points(path)
    if len(p.type) < 2:
        raise ValueError(
            f"read_swc: {path} has a single point; a cell needs at least two."
        )
    sections = _prune(p, _sections(p))
    index = {id(s): k for k, s in enumerate(sections)}
    imported = []
    for sec in sections:
        keep = slice(int(sec.wire), None)
        xyz, diam = p.xyz[sec.points][keep], sec.diam[keep]
        if len(xyz) == 1:  # a one-point root: a cylinder along x, L = diam
            r = diam[0] / 2
            xyz = xyz[0] + np.array([[-r, 0, 0], [0, 0, 0], [r, 0, 0]])
            diam = np.repeat(diam, 3)
        imported.append(
            Section(
                xyz,
                diam,
                sec.type,
                -1 if sec.parent is None else index[id(sec.parent)],
                sec.parentx,
                f"the section starting at line {p.lines[sec.first]}",
            )
        )
    return import_cell(
        imported,
        ncomp,
        f"read_swc: {path}",
        axial_resistivity=axial_resistivity,
        capacitance=capacitance,
    )


class Section(NamedTuple):
    """A section as NEURON's importer instantiates it."""

    xyz: np.ndarray  # (n, 3) µm
    diam: np.ndarray  # (n,) µm
    type: int  # SWC type
    parent: int  # index of the parent section, -1 for the root
    parentx: float  # where it attaches along the parent
    what: str  # for messages


def import_cell(
    sections: list[Section],
    ncomp,
    who: str,
    *,
    axial_resistivity: float,
    capacitance: float,
) -> Cell:
    """The `Cell` of imported sections, with NEURON's single-precision points."""
    rules = ncomp_rules(ncomp, len(sections), who)
    branches, groups = [], {}
    for k, (sec, rule) in enumerate(zip(sections, rules)):
        pts = as_neuron_stores(np.column_stack([sec.xyz, sec.diam]))
        pts[:, 3] /= 2
        step = np.diff(pts[:, :3].astype(np.float64), axis=0)
        if len(pts) < 2 or np.linalg.norm(step, axis=1).sum() <= 0:
            raise ValueError(
                f"{who}: {sec.what} has zero length; move its points apart."
            )
        if np.any(pts[:, 3] <= 0):
            raise ValueError(
                f"{who}: {sec.what} has a point of diameter "
                f"{2 * float(pts[:, 3].min()):g}; every diameter must be positive."
            )
        branches.append(
            Branch.from_points(
                pts, rule, axial_resistivity=axial_resistivity, capacitance=capacitance
            )
        )
        groups.setdefault(_group_name(sec.type), []).append(k)
    parents = [sec.parent for sec in sections]
    return Cell(branches, parents, attach=[s.parentx for s in sections], groups=groups)
