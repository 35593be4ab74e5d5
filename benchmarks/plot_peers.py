"""One chart of the peer benchmarks: dendrax / peer run-time ratios per case.

Reads the JSON files of `jaxley_peer.py --json` and `arbor_peer.py --json` and
draws, per case, the median ratio of the run times (bars; whiskers: min-max over
the rounds) on a log scale, with the targets as dashed lines: 0.5 against Jaxley
(also the gradient run, hatched), 1 against Arbor (1 thread and all threads).
With `--before-jaxley`/`--before-arbor` (JSON files of an earlier dendrax), the
earlier ratios are drawn in grey next to the current ones.

    python benchmarks/plot_peers.py [--jaxley benchmarks/results/jaxley_peer.json]
                                    [--arbor benchmarks/results/arbor_peer.json]
                                    [--before-jaxley PATH] [--before-arbor PATH]
                                    [--out docs/images/benchmarks_peers.png]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"jaxley": 0.5, "arbor": 1.0}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "--jaxley", default=str(ROOT / "benchmarks/results/jaxley_peer.json")
    )
    p.add_argument("--arbor", default=str(ROOT / "benchmarks/results/arbor_peer.json"))
    # The baseline of docs/benchmarks.md: dendrax before the solver work.
    for peer in ("jaxley", "arbor"):
        base = ROOT / f"benchmarks/results/{peer}_peer_fada8af.json"
        p.add_argument(
            f"--before-{peer}",
            default=str(base) if base.exists() else None,
            help="JSON of an earlier dendrax, drawn in grey ('' for none)",
        )
    p.add_argument("--out", default=str(ROOT / "docs/images/benchmarks_peers.png"))
    return p.parse_args(argv)


def series(data: dict, peer: str, column: str):
    """(case names, medians, mins, maxs) of the ratios to `peer` in `column`."""
    names, med, lo, hi = [], [], [], []
    for case, res in data["cases"].items():
        st = res["summary"]["ratios"].get(peer, {}).get(column)
        if st:
            names.append(case)
            med.append(st["median"])
            lo.append(st["min"])
            hi.append(st["max"])
    return names, np.array(med), np.array(lo), np.array(hi)


def bars(ax, groups, target, title):
    """groups: list of (label, hatch, color, (names, med, lo, hi)), side by side."""
    cases = []
    for _, _, _, (names, *_) in groups:
        cases += [n for n in names if n not in cases]
    width = 0.8 / max(len(groups), 1)
    for k, (label, hatch, color, (names, med, lo, hi)) in enumerate(groups):
        x = (
            np.array([cases.index(n) for n in names])
            + (k - (len(groups) - 1) / 2) * width
        )
        ax.bar(
            x,
            med,
            width,
            label=label,
            hatch=hatch,
            color=color,
            alpha=0.85,
            edgecolor="black",
            linewidth=0.5,
        )
        ax.errorbar(
            x,
            med,
            yerr=[med - lo, hi - med],
            fmt="none",
            ecolor="black",
            capsize=2,
            linewidth=0.8,
        )
        for xi, m, top in zip(x, med, hi):
            ax.annotate(
                f"{m:.2g}",
                (xi, top),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=6.5,
                rotation=90 if len(groups) > 2 else 0,
            )
    ax.axhline(
        target, color="red", linestyle="--", linewidth=1, label=f"target {target:g}"
    )
    ax.axhline(1.0, color="gray", linewidth=0.6)
    ax.set_yscale("log")
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    values = [v for *_, (_, _, lo, hi) in groups for v in (*lo, *hi)] + [target, 1]
    ax.set_ylim(min(values) / 1.6, max(values) * 2.5)
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xticks(range(len(cases)), cases, rotation=30, ha="right")
    ax.set_ylabel("dendrax / peer (run time)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="best")


def main(argv=None):
    args = parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def load(path):
        return json.loads(Path(path).read_text()) if path else None

    panels = []
    jp, ap = Path(args.jaxley), Path(args.arbor)
    if jp.exists():
        panels.append(("jaxley", load(jp), load(args.before_jaxley)))
    if ap.exists():
        panels.append(("arbor", load(ap), load(args.before_arbor)))
    if not panels:
        raise SystemExit(f"neither {jp} nor {ap} exists")
    fig, axes = plt.subplots(
        1, len(panels), figsize=(7.2 * len(panels), 4.6), squeeze=False
    )
    for ax, (peer, data, before) in zip(axes[0], panels):
        if peer == "jaxley":
            kinds = [("simulation", "", "run_s"), ("gradient", "//", "grad_run_s")]
            title = f"Jaxley {data['versions']['jaxley_env'].get('jaxley', '')}"
        else:
            names = next(iter(data["cases"].values()))["summary"]["ratios"]
            kinds = [
                (f"vs {n}", "//" if k else "", "run_s") for k, n in enumerate(names)
            ]
            title = f"Arbor {data['versions']['arbor_env'].get('arbor', '')}"
        groups = []
        for k, (label, hatch, column) in enumerate(kinds):
            ref = "jaxley" if peer == "jaxley" else label[3:]
            if before is not None:
                rev = before["settings"].get("dendrax_rev") or "before"
                groups.append(
                    (
                        f"{label}, {rev[:7]}",
                        hatch,
                        "0.75",
                        series(before, ref, column),
                    )
                )
            groups.append((label, hatch, f"C{k}", series(data, ref, column)))
        rounds = data["settings"]["rounds"]
        rev = data["settings"].get("dendrax_rev")
        if rev:
            title += f", dendrax {rev[:7]}"
        bars(
            ax,
            groups,
            TARGETS[peer],
            f"dendrax vs {title}\nmedian of {rounds} rounds (whiskers: min–max)",
        )
    fig.tight_layout()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=130)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
