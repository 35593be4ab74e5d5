"""Every script in examples/ runs to completion (CI executes them here), draws a
figure that is not blank, and reaches the result it claims in its output."""

import os
import re
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

ROOT = Path(__file__).parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))

# Per example, lines of its output and what they must say: (pattern, test of the
# captured numbers). Scripts that check themselves (assert) need none.
CLAIMS = {
    "coba.py": [
        (
            r"rates: exc ([\d.]+) Hz, inh ([\d.]+) Hz",
            lambda e, i: 1 < e < 60 and 1 < i < 60,
        )
    ],
    "single_cell.py": [(r"spikes at the soma: (\d+)", lambda n: n >= 1)],
    "equinox_hypernetwork.py": [
        (r"loss fell from (\S+) to (\S+) mV", lambda a, b: b < 0.1 * a)
    ],
    "network_demo.py": [(r"largest relative error (\S+)", lambda e: e < 0.05)],
    "train_network.py": [(r"largest relative error: (\S+)", lambda e: e < 0.05)],
}


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg", "DENDRAX_OUT": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "nan" not in result.stdout.lower().replace("nanoamp", ""), result.stdout
    figures = list(tmp_path.glob("*.png"))
    assert figures, "examples should save their figure"
    for png in figures:
        image = matplotlib.image.imread(png)
        assert image.shape[0] > 100 and np.std(image[..., :3]) > 0.02, png.name
    for pattern, holds in CLAIMS.get(script.name, []):
        found = re.search(pattern, result.stdout)
        assert found, f"{script.name} no longer prints {pattern!r}"
        numbers = [float(x) for x in found.groups()]
        assert holds(*numbers), f"{script.name}: {found.group(0)}"
