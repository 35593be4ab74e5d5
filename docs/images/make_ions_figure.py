"""Make docs/images/ions_neuron.png: the Mainen & Sejnowski cell against NEURON.

One compartment with `NaMainen`, `KvMainen`, `KMMainen`, `CaHVAMainen`,
`SKMainen` and a `CaPool` (the `ions_mainen` case of
tests/reference/make_ion_refs.py), a 0.1 nA step, implicit Euler at
dt = 0.025 ms: dendrax's v and `Record("CaPool.cai")` drawn over NEURON's (the
committed reference, tests/reference/data/ions_mainen.npz). Run from the
repository root:

    python docs/images/make_ions_figure.py
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
import make_ion_refs as refs  # noqa: E402

from test_ion_channels import _build, _stimuli  # noqa: E402


def main():
    name = "ions_mainen"
    case = refs.CASES[name]
    ref = np.load(ROOT / "tests" / "reference" / "data" / f"{name}.npz")
    net = _build(case)
    sol = dx.simulate(
        net,
        case["t_max"],
        refs.DT,
        stimuli=_stimuli(net, case, case["t_max"]),
        record=[dx.Record("v"), dx.Record("CaPool.cai")],
    )
    t = np.asarray(sol.ts)
    v, cai = np.asarray(sol["v"])[:, 0], np.asarray(sol["CaPool.cai"])[:, 0]
    fig, (a, b) = plt.subplots(2, 1, figsize=(7, 4.2), sharex=True)
    a.plot(ref["t"], ref["v_ie"], color="0.75", lw=4, label="NEURON")
    a.plot(t, v, color="C0", lw=1, label="dendrax")
    a.set_ylabel("v (mV)")
    a.legend(frameon=False, loc="upper right")
    b.plot(ref["t"], 1e3 * ref["cai_ie"], color="0.75", lw=4, label="NEURON")
    b.plot(t, 1e3 * cai, color="C1", lw=1, label="dendrax")
    b.set_ylabel("cai (µM)")
    b.set_xlabel("t (ms)")
    err_v = np.abs(v - ref["v_ie"]).max()
    err_c = np.abs(cai - ref["cai_ie"]).max()
    a.set_title(
        f"Mainen & Sejnowski soma with a Ca pool: max |Δv| = {err_v:.1g} mV, "
        f"max |Δcai| = {err_c:.1g} mM",
        fontsize=9,
    )
    for ax in (a, b):
        ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    out = ROOT / "docs" / "images" / "ions_neuron.png"
    fig.savefig(out, dpi=120)
    print(f"max |Δv| = {err_v:.2g} mV, max |Δcai| = {err_c:.2g} mM -> {out}")


if __name__ == "__main__":
    main()
