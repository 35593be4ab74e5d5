"""Make docs/images/currents_neuron.png: recorded currents against NEURON.

Left: the single-electrode clamp case (hh soma clamped from -65 to -20 mV and
back): dendrax's `Record("VoltageClamp.i")` over NEURON's `SEClamp.i`. Right:
the hh soma case (a 0.4 nA step): `Record("HH.ina")` and `Record("HH.ik")`
over NEURON's `ina` and `ik` (mA/cm² times the area, and one step earlier, as
NEURON records them). The NEURON traces come from the test references
(tests/reference/data, made by tests/reference/make_neuron_refs.py). Run from
the repository root:

    python docs/images/make_currents_figure.py
"""

import sys
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import dendrax as dx  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "reference")]
import cases  # noqa: E402

from test_neuron import _build, _inputs  # noqa: E402


def run(name, records):
    case = cases.CASES[name]
    net = _build(case)
    stimuli, _ = _inputs(net, case)
    sol = dx.simulate(
        net, case["t_max"], cases.DT, stimuli=stimuli, record=records(net)
    )
    ref = np.load(ROOT / "tests" / "reference" / "data" / f"{name}.npz")
    return net, sol, ref


def main():
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2), layout="constrained")
    _, sol, ref = run("clamp", lambda net: [dx.Record("VoltageClamp.i")])
    t = np.asarray(sol.ts)
    err = np.abs(np.asarray(sol["VoltageClamp.i"])[:, 0] - ref["i_ie"]).max()
    left.plot(t, ref["i_ie"], color="0.7", lw=4, label="NEURON SEClamp.i")
    left.plot(t, np.asarray(sol["VoltageClamp.i"])[:, 0], color="tab:blue", lw=1,
              label='dendrax "VoltageClamp.i"')  # fmt: skip
    left.set(xlabel="time (ms)", ylabel="clamp current (nA)", xlim=(1.5, 14),
             title=f"voltage clamp -65 → -20 mV (max |Δ| {err:.1g} nA)")  # fmt: skip
    left.legend(frameon=False, fontsize=8)

    def soma(net):
        here = dx.select(net, branch=0, comp=0)
        return [dx.Record("HH.ina", here), dx.Record("HH.ik", here)]

    net, sol, ref = run("hh_soma", soma)
    nA = 1e-2 * float(dx.cable_geometry(net).area[0])  # mA/cm² -> nA
    t = np.asarray(sol.ts)
    worst = 0.0
    for k, (name, colour) in enumerate((("ina", "tab:red"), ("ik", "tab:green"))):
        mine, theirs = np.asarray(sol.ys[k])[:-1, 0], nA * ref[f"{name}_ie"][1:]
        worst = max(worst, np.abs(mine - theirs).max() / np.abs(theirs).max())
        right.plot(t[:-1], theirs, color="0.7", lw=4,
                   label="NEURON (one step earlier)" if k == 0 else None)  # fmt: skip
        right.plot(t[:-1], mine, color=colour, lw=1, label=f'dendrax "HH.{name}"')
    right.set(xlabel="time (ms)", ylabel="current (nA, outward +)", xlim=(0, 12),
              title=f"HH soma, 0.4 nA step (max rel. |Δ| {worst:.1g})")  # fmt: skip
    right.legend(frameon=False, fontsize=8)
    out = ROOT / "docs" / "images" / "currents_neuron.png"
    fig.savefig(out, dpi=110)
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
