"""Every Python block of the docs and README runs against the current API, and
what the blocks leave behind is sound: every run they made succeeded with
finite results, and every figure they drew shows something.

A page's Python blocks come in two forms. Plain ```python blocks are only shown
on the site. Blocks written ```python exec="on" ... are also run when the site
is built (markdown-exec), which shows what they print or draw under them; one
without `source=` is run but not shown (it sets up the page's figures, say).
Either way this test runs every block of a page in order, in one namespace.
```py blocks are not run anywhere (code that needs a cluster, say)."""

import contextlib
import io
import re
import shlex
from pathlib import Path

import jax
import matplotlib
import numpy as np
import pytest

import dendrax as dx

matplotlib.use("Agg")
import matplotlib.figure  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).parents[1]
PAGES = sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md"]
# A ```python fence, with its options (exec="on" session="..." ...) if any.
BLOCK = re.compile(r"^```python(?:[ \t]+([^\n]*))?\n(.*?)^```", re.S | re.M)
# Runs a page makes fail on purpose, to show the report.
FAILS_ON_PURPOSE = {"errors.md": {"sol"}}


def _blocks(page: Path) -> list[tuple[dict[str, str], str]]:
    """The page's Python blocks: each fence's options and its code."""
    blocks = []
    for options, code in BLOCK.findall(page.read_text()):
        pairs = (item.partition("=") for item in shlex.split(options))
        blocks.append(({key: value for key, _, value in pairs}, code))
    return blocks


def _on(value: str | None) -> bool:
    """A fence option's truth, as markdown-exec reads it."""
    return (value or "").lower() not in {"", "no", "off", "false", "0"}


def _executed(options: dict[str, str]) -> bool:
    """Whether markdown-exec runs the block when the site is built."""
    return _on(options.get("exec"))


def _drawn(fig) -> int:
    """How many things (lines, images, collections, patches) a figure draws."""
    return sum(
        len(ax.lines) + len(ax.images) + len(ax.collections) + len(ax.patches)
        for ax in fig.axes
    )


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_page_snippets_run(page, tmp_path, monkeypatch):
    blocks = _blocks(page)
    if not blocks:
        pytest.skip("no Python blocks")
    monkeypatch.chdir(tmp_path)
    plt.close("all")
    # Figures a page puts into the site are saved (and closed) by the page's own
    # code: check each one as it is saved.
    savefig = matplotlib.figure.Figure.savefig

    def checked_savefig(fig, *args, **kwargs):
        assert _drawn(fig) > 0, f"a figure of {page.name} is empty"
        return savefig(fig, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", checked_savefig)
    namespace = {"__name__": "__docs__"}
    for k, (options, code) in enumerate(blocks):
        name = f"{page.name}[block {k}]"
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, name, "exec"), namespace)
        if _executed(options):
            # What a block prints is shown on the site only if the fence says how
            # (result="text" or html="on"); a block that prints nothing gets no
            # empty box for its output.
            shown = "result" in options or _on(options.get("html"))
            assert bool(out.getvalue()) == shown, (
                f"{name} prints {out.getvalue()[:80]!r} but its fence has "
                f"{options}: give result=/html= exactly to blocks that print"
            )
            if not out.getvalue():
                assert options.get("source", "") != "block", name
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


def test_pages_run_whole_when_built():
    """A page whose blocks run when the site is built runs all of them, in one
    markdown-exec session of its own: the test above runs a page's blocks in one
    namespace, and the site must run the same program. (markdown-exec keeps a
    session for the whole build, so two pages sharing one would see each
    other's names.)"""
    sessions = {}
    for page in PAGES:
        options = [o for o, _ in _blocks(page)]
        executed = [_executed(o) for o in options]
        if not any(executed):
            continue
        name = page.relative_to(ROOT)
        assert all(executed), f"{name}: some Python blocks run when built, some not"
        session = {o.get("session") for o in options}
        assert len(session) == 1 and None not in session, f"{name}: {session}"
        (session,) = session
        assert session not in sessions, f"{name} and {sessions[session]}: {session}"
        sessions[session] = name
