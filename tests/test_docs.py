"""Every Python block of the docs and README runs against the current API, and
what the blocks leave behind is sound: every run they made succeeded with
finite results, and every figure they drew shows something."""

import re
from pathlib import Path

import jax
import matplotlib
import numpy as np
import pytest

import dendrax as dx

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).parents[1]
PAGES = sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md"]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
# Runs a page makes fail on purpose, to show the report.
FAILS_ON_PURPOSE = {"errors.md": {"sol"}}


def _drawn(fig) -> int:
    """How many things (lines, images, collections, patches) a figure draws."""
    return sum(
        len(ax.lines) + len(ax.images) + len(ax.collections) + len(ax.patches)
        for ax in fig.axes
    )


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_page_snippets_run(page, tmp_path, monkeypatch):
    blocks = BLOCK.findall(page.read_text())
    if not blocks:
        pytest.skip("no Python blocks")
    monkeypatch.chdir(tmp_path)
    plt.close("all")
    namespace = {"__name__": "__docs__"}
    for k, code in enumerate(blocks):
        exec(compile(code, f"{page.name}[block {k}]", "exec"), namespace)
    for name, value in namespace.items():
        if isinstance(value, dx.Solution) and name not in FAILS_ON_PURPOSE.get(
            page.name, ()
        ):
            assert np.all(np.asarray(value.result) == dx.Solution.SUCCESSFUL), name
            for y in jax.tree.leaves(value.ys):
                assert np.all(np.isfinite(np.asarray(y))), name
    for num in plt.get_fignums():
        assert _drawn(plt.figure(num)) > 0, f"figure {num} of {page.name} is empty"
    plt.close("all")
