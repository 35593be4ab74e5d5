"""Make docs/images/ca1_morphology.png, the figure of the plotting page.

Reads the CA1 pyramidal cell n120 (Turner, NeuroMorpho.Org) with 4 compartments
per branch, draws it coloured by SWC group, then simulates a 0.5 nA step into the
soma (Hodgkin-Huxley soma, passive dendrites) and draws the cell again coloured
by each compartment's peak voltage. Run from the repository root:

    python docs/images/make_morphology_figure.py
"""

from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

import dendrax as dx  # noqa: E402
import dendrax.plot  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CANDIDATES = [
    ROOT / "tests" / "data" / "morphologies" / "ca1_n120.swc",
    Path("/work/shared/morphologies/ca1_n120.swc"),
]
OUT = Path(__file__).resolve().parent / "ca1_morphology.png"
T_MAX, DT = 10.0, 0.025  # ms


def main():
    path = next(p for p in CANDIDATES if p.is_file())
    net = dx.Network(dx.read_swc(path, 4))
    net = dx.set(net, "axial_resistivity", 100.0)  # Ω·cm
    soma = dx.select(net, group="soma")
    rest = dx.select(net, where=lambda table: ~table.groups["soma"])
    net = dx.insert(net, dx.channels.HH(), where=soma)
    net = dx.insert(net, dx.channels.Passive(g=1e-4, e=-65.0), where=rest)

    where = dx.select(net, branch=0, comp=2)
    stim = dx.Stimulus(where, dx.step_current(1.0, 5.0, 0.5, DT, T_MAX))
    sol = dx.simulate(net, T_MAX, DT, stimuli=stim)
    peak = np.asarray(sol.ys).max(axis=0)

    # One colour per SWC group.
    groups = dict(net.groups.items)
    names = [n for n in ("soma", "basal", "apical", "axon") if n in groups]
    names += [n for n in groups if n not in names]
    code = np.zeros(len(net))
    for k, name in enumerate(names):
        code[groups[name].array] = k
    colours = ["black", "tab:orange", "tab:blue", "tab:green", "tab:purple"]
    groups_cmap = ListedColormap(colours[: len(names)])

    fig, (ax_g, ax_v) = plt.subplots(1, 2, figsize=(8.5, 7.6))
    dx.plot.morphology(
        net,
        ax=ax_g,
        values=code,
        cmap=groups_cmap,
        vmin=-0.5,
        vmax=len(names) - 0.5,
        colorbar=False,
    )
    ax_g.legend(
        handles=[Patch(color=c, label=n) for c, n in zip(colours, names)],
        loc="lower right",
        frameon=False,
    )
    ax_g.set_title("SWC groups")
    dx.plot.morphology(net, ax=ax_v, values=peak, cmap="plasma", label="peak v (mV)")
    ax_v.set_title("peak v, 0.5 nA into the soma, 1-6 ms")
    fig.suptitle(f"CA1 pyramidal cell n120: {len(net)} compartments (x-y projection)")
    fig.tight_layout()
    fig.savefig(OUT, dpi=110)
    print(
        f"saved {OUT} ({OUT.stat().st_size / 1e3:.0f} kB); peak v from "
        f"{peak.min():.1f} to {peak.max():.1f} mV"
    )


if __name__ == "__main__":
    main()
