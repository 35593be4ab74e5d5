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
    """Build the documentation strictly. The pages' ```python exec="on" blocks
    run during the build (on four CPU devices, for the page on devices), so a
    page whose code fails, or whose maths does not render, fails the build."""
    session.install("-e", ".[docs]")
    env = {
        "MPLBACKEND": "Agg",
        "XLA_FLAGS": "--xla_force_host_platform_device_count=4",
        "NO_MKDOCS_2_WARNING": "1",
    }
    session.run("mkdocs", "build", "--strict", "--site-dir", "site", env=env)


@nox.session
def examples(session):
    """Run every example script."""
    session.install("-e", ".[plots,train]")
    env = {
        "MPLBACKEND": "Agg",
        "DENDRAX_OUT": os.path.join(session.create_tmp(), "out"),
    }
    for path in sorted(glob.glob("examples/*.py")):
        session.run("python", path, env=env)


# Run by the peer sessions below, not by the loop over benchmarks/*.py.
PEER_SCRIPTS = ("jaxley_peer.py", "arbor_peer.py", "plot_peers.py")
# Run in order by `bench`, each given the JSON files of the ones before.
NETWORK_SCRIPTS = ("coba.py", "scaling.py", "limits.py")
# The scripts that take `nox -s bench -- ...`'s arguments.
POSARG_SCRIPTS = ("hh_network.py", "coba.py")


@nox.session
def bench(session):
    """Every benchmark: NEURON, builds, splitting over forced CPU devices, COBA
    against BrainPy and Brian2, the scaling plot, Jaxley and Arbor, then the
    fractions of the physical limit.

    Arguments after -- go to the NEURON and COBA scripts; the peer comparisons
    run with their defaults (use `nox -s bench_peers -- ...` to pass them options).
    The JSON files and pictures go to the session's tmp folder.
    """
    session.install("-e", ".[neuron,plots]")
    skip = PEER_SCRIPTS + NETWORK_SCRIPTS
    for path in sorted(glob.glob("benchmarks/*.py")):
        name = os.path.basename(path)
        if name.startswith("_") or name in skip:
            continue
        args = session.posargs if name in POSARG_SCRIPTS else []
        session.run("python", path, *args)
    out = session.create_tmp()
    env = {"DENDRAX_PEER_ENVS": str(session.cache_dir / "peer-envs")}
    coba = os.path.join(out, "coba.json")
    session.run(
        "python", "benchmarks/coba.py", "--json", coba, *session.posargs, env=env
    )
    session.run(
        "python",
        "benchmarks/scaling.py",
        "--json",
        os.path.join(out, "scaling.json"),
        "--coba",
        coba,
        "--plot",
        os.path.join(out, "scaling.png"),
    )
    files = _peer_benchmarks(session, [])
    session.run(
        "python",
        "benchmarks/limits.py",
        "--coba",
        coba,
        "--jaxley",
        files["jaxley_peer.py"],
    )


@nox.session
def bench_peers(session):
    """dendrax against Jaxley 0.14 and Arbor 0.12 (arguments after -- go to both)."""
    session.install("-e", ".[plots]")
    _peer_benchmarks(session, session.posargs)


def _peer_benchmarks(session, args):
    """Each peer gets its own virtual environment (created by the scripts with
    `python -m venv` under .nox/.cache/peer-envs, reused by later runs); the JSON
    files and the chart go to the session's tmp folder."""
    env = {"DENDRAX_PEER_ENVS": str(session.cache_dir / "peer-envs")}
    out = session.create_tmp()
    files = {}
    for script in PEER_SCRIPTS[:2]:
        files[script] = os.path.join(out, script.replace(".py", ".json"))
        session.run(
            "python", f"benchmarks/{script}", "--json", files[script], *args, env=env
        )
    session.run(
        "python",
        "benchmarks/plot_peers.py",
        "--jaxley",
        files["jaxley_peer.py"],
        "--arbor",
        files["arbor_peer.py"],
        "--out",
        os.path.join(out, "benchmarks_peers.png"),
    )
    return files


@nox.session
def references(session):
    """Regenerate the NEURON reference data the tests compare against (the
    ion-channel and gap-junction references compile .mod files with NEURON's
    nrnivmodl, which needs a C compiler)."""
    session.install("neuron", "numpy", "morphio")
    session.run("python", "tests/reference/make_neuron_refs.py")
    session.run("python", "tests/reference/make_event_refs.py")
    session.run("python", "tests/reference/make_morphology_refs.py")
    session.run("python", "tests/reference/make_asc_refs.py")
    session.run("python", "tests/reference/make_source_refs.py")
    session.run("python", "tests/reference/make_ion_refs.py")
    session.run("python", "tests/reference/make_gap_refs.py")
