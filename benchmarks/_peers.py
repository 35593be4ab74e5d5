"""Shared harness of `jaxley_peer.py` and `arbor_peer.py` (not a benchmark itself).

Every (simulator, case) runs in a fresh child process; the parent alternates the
simulators within a round, repeats the rounds, and reduces the measurements to
medians with their spread (min-max) and to paired ratios (dendrax / peer, per
round). Peers run with the interpreter of their own virtual environment, which is
created here on first use. This module imports only the standard library and
NumPy at the top, so that the workers of every environment can import it.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SPIKE_THRESHOLD = 0.0  # mV, upward crossings
RATIO_NOTE = "ratio = dendrax / peer, per round (< 1: dendrax faster or smaller)"


# --- timing inside a worker -------------------------------------------------------


def clock(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def peak_rss_mib() -> float:
    """Peak resident set size of this process (`ru_maxrss`, KiB on Linux)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / (1024.0 * 1024.0) if sys.platform == "darwin" else kib / 1024.0


def time_calls(call, repeats: int) -> tuple[float, list[float], object]:
    """(first call, `repeats` further calls, output of the first)."""
    first, out = clock(call)
    runs = [clock(call)[0] for _ in range(repeats)]
    return first, runs, out


def worker_main(run_case, argv=None):
    """Entry point of a worker: `--worker NAME --case C --repeats R --out PATH`.

    `run_case(sim, case, repeats, traces_path)` returns a dict of measurements; it
    is written as JSON to `--out`. An exception is written there too.
    """
    import argparse

    p = argparse.ArgumentParser()
    p.add_argument("--worker", required=True)
    p.add_argument("--case", required=True)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--out", required=True)
    p.add_argument("--config", default="")
    a, _ = p.parse_known_args(argv)
    out = Path(a.out)
    try:
        res = run_case(a.worker, a.case, a.repeats, out.with_suffix(".npz"), a.config)
        res["ok"] = True
    except Exception as e:  # reported by the parent, in the table and the JSON
        import traceback

        res = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        traceback.print_exc()
    out.write_text(json.dumps(res))
    return 0


def count_spikes(v: np.ndarray) -> np.ndarray:
    """Upward crossings of SPIKE_THRESHOLD per site; v: (..., time, site)."""
    above = v >= SPIKE_THRESHOLD
    return np.sum(above[..., 1:, :] & ~above[..., :-1, :], axis=-2)


# --- peer environments -------------------------------------------------------------


def env_root() -> Path:
    return Path(
        os.environ.get(
            "DENDRAX_PEER_ENVS", Path.home() / ".cache" / "dendrax" / "peer-envs"
        )
    )


def peer_python(
    name: str, requirements: list[str], check: str, given: str | None
) -> str:
    """The interpreter of a peer's environment, created (venv + pip) if missing.

    `given`: an interpreter chosen by the user (used as it is). `check`: a Python
    statement that must run in the environment (e.g. `import jaxley`).
    """
    if given:
        return given
    env = env_root() / name
    py = env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    ok = py.exists() and (
        subprocess.run([str(py), "-c", check], capture_output=True).returncode == 0
    )
    if not ok:
        print(f"creating {env} with {' '.join(requirements)} ...", flush=True)
        env.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
        subprocess.run(
            [str(py), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=False
        )
        subprocess.run(
            [str(py), "-m", "pip", "install", "-q", *requirements], check=True
        )
        subprocess.run([str(py), "-c", check], check=True)
    return str(py)


def versions_in(python: str, code: str, env: dict | None = None) -> dict:
    """Run `code` (which prints one JSON dict) with `python`."""
    full_env = dict(os.environ, **(env or {}))
    r = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, env=full_env
    )
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {"error": (r.stderr or r.stdout).strip()[-300:]}


# --- the parent ---------------------------------------------------------------------


@dataclass
class Runner:
    """Runs workers in fresh processes and keeps what they report."""

    script: Path
    tmp: Path
    timeout: float
    log: list = field(default_factory=list)

    def run(
        self,
        python: str,
        sim: str,
        case: str,
        repeats: int,
        tag: str,
        env: dict | None = None,
        config: str = "",
    ) -> tuple[dict, Path]:
        safe = "".join(ch if ch.isalnum() else "_" for ch in config) or "x"
        out = self.tmp / f"{case}-{sim}-{safe}-{tag}.json"
        cmd = [python, str(self.script), "--worker", sim, "--case", case]
        cmd += ["--repeats", str(repeats), "--out", str(out)]
        if config:
            cmd += ["--config", config]
        full_env = dict(os.environ, **(env or {}))
        t0 = time.perf_counter()
        try:
            r = subprocess.run(
                cmd, capture_output=True, text=True, timeout=self.timeout, env=full_env
            )
            err = r.stderr[-2000:]
        except subprocess.TimeoutExpired:
            return {"ok": False, "error": f"timeout after {self.timeout:.0f} s"}, out
        wall = time.perf_counter() - t0
        if not out.exists():
            return {"ok": False, "error": f"exit {r.returncode}: {err[-400:]}"}, out
        res = json.loads(out.read_text())
        res["process_wall_s"] = wall
        if not res.get("ok"):
            res["stderr"] = err
        return res, out


def stats(values) -> dict | None:
    vals = [float(v) for v in values if v is not None and math.isfinite(v)]
    if not vals:
        return None
    return {
        "median": statistics.median(vals),
        "min": min(vals),
        "max": max(vals),
        "n": len(vals),
    }


def paired_ratios(num: list, den: list) -> dict | None:
    """Per-round ratios num[r] / den[r] (rounds where both exist)."""
    return stats(
        [a / b for a, b in zip(num, den) if a is not None and b is not None and b > 0]
    )


def summarise(rounds: dict[str, list[dict]], columns: list[str], ref: str) -> dict:
    """Medians and spreads per simulator and column; ratios of `ref` over the others."""
    out = {"per_sim": {}, "ratios": {}}
    for sim, rs in rounds.items():
        out["per_sim"][sim] = {
            c: stats([r.get(c) for r in rs if r.get("ok")]) for c in columns
        }
    for sim, rs in rounds.items():
        if sim == ref:
            continue
        mine = rounds[ref]
        out["ratios"][sim] = {
            c: paired_ratios(
                [r.get(c) if r.get("ok") else None for r in mine],
                [r.get(c) if r.get("ok") else None for r in rs],
            )
            for c in columns
        }
    return out


def fmt_s(st: dict | None, digits: int = 3) -> str:
    """'median (min–max)' in seconds, MiB or a ratio, with sensible digits."""
    if not st:
        return "–"

    def f(x):
        if x == 0:
            return "0"
        mag = math.floor(math.log10(abs(x)))
        d = max(0, digits - 1 - mag)
        return f"{x:.{min(d, 6)}f}"

    if st["n"] == 1 or st["min"] == st["max"]:
        return f(st["median"])
    return f"{f(st['median'])} ({f(st['min'])}–{f(st['max'])})"


def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem,
        "loadavg_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
    }


def dendrax_env(src: str | None) -> dict:
    """Environment of the dendrax workers: `src` (a directory holding the package
    `dendrax`, e.g. an export of a commit) goes first on PYTHONPATH."""
    if not src:
        return {}
    path = str(Path(src).resolve())
    old = os.environ.get("PYTHONPATH")
    return {"PYTHONPATH": path + (os.pathsep + old if old else "")}


def export_revision(rev: str, into: Path) -> tuple[str, str]:
    """Extract `src/` of git revision `rev` of this repository into `into`.

    Returns (the directory that holds the package `dendrax`, the full commit
    hash), for timing a fixed commit while the working tree changes.
    """
    import io
    import tarfile

    commit = subprocess.run(
        ["git", "rev-parse", "--verify", f"{rev}^{{commit}}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    blob = subprocess.run(
        ["git", "archive", "--format=tar", commit, "src"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        try:
            tar.extractall(into, filter="data")
        except TypeError:  # Python < 3.11.4: no extraction filters
            tar.extractall(into)
    return str(into / "src"), commit


VERSIONS_DENDRAX = (
    "import json, jax, jaxlib, numpy, equinox, dendrax; print(json.dumps({"
    "'dendrax': dendrax.__version__, 'path': dendrax.__file__, 'jax': jax.__version__, "
    "'jaxlib': jaxlib.__version__, 'equinox': equinox.__version__, "
    "'numpy': numpy.__version__}))"
)


def git_state() -> dict:
    def git(*a):
        r = subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(dirty) if dirty is not None else None}


def markdown_table(header: list[str], rows: list[list[str]], align: str = "") -> str:
    align = align or "l" + "r" * (len(header) - 1)
    sep = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def write_json(path: str | None, payload: dict):
    if not path:
        return
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(payload, indent=1, default=_json_default)
    # Lists of plain numbers on one line each (spike counts, per-call times).
    text = re.sub(
        r"\[\s*((?:-?[\d.eE+-]+|null)(?:,\s*(?:-?[\d.eE+-]+|null))*)\s*\]",
        lambda m: "[" + re.sub(r",\s*", ", ", m.group(1)) + "]",
        text,
    )
    p.write_text(text + "\n")
    print(f"\nwrote {p}")


def _json_default(x):
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.integer | np.floating):
        return x.item()
    raise TypeError(type(x))


def spikes_cell(a, b, max_list: int = 8) -> str:
    """Spike counts at the recorded sites of two simulators, for a table cell."""
    if a is None or b is None:
        return "–"
    a, b = np.asarray(a).ravel(), np.asarray(b).ravel()
    if a.shape != b.shape:
        return f"shapes {a.shape} / {b.shape}"
    if a.size <= max_list:
        return f"{','.join(map(str, a))} / {','.join(map(str, b))}"
    diff = int(np.sum(a != b))
    return f"Σ {int(a.sum())} / {int(b.sum())}; {diff} of {a.size} differ"


def spike_times(v: np.ndarray, dt: float) -> list[np.ndarray]:
    """Upward crossings of SPIKE_THRESHOLD (ms, linearly interpolated) per trace.

    `v`: (..., time, site); one array of times per site, the leading axes flattened.
    """
    flat = np.moveaxis(v, -2, -1).reshape(-1, v.shape[-2])
    out = []
    for x in flat:
        i = np.flatnonzero((x[:-1] < SPIKE_THRESHOLD) & (x[1:] >= SPIKE_THRESHOLD))
        frac = (SPIKE_THRESHOLD - x[i]) / (x[i + 1] - x[i])
        out.append((i + frac) * dt)
    return out


def compare_traces(va: np.ndarray, vb: np.ndarray, dt: float) -> dict:
    """Spike counts per site, spike-time shifts and max |ΔV| of two (..., time, site)
    recordings that share their first time point (t = 0) and step `dt`."""
    n = min(va.shape[-2], vb.shape[-2])
    va, vb = va[..., :n, :], vb[..., :n, :]
    if va.shape != vb.shape:
        return {"error": f"shapes {va.shape} and {vb.shape}"}
    sa, sb = count_spikes(va), count_spikes(vb)
    ta, tb = spike_times(va, dt), spike_times(vb, dt)
    shifts = [
        np.max(np.abs(x - y)) for x, y in zip(ta, tb) if len(x) == len(y) and len(x)
    ]
    return {
        "max_abs_dv_mV": float(np.max(np.abs(va - vb))),
        "max_spike_shift_ms": float(max(shifts)) if shifts else None,
        "spikes_a": sa.ravel().tolist(),
        "spikes_b": sb.ravel().tolist(),
        "sites_differing": int(np.sum(sa != sb)),
        "n_sites": int(sa.size),
        "times_compared": n,
    }
