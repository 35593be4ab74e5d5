"""A catalogue of bad inputs across the public API, each with the error it must
raise (type and a fragment of the message, which names the argument).

`tests/test_catalogue.py` runs every case. Run this file as a script to sort the
cases into "good" (an error raised by dendrax itself), "obscure" (an error
raised from inside NumPy, JAX or equinox, which rarely names the argument) and
"silent" (accepted), e.g. to compare two versions of the library:

    python tests/catalogue.py

The cases run without the suite's runtime type checker (beartype through
jaxtyping's import hook), as users run the library: `--check` checks every
case's exception and message.
"""

from __future__ import annotations

import functools
import re
import tempfile
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import dendrax as dx

jax.config.update("jax_enable_x64", True)


@dataclass(frozen=True)
class Case:
    id: str
    run: Callable[[], object]
    exc: type[BaseException]
    match: str


CASES: list[Case] = []


def case(id: str, exc: type[BaseException], match: str):
    """Register `fn` as a bad input that must raise `exc` matching `match`."""

    def register(fn):
        CASES.append(Case(id, fn, exc, match))
        return fn

    return register


def bad(id: str, exc: type[BaseException], match: str, fn: Callable[[], object]):
    CASES.append(Case(id, fn, exc, match))


COMP = dx.Compartment()
BR = dx.Branch(COMP)
DT = 0.025


@functools.cache
def net() -> dx.Network:
    """Two HH cells of three branches (two compartments each)."""
    cell = dx.Cell(dx.Branch(COMP, ncomp=2), parents=[-1, 0, 0])
    return dx.insert(dx.Network([cell] * 2), dx.channels.HH())


@functools.cache
def other_net() -> dx.Network:
    """Another network of the same size as `net()`, differently built."""
    cell = dx.Cell(dx.Branch(COMP, ncomp=3), parents=[-1, 0])
    return dx.insert(dx.Network([cell] * 2), dx.channels.HH())


@functools.cache
def big_net() -> dx.Network:
    return dx.Network([dx.Cell(BR)] * 30)


@functools.cache
def lif_net() -> dx.Network:
    point = dx.Cell(dx.Branch(dx.Compartment(length=100.0, radius=10.0)))
    return dx.insert(dx.Network([point] * 3), dx.channels.LIF())


@functools.cache
def syn_net() -> dx.Network:
    n = lif_net()
    return dx.connect(n, dx.select(n, cell=0), dx.select(n, cell=[1, 2]), EXP)


EXP = dx.synapses.Exp()


def soma():
    return dx.select(net(), cell=0, branch=0, comp=0)


def I(n: int = 40):  # noqa: E743
    return np.zeros(n)


def sim(n=None, t_max=1.0, dt=DT, **kw):
    return dx.simulate(net() if n is None else n, t_max, dt, **kw)


# --- files ------------------------------------------------------------------------

_DIR = Path(tempfile.mkdtemp(prefix="dendrax-catalogue-"))
GOOD_SWC = [
    "1 1 0 0 0 5 -1",
    "2 3 0 5 0 1 1",
    "3 3 0 20 0 1 2",
    "4 3 0 40 0 1 3",
]


def swc(name: str, lines: list[str]) -> Path:
    path = _DIR / f"{name}.swc"
    path.write_text("\n".join(lines) + "\n")
    return path


def read(name: str, lines: list[str]):
    return lambda: dx.read_swc(swc(name, lines))


# --- Compartment --------------------------------------------------------------------

for name in ("length", "radius", "axial_resistivity", "capacitance"):
    for value in (0.0, -1.0, float("nan"), float("inf")):
        bad(
            f"Compartment-{name}={value}",
            ValueError,
            f"{name} must be a positive number",
            lambda name=name, value=value: dx.Compartment(**{name: value}),
        )
bad("Compartment-length-str", TypeError, "length must be a positive number",
    lambda: dx.Compartment(length="abc"))  # fmt: skip
bad("Compartment-length-array", TypeError, "length must be a positive number",
    lambda: dx.Compartment(length=jnp.array([1.0, 2.0])))  # fmt: skip
bad("Compartment-length-bool", TypeError, "length must be a positive number",
    lambda: dx.Compartment(length=True))  # fmt: skip
bad("Compartment-radius-None", TypeError, "radius must be a positive number",
    lambda: dx.Compartment(radius=None))  # fmt: skip
bad("Compartment-v_init-nan", ValueError, "v_init must be a finite",
    lambda: dx.Compartment(v_init=float("nan")))  # fmt: skip
bad("Compartment-v_init-str", TypeError, "v_init must be a number",
    lambda: dx.Compartment(v_init="-65"))  # fmt: skip
bad("Compartment-profile-short", ValueError, "profile must hold three",
    lambda: dx.Compartment(profile=(1.0, 1.0)))  # fmt: skip
bad("Compartment-profile-negative", ValueError, "profile must be a positive",
    lambda: dx.Compartment(profile=(1.0, -1.0, 1.0)))  # fmt: skip
bad("Compartment.from_area-zero", ValueError, "from_area: area must be a positive",
    lambda: dx.Compartment.from_area(0.0))  # fmt: skip
bad("Compartment.from_area-str", TypeError, "from_area: area must be a positive",
    lambda: dx.Compartment.from_area("100"))  # fmt: skip
bad("Compartment.from_area-aspect", ValueError, "from_area: aspect must be a positive",
    lambda: dx.Compartment.from_area(100.0, aspect=-1.0))  # fmt: skip
bad("Compartment.from_area-v_init", ValueError, "v_init must be a finite",
    lambda: dx.Compartment.from_area(100.0, v_init=float("nan")))  # fmt: skip
bad("Compartment.from_capacitance-nan", ValueError,
    "from_capacitance: total must be a positive",
    lambda: dx.Compartment.from_capacitance(float("nan")))  # fmt: skip
bad("Compartment.from_capacitance-density", ValueError,
    "from_capacitance: capacitance must be a positive",
    lambda: dx.Compartment.from_capacitance(0.2, capacitance=0.0))  # fmt: skip
bad("Compartment.from_capacitance-overflow", ValueError, "check the units",
    lambda: dx.Compartment.from_capacitance(1e300, capacitance=1e-300))  # fmt: skip

# --- Branch -------------------------------------------------------------------------

for ncomp in (0, -1, True, 1.5, "2"):
    bad(f"Branch-ncomp={ncomp!r}", ValueError, "ncomp must be an integer >= 1",
        lambda ncomp=ncomp: dx.Branch(COMP, ncomp=ncomp))  # fmt: skip
bad("Branch-comp-str", TypeError, "comp must be a Compartment",
    lambda: dx.Branch("soma"))  # fmt: skip
bad("Branch-comp-empty", TypeError, "comp must be a Compartment",
    lambda: dx.Branch([]))  # fmt: skip
bad("Branch-comps-ncomp-mismatch", ValueError, "ncomp=3 but 2 compartments",
    lambda: dx.Branch([COMP, COMP], ncomp=3))  # fmt: skip
bad("Branch.from_points-shape", ValueError, "points has shape",
    lambda: dx.Branch.from_points(np.ones((3, 3))))  # fmt: skip
bad("Branch.from_points-one-point", ValueError, "at least two rows",
    lambda: dx.Branch.from_points([[0, 0, 0, 1]]))  # fmt: skip
bad("Branch.from_points-nan", ValueError, "points must be finite",
    lambda: dx.Branch.from_points([[0, 0, 0, 1], [np.nan, 0, 0, 1]]))  # fmt: skip
bad("Branch.from_points-negative-radius", ValueError, "point 1 has radius",
    lambda: dx.Branch.from_points([[0, 0, 0, 1], [1, 0, 0, -1]]))  # fmt: skip
bad("Branch.from_points-zero-length", ValueError, "zero total length",
    lambda: dx.Branch.from_points([[0, 0, 0, 1], [0, 0, 0, 1]]))  # fmt: skip
bad("Branch.from_points-str", TypeError, "points must be numbers",
    lambda: dx.Branch.from_points([["a", 0, 0, 1], [1, 0, 0, 1]]))  # fmt: skip
bad("Branch.with_ncomp-0", ValueError, "ncomp must be an integer >= 1",
    lambda: BR.with_ncomp(0))  # fmt: skip

# --- Cell ---------------------------------------------------------------------------

bad("Cell-parents-cycle", ValueError, "cycle",
    lambda: dx.Cell(BR, parents=[-1, 2, 1]))  # fmt: skip
bad("Cell-parents-self", ValueError, r"parents\[1\] = 1 makes branch 1",
    lambda: dx.Cell(BR, parents=[-1, 1]))  # fmt: skip
bad("Cell-parents-too-big", ValueError, r"parents\[2\] = 3 is out of range",
    lambda: dx.Cell(BR, parents=[-1, 0, 3]))  # fmt: skip
bad("Cell-parents-below-root", ValueError, r"parents\[2\] = -2 is out of range",
    lambda: dx.Cell(BR, parents=[-1, 0, -2]))  # fmt: skip
bad("Cell-parents-two-roots", ValueError, "exactly one root",
    lambda: dx.Cell(BR, parents=[-1, 0, -1]))  # fmt: skip
bad("Cell-parents-no-root", ValueError, "exactly one root",
    lambda: dx.Cell(BR, parents=[1, 0]))  # fmt: skip
bad("Cell-parents-length", ValueError, "parents has 3 entries but there are 2",
    lambda: dx.Cell([BR, BR], parents=[-1, 0, 0]))  # fmt: skip
bad("Cell-parents-float", ValueError, r"parents\[2\] = 0.7 is not an integer",
    lambda: dx.Cell(BR, parents=[-1, 0, 0.7]))  # fmt: skip
bad("Cell-parents-float-array", ValueError, r"parents\[2\] = 1.9 is not an integer",
    lambda: dx.Cell(BR, parents=np.array([-1.0, 0.0, 1.9])))  # fmt: skip
bad("Cell-parents-str", TypeError, "parents must be a sequence of branch indices",
    lambda: dx.Cell(BR, parents="-100"))  # fmt: skip
bad("Cell-parents-int", TypeError, "parents must be a sequence of branch indices",
    lambda: dx.Cell(BR, parents=-1))  # fmt: skip
bad("Cell-parents-str-entry", TypeError, r"parents\[1\] = '0' is not an integer",
    lambda: dx.Cell(BR, parents=[-1, "0"]))  # fmt: skip
bad("Cell-parents-bool-entry", TypeError, r"parents\[1\] = True is not an integer",
    lambda: dx.Cell(BR, parents=[-1, True]))  # fmt: skip
bad("Cell-parents-2d", TypeError, r"parents\[0\] = .* is not an integer",
    lambda: dx.Cell(BR, parents=np.array([[-1, 0]])))  # fmt: skip
bad("Cell-groups-float", TypeError, r"groups\['soma'\] must hold branch indices",
    lambda: dx.Cell(BR, parents=[-1, 0], groups={"soma": [0.9]}))  # fmt: skip
bad("Cell-groups-out-of-range", ValueError, r"groups\['soma'\] = \[5\]",
    lambda: dx.Cell(BR, parents=[-1, 0], groups={"soma": [5]}))  # fmt: skip
bad("Cell-groups-negative", ValueError, r"groups\['soma'\] = \[-1\]",
    lambda: dx.Cell(BR, parents=[-1, 0], groups={"soma": [-1]}))  # fmt: skip
bad("Cell-groups-str", TypeError, r"groups\['soma'\] must hold branch indices",
    lambda: dx.Cell(BR, parents=[-1, 0], groups={"soma": "0"}))  # fmt: skip
bad("Cell-groups-not-mapping", TypeError, "groups must map",
    lambda: dx.Cell(BR, parents=[-1, 0], groups=[0]))  # fmt: skip
bad("Cell-attach-range", ValueError, "attach must hold positions in",
    lambda: dx.Cell(BR, parents=[-1, 0], attach=[1.0, 1.5]))  # fmt: skip
bad("Cell-attach-length", ValueError, "attach has 1 entries",
    lambda: dx.Cell(BR, parents=[-1, 0], attach=[1.0]))  # fmt: skip
bad("Cell-attach-str", TypeError, "attach must hold numbers",
    lambda: dx.Cell(BR, parents=[-1, 0], attach=["a", 1.0]))  # fmt: skip
bad("Cell-attach-nan", ValueError, "attach must hold positions in",
    lambda: dx.Cell(BR, parents=[-1, 0], attach=[1.0, float("nan")]))  # fmt: skip
bad("Cell-branches-str", TypeError, "branches must be a Branch",
    lambda: dx.Cell("soma"))  # fmt: skip
bad("Cell-branches-compartment", TypeError, "branches must be a Branch",
    lambda: dx.Cell(COMP))  # fmt: skip
bad("Cell-xyz-shape", ValueError, r"xyz must have shape \(1, 3\)",
    lambda: dx.Cell(BR, xyz=np.zeros((2, 3))))  # fmt: skip
bad("Cell-xyz-nan", ValueError, "xyz must be finite",
    lambda: dx.Cell(BR, xyz=np.full((1, 3), np.nan)))  # fmt: skip
bad("Cell-ncomp-0", ValueError, "ncomp must be an integer >= 1",
    lambda: dx.Cell(BR, ncomp=0))  # fmt: skip
bad("Cell-ncomp-length", ValueError, "ncomp has 3 entries but there are 2",
    lambda: dx.Cell(BR, parents=[-1, 0], ncomp=[1, 2, 3]))  # fmt: skip
bad("Cell-ncomp-str", TypeError, "ncomp must be an integer",
    lambda: dx.Cell(BR, ncomp="a"))  # fmt: skip
bad("DLambda-frequency", ValueError, "frequency must be a positive",
    lambda: dx.DLambda(frequency=-100.0))  # fmt: skip

# --- Network ------------------------------------------------------------------------

bad("Network-empty", TypeError, "non-empty list of Cells", lambda: dx.Network([]))
bad("Network-str", TypeError, "cells must be", lambda: dx.Network("cell"))
bad("Network-mixed", TypeError, "cells must be", lambda: dx.Network([dx.Cell(BR), 5]))
bad("Network-branch", TypeError, "cells must be", lambda: dx.Network(BR))

# --- insert and channel parameters --------------------------------------------------

bad("insert-str", TypeError, "channel must be an AbstractChannel instance",
    lambda: dx.insert(net(), "HH"))  # fmt: skip
bad("insert-class", TypeError, "channel must be an AbstractChannel instance",
    lambda: dx.insert(net(), dx.channels.HH))  # fmt: skip
bad("insert-where-list", TypeError, "where= must be a dx.Selection",
    lambda: dx.insert(net(), dx.channels.Leak(), [0, 1]))  # fmt: skip
bad("insert-shape", ValueError, "parameter 'Passive.g' has shape",
    lambda: dx.insert(net(), dx.channels.Passive(g=np.ones(3))))  # fmt: skip
bad("insert-nan-in-array", ValueError, r"Passive: g\[1\] = nan",
    lambda: dx.insert(net(), dx.channels.Passive(g=np.array([1e-3, np.nan]))))  # fmt: skip
_CHANNEL_BAD = [
    ("Passive", "g", float("nan"), ValueError, "Passive: g = nan is not finite"),
    ("Passive", "g", -1e-3, ValueError, "Passive: g = -0.001 must be >= 0"),
    ("Passive", "e", float("inf"), ValueError, "Passive: e = inf is not finite"),
    ("Passive", "g", "abc", TypeError, "Passive: g must be a real number"),
    ("Passive", "g", 1e-3 + 1j, TypeError, "Passive: g must be a real number"),
    ("Passive", "g", None, TypeError, "Passive: g must be a real number"),
    ("HH", "gNa", "abc", TypeError, "HH: gNa must be a real number"),
    ("HH", "gNa", 0.1 + 2j, TypeError, "HH: gNa must be a real number"),
    ("HH", "gNa", float("nan"), ValueError, "HH: gNa = nan is not finite"),
    ("HH", "gK", -0.036, ValueError, "HH: gK = -0.036 must be >= 0"),
    ("HH", "gLeak", float("inf"), ValueError, "HH: gLeak = inf is not finite"),
    ("HH", "eNa", float("nan"), ValueError, "HH: eNa = nan is not finite"),
    ("HH", "temperature", float("inf"), ValueError, "HH: temperature = inf"),
    ("Na", "gNa", -1.0, ValueError, "Na: gNa = -1.0 must be >= 0"),
    ("K", "gK", float("nan"), ValueError, "K: gK = nan is not finite"),
    ("Leak", "gLeak", -1.0, ValueError, "Leak: gLeak = -1.0 must be >= 0"),
    ("LIF", "t_ref", -1.0, ValueError, "LIF: t_ref = -1.0 must be >= 0"),
    ("LIF", "g_leak", 0.0, ValueError, "LIF: g_leak = 0.0 must be > 0"),
    ("LIF", "v_th", float("nan"), ValueError, "LIF: v_th = nan is not finite"),
    ("AdEx", "tau_w", 0.0, ValueError, "AdEx: tau_w = 0.0 must be > 0"),
    ("AdEx", "delta_t", -2.0, ValueError, "AdEx: delta_t = -2.0 must be > 0"),
    ("AdEx", "g_leak", float("nan"), ValueError, "AdEx: g_leak = nan"),
    ("Izhikevich", "a", float("nan"), ValueError, "Izhikevich: a = nan"),
    ("Izhikevich", "d", "x", TypeError, "Izhikevich: d must be a real number"),
    ("SpikeDetector", "threshold", float("nan"), ValueError, "threshold = nan"),
]
for cls, field, value, exc, msg in _CHANNEL_BAD:
    bad(f"{cls}({field}={value!r})", exc, msg,
        lambda cls=cls, field=field, value=value: getattr(dx.channels, cls)(
            **{field: value}))  # fmt: skip

# --- set / get ----------------------------------------------------------------------

_SET_BAD = [
    ("radius", -1.0, ValueError, r"set: radius = -1.0 must be > 0"),
    ("radius", 0.0, ValueError, r"set: radius = 0.0 must be > 0"),
    ("radius", float("nan"), ValueError, r"set: radius = nan is not finite"),
    ("length", float("inf"), ValueError, r"set: length = inf is not finite"),
    ("capacitance", -1.0, ValueError, r"set: capacitance = -1.0 must be > 0"),
    ("axial_resistivity", 0, ValueError, r"set: axial_resistivity = 0"),
    ("v_init", float("nan"), ValueError, r"set: v_init = nan is not finite"),
    ("HH.gNa", 0.1 + 2j, TypeError, r"set: HH.gNa must be a real number"),
    ("HH.gNa", "abc", TypeError, r"set: HH.gNa must be a real number"),
    ("HH.gNa", float("nan"), ValueError, r"set: HH.gNa = nan is not finite"),
    ("HH.gNa", -0.1, ValueError, r"set: HH.gNa = -0.1 must be >= 0"),
    ("HH.gNa", np.ones(5), ValueError, r"one value per selected element"),
    ("HH.gNa", np.array([0.1] * 11 + [np.nan]), ValueError, r"HH.gNa\[11\] = nan"),
    ("radius", np.ones((12, 1)), ValueError, r"one value per selected element"),
]
for name, value, exc, msg in _SET_BAD:
    bad(f"set({name}, {value!r})", exc, msg,
        lambda name=name, value=value: dx.set(net(), name, value))  # fmt: skip
bad("set-unknown", ValueError, "unknown parameter 'HH.gna'",
    lambda: dx.set(net(), "HH.gna", 0.1))  # fmt: skip
bad("set-name-int", TypeError, "name must be a string",
    lambda: dx.set(net(), 5, 0.1))  # fmt: skip
bad("set-edge-selection-for-node-param", ValueError, "needs a selection of nodes",
    lambda: dx.set(syn_net(), "v_init", -60.0, dx.select(syn_net(), edges="all")))  # fmt: skip
bad("set-where-without-param", ValueError, "none of the selected elements has",
    lambda: dx.set(dx.insert(net(), dx.channels.Leak(), soma()), "Leak.gLeak", 1e-4,
                   dx.select(net(), cell=1)))  # fmt: skip
bad("get-unknown", ValueError, "unknown parameter 'Na.gNa'",
    lambda: dx.get(net(), "Na.gNa"))  # fmt: skip
bad("get-where-str", TypeError, "where= must be a dx.Selection",
    lambda: dx.get(net(), "radius", "soma"))  # fmt: skip
bad("get-name-none", TypeError, "name must be a string",
    lambda: dx.get(net(), None))  # fmt: skip
bad("add_group-empty-name", ValueError, "name must be a non-empty string",
    lambda: dx.add_group(net(), "", soma()))  # fmt: skip
bad("add_group-exists", ValueError, "group 'soma' exists already",
    lambda: dx.add_group(dx.add_group(net(), "soma", soma()), "soma", soma()))  # fmt: skip
bad("add_group-where-none", TypeError, "where= must be a dx.Selection",
    lambda: dx.add_group(net(), "x", None))  # fmt: skip

# --- select -------------------------------------------------------------------------

bad("select-cell-out-of-range", ValueError, r"cell=99 holds 99, which is out of range",
    lambda: dx.select(net(), cell=99))  # fmt: skip
bad("select-cell-list-out-of-range", ValueError, r"cell=\[0, 99\] holds 99",
    lambda: dx.select(net(), cell=[0, 99]))  # fmt: skip
bad("select-cell-negative", ValueError, r"cell=\[-1, 0\] holds -1",
    lambda: dx.select(net(), cell=[-1, 0]))  # fmt: skip
bad("select-cell-negative-scalar", ValueError, r"cell=-1 holds -1",
    lambda: dx.select(net(), cell=-1))  # fmt: skip
bad("select-branch-out-of-range", ValueError, r"branch=\[0, 7\] holds 7",
    lambda: dx.select(net(), branch=[0, 7]))  # fmt: skip
bad("select-comp-out-of-range", ValueError, r"comp=5 holds 5, which is out of range",
    lambda: dx.select(net(), comp=5))  # fmt: skip
bad("select-cell-float", TypeError, "cell must hold integers",
    lambda: dx.select(net(), cell=1.5))  # fmt: skip
bad("select-cell-float-list", TypeError, "branch must hold integers",
    lambda: dx.select(net(), branch=[0.5]))  # fmt: skip
bad("select-cell-str", ValueError, r"cell='soma'; use an int",
    lambda: dx.select(net(), cell="soma"))  # fmt: skip
bad("select-cell-empty", ValueError, r"cell=\[\] selects nothing",
    lambda: dx.select(net(), cell=[]))  # fmt: skip
bad("select-cell-bool", TypeError, "cell must hold integers",
    lambda: dx.select(net(), cell=True))  # fmt: skip
bad("select-empty-intersection", ValueError, "is empty",
    lambda: dx.select(net(), branch=0, comp=1, where=lambda t: t.comp == 0))  # fmt: skip
bad("select-unknown-group", ValueError, "unknown group 'dend'",
    lambda: dx.select(net(), group="dend"))  # fmt: skip
bad("select-where-shape", ValueError, "where= must return a boolean mask",
    lambda: dx.select(net(), where=lambda t: t.cell[:3] == 0))  # fmt: skip
bad("select-where-ints", ValueError, "where= must return a boolean mask",
    lambda: dx.select(net(), where=lambda t: t.cell))  # fmt: skip
bad("select-edges-none", ValueError, "has no edges",
    lambda: dx.select(net(), edges="all"))  # fmt: skip
bad("select-edges-and-cell", ValueError, "edges= cannot be combined",
    lambda: dx.select(syn_net(), cell=0, edges="all"))  # fmt: skip
bad("select-edges-out-of-range", ValueError, r"edges=\[99\] holds 99",
    lambda: dx.select(syn_net(), edges=[99]))  # fmt: skip
bad("select-edges-negative", ValueError, r"edges=\[-1\] holds -1",
    lambda: dx.select(syn_net(), edges=[-1]))  # fmt: skip
bad("select-edges-predicate", ValueError, "predicate must return a boolean mask",
    lambda: dx.select(syn_net(), edges=lambda e: e.pre_cell))  # fmt: skip
bad("select-net-not-network", TypeError, "net must be a dx.Network",
    lambda: dx.select([net()], cell=0))  # fmt: skip
bad("select-index-out-of-range", ValueError, r"index=24 holds 24, which is out of range",
    lambda: dx.select(net(), index=24))  # fmt: skip
bad("select-index-negative", ValueError, r"index=\[-1\] holds -1",
    lambda: dx.select(net(), index=[-1]))  # fmt: skip
bad("select-index-float", TypeError, "index must hold integers",
    lambda: dx.select(net(), index=[0.0, 1.0]))  # fmt: skip
bad("select-index-str", ValueError, r"index='soma'; use an int",
    lambda: dx.select(net(), index="soma"))  # fmt: skip
bad("select-index-and-cell-empty", ValueError, r"\(cell=1, index=0\) is empty",
    lambda: dx.select(net(), cell=1, index=0))  # fmt: skip
bad("select-slice-float", TypeError, r"cell=slice\(0.5, 2, None\) has start=0.5",
    lambda: dx.select(net(), cell=slice(0.5, 2)))  # fmt: skip
bad("select-slice-str", TypeError, r"comp=.* has stop='2'; a slice's start",
    lambda: dx.select(net(), comp=slice(0, "2")))  # fmt: skip
bad("select-slice-step-0", ValueError, r"branch=.* has step 0; give a nonzero step",
    lambda: dx.select(net(), branch=slice(None, None, 0)))  # fmt: skip
bad("select-slice-empty", ValueError, r"cell=slice\(2, 5, None\) selects nothing",
    lambda: dx.select(net(), cell=slice(2, 5)))  # fmt: skip
bad("select-slice-comp-empty", ValueError, r"comp=slice\(2, None, None\) selects nothing",
    lambda: dx.select(net(), comp=slice(2, None)))  # fmt: skip
bad("select-edges-slice-empty", ValueError, r"edges=slice\(9, None, None\) selects",
    lambda: dx.select(syn_net(), edges=slice(9, None)))  # fmt: skip
bad("select-edges-slice-bool", TypeError, r"edges=.* has step=True",
    lambda: dx.select(syn_net(), edges=slice(None, None, True)))  # fmt: skip
bad("select-edges-and-index", ValueError, "edges= cannot be combined with .*index",
    lambda: dx.select(syn_net(), index=0, edges="all"))  # fmt: skip
bad("selection-combine-kinds", TypeError, "same kind",
    lambda: dx.select(syn_net(), cell=0) | dx.select(syn_net(), edges="all"))  # fmt: skip
bad("selection-from-bigger-network", ValueError, "made on another network",
    lambda: dx.insert(net(), dx.channels.Leak(), dx.select(big_net(), cell=29)))  # fmt: skip
bad("selection-from-same-size-network-insert", ValueError, "made on another network",
    lambda: dx.insert(net(), dx.channels.Leak(), dx.select(other_net(), branch=1)))  # fmt: skip
bad("selection-from-same-size-network-set", ValueError, "made on another network",
    lambda: dx.set(net(), "radius", 2.0, dx.select(other_net(), branch=1)))  # fmt: skip
bad("selection-from-other-network-stimulus", ValueError, "made on another network",
    lambda: sim(stimuli=dx.Stimulus(dx.select(other_net(), branch=1), I())))  # fmt: skip
bad("selection-from-other-network-record", ValueError, "made on another network",
    lambda: sim(record=dx.Record("v", dx.select(other_net(), branch=1))))  # fmt: skip


def traced(fn, *args):
    """`fn(*args)` under `jit`, so that `dx.select` sees traced indices."""
    return lambda: jax.jit(lambda *a: jax.tree.leaves(fn(*a)))(*args)


bad("select-traced-float", TypeError, "comp must hold integers, got a traced array",
    traced(lambda x: dx.select(net(), comp=x), 1.0))  # fmt: skip
bad("select-traced-matrix", ValueError, "a traced cell= must be a scalar or a vector",
    traced(lambda x: dx.select(net(), cell=x), jnp.zeros((2, 2), int)))  # fmt: skip
bad("select-traced-shapes", ValueError, "traced indices must have one shape",
    traced(lambda i, j: dx.select(net(), cell=i, comp=j), jnp.arange(2),
           jnp.arange(3)))  # fmt: skip
bad("select-traced-unequal-counts", ValueError, "must pick the same number",
    traced(lambda i: dx.select(dx.Network([dx.Cell(BR), dx.Cell([BR, BR], parents=[-1, 0])]),
                               cell=i), 0))  # fmt: skip
bad("selection-traced-combine", ValueError, "traced indices cannot be combined",
    traced(lambda i: dx.select(net(), cell=i) & dx.select(net(), comp=0), 0))  # fmt: skip
bad("selection-traced-insert", ValueError, "insert: the selection has traced indices",
    traced(lambda i: dx.insert(net(), dx.channels.Leak(), dx.select(net(), cell=i)),
           0))  # fmt: skip
bad("selection-traced-connect", ValueError, r"connect \(pre\): the selection has traced",
    traced(lambda i: dx.connect(net(), dx.select(net(), cell=i), dx.select(net(), cell=1),
                                EXP), 0))  # fmt: skip
bad("selection-traced-set", ValueError, "set: the selection has traced indices",
    traced(lambda i: dx.set(net(), "HH.gNa", 0.1, dx.select(net(), cell=i)), 0))  # fmt: skip
bad("selection-traced-mesh", ValueError, r"simulate\(mesh=\): Stimulus has a selection",
    traced(lambda i: sim(stimuli=dx.Stimulus(dx.select(net(), index=i), I()),
                         mesh=jax.sharding.Mesh(np.array(jax.devices()[:1]), ("cells",))),
           0))  # fmt: skip
bad("selection-neither-index", ValueError, "give either index",
    lambda: dx.Selection(None))  # fmt: skip

# --- connect, rules and synapses ----------------------------------------------------


def conn(synapse=EXP, rule=None, n=None, **kw):
    n = lif_net() if n is None else n
    pre, post = dx.select(n, cell=0), dx.select(n, cell=[1, 2])
    rule = dx.conn.AllToAll() if rule is None else rule
    return dx.connect(n, pre, post, synapse, rule, **kw)


bad("connect-synapse-str", TypeError, "synapse must be an AbstractSynapse",
    lambda: conn("Exp"))  # fmt: skip
bad("connect-synapse-class", TypeError, "synapse must be an AbstractSynapse",
    lambda: conn(dx.synapses.Exp))  # fmt: skip
bad("connect-rule-str", TypeError, "rule must be a dx.conn rule",
    lambda: conn(rule="all"))  # fmt: skip
bad("connect-delay-on-graded", ValueError, "delay= needs spikes",
    lambda: conn(dx.synapses.Ionotropic(), delay=1.0))  # fmt: skip
bad("connect-plasticity-on-graded", ValueError, "plasticity= needs spikes",
    lambda: conn(dx.synapses.Ionotropic(), plasticity=dx.plasticity.STDP()))  # fmt: skip
bad("connect-delivery-on-graded", ValueError, "delivery= applies to event",
    lambda: conn(dx.synapses.Ionotropic(), delivery=dx.conn.Dense()))  # fmt: skip
bad("connect-delivery-str", TypeError, "delivery must be dx.conn.Segment()",
    lambda: conn(delivery="dense"))  # fmt: skip
bad("connect-plasticity-str", TypeError, "plasticity must be a dx.plasticity rule",
    lambda: conn(plasticity="stdp"))  # fmt: skip
bad("connect-plasticity-dense", ValueError, "need delivery=dx.conn.Segment()",
    lambda: conn(plasticity=dx.plasticity.STDP(), delivery=dx.conn.Dense()))  # fmt: skip
bad("connect-name-not-identifier", ValueError, "name must be an identifier",
    lambda: conn(name="1 bad"))  # fmt: skip
bad("connect-name-taken-by-channel", ValueError, "taken by a channel",
    lambda: conn(name="LIF"))  # fmt: skip
bad("connect-name-other-class", ValueError, "holds Exp synapses",
    lambda: conn(dx.synapses.Alpha(), n=syn_net(), name="Exp"))  # fmt: skip
bad("connect-delay-negative", ValueError, "delays must be finite and >= 0",
    lambda: conn(delay=-1.0))  # fmt: skip
bad("connect-delay-nan", ValueError, "delays must be finite and >= 0",
    lambda: conn(delay=float("nan")))  # fmt: skip
bad("connect-delay-shape", ValueError, "delay has shape",
    lambda: conn(delay=np.ones(5)))  # fmt: skip
bad("connect-delay-str", TypeError, "delay must be a real number",
    lambda: conn(delay="1ms"))  # fmt: skip
bad("connect-weight-matrix-shape", ValueError, "is a matrix of shape",
    lambda: conn(dx.synapses.Exp(weight=np.ones((3, 3)))))  # fmt: skip
bad("connect-weight-vector-length", ValueError, "parameter 'Exp.weight' has shape",
    lambda: conn(dx.synapses.Exp(weight=np.ones(5))))  # fmt: skip
bad("connect-weight-nan-in-vector", ValueError, r"weight\[1\] = nan",
    lambda: conn(dx.synapses.Exp(weight=np.array([1e-3, np.nan]))))  # fmt: skip
bad("connect-pre-edges", ValueError, "needs a selection of nodes",
    lambda: dx.connect(syn_net(), dx.select(syn_net(), edges="all"),
                       dx.select(syn_net(), cell=1), EXP))  # fmt: skip
bad("connect-pre-none", TypeError, "pre must be a dx.Selection",
    lambda: dx.connect(lif_net(), None, dx.select(lif_net(), cell=1), EXP))  # fmt: skip
_SYN_BAD = [
    ("Exp", "weight", float("nan"), ValueError, "Exp: weight = nan is not finite"),
    ("Exp", "tau", -5.0, ValueError, "Exp: tau = -5.0 must be > 0"),
    ("Exp", "tau", 0.0, ValueError, "Exp: tau = 0.0 must be > 0"),
    ("Exp", "e_syn", float("inf"), ValueError, "Exp: e_syn = inf is not finite"),
    ("Exp", "weight", "a", TypeError, "Exp: weight must be a real number"),
    ("ExpCurrent", "tau", float("nan"), ValueError, "ExpCurrent: tau = nan"),
    ("Alpha", "tau", -1.0, ValueError, "Alpha: tau = -1.0 must be > 0"),
    ("DualExp", "tau_rise", 0.0, ValueError, "DualExp: tau_rise = 0.0 must be > 0"),
    ("DualExp", "tau_decay", float("inf"), ValueError, "tau_decay = inf"),
    ("AMPA", "tau_decay", -2.0, ValueError, "AMPA: tau_decay = -2.0 must be > 0"),
    ("Ionotropic", "gS", float("nan"), ValueError, "Ionotropic: gS = nan"),
    ("Ionotropic", "k_minus", 0.0, ValueError, "k_minus = 0.0 must be > 0"),
    ("Ionotropic", "delta", 0.0, ValueError, "Ionotropic: delta = 0.0 must be > 0"),
    ("TanhRate", "gS", 1j, TypeError, "TanhRate: gS must be a real number"),
]
for cls, field, value, exc, msg in _SYN_BAD:
    bad(f"{cls}({field}={value!r})", exc, msg,
        lambda cls=cls, field=field, value=value: getattr(dx.synapses, cls)(
            **{field: value}))  # fmt: skip
_PLASTICITY_BAD = [
    ("STDP", "tau_plus", -1.0, ValueError, "STDP: tau_plus = -1.0 must be > 0"),
    ("STDP", "w_max", float("nan"), ValueError, "STDP: w_max = nan is not finite"),
    ("STDP", "a_plus", "x", TypeError, "STDP: a_plus must be a real number"),
    ("TsodyksMarkram", "U", 1.5, ValueError, r"TsodyksMarkram: U = 1.5 must be in"),
    ("TsodyksMarkram", "tau_d", 0.0, ValueError, "tau_d = 0.0 must be > 0"),
]
for cls, field, value, exc, msg in _PLASTICITY_BAD:
    bad(f"{cls}({field}={value!r})", exc, msg,
        lambda cls=cls, field=field, value=value: getattr(dx.plasticity, cls)(
            **{field: value}))  # fmt: skip
bad("Bernoulli-p-big", ValueError, "p must lie in", lambda: dx.conn.Bernoulli(1.5))
bad(
    "Bernoulli-p-negative", ValueError, "p must lie in", lambda: dx.conn.Bernoulli(-0.1)
)
bad("Bernoulli-p-nan", ValueError, "p must lie in",
    lambda: dx.conn.Bernoulli(float("nan")))  # fmt: skip
bad("Bernoulli-no-key", ValueError, "pass key=",
    lambda: conn(rule=dx.conn.Bernoulli(0.5)))  # fmt: skip
bad("FixedInDegree-negative", ValueError, "k must be",
    lambda: dx.conn.FixedInDegree(-1))  # fmt: skip
bad("FixedInDegree-float", ValueError, "k must be",
    lambda: dx.conn.FixedInDegree(1.5))  # fmt: skip
bad("FixedInDegree-too-many", ValueError, "k=5 exceeds",
    lambda: conn(rule=dx.conn.FixedInDegree(5), key=jax.random.key(0)))  # fmt: skip
bad("FixedOutDegree-too-many", ValueError, "k=5 exceeds",
    lambda: conn(rule=dx.conn.FixedOutDegree(5), key=jax.random.key(0)))  # fmt: skip
bad("FromIds-lengths", ValueError, "equal length",
    lambda: dx.conn.FromIds([0, 0], [1]))  # fmt: skip
bad("FromIds-outside", ValueError, "not in the presynaptic selection",
    lambda: conn(rule=dx.conn.FromIds([2], [1])))  # fmt: skip
bad("FromIds-float", ValueError, "integer arrays",
    lambda: dx.conn.FromIds([0.5], [1]))  # fmt: skip
bad("FromMatrix-shape", ValueError, "matrix has shape",
    lambda: conn(rule=dx.conn.FromMatrix(np.ones((2, 2)))))  # fmt: skip
bad("FromMatrix-1d", ValueError, "matrix must be 2-d",
    lambda: dx.conn.FromMatrix(np.ones(3)))  # fmt: skip
bad("Init-form", ValueError, "form must be 'scalar', 'vector' or 'matrix'",
    lambda: dx.conn.Init(jax.nn.initializers.zeros, form="dense"))  # fmt: skip
_KEY = jax.random.key(0)
_NO_KEY = (
    r"takes no key: randomness at build time comes from dx\.connect\(\.\.\., key=\)"
)
for _id, _make in (
    ("Bernoulli-key=", lambda: dx.conn.Bernoulli(0.02, key=_KEY)),
    ("Bernoulli-key-positional", lambda: dx.conn.Bernoulli(0.02, _KEY)),
    ("FixedInDegree-key=", lambda: dx.conn.FixedInDegree(3, key=_KEY)),
    ("FixedOutDegree-key-positional", lambda: dx.conn.FixedOutDegree(3, _KEY)),
    ("AllToAll-key=", lambda: dx.conn.AllToAll(key=_KEY)),
    ("OneToOne-key=", lambda: dx.conn.OneToOne(key=_KEY)),
    ("FromIds-key=", lambda: dx.conn.FromIds([0], [1], key=_KEY)),
    ("FromMatrix-key=", lambda: dx.conn.FromMatrix(np.ones((1, 2)), key=_KEY)),
    ("Init-key=", lambda: dx.conn.Init(jax.nn.initializers.zeros, key=_KEY)),
    ("Init-key-positional", lambda: dx.conn.Init(jax.nn.initializers.zeros, _KEY)),
    ("Init-key-and-form", lambda: dx.conn.Init(jax.nn.initializers.zeros, _KEY,
                                               form="matrix")),
    ("Init-raw-key", lambda: dx.conn.Init(jax.nn.initializers.zeros,
                                          jax.random.PRNGKey(0), "matrix")),
):  # fmt: skip
    bad(_id, TypeError, _NO_KEY, _make)
bad("Init-form-positional", TypeError, "give the storage form by keyword",
    lambda: dx.conn.Init(jax.nn.initializers.zeros, "matrix"))  # fmt: skip
bad("Init-initializer-not-callable", TypeError, "initializer must be a function",
    lambda: dx.conn.Init(0.5))  # fmt: skip
bad("Bernoulli-self_connections-str", TypeError,
    "self_connections must be True or False",
    lambda: dx.conn.Bernoulli(0.5, self_connections="no"))  # fmt: skip
bad("Bernoulli-p-str", TypeError, "p must be a number in",
    lambda: dx.conn.Bernoulli("0.5"))  # fmt: skip
bad("connect-Init-without-key", ValueError,
    r"Exp\.weight is drawn by dx\.conn\.Init, which needs randomness: pass key=",
    lambda: conn(dx.synapses.Exp(weight=dx.conn.Init(jax.nn.initializers.ones))))  # fmt: skip
bad("connect-Init-receptor-field", TypeError, "Exp.tau is a receptor field",
    lambda: conn(dx.synapses.Exp(tau=dx.conn.Init(jax.nn.initializers.ones)),
                 key=_KEY))  # fmt: skip
bad("connect-event-receptor-differs", ValueError, "already has a receptor at compartment 1 with tau=5",
    lambda: dx.connect(syn_net(), dx.select(lif_net(), cell=2), dx.select(lif_net(), cell=1),
                       dx.synapses.Exp(tau=10.0)))  # fmt: skip
bad("connect-key-int", TypeError, "key must be one jax.random key",
    lambda: conn(rule=dx.conn.Bernoulli(0.5), key=0))  # fmt: skip
bad("connect-key-batch", TypeError, r"key must be one jax.random key.*shape \(3,\)",
    lambda: conn(rule=dx.conn.Bernoulli(0.5), key=jax.random.split(_KEY, 3)))  # fmt: skip
bad("connect-key-traced-random-rule", TypeError, "must be concrete, not traced",
    lambda: jax.jit(lambda k: conn(rule=dx.conn.Bernoulli(0.5), key=k).n_edges)(_KEY))  # fmt: skip
# Populations with shapes (pre: cell 0, post: cells 1 and 2 of lif_net) and
# fan-based initializers.
bad("connect-pre_shape-product", ValueError, r"post_shape=\(3,\) holds 3 cells, but the postsynaptic selection has 2",
    lambda: conn(post_shape=3))  # fmt: skip
bad("connect-shape-zero-axis", ValueError, "pre_shape must have at least one axis, each of length >= 1",
    lambda: conn(pre_shape=(1, 0)))  # fmt: skip
bad("connect-shape-str", TypeError, "post_shape must be an int or a tuple of ints",
    lambda: conn(post_shape="1x2"))  # fmt: skip
bad("connect-weight-grid-shape", ValueError, r"give a \(1, 2\) or a \(1, 1, 2\) matrix",
    lambda: conn(dx.synapses.Exp(weight=np.ones((2, 1, 1))), post_shape=(1, 2)))  # fmt: skip
bad("connect-weight-grid-without-shapes", ValueError, r"pass pre_shape=\(1,\), post_shape=\(1, 2\) to dx.connect",
    lambda: conn(dx.synapses.Exp(weight=np.ones((1, 1, 2)))))  # fmt: skip
bad("FromMatrix-grid-without-shapes", ValueError, r"pass pre_shape=\(1,\), post_shape=\(1, 2\) to dx.connect",
    lambda: conn(rule=dx.conn.FromMatrix(np.ones((1, 1, 2)))))  # fmt: skip
bad("connect-Init-fan-batch-axis", ValueError, "Exp.weight is drawn by a variance-scaling initializer with",
    lambda: conn(dx.synapses.Exp(weight=dx.conn.Init(jax.nn.initializers.he_normal(batch_axis=0))),
                 key=_KEY))  # fmt: skip
bad("connect-Init-orthogonal-vector", ValueError, "for another initializer that needs a 2-d shape, use form='matrix'",
    lambda: conn(dx.synapses.Exp(weight=dx.conn.Init(jax.nn.initializers.orthogonal())),
                 key=_KEY))  # fmt: skip
bad("GaussianProb-sigma", ValueError, "sigma must be finite and > 0",
    lambda: dx.conn.GaussianProb(-1.0))  # fmt: skip
bad("GaussianProb-sigma-str", TypeError, "sigma must be a number",
    lambda: dx.conn.GaussianProb("2"))  # fmt: skip
bad("GaussianProb-p_max", ValueError, r"p_max must lie in \[0, 1\]",
    lambda: dx.conn.GaussianProb(1.0, 2.0))  # fmt: skip
bad("GaussianProb-periodic-str", TypeError, "periodic must be True or False",
    lambda: dx.conn.GaussianProb(1.0, periodic="yes"))  # fmt: skip
bad("GaussianProb-key=", TypeError, _NO_KEY,
    lambda: dx.conn.GaussianProb(1.0, key=_KEY))  # fmt: skip
bad("GaussianProb-no-key", ValueError, "GaussianProb draws at random: pass key=",
    lambda: conn(rule=dx.conn.GaussianProb(1.0)))  # fmt: skip
bad("GaussianProb-axes", ValueError, "same number of axes",
    lambda: conn(rule=dx.conn.GaussianProb(1.0), post_shape=(1, 2), key=_KEY))  # fmt: skip
bad("EventDriven-max_spikes", ValueError, "max_spikes",
    lambda: dx.conn.EventDriven(max_spikes=0))  # fmt: skip

# --- Stimulus, VoltageClamp ---------------------------------------------------------

bad("Stimulus-where-None", TypeError, "where must be a dx.Selection",
    lambda: dx.Stimulus(None, I()))  # fmt: skip
bad("Stimulus-where-str", TypeError, "where must be a dx.Selection",
    lambda: dx.Stimulus("soma", I()))  # fmt: skip
bad("Stimulus-where-edges", ValueError, "needs a selection of nodes",
    lambda: dx.simulate(syn_net(), 1.0, DT,
                        stimuli=dx.Stimulus(dx.select(syn_net(), edges="all"), I())))  # fmt: skip
bad("Stimulus-current-str", TypeError, "current must be a real number",
    lambda: dx.Stimulus(soma(), "abc"))  # fmt: skip
bad("Stimulus-current-complex", TypeError, "current must be a real number",
    lambda: dx.Stimulus(soma(), I() + 1j))  # fmt: skip
bad("Stimulus-current-nan", ValueError, r"current\[3\] = nan is not finite",
    lambda: dx.Stimulus(soma(), np.where(np.arange(40) == 3, np.nan, 0.0)))  # fmt: skip
bad("Stimulus-current-length", ValueError, "the waveform has shape",
    lambda: sim(stimuli=dx.Stimulus(soma(), I(39))))  # fmt: skip
bad("Stimulus-current-3d", ValueError, "the waveform has shape",
    lambda: sim(stimuli=dx.Stimulus(soma(), np.zeros((40, 1, 1)))))  # fmt: skip
bad("VoltageClamp-where-None", TypeError, "where must be a dx.Selection",
    lambda: dx.VoltageClamp(None, I()))  # fmt: skip
bad("VoltageClamp-rs-nan", ValueError, "rs = nan is not finite",
    lambda: dx.VoltageClamp(soma(), I(), rs=float("nan")))  # fmt: skip
bad("VoltageClamp-rs-zero", ValueError, "rs = 0.0 must be > 0",
    lambda: dx.VoltageClamp(soma(), I(), rs=0.0))  # fmt: skip
bad("VoltageClamp-rs-negative", ValueError, "rs = -1.0 must be > 0",
    lambda: dx.VoltageClamp(soma(), I(), rs=-1.0))  # fmt: skip
bad("VoltageClamp-voltage-nan", ValueError, r"voltage\[0\] = nan is not finite",
    lambda: dx.VoltageClamp(soma(), np.full(40, np.nan)))  # fmt: skip
bad("VoltageClamp-voltage-str", TypeError, "voltage must be a real number",
    lambda: dx.VoltageClamp(soma(), "x"))  # fmt: skip
bad("step_current-dt", ValueError, "dt must be positive",
    lambda: dx.step_current(1.0, 1.0, 0.1, 0.0, 10.0))  # fmt: skip
bad("step_current-t_max", ValueError, "t_max=10.01 is not a multiple of dt",
    lambda: dx.step_current(1.0, 1.0, 0.1, DT, 10.01))  # fmt: skip

# --- simulate, Record ---------------------------------------------------------------

bad("simulate-t_max-off-grid", ValueError, "t_max=1.01 is not a multiple of dt",
    lambda: sim(t_max=1.01))  # fmt: skip
bad("simulate-t_max-half-step", ValueError, "t_max=0.0625 is not a multiple of dt",
    lambda: sim(t_max=0.0625))  # fmt: skip
bad("simulate-t_max-zero", ValueError, "shorter than one step", lambda: sim(t_max=0.0))
bad("simulate-t_max-negative", ValueError, "shorter than one step",
    lambda: sim(t_max=-1.0))  # fmt: skip
bad("simulate-t_max-nan", ValueError, "t_max must be finite",
    lambda: sim(t_max=float("nan")))  # fmt: skip
bad("simulate-t_max-str", TypeError, "t_max must be a Python number",
    lambda: sim(t_max="1"))  # fmt: skip
bad("simulate-t_max-traced", TypeError, "t_max must be a Python number",
    lambda: jax.jit(lambda t: sim(t_max=t))(1.0))  # fmt: skip
bad("simulate-dt-zero", ValueError, "dt must be positive", lambda: sim(dt=0.0))
bad("simulate-dt-negative", ValueError, "dt must be positive", lambda: sim(dt=-0.1))
bad("simulate-dt-inf", ValueError, "dt must be finite",
    lambda: sim(dt=float("inf")))  # fmt: skip
bad("simulate-dt-array", TypeError, "dt must be a Python number",
    lambda: sim(dt=jnp.array(0.025)))  # fmt: skip
bad("simulate-net-not-network", TypeError, "net must be a dx.Network",
    lambda: dx.simulate([net()], 1.0, DT))  # fmt: skip
bad("simulate-on_nonfinite", ValueError, "on_nonfinite must be 'raise', 'report' or 'off'",
    lambda: sim(on_nonfinite="warn"))  # fmt: skip
bad("simulate-solver-str", TypeError, "solver must be dx.ImplicitEuler()",
    lambda: sim(solver="euler"))  # fmt: skip
bad("simulate-solver-class", TypeError, "solver must be dx.ImplicitEuler()",
    lambda: sim(solver=dx.ImplicitEuler))  # fmt: skip
bad("simulate-stimuli-str", TypeError, "stimuli must be dx.Stimulus",
    lambda: sim(stimuli=["x"]))  # fmt: skip
bad("simulate-record-str", TypeError, "record must be a dx.Record",
    lambda: sim(record="v"))  # fmt: skip
bad("simulate-record-empty", ValueError, "at least one Record",
    lambda: sim(record=[]))  # fmt: skip
bad("simulate-record-every-mixed", ValueError, "share the same every",
    lambda: sim(record=[dx.Record("v"), dx.Record("v", every=2)]))  # fmt: skip
bad("simulate-record-unknown", ValueError, "unknown name 'Na.m'",
    lambda: sim(record=dx.Record("Na.m")))  # fmt: skip
bad("simulate-record-unknown-state", ValueError, "HH has no state or current 'q'",
    lambda: sim(record=dx.Record("HH.q")))  # fmt: skip
bad("simulate-record-unknown-current", ValueError, "no state or current 'ica'; its states are",
    lambda: sim(record=dx.Record("HH.ica")))  # fmt: skip
bad("simulate-record-clamp-current-without-clamp", ValueError, "this run has no dx.VoltageClamp",
    lambda: sim(record=dx.Record("VoltageClamp.i")))  # fmt: skip
bad("simulate-record-stimulus-current-without-stimulus", ValueError, "this run has no dx.Stimulus",
    lambda: sim(record=dx.Record("Stimulus.i")))  # fmt: skip
bad("simulate-record-clamp-current-unclamped", ValueError, "are not clamped",
    lambda: dx.simulate(big_net(), 1.0, DT, stimuli=dx.VoltageClamp(dx.select(big_net(), cell=0), I()),
                        record=dx.Record("VoltageClamp.i", dx.select(big_net(), cell=1))))  # fmt: skip
bad("simulate-progress-str", TypeError, "progress must be True, False or a function",
    lambda: sim(progress="yes"))  # fmt: skip
bad("simulate-progress-mesh", ValueError, "progress is not available with mesh=",
    lambda: sim(progress=True, mesh=jax.sharding.Mesh(np.array(jax.devices()[:1]), ("cells",))))  # fmt: skip
bad("simulate-record-spikes-without-spiking", ValueError, "no selected cell emits spikes",
    lambda: sim(record=dx.Record("spikes")))  # fmt: skip
bad("simulate-state-other-network", ValueError, "state",
    lambda: sim(state=dx.init_state(lif_net(), DT)))  # fmt: skip
bad("simulate-state-str", TypeError, "state must be a dx.State",
    lambda: sim(state="rest"))  # fmt: skip
bad("simulate-delay-off-grid", ValueError, "delay 0.03 ms is not a multiple of dt",
    lambda: dx.simulate(conn(delay=0.03), 1.0, DT))  # fmt: skip
bad("simulate-delay-off-grid-coarse", ValueError, "is not a multiple of dt",
    lambda: dx.simulate(conn(delay=1.0), 1.5, 0.3))  # fmt: skip
bad("simulate-mesh-axis", ValueError, "axis named 'cells'",
    lambda: sim(mesh=jax.sharding.Mesh(np.array(jax.devices()[:1]), ("x",))))  # fmt: skip
bad("simulate-mesh-gap-junction", ValueError, r"mesh= cannot split a network with implicitly coupled synapses \(projection 'GapJunction'",
    lambda: sim(dx.connect(net(), dx.select(net(), cell=0), dx.select(net(), cell=1), dx.synapses.GapJunction()),
                mesh=jax.sharding.Mesh(np.array(jax.devices()[:1]), ("cells",))))  # fmt: skip
bad("GapJunction-negative-g", ValueError, "GapJunction: g = -0.001 must be >= 0",
    lambda: dx.synapses.GapJunction(g=-1e-3))  # fmt: skip
bad("Record-every-0", ValueError, "every must be an integer >= 1",
    lambda: dx.Record("v", every=0))  # fmt: skip
bad("Record-every-float", ValueError, "every must be an integer >= 1",
    lambda: dx.Record("v", every=1.5))  # fmt: skip
bad("Record-name-int", TypeError, "name must be a string",
    lambda: dx.Record(5))  # fmt: skip
bad("Record-where-str", TypeError, "where must be a dx.Selection",
    lambda: dx.Record("v", "soma"))  # fmt: skip
bad("Record-label-empty", TypeError, "label must be a non-empty string",
    lambda: dx.Record("v", label=""))  # fmt: skip
bad("Record-label-int", TypeError, "label must be a non-empty string",
    lambda: dx.Record("v", label=3))  # fmt: skip
bad("n_steps-t_max-off-grid", ValueError, "t_max=1.01 is not a multiple of dt",
    lambda: dx.n_steps(1.01, DT))  # fmt: skip
bad("stimulus_times-dt-str", TypeError, "dt must be a Python number",
    lambda: dx.stimulus_times(1.0, "0.1"))  # fmt: skip
bad("init_state-dt", ValueError, "dt must be positive",
    lambda: dx.init_state(net(), -0.1))  # fmt: skip
bad("spike_times-shapes", ValueError, "counts must have shape",
    lambda: dx.spike_times(np.arange(3.0), np.zeros((4, 2))))  # fmt: skip

# --- share, make_trainable, transforms ----------------------------------------------

bad("share-unknown", ValueError, "unknown parameter 'HH.x'",
    lambda: dx.share(net(), "HH.x"))  # fmt: skip
bad("share-by-str", ValueError, "by=",
    lambda: dx.share(net(), "HH.gNa", by="bogus"))  # fmt: skip
bad("share-by-shape", ValueError, "by=",
    lambda: dx.share(net(), "HH.gNa", by=lambda t: t.cell[:2]))  # fmt: skip
bad("make_trainable-unknown", ValueError, "unknown parameter 'gNa'",
    lambda: dx.make_trainable(net(), "gNa"))  # fmt: skip
bad("make_trainable-transform-str", TypeError, "transform must be",
    lambda: dx.make_trainable(net(), "HH.gNa", transform="softplus", verbose=False))  # fmt: skip
bad("make_trainable-transform-range", ValueError, "outside",
    lambda: dx.make_trainable(net(), "HH.gNa", transform=dx.Sigmoid(0.5, 1.0),
                              verbose=False))  # fmt: skip
bad("make_trainable-softplus-negative", ValueError, "outside",
    lambda: dx.make_trainable(net(), "HH.eK", transform=dx.Softplus(),
                              verbose=False))  # fmt: skip
bad("Sigmoid-bounds", ValueError, "lower must be below upper",
    lambda: dx.Sigmoid(1.0, 0.0))  # fmt: skip
bad("Sigmoid-nan", ValueError, "lower must be below upper",
    lambda: dx.Sigmoid(float("nan"), 1.0))  # fmt: skip

# --- files --------------------------------------------------------------------------

bad("read_swc-missing", FileNotFoundError, "nope.swc",
    lambda: dx.read_swc(_DIR / "nope.swc"))  # fmt: skip
bad("read_swc-empty", ValueError, "contains no points", read("empty", ["# nothing"]))
bad("read_swc-columns", ValueError, r"line 2.*has 6 columns",
    read("columns", [GOOD_SWC[0], "2 3 0 5 0 1"]))  # fmt: skip
bad("read_swc-type-word", ValueError, r"columns\.swc|line 2, column 2.*'dend'",
    read("type_word", [GOOD_SWC[0], "2 dend 0 5 0 1 1"]))  # fmt: skip
bad("read_swc-type-float", ValueError, r"line 3, column 2: type 3.5 is not an integer",
    read("type_float", GOOD_SWC[:2] + ["3 3.5 0 20 0 1 2"]))  # fmt: skip
bad("read_swc-id-float", ValueError, r"line 3, column 1: id 3.7 is not an integer",
    read("id_float", GOOD_SWC[:2] + ["3.7 3 0 20 0 1 2"]))  # fmt: skip
bad("read_swc-parent-float", ValueError, r"line 3, column 7: parent 1.5",
    read("parent_float", GOOD_SWC[:2] + ["3 3 0 20 0 1 1.5"]))  # fmt: skip
bad("read_swc-duplicate-id", ValueError, r"id 2 appears twice, on lines 2 and 3",
    read("duplicate", GOOD_SWC[:2] + ["2 3 0 20 0 1 1"]))  # fmt: skip
bad("read_swc-negative-radius", ValueError, r"line 3, column 6: radius -0.2",
    read("neg_radius", GOOD_SWC[:2] + ["3 3 0 20 0 -0.2 2"]))  # fmt: skip
bad("read_swc-zero-radius", ValueError, r"line 2, column 6: radius 0",
    read("zero_radius", [GOOD_SWC[0], "2 3 0 5 0 0 1"]))  # fmt: skip
bad("read_swc-nan", ValueError, r"line 2, column 3.*not finite",
    read("nan", [GOOD_SWC[0], "2 3 nan 5 0 1 1"]))  # fmt: skip
bad("read_swc-negative-type", ValueError, r"line 2, column 2: type -3",
    read("neg_type", [GOOD_SWC[0], "2 -3 0 5 0 1 1"]))  # fmt: skip
bad("read_swc-missing-parent", ValueError, r"line 2.*parent 9, which is not",
    read("orphan", [GOOD_SWC[0], "2 3 0 5 0 1 9"]))  # fmt: skip
bad("read_swc-two-roots", ValueError, "holds 2 trees",
    read("two_roots", [GOOD_SWC[0], "2 3 0 5 0 1 -1"]))  # fmt: skip
bad("read_swc-cycle", ValueError, "cycle",
    read("cycle", ["1 1 0 0 0 5 -1", "2 3 0 5 0 1 3", "3 3 0 9 0 1 2"]))  # fmt: skip
bad("read_swc-ncomp", ValueError, "ncomp must be an integer >= 1",
    lambda: dx.read_swc(swc("good", GOOD_SWC), ncomp=0))  # fmt: skip
bad("load-missing", FileNotFoundError, "nope.eqx",
    lambda: dx.load(_DIR / "nope.eqx", net()))  # fmt: skip
bad("load-other-structure", ValueError, "does not fit",
    lambda: (dx.save(_DIR / "n.eqx", net()), dx.load(_DIR / "n.eqx", lif_net())))  # fmt: skip


# --- classification -----------------------------------------------------------------


# --- spike sources (PoissonSource, SpikeTrain, Rate, SpikeTimes, key) ------------


@functools.cache
def source_net() -> dx.Network:
    n = dx.Network([dx.Cell(BR)] * 3)
    n = dx.insert(n, dx.channels.PoissonSource(rate=5.0), dx.select(n, cell=[0, 1]))
    return dx.insert(n, dx.channels.SpikeTrain(), dx.select(n, cell=2))


def _src(cell):
    return dx.select(source_net(), cell=cell)


bad(
    "source-no-key",
    ValueError,
    r"random spike sources \(PoissonSource\); pass key=",
    lambda: sim(source_net()),
)
bad(
    "source-key-int",
    TypeError,
    "key must be a jax.random key",
    lambda: sim(source_net(), key=3),
)
bad(
    "source-key-shape",
    TypeError,
    "key must be a jax.random key",
    lambda: sim(source_net(), key=np.zeros(3, np.uint32)),
)
bad(
    "step-no-key",
    ValueError,
    r"step: the network holds random spike sources",
    lambda: dx.step(source_net(), dx.init_state(source_net()), DT),
)
bad(
    "source-rate-negative",
    ValueError,
    "PoissonSource: rate = -1.0 must be >= 0",
    lambda: dx.insert(net(), dx.channels.PoissonSource(rate=-1.0)),
)
bad(
    "source-two-per-cell",
    ValueError,
    "more than one spike source",
    lambda: sim(
        dx.insert(source_net(), dx.channels.SpikeTrain()), key=jax.random.key(0)
    ),
)
bad(
    "rate-not-poisson",
    ValueError,
    "compartment 2 holds no PoissonSource",
    lambda: sim(source_net(), key=jax.random.key(0), stimuli=dx.Rate(_src(2), I())),
)
bad("rate-negative", ValueError, "Rate: rate", lambda: dx.Rate(_src(0), -np.ones(40)))
bad(
    "rate-shape",
    ValueError,
    r"Rate: the waveform has shape \(41, 1\)",
    lambda: sim(source_net(), key=jax.random.key(0), stimuli=dx.Rate(_src(0), I(41))),
)
bad(
    "rate-where",
    TypeError,
    "Rate: where must be a dx.Selection",
    lambda: dx.Rate(0, I()),
)
bad(
    "spiketimes-not-train",
    ValueError,
    "compartment 0 holds no SpikeTrain",
    lambda: sim(
        source_net(), key=jax.random.key(0), stimuli=dx.SpikeTimes(_src(0), [1.0])
    ),
)
bad(
    "raster-not-train",
    ValueError,
    "compartment 1 holds no SpikeTrain",
    lambda: sim(
        source_net(),
        key=jax.random.key(0),
        stimuli=dx.SpikeRaster(_src([1, 2]), np.zeros((40, 2))),
    ),
)
bad(
    "raster-negative",
    ValueError,
    "SpikeRaster: spikes",
    lambda: dx.SpikeRaster(_src(2), -np.ones(40)),
)
bad(
    "spiketimes-negative",
    ValueError,
    "spike times must be finite and >= 0",
    lambda: dx.SpikeTimes(_src(2), [-1.0]),
)
bad(
    "spiketimes-nan",
    ValueError,
    "spike times must be finite and >= 0",
    lambda: dx.SpikeTimes(_src(2), [np.nan]),
)
bad(
    "spiketimes-flat-many",
    ValueError,
    "one flat sequence but where selects 2",
    lambda: dx.SpikeTimes(_src([0, 1]), [1.0, 2.0]),
)
bad(
    "spiketimes-count",
    ValueError,
    "3 sequences of times for 2 selected",
    lambda: dx.SpikeTimes(_src([0, 1]), [[1.0], [2.0], [3.0]]),
)
bad(
    "spiketimes-not-numbers",
    TypeError,
    r"times\[0\] is not a sequence of numbers",
    lambda: dx.SpikeTimes(_src(2), [["a"]]),
)
bad(
    "spiketimes-traced",
    TypeError,
    "SpikeTimes: times are traced",
    lambda: jax.jit(lambda t: dx.SpikeTimes(_src(2), t))(jnp.ones(2)),
)
bad(
    "simulate-stimuli-kind",
    TypeError,
    "dx.SpikeTimes or dx.SpikeRaster, got int",
    lambda: sim(stimuli=[3]),
)
bad(
    "source-mesh",
    ValueError,
    "not yet supported with mesh=",
    lambda: sim(
        source_net(),
        key=jax.random.key(0),
        mesh=jax.sharding.Mesh(np.array(jax.devices()), ("cells",)),
    ),
)


def classify(c: Case) -> tuple[str, str]:
    """("good" | "obscure" | "silent", what happened) for a case: good when the
    error is raised by dendrax's own code (the innermost frame is in dendrax)."""
    try:
        c.run()
    except Exception as e:  # noqa: BLE001
        frames = traceback.extract_tb(e.__traceback__)
        mine = [f for f in frames if "/dendrax/" in f.filename.replace("\\", "/")]
        inner = frames[-1].filename.replace("\\", "/") if frames else ""
        own = "/dendrax/" in inner and "/tests/" not in inner
        kind = "good" if own and mine else "obscure"
        return kind, f"{type(e).__name__}: {str(e).splitlines()[0][:110]}"
    return "silent", "accepted"


def check(c: Case) -> str | None:
    """None when case `c` raises exactly its exception with its message, else
    what happened instead."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            c.run()
    except Exception as e:  # noqa: BLE001
        if type(e) is c.exc and re.search(c.match, str(e)):
            return None
        return f"{type(e).__name__}: {str(e)[:300]}"
    return "accepted silently"


if __name__ == "__main__":
    import collections
    import sys

    if "--check" in sys.argv:  # as tests/test_catalogue.py runs it
        failed = [(c, why) for c in CASES if (why := check(c)) is not None]
        for c, why in failed:
            print(f"{c.id}: expected {c.exc.__name__} matching {c.match!r}, got {why}")
        print(f"{len(CASES)} cases, {len(failed)} failed")
        sys.exit(1 if failed else 0)
    counts = collections.Counter()
    for c in CASES:
        kind, what = classify(c)
        counts[kind] += 1
        if kind != "good" or "-v" in sys.argv:
            print(f"{kind:8s} {c.id}: {what}")
    print(f"{len(CASES)} cases: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
