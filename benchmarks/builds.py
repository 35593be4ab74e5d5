"""Building large networks: time and peak memory of `connect` and `make_trainable`.

Each case builds N single-compartment cells and connects them all to all by a
random rule with a per-synapse trainable weight, in a fresh process:

- bernoulli: `dx.conn.Bernoulli(p)` with p = edges / N²;
- in_degree: `dx.conn.FixedInDegree(edges / N)`;
- out_degree: `dx.conn.FixedOutDegree(edges / N)`.

Columns: *cells* (`dx.Network` of N cells), *connect* (the rule's sampling plus
`connect`), *trainable* (`make_trainable(net, "Ionotropic.gS", by="index")`,
one value per synapse), *total*, and the process's peak RSS (it includes the
JAX runtime, about 250 MiB). `--before-rev REV` times another commit of dendrax
(its `src/` exported) in alternation, and prints the ratio now / before.

    python benchmarks/builds.py                      # 10k cells, 1M synapses
    python benchmarks/builds.py --cells 100000 --edges 10000000 --rules bernoulli
"""

from __future__ import annotations

import argparse
import builtins
import functools
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _peers as P  # noqa: E402

RULES = ("bernoulli", "in_degree", "out_degree")
COLUMNS = ["cells_s", "connect_s", "trainable_s", "total_s", "rss_mib"]


def build_case(sim: str, case: str, repeats: int, npz: Path, config: str) -> dict:
    import jax

    import dendrax as dx

    n, edges = (int(x) for x in config.split(","))
    t0 = time.perf_counter()
    comp = dx.Compartment(length=10.0, radius=5.0)
    net = dx.Network([dx.Cell(dx.Branch(comp, ncomp=1))] * n)
    t1 = time.perf_counter()
    if case == "bernoulli":
        rule = dx.conn.Bernoulli(edges / (n * n))
    elif case == "in_degree":
        rule = dx.conn.FixedInDegree(edges // n)
    else:
        rule = dx.conn.FixedOutDegree(edges // n)
    everyone = dx.select(net)
    syn = dx.synapses.Ionotropic()
    net = dx.connect(net, everyone, everyone, syn, rule, key=jax.random.key(0))
    t2 = time.perf_counter()
    net = dx.make_trainable(net, "Ionotropic.gS", by="index", verbose=False)
    jax.block_until_ready(dx.partition(net)[0])
    t3 = time.perf_counter()
    return {
        "n_cells": n,
        "n_edges": int(net.n_edges),
        "cells_s": t1 - t0,
        "connect_s": t2 - t1,
        "trainable_s": t3 - t2,
        "total_s": t3 - t0,
        "rss_mib": P.peak_rss_mib(),
    }


def main(argv=None):
    print = functools.partial(builtins.print, flush=True)  # noqa: A001
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cells", type=int, default=10_000)
    p.add_argument("--edges", type=int, default=1_000_000)
    p.add_argument("--rules", default=",".join(RULES), help=f"({','.join(RULES)})")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--before-rev", default=None, help="also time this git revision")
    p.add_argument("--json", default=None)
    p.add_argument("--timeout", type=float, default=1800.0)
    a = p.parse_args(argv)
    rules = [r for r in a.rules.split(",") if r]
    if any(r not in RULES for r in rules):
        p.error(f"--rules: choose from {RULES}")
    tmp = Path(tempfile.mkdtemp(prefix="builds_"))
    sims = {"now": {}}
    if a.before_rev:
        src, commit = P.export_revision(a.before_rev, tmp / "rev")
        sims[f"before ({commit[:7]})"] = P.dendrax_env(src)
    runner = P.Runner(Path(__file__).resolve(), tmp, a.timeout)
    config = f"{a.cells},{a.edges}"
    rounds = {r: {s: [] for s in sims} for r in rules}
    for k in range(a.rounds):
        for rule in rules:
            order = list(sims) if k % 2 == 0 else list(sims)[::-1]
            for sim in order:
                res, _ = runner.run(
                    sys.executable,
                    "dendrax",
                    rule,
                    1,
                    f"{k}{len(sim)}",
                    sims[sim],
                    config,
                )
                rounds[rule][sim].append(res)
                msg = (
                    f"total {res['total_s']:.2f} s, {res['n_edges']} edges, "
                    f"RSS {res['rss_mib']:.0f} MiB"
                    if res.get("ok")
                    else f"FAILED: {res.get('error')}"
                )
                print(
                    f"round {k + 1}/{a.rounds} {rule:<10} {sim:<16} {msg}", flush=True
                )
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n{a.cells} cells, {a.edges} synapses requested; median (min–max)\n")
    head = ["rule", "dendrax", "edges", *COLUMNS]
    rows, summary = [], {}
    for rule in rules:
        summ = P.summarise(rounds[rule], COLUMNS, "now")
        summary[rule] = summ
        for sim in sims:
            ok = [r for r in rounds[rule][sim] if r.get("ok")]
            n_edges = str(ok[0]["n_edges"]) if ok else "–"
            st = summ["per_sim"][sim]
            rows.append([rule, sim, n_edges, *(P.fmt_s(st[c]) for c in COLUMNS)])
        for sim, ratios in summ["ratios"].items():
            rows.append(
                [rule, f"now / {sim}", "", *(P.fmt_s(ratios[c]) for c in COLUMNS)]
            )
    print(P.markdown_table(head, rows, "lll" + "r" * len(COLUMNS)))
    P.write_json(
        a.json,
        {
            "script": "builds.py",
            "machine": P.machine(),
            "git": P.git_state(),
            "settings": vars(a),
            "rounds": rounds,
            "summary": summary,
        },
    )
    return 0


if __name__ == "__main__":
    if "--worker" in sys.argv:
        sys.exit(P.worker_main(build_case))
    sys.exit(main())
