"""Cable geometry from 3-D points, as NEURON computes it, and the d_lambda rule.

A branch traced as 3-D points is a chain of frustums (truncated cones) whose
diameter varies linearly with the path length. Cut into `n` compartments of equal
length, each compartment has two halves; NEURON integrates over the frustums of
each half (interpolating the diameter where a half starts or ends between two
points):

- membrane area: the lateral surface of the frustums, `π (r1 + r2) s` with the
  slant height `s = sqrt(Δx² + (r2 - r1)²)`;
- axial resistance: `Ra ∫ dx / (π r(x)²)`, exact for a linear radius:
  `Ra Δx / (π r1 r2)` per frustum;
- diameter: the mean over the compartment.

The solver needs only these numbers. A compartment keeps its length and (mean)
radius as parameters and stores the ratios of its area and of each half's
resistance to those of the cylinder with that length and radius (its `profile`);
a cylinder's profile is (1, 1, 1). Changing a compartment's radius or length
then scales its whole 3-D shape.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import equinox as eqx
import numpy as np


class Frustums(NamedTuple):
    """Per compartment of a branch traced by 3-D points."""

    length: np.ndarray  # µm
    radius: np.ndarray  # µm, mean over the compartment
    profile: np.ndarray  # (n, 3): area, proximal and distal half resistance,
    # each relative to the cylinder of this length and radius


def path_arc(xyz: np.ndarray) -> np.ndarray:
    """Path length (µm) at each point, from 0. The steps between points are taken
    in the points' own precision, then accumulated in double, as NEURON does
    with its single-precision 3-D points."""
    delta = np.diff(xyz, axis=0).astype(float)
    return np.concatenate([[0.0], np.cumsum(np.sqrt((delta**2).sum(axis=1)))])


def _knot_diameters(arc: np.ndarray, diam: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Diameter at path positions `at`, linear between the points around each.

    The interval is the one that starts at the last point at or before the
    position (the last interval past the end), as NEURON walks the points.
    """
    j = np.clip(np.searchsorted(arc, at, side="right") - 1, 0, len(arc) - 2)
    x0, x1 = arc[j], arc[j + 1]
    gap = x1 - x0
    frac = np.where(np.abs(gap) < 1e-10, 1.0, (at - x0) / np.where(gap == 0, 1, gap))
    return (1 - frac) * diam[j] + frac * diam[j + 1]


def frustums(xyz: np.ndarray, radius: np.ndarray, ncomp: int) -> Frustums:
    """Compartments of a branch traced by 3-D points.

    **Arguments:**

    - `xyz`: (points, 3) positions in µm, at least two points.
    - `radius`: (points,) radii in µm.
    - `ncomp`: number of compartments of equal length.

    **Returns:**

    A `Frustums` of `ncomp` compartments.
    """
    arc = path_arc(xyz)
    diam = 2.0 * np.asarray(radius, float)
    ds = arc[-1] / ncomp
    # Ends of the 2 n halves, accumulated as NEURON does (to the last bit).
    starts = np.arange(ncomp) * ds
    mids = starts + ds / 2
    bounds = np.concatenate([[0.0], np.stack([mids, mids + ds / 2], 1).reshape(-1)])
    # Knots: every point and every half boundary. A point exactly on a boundary
    # belongs to the half that ends there, so at equal positions points go first.
    pos = np.concatenate([arc, bounds])
    is_bound = np.concatenate([np.zeros(len(arc), bool), np.ones(len(bounds), bool)])
    d = np.concatenate([diam, _knot_diameters(arc, diam, bounds)])
    order = np.lexsort((is_bound, pos))
    pos, d, is_bound = pos[order], d[order], is_bound[order]
    # Piece k runs from knot k to knot k + 1 and lies in half h = (boundaries at
    # or before knot k) - 1; pieces before the first boundary have no length.
    half = np.cumsum(is_bound)[:-1] - 1
    keep = (half >= 0) & (half < 2 * ncomp)
    x1, x2 = pos[:-1][keep], pos[1:][keep]
    d1, d2 = d[:-1][keep], d[1:][keep]
    half = half[keep]
    delta = x2 - x1
    clipped = np.maximum(delta, 1e-15)
    slant = np.sqrt(clipped**2 + (0.5 * (d2 - d1)) ** 2)
    n_half = 2 * ncomp
    area = 0.5 * np.pi * np.bincount(half, (d1 + d2) * slant, n_half)
    # ∫ dx / d² over each half (µm⁻¹), exact for a linear diameter.
    inv = np.bincount(half, clipped / np.maximum(d1 * d2, 1e-300), n_half)
    mean_d = np.bincount(half, (d1 + d2) * delta, n_half)
    area = area.reshape(ncomp, 2).sum(1)
    mean_d = 0.5 * mean_d.reshape(ncomp, 2).sum(1) / ds
    inv = inv.reshape(ncomp, 2)
    # Cylinder of the mean diameter: area π d ds, each half ∫ dx / d² = ds / (2 d²).
    profile = np.stack(
        [
            area / (np.pi * mean_d * ds),
            inv[:, 0] * 2 * mean_d**2 / ds,
            inv[:, 1] * 2 * mean_d**2 / ds,
        ],
        axis=1,
    )
    return Frustums(np.full(ncomp, ds), mean_d / 2, profile)


def split_points(
    xyz: np.ndarray, radius: np.ndarray, ncomp: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 3-D points of each compartment, for drawing.

    **Returns:**

    `(xyz, radius, comp)`: the points with the compartment boundaries inserted
    (a boundary point appears twice, once per compartment), and for each point
    the compartment it belongs to.
    """
    arc = path_arc(xyz)
    xyz = np.asarray(xyz, float)
    ds = arc[-1] / ncomp
    out_xyz, out_r, out_c = [], [], []
    for c in range(ncomp):
        lo, hi = c * ds, (c + 1) * ds
        inner = np.flatnonzero((arc > lo) & (arc < hi))
        s = np.concatenate([[lo], arc[inner], [hi]])
        out_xyz.append(np.stack([np.interp(s, arc, xyz[:, k]) for k in range(3)], 1))
        out_r.append(np.interp(s, arc, radius))
        out_c.append(np.full(len(s), c))
    return np.concatenate(out_xyz), np.concatenate(out_r), np.concatenate(out_c)


class DLambda(eqx.Module):
    """The d_lambda rule: as many compartments as make each no longer than
    `d_lambda` times the AC length constant at `frequency`, rounded up to an odd
    count (NEURON's `fixnseg.hoc`, with its `lambda_f`).

    For a branch traced by 3-D points the length constant is integrated over the
    points, `λ = 1e5 sqrt(d / (4 π f Ra cm))` µm locally. The rule uses each
    branch's own axial resistivity and capacitance, so set those first (as in
    NEURON, where `fixnseg` runs after Ra and cm are assigned).

    **Arguments:**

    - `d_lambda`: the largest compartment length, as a fraction of λ (0.1).
    - `frequency`: the frequency in Hz at which λ is evaluated (100).
    """

    d_lambda: float = 0.1
    frequency: float = 100.0

    def __check_init__(self):
        for name in ("d_lambda", "frequency"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not value > 0:
                raise ValueError(
                    f"DLambda: {name} must be a positive number, got {value!r}."
                )

    def ncomp(
        self,
        xyz: np.ndarray,
        radius: np.ndarray,
        axial_resistivity: float,
        capacitance: float,
    ) -> int:
        """The odd number of compartments for one branch.

        **Arguments:**

        - `xyz`, `radius`: the branch's 3-D points (µm).
        - `axial_resistivity`: Ra in Ω·cm.
        - `capacitance`: cm in µF/cm².

        **Returns:**

        The number of compartments.
        """
        if capacitance == 0:
            return 1
        arc = path_arc(xyz)
        diam = 2 * np.asarray(radius, float)
        if np.any(diam[:-1] <= 0):
            raise ValueError("DLambda: the branch has a point of zero diameter.")
        # Length in units of λ: Σ Δx / sqrt(d1 + d2), times sqrt(2) sqrt(4π f Ra cm).
        terms = np.diff(arc) / np.sqrt(diam[:-1] + diam[1:])
        lam = float(np.cumsum(terms)[-1])
        lam *= (
            math.sqrt(2)
            * 1e-5
            * math.sqrt(4 * math.pi * self.frequency * axial_resistivity * capacitance)
        )
        length = float(arc[-1])
        return int((length / (self.d_lambda * (length / lam)) + 0.9) / 2) * 2 + 1
