"""Reference SWC -> unbranched-section conversion used to build NEURON references.

Dependency-free apart from numpy.  The rule implemented here (dendrax implements
the same rule independently and the two are compared in the tests):

* Points are sorted by id; there must be exactly one root (parent == -1).
  children[p] lists the child ids of p in increasing id order.
* Section 0 starts at the root and continues with the root's first child.
* Any other non-root point q with parent p starts a NEW section iff
    (a) p is the root and q is not the root's first child, or
    (b) p is not the root and p has >= 2 children, or
    (c) p is not the root and type(q) != type(p);
  otherwise q continues the section that p belongs to.
  (For children of the root only rule (a) is used: the root's first child
  always continues section 0, even though the root may have >= 2 children.)
* A section's point list is [parent point of its first own point] + its own
  points; for section 0 this is [root, first child, ...].  Sections are
  numbered in order of creation while scanning points in increasing id.
* L = sum of Euclidean distances between consecutive points of the list.
* Compartment k (0..ncomp-1) has length L/ncomp and radius equal to the
  linear interpolation of the point radii (over the whole point list,
  including the leading parent point) along arc length at
  s = (k + 0.5) / ncomp * L.
* The parent of a new section is the section whose point list has the attach
  point p as its LAST point (attach x = 1.0); if p is the root, the parent is
  section 0 and attach x = 0.0.
* The section type is the type of its first own point (section 0: the type
  of the root's first child).
"""

import numpy as np


def _read_swc(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) < 7:
                raise ValueError(f"bad SWC line: {line!r}")
            rows.append(
                (
                    int(parts[0]),
                    int(parts[1]),
                    float(parts[2]),
                    float(parts[3]),
                    float(parts[4]),
                    float(parts[5]),
                    int(parts[6]),
                )
            )
    rows.sort(key=lambda r: r[0])
    return rows


def swc_sections(path, ncomp):
    """Convert an SWC file into unbranched sections of ``ncomp`` compartments.

    Returns a list of dicts with keys ``parent`` (int, -1 for section 0),
    ``attach`` (0.0 or 1.0), ``type`` (int), ``length`` (float, um),
    ``comp_length`` (ndarray (ncomp,), um) and ``comp_radius`` (ndarray
    (ncomp,), um).
    """
    ncomp = int(ncomp)
    if ncomp < 1:
        raise ValueError("ncomp must be >= 1")
    rows = _read_swc(path)
    ids = [r[0] for r in rows]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate point ids")
    typ = {r[0]: r[1] for r in rows}
    xyz = {r[0]: np.array(r[2:5], dtype=float) for r in rows}
    rad = {r[0]: r[5] for r in rows}
    par = {r[0]: r[6] for r in rows}

    roots = [i for i in ids if par[i] == -1]
    if len(roots) != 1:
        raise ValueError(f"expected exactly one root, found {len(roots)}")
    root = roots[0]

    children = {i: [] for i in ids}
    for i in ids:  # increasing id -> children lists are sorted
        p = par[i]
        if p == -1:
            continue
        if p not in children:
            raise ValueError(f"point {i} has unknown parent {p}")
        if p >= i:
            raise ValueError(f"point {i} has parent {p} with id not smaller")
        children[p].append(i)
    if not children[root]:
        raise ValueError("root has no children; cannot form section 0")
    first_child = children[root][0]

    owner = {}  # point id -> section index that owns it (root -> 0)
    sec_points = []  # list of point-id lists (including the leading parent point)
    sec_parent = []
    sec_attach = []
    sec_type = []

    owner[root] = 0
    sec_points.append([root])
    sec_parent.append(-1)
    sec_attach.append(0.0)
    sec_type.append(None)

    for q in ids:
        if q == root:
            continue
        p = par[q]
        if p == root:
            new = q != first_child
        else:
            new = len(children[p]) >= 2 or typ[q] != typ[p]
        if not new:
            s = owner[p]
            sec_points[s].append(q)
            owner[q] = s
            if s == 0 and sec_type[0] is None:
                sec_type[0] = typ[q]
            continue
        if p == root:
            parent_sec, attach = 0, 0.0
        else:
            parent_sec, attach = owner[p], 1.0
        sec_points.append([p, q])
        sec_parent.append(parent_sec)
        sec_attach.append(attach)
        sec_type.append(typ[q])
        owner[q] = len(sec_points) - 1

    # Sanity: every non-root attach point is the last point of its parent section.
    for s in range(1, len(sec_points)):
        p = sec_points[s][0]
        if sec_attach[s] == 1.0 and sec_points[sec_parent[s]][-1] != p:
            raise AssertionError("attach point is not the last point of parent")

    out = []
    for s, pts in enumerate(sec_points):
        coords = np.array([xyz[i] for i in pts])
        radii = np.array([rad[i] for i in pts], dtype=float)
        seg = np.sqrt(np.sum(np.diff(coords, axis=0) ** 2, axis=1))
        arc = np.concatenate([[0.0], np.cumsum(seg)])
        L = float(arc[-1])
        centres = (np.arange(ncomp) + 0.5) / ncomp * L
        out.append(
            {
                "parent": int(sec_parent[s]),
                "attach": float(sec_attach[s]),
                "type": int(sec_type[s]),
                "length": L,
                "comp_length": np.full(ncomp, L / ncomp),
                "comp_radius": np.interp(centres, arc, radii),
            }
        )
    return out


if __name__ == "__main__":
    import os
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    path = (
        sys.argv[1]
        if len(sys.argv) > 1
        else os.path.join(here, "..", "data", "cell.swc")
    )
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    for i, s in enumerate(swc_sections(path, n)):
        r = ", ".join(f"{x:.4f}" for x in s["comp_radius"])
        print(
            f"{i:2d} parent={s['parent']:2d} attach={s['attach']:.0f} "
            f"type={s['type']} L={s['length']:.4f} radii=[{r}]"
        )
