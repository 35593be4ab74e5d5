"""Morphology reference cases imported with NEURON's own SWC importer.

Plain Python constants (no NEURON import).  Used by make_morphology_refs.py to
build the cases in NEURON (Import3d_SWC_read + Import3d_GUI.instantiate) and by
the dendrax tests to build the same cells in dendrax.  Import as a top-level
module with tests/reference on sys.path:  ``import morph_cases``.

Units: um, ms, mV, nA, S/cm^2, uF/cm^2, Ohm*cm, Hz.

Conventions
-----------
* ``swc_file`` is relative to the repository root.
* ``nseg`` is either an int (the same number of segments in every section)
  or the string "dlambda": per section
      nseg = int((L / (d_lambda * lambda_f(freq)) + 0.9) / 2) * 2 + 1
  (NEURON's fixnseg.hoc rule; lambda_f from NEURON's stdlib.hoc, which
  integrates over the section's 3-D points, evaluated with Ra and cm set).
* Mechanisms: ``hh`` (cases.HH) in every section of an SWC type listed in
  ``mech_by_type``; ``pas`` (cases.PAS) everywhere else.  When the file has
  no type-1 (soma) point at all, the ROOT section gets ``root_mech_no_soma``
  instead (``hh``).  The same rule applies to every case (see
  ``section_mech``).
* The stimulus is an IClamp in the root section (the section that contains
  the SWC root point, first in NEURON's import order) at x = ``stim["x"]``.
  With nseg segments NEURON places it at the node of segment
  k = min(int(nseg * x), nseg - 1), centre (k + 0.5) / nseg.
  It is "on" for delay <= t < delay + dur, t being the midpoint of the
  fixed step (see cases.py).
* Simulation: fixed step cases.DT, celsius cases.CELSIUS, v_init
  cases.V_INIT, h.usetable_hh = 0, round(t_max / DT) steps, for both
  cases.METHODS ("ie": secondorder 0, "cn": secondorder 2).
* Recorded segments and snapshot steps are chosen by make_morphology_refs.py
  (rule described there and below) and stored in each .npz file.
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import cases  # noqa: E402

DT = cases.DT
CELSIUS = cases.CELSIUS
V_INIT = cases.V_INIT
HH = cases.HH
PAS = cases.PAS
METHODS = cases.METHODS

MORPH_DIR = "tests/data/morphologies"  # relative to the repository root

RA = 100.0  # Ohm*cm
CM = 1.0  # uF/cm^2
D_LAMBDA = 0.1  # fraction of the AC length constant
D_LAMBDA_FREQ = 100.0  # Hz
T_MAX = 10.0  # ms

# IClamp in the root section.
STIM = {"x": 0.5, "delay": 1.0, "dur": 5.0, "amp": 0.5}  # -, ms, ms, nA

# Recording rule (applied by make_morphology_refs.py):
#   1. the stimulus site (root section, segment under STIM["x"]);
#   2. the distal segment (k = nseg - 1) of up to N_LEAF_RECORD leaf sections
#      (sections without children) spread evenly over the import order;
#   3. the middle segment (k = min(int(nseg * 0.5), nseg - 1)) of up to
#      N_MID_RECORD further sections (not yet recorded) spread evenly over
#      the import order.
N_LEAF_RECORD = 12
N_MID_RECORD = 6

# v at every segment is stored after these numbers of steps.
SNAP_STEPS = (120, 240, 400)

# SWC type -> NEURON section array name (Import3d_GUI.type2name).
TYPE_NAMES = {1: "soma", 2: "axon", 3: "dend", 4: "apic"}


def type2name(swc_type):
    """NEURON's section array name for an SWC type (import3d_gui.hoc)."""
    swc_type = int(swc_type)
    if swc_type in TYPE_NAMES:
        return TYPE_NAMES[swc_type]
    if swc_type < 0:
        return f"minus_{-swc_type}"
    return f"dend_{swc_type}"


def _case(name, swc, nseg=4):
    return {
        "name": name,
        "swc_file": f"{MORPH_DIR}/{swc}.swc",
        "nseg": nseg,  # int or "dlambda"
        "Ra": RA,
        "cm": CM,
        "mech_by_type": {1: "hh"},
        "default_mech": "pas",
        "root_mech_no_soma": "hh",
        "stim": dict(STIM),
        "t_max": T_MAX,
        "d_lambda": D_LAMBDA,
        "d_lambda_freq": D_LAMBDA_FREQ,
    }


def section_mech(case, sec_type, is_root, has_soma):
    """Mechanism name ("hh" or "pas") of one section."""
    if not has_soma and is_root:
        return case["root_mech_no_soma"]
    return case["mech_by_type"].get(int(sec_type), case["default_mech"])


def dlambda_nseg(L, lambda_f, d_lambda=D_LAMBDA):
    """NEURON fixnseg.hoc: odd nseg from L and lambda_f(freq) (both um)."""
    return int((L / (d_lambda * lambda_f) + 0.9) / 2) * 2 + 1


def n_steps(case):
    """Number of fixed steps: round(t_max / DT)."""
    return int(round(case["t_max"] / DT))


_ALL = [
    _case("one_point_soma", "one_point_soma"),
    _case("one_point_soma_no_axon", "one_point_soma_no_axon"),
    _case("three_point_soma", "three_point_soma"),
    _case("three_point_soma_no_axon", "three_point_soma_no_axon"),
    _case("chain_soma", "chain_soma"),
    _case("contour_soma", "contour_soma"),
    _case("no_soma", "no_soma"),
    _case("branched_soma", "branched_soma"),
    _case("ca1_n120", "ca1_n120"),
    _case("ca1_n120_dlambda", "ca1_n120", nseg="dlambda"),
]

CASES = {c["name"]: c for c in _ALL}
