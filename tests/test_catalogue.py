"""Every bad input of the catalogue (`tests/catalogue.py`) raises the error it
should: exactly its type, with a message naming the argument (and the value)."""

import subprocess
import sys
from pathlib import Path

from catalogue import CASES

HERE = Path(__file__).parent


def test_catalogue_is_large_and_distinct():
    assert len(CASES) >= 150
    assert len({c.id for c in CASES}) == len(CASES)


def test_every_bad_input_raises_a_clear_error():
    # In a fresh interpreter: the suite's runtime type checker (beartype via
    # jaxtyping's import hook) would answer many cases first, with its own
    # TypeCheckError, which users of the library never see.
    run = subprocess.run(
        [sys.executable, str(HERE / "catalogue.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert f"{len(CASES)} cases, 0 failed" in run.stdout
