"""Developer and CI sessions. `nox -s tests` is what CI runs."""

import glob
import os

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True
PY = ["3.11", "3.12", "3.13"]


@nox.session
def tests(session):
    """The test suite (float64, jaxtyping + beartype on the package)."""
    session.install("-e", ".[tests]")
    session.run("pytest", *(session.posargs or ["-q"]))


@nox.session
def slow(session):
    """Long checks kept out of the default suite."""
    session.install("-e", ".[tests]")
    session.run("pytest", "-q", "-m", "slow", *session.posargs)


@nox.session
def lint(session):
    """ruff lint and format check."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def docs(session):
    """Build the documentation strictly."""
    session.install("-e", ".[docs]")
    session.run("mkdocs", "build", "--strict", "--site-dir", "site")


@nox.session
def examples(session):
    """Run every example script."""
    session.install("-e", ".[plots]")
    env = {
        "MPLBACKEND": "Agg",
        "DENDRAX_OUT": os.path.join(session.create_tmp(), "out"),
    }
    for path in sorted(glob.glob("examples/*.py")):
        session.run("python", path, env=env)


@nox.session
def bench(session):
    """Benchmarks side by side with NEURON (prints tables with ratios)."""
    session.install("-e", ".[neuron]")
    for path in sorted(glob.glob("benchmarks/*.py")):
        session.run("python", path, *session.posargs)


@nox.session
def references(session):
    """Regenerate the NEURON reference data the tests compare against."""
    session.install("neuron", "numpy", "morphio")
    session.run("python", "tests/reference/make_neuron_refs.py")
    session.run("python", "tests/reference/make_event_refs.py")
    session.run("python", "tests/reference/make_morphology_refs.py")
    session.run("python", "tests/reference/make_asc_refs.py")
