"""Explicit descriptions of the NEURON reference cases (plain Python constants).

Used by make_neuron_refs.py (to build the cases in NEURON) and by the dendrax
tests (to build the same cases in dendrax).  Import as a top-level module with
tests/reference on sys.path:  ``import cases``.

Units: um (length, diameter), ms, mV, nA, S/cm^2, uF/cm^2, Ohm*cm, MOhm (rs).

Conventions
-----------
* Sections are listed in creation order; a section's ``parent`` is an index
  into that list (-1 for the root section) and ``attach`` is the location x in
  [0, 1] on the parent to which the child's x=0 end is connected.
* ``diam`` is one number, or one per segment.
* A location is (section_index, segment_index); with nseg segments, segment k
  is centred at x = (k + 0.5) / nseg.
* A current stimulus (NEURON IClamp) is
  (section_index, segment_index, delay, dur, amp).  It is "on" for
  delay <= t < delay + dur, t being the MIDPOINT of the time step (NEURON
  fixed-step convention, checked experimentally: with delay 2.0 and dt 0.025
  the current first acts in the step 2.000 -> 2.025).
* All recorded traces contain round(t_max / DT) + 1 samples, t = 0 included.
"""

DT = 0.025  # ms
CELSIUS = 6.3  # degC
V_INIT = -65.0  # mV

# Hodgkin-Huxley `hh` mechanism defaults (NEURON's hh.mod, na/k ion defaults).
# Rate functions are evaluated exactly (usetable_hh = 0), at CELSIUS.
HH = {
    "gnabar": 0.12,  # S/cm^2
    "gkbar": 0.036,  # S/cm^2
    "gl": 0.0003,  # S/cm^2
    "el": -54.3,  # mV
    "ena": 50.0,  # mV
    "ek": -77.0,  # mV
}

# Passive leak `pas` used in dendrites.
PAS = {"g": 1e-4, "e": -65.0}  # S/cm^2, mV

METHODS = {"ie": 0, "cn": 2}  # name -> NEURON h.secondorder


# ---------------------------------------------------------------------------
# hh_soma: single HH compartment, repeated spiking
# ---------------------------------------------------------------------------
HH_SOMA = {
    "name": "hh_soma",
    "t_max": 25.0,
    "sections": [
        {
            "name": "soma",
            "parent": -1,
            "attach": None,
            "L": 20.0,
            "diam": 20.0,
            "nseg": 1,
            "Ra": 35.4,
            "cm": 1.0,
            "mech": "hh",
        },
    ],
    # (section_index, segment_index, delay, dur, amp)
    "stimuli": [(0, 0, 2.0, 15.0, 0.3)],
    "record": [(0, 0)],
}

# ---------------------------------------------------------------------------
# ball_and_sticks: HH soma + two passive dendrites at soma(1)
# ---------------------------------------------------------------------------
BALL_AND_STICKS = {
    "name": "ball_and_sticks",
    "t_max": 25.0,
    "sections": [
        {
            "name": "soma",
            "parent": -1,
            "attach": None,
            "L": 20.0,
            "diam": 20.0,
            "nseg": 1,
            "Ra": 100.0,
            "cm": 1.0,
            "mech": "hh",
        },
        {
            "name": "dend0",
            "parent": 0,
            "attach": 1.0,
            "L": 200.0,
            "diam": 2.0,
            "nseg": 8,
            "Ra": 100.0,
            "cm": 1.0,
            "mech": "pas",
        },
        {
            "name": "dend1",
            "parent": 0,
            "attach": 1.0,
            "L": 200.0,
            "diam": 2.0,
            "nseg": 8,
            "Ra": 100.0,
            "cm": 1.0,
            "mech": "pas",
        },
    ],
    "stimuli": [
        (0, 0, 2.0, 15.0, 0.5),  # soma(0.5)
        (2, 7, 5.0, 5.0, 0.1),  # dend1(15/16)
    ],
    "record": [(0, 0), (1, 0), (1, 7), (2, 7)],
}

# ---------------------------------------------------------------------------
# attachments: children joined anywhere along their parents, as NEURON's
# connect(parent(x)) at 0 < x < 1 (the compartment containing x), x = 0 of the
# root (its proximal end) and x = 0 of a non-root section (where that section
# itself is attached). Tapering cylinders give every segment its own diameter.
# ---------------------------------------------------------------------------
ATTACHMENTS = {
    "name": "attachments",
    "t_max": 25.0,
    "sections": [
        {
            "name": "soma",
            "parent": -1,
            "attach": None,
            "L": 30.0,
            "diam": 15.0,
            "nseg": 3,
            "Ra": 80.0,
            "cm": 1.0,
            "mech": "hh",
        },
        {
            "name": "dend0",
            "parent": 0,
            "attach": 0.5,
            "L": 150.0,
            "diam": [3.0, 2.5, 2.0, 1.5],
            "nseg": 4,
            "Ra": 80.0,
            "cm": 1.0,
            "mech": "pas",
        },
        {
            "name": "dend1",
            "parent": 1,
            "attach": 0.0,
            "L": 80.0,
            "diam": 1.2,
            "nseg": 5,
            "Ra": 80.0,
            "cm": 1.0,
            "mech": "pas",
        },
        {
            "name": "dend2",
            "parent": 1,
            "attach": 0.3,
            "L": 60.0,
            "diam": 1.0,
            "nseg": 3,
            "Ra": 80.0,
            "cm": 1.0,
            "mech": "pas",
        },
        {
            "name": "dend3",
            "parent": 0,
            "attach": 0.0,
            "L": 100.0,
            "diam": 1.5,
            "nseg": 4,
            "Ra": 80.0,
            "cm": 1.0,
            "mech": "pas",
        },
        {
            "name": "dend4",
            "parent": 1,
            "attach": 1.0,
            "L": 40.0,
            "diam": 0.8,
            "nseg": 2,
            "Ra": 80.0,
            "cm": 1.0,
            "mech": "pas",
        },
        {
            "name": "dend5",
            "parent": 1,
            "attach": 0.99,
            "L": 40.0,
            "diam": 0.8,
            "nseg": 2,
            "Ra": 80.0,
            "cm": 1.0,
            "mech": "pas",
        },
    ],  # fmt: skip
    "stimuli": [(0, 1, 2.0, 15.0, 0.4), (3, 2, 5.0, 5.0, 0.05)],
    "record": [(0, 0), (0, 1), (1, 0), (1, 3), (2, 4), (3, 2), (4, 3), (5, 1), (6, 1)],
}

# ---------------------------------------------------------------------------
# clamp: hh_soma geometry under a single-electrode voltage clamp (SEClamp)
# The clamp current i = (vc - v) / rs (nA, positive = into the cell), where in
# NEURON's fixed-step scheme v is the membrane potential at the END of the
# step (i is recorded after the voltage update), and vc is chosen from the
# step midpoint time like the IClamp switching.
# ---------------------------------------------------------------------------
CLAMP = {
    "name": "clamp",
    "t_max": 25.0,
    "sections": HH_SOMA["sections"],
    "stimuli": [],
    "seclamp": {
        "loc": (0, 0),
        "rs": 0.01,  # MOhm
        "dur": (2.0, 10.0, 13.0),  # ms
        "amp": (-65.0, -20.0, -65.0),  # mV
    },
    "record": [(0, 0)],
}

CASES = {c["name"]: c for c in (HH_SOMA, BALL_AND_STICKS, ATTACHMENTS, CLAMP)}


def n_steps(case):
    """Number of fixed steps: round(t_max / DT)."""
    return int(round(case["t_max"] / DT))
