"""Neurolucida ASC and HDF5 morphologies read with `morphio`, as NEURON's
importer reads them.

NEURON users load Neurolucida files with `Import3d_Neurolucida3` and
`Import3d_GUI` (`share/nrn/lib/hoc/import3d/read_nlcda3.hoc`,
`import3d_gui.hoc`). `read_morphology` parses a file with `morphio` (an optional
dependency: `pip install "dendrax[morphio]"`) and makes the sections that
importer makes, so a cell read here and in NEURON has the same 3-D points,
connections and compartments. The rules:

- A soma outline (a closed contour, morphio's `SOMA_SIMPLE_CONTOUR`; the only
  multi-point soma of ASC and HDF5 files) becomes NEURON's centroid line
  (`Import3d_GUI.contour2centroid`): the outline is resampled at 101 points
  equally spaced along its path in the xy plane, from its first to its last
  point (the closing edge is left out); the mean of those points is the centre
  and the eigenvector of their scatter matrix with the largest eigenvalue the
  major axis (oriented so its largest component is positive). The outline is
  cut at its extreme points along that axis into two sides, each made
  monotonic along the axis, and the soma is 21 points along the axis,
  evenly spaced between the second-lowest and the second-highest projection,
  each with the diameter measured across the two sides (along the in-plane
  middle axis); the first and last diameters are averaged with their
  neighbours.
- A one-point soma, and NeuroMorpho's three-point soma, becomes the cylinder
  of length and diameter 2r along x (the sphere's area), as in NEURON's SWC
  importer; another soma of several points (a stack of cylinders) is a
  section through its points. (morphio 3.5 makes such somas only of SWC
  files, which go to `read_swc`; other versions accept one-point somas in ASC
  and HDF5 files.)
- A process leaving the soma joins soma(0.5) by a "wire": its own first point
  starts the branch. Under an outline, a process of a single point is removed
  (NEURON's Neurolucida importer); under a one-point or cylinder soma it starts
  at the soma point (the nearest one; NEURON's SWC importer).
- A child section starts at its parent's last point with the diameter of the
  child's own first point (`need_extra` in `read_nlcda3.hoc`). morphio already
  makes ASC sections so, once: it prepends the parent's last point with the
  child's first diameter, or keeps the child's own first point (and
  diameter) when the file repeats the fork point. A child that does not start
  at its parent's last point (possible in HDF5) gets that point prepended.
- Sections of a single point, or of two points at the same place, are removed
  and their children joined to their parent (`Import3d_GUI.chk_valid`).
- 3-D values are those NEURON holds: morphio stores single-precision numbers,
  which are read back as the shortest decimals that give them (the numbers
  written in the file), and the result is rounded as NEURON's importer rounds
  it (`as_neuron_stores`).

SWC files are read by `read_swc`: NEURON's SWC importer depends on which soma
point each process leaves from and on the soma's own branching, which morphio
does not keep.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np

from ._geometry import DLambda
from ._morphology import Cell
from ._swc import Section, import_cell, read_swc

_INSTALL = 'pip install "dendrax[morphio]"'
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _import_morphio():
    try:
        import morphio
    except ImportError as e:
        raise ImportError(
            "read_morphology needs the optional package morphio to read ASC and "
            f"HDF5 morphologies; install it with: {_INSTALL}"
        ) from e
    return morphio


def _clean(message) -> str:
    return " ".join(_ANSI.sub("", str(message)).split())


def _doubles(values) -> np.ndarray:
    """morphio's numbers in double precision. Single-precision values become the
    shortest decimals that round to them: the numbers written in the file."""
    a = np.asarray(values)
    if a.dtype == np.float32:
        return a.astype(str).astype(np.float64)
    return a.astype(np.float64)


# ---------------------------------------------------------------------------
# contour2centroid
# ---------------------------------------------------------------------------
def _nrn_interpolate(xd, xs, ys) -> list[float]:
    """`Vector.interpolate`: ys(xs) at xd (xd ascending), linear inside,
    constant outside; steps where xs does not increase are skipped."""
    nd, ns = len(xd), len(xs)
    yd = [0.0] * nd
    k = 0
    while k < nd and xd[k] <= xs[0]:
        yd[k] = ys[0]
        k += 1
    j = 1
    while j < ns and k < nd:
        if xs[j] > xs[j - 1]:
            while xd[k] <= xs[j]:
                th = (xd[k] - xs[j - 1]) / (xs[j] - xs[j - 1])
                yd[k] = (1.0 - th) * ys[j - 1] + th * ys[j]
                k += 1
                if k >= nd:
                    break
        j += 1
    while k < nd:
        yd[k] = ys[ns - 1]
        k += 1
    return yd


def _mean(v) -> float:
    total = 0.0
    for x in v:
        total += x
    return total / len(v)


def _dot(a, b) -> float:
    total = 0.0
    for x, y in zip(a, b):
        total += x * y
    return total


def _increasing(d: list[float], r: list[float]):
    """Drop points until `d` increases strictly (NEURON's loop, from the end)."""
    j = len(d) - 1
    while j > 0:
        if d[j] <= d[j - 1]:
            del d[j], r[j]
            if j != len(d):
                j += 1
        j -= 1


def contour_centroid(xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A soma outline as NEURON's `Import3d_GUI.contour2centroid` makes it.

    **Arguments:**

    - `xyz`: (n >= 3, 3) points of the outline in µm, in order around it.

    **Returns:**

    `(xyz, diam)`: the centroid line, 21 points (µm), and the diameter at each.
    """
    xyz = np.asarray(xyz, np.float64)
    n = len(xyz)
    cols = [xyz[:, k].tolist() for k in range(3)]
    # contourcenter: 101 points equally spaced along the path in the xy plane.
    perim = [0.0] * n
    for i in range(1, n):
        ex = cols[0][i] - cols[0][i - 1]
        ey = cols[1][i] - cols[1][i - 1]
        perim[i] = perim[i - 1] + float(np.sqrt(ex * ex + ey * ey))
    step = perim[-1] / 100
    at = [i * step for i in range(101)]
    cols = [_nrn_interpolate(at, perim, c) for c in cols]
    mean = [_mean(c) for c in cols]
    pts = [[v - m for v in c] for c, m in zip(cols, mean)]
    scatter = np.empty((3, 3))
    for i in range(3):
        for j in range(i, 3):
            scatter[i, j] = scatter[j, i] = sum(a * b for a, b in zip(pts[i], pts[j]))
    values, vectors = np.linalg.eigh(scatter)
    imax, imin = int(np.argmax(values)), int(np.argmin(values))
    major = vectors[:, imax].copy()
    if major[np.argmax(np.abs(major))] < 0:
        major = -major
    minor = vectors[:, 3 - imin - imax].copy()
    minor[2] = 0.0
    if np.linalg.norm(minor) / (np.linalg.norm(major) + 1e-100) < 1e-6:
        raise ValueError("the soma outline has no extent across its major axis")
    minor /= np.sqrt(_dot(minor, minor))
    along = [_dot(p, major) for p in zip(*pts)]
    across = [_dot(p, minor) for p in zip(*pts)]
    # Cut at the extreme points along the major axis: two sides.
    k = int(np.argmax(along))
    along, across = along[k:] + along[:k], across[k:] + across[:k]
    k = int(np.argmin(along))
    d2, r2 = along[k:], across[k:]
    d1, r1 = along[:k][::-1], across[:k][::-1]
    _increasing(d1, r1)
    _increasing(d2, r2)
    both = sorted(d1 + d2)
    lo, hi = both[1], both[-2]
    step = (hi - lo) / 20
    count = int(np.floor((hi - lo) / step + 1e-9)) + 1
    at = [i * step + lo for i in range(count)]
    r1 = _nrn_interpolate(at, d1, r1)
    r2 = _nrn_interpolate(at, d2, r2)
    diam = np.abs(np.subtract(r1, r2))
    diam[0] = (diam[0] + diam[1]) / 2
    diam[-1] = (diam[-1] + diam[-2]) / 2
    line = np.array([major * a + np.array(mean) for a in at])
    return line, diam


# ---------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------
class _Section:
    def __init__(self, xyz, diam, type_: int, parent: int, parentx: float, what):
        self.xyz = xyz
        self.diam = diam
        self.type = type_
        self.parent = parent
        self.parentx = parentx
        self.what = what  # for messages


def _load(morphio, path: Path):
    handler = morphio.WarningHandlerCollector()
    try:
        m = morphio.Morphology(str(path), warning_handler=handler)
    except morphio.MorphioError as e:
        if _blank(path):
            raise ValueError(
                f"read_morphology: {path} contains no morphology (no soma outline "
                "and no tree)."
            ) from None
        raise ValueError(
            f"read_morphology: morphio cannot read {path}: {_clean(e)}"
        ) from None
    for emission in handler.get_all():
        msg = getattr(emission.warning, "msg", emission.warning)
        msg = msg() if callable(msg) else msg
        warnings.warn(f"read_morphology: {path}: {_clean(msg)}", stacklevel=3)
    return m


def _blank(path: Path) -> bool:
    """An ASC file of comments only."""
    if path.suffix.lower() != ".asc":
        return False
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return False
    return not any(line.split(";", 1)[0].strip() for line in text.splitlines())


def _soma(morphio, m, path: Path):
    """The soma section (or None) and the points a one-point process starts at."""
    kinds = morphio.SomaType
    kind = m.soma_type
    xyz = _doubles(m.soma.points).reshape(-1, 3)
    diam = _doubles(m.soma.diameters).reshape(-1)
    if kind == kinds.SOMA_SIMPLE_CONTOUR:
        if len(xyz) < 3:
            raise ValueError(
                f"read_morphology: {path}: the soma outline has {len(xyz)} points; "
                "an outline needs at least 3."
            )
        try:
            line, d = contour_centroid(xyz)
        except ValueError as e:
            raise ValueError(f"read_morphology: {path}: {e}.") from None
        return _Section(line, d, 1, -1, 1.0, "the soma"), None
    if kind in (kinds.SOMA_SINGLE_POINT, kinds.SOMA_NEUROMORPHO_THREE_POINT_CYLINDERS):
        r = diam[0] / 2
        line = xyz[0] + np.array([[-r, 0, 0], [0, 0, 0], [r, 0, 0]])
        return _Section(line, np.repeat(diam[:1], 3), 1, -1, 1.0, "the soma"), xyz[:1]
    if kind == kinds.SOMA_CYLINDERS and len(xyz) >= 2:
        return _Section(xyz, diam, 1, -1, 1.0, "the soma"), xyz
    if len(xyz) == 0:
        return None, None
    raise ValueError(
        f"read_morphology: {path}: unsupported soma ({kind.name} of {len(xyz)} "
        "points); give the soma as an outline of at least 3 points (ASC, HDF5), "
        "or as one point or a chain of points (SWC)."
    )


def _what(morphio_section) -> str:
    kind = str(morphio_section.type).rsplit(".", 1)[-1]
    return f"section {morphio_section.id} ({kind}, from {morphio_section.points[0]})"


def _sections(m, path: Path) -> list[_Section]:
    """Import3d's sections, in its order: soma, then each tree depth first."""
    soma, anchors = _soma(_import_morphio(), m, path)
    roots = list(m.root_sections)
    if soma is None and len(roots) > 1:
        raise ValueError(
            f"read_morphology: {path} has no soma and {len(roots)} trees; a cell "
            "is one tree: add a soma outline that joins them."
        )
    if soma is None and not roots:
        raise ValueError(f"read_morphology: {path} contains no soma and no sections.")
    sections = [] if soma is None else [soma]
    stack = [(s, None) for s in reversed(roots)]
    while stack:
        sec, parent = stack.pop()
        xyz = _doubles(sec.points).reshape(-1, 3)
        diam = _doubles(sec.diameters).reshape(-1)
        if parent is None and soma is None:
            new = _Section(xyz, diam, int(sec.type), -1, 1.0, _what(sec))
        elif parent is None:
            if len(xyz) == 1 and anchors is not None:
                near = anchors[np.argmin(np.linalg.norm(anchors - xyz[0], axis=1))]
                xyz, diam = np.vstack([near, xyz]), np.repeat(diam, 2)
            new = _Section(xyz, diam, int(sec.type), 0, 0.5, _what(sec))
        else:
            end = sections[parent].xyz[-1]
            if np.any(xyz[0] != end):
                xyz, diam = np.vstack([end, xyz]), np.concatenate([diam[:1], diam])
            new = _Section(xyz, diam, int(sec.type), parent, 1.0, _what(sec))
        sections.append(new)
        index = len(sections) - 1
        stack.extend((child, index) for child in reversed(sec.children))
    return sections


def _prune(sections: list[_Section]) -> list[_Section]:
    """Import3d_GUI.chk_valid: remove non-root sections of one point or of two
    points at the same place; their children join their parent."""
    alive = list(range(len(sections)))
    for i in range(len(sections) - 1, -1, -1):
        sec = sections[i]
        if sec.parent < 0:
            continue
        n = len(sec.xyz)
        if n > 2 or (n == 2 and np.any(np.abs(sec.xyz[1] - sec.xyz[0]) > 1e-11)):
            continue
        alive.remove(i)
        for j in alive:
            if j > i and sections[j].parent == i:
                sections[j].parent, sections[j].parentx = sec.parent, sec.parentx
    index = {old: new for new, old in enumerate(alive)}
    out = []
    for old in alive:
        sec = sections[old]
        sec.parent = index[sec.parent] if sec.parent >= 0 else -1
        out.append(sec)
    return out


def read_morphology(
    path: str | Path,
    ncomp: int | list[int] | DLambda = 1,
    *,
    axial_resistivity: float = 35.4,
    capacitance: float = 1.0,
) -> Cell:
    """Read a Neurolucida ASC or HDF5 morphology into a `Cell`, as NEURON's
    importer does.

    The file is parsed by `morphio` (`pip install "dendrax[morphio]"`); the
    sections, their 3-D points and where each attaches are those of NEURON's
    `Import3d_Neurolucida3` + `Import3d_GUI.instantiate` (see the module docs):
    a soma outline becomes NEURON's centroid line, processes join soma(0.5),
    and each compartment's area and axial resistances are integrated over the
    3-D points as in NEURON (`Branch.from_points`). SWC files are passed to
    `read_swc`.

    Branches come in the importer's section order: the soma first, then each
    tree in file order, depth first (a section, then the subtree of each of its
    children in turn). The k-th branch of group "basal" is NEURON's `dend[k]`
    ("soma", "axon", "apical" for `soma`, `axon`, `apic`; "type_N" for
    `dend_N`).

    **Arguments:**

    - `path`: the morphology file (.asc, .h5; .swc goes to `read_swc`).
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
        raise FileNotFoundError(f"read_morphology: no file {path}.")
    if path.suffix.lower() == ".swc":
        return read_swc(
            path, ncomp, axial_resistivity=axial_resistivity, capacitance=capacitance
        )
    morphio = _import_morphio()
    return _cell(
        _load(morphio, path),
        path,
        ncomp,
        axial_resistivity=axial_resistivity,
        capacitance=capacitance,
    )


def _cell(m, path, ncomp, *, axial_resistivity: float, capacitance: float) -> Cell:
    """The `Cell` of a morphio `Morphology` read from `path`."""
    sections = [
        Section(s.xyz, s.diam, s.type, s.parent, s.parentx, s.what)
        for s in _prune(_sections(m, path))
    ]
    return import_cell(
        sections,
        ncomp,
        f"read_morphology: {path}",
        axial_resistivity=axial_resistivity,
        capacitance=capacitance,
    )
