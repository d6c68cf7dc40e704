"""Every task of the repository: ``nox -s tests | lint | typecheck | docs | lowest | demo``.

``tests`` runs on every Python from 3.10 to 3.13 that this machine has (pyenv's
versions included), with each distribution under packages/ installed from its
folder, as users install them. ``lowest`` runs the suite again with every
third-party requirement at the lowest release the distributions declare.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import nox
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # nox itself depends on tomli there
    import tomli as tomllib

ROOT = Path(__file__).parent
SUPPORTED = ("3.10", "3.11", "3.12", "3.13")
DEFAULT_PYTHON = "3.11"
TEST_DEPS = [
    "pytest>=8",
    "hypothesis>=6.100",
    "anyio>=4",
    "trio>=0.25",
    "httpx>=0.27",
    "mypy>=1.10",
    "asgi-tools>=1.0",
    "uvicorn>=0.30",
    # The libraries satchel replaces, for the migration tests only (tests/legacy): they issue
    # the cookies and store records that satchel's legacy_formats must read. Never a
    # dependency of a satchel distribution. muffin-session needs Muffin (3.11+).
    "itsdangerous>=2.1",
    "starsessions>=2.1",
    "asgi-sessions>=1.3",
    "muffin-session>=2.6; python_version >= '3.11'",
    # tests/browser/ (marker ``browser``) drives the system's Chromium with Playwright (no
    # browser download): run, and type-checked, on the default Python only.
    f"playwright>=1.45; python_version == '{DEFAULT_PYTHON}'",
]
PACKAGING_TEST_DEPS = ["build>=1.2", "twine>=6.1", "nox>=2024.4.15"]
"""What tests/packaging runs (builds, metadata checks, ``nox -s demo``): tools only, never a
dependency of a satchel distribution."""
DEMO_DEPS = ["uvicorn>=0.30", "asgi-tools>=1.0"]
"""What the example apps need beyond satchel's distributions and their extras."""
EXTRAS = {"satchel-core": "[jwt,crypto,redis,orjson]", "satchel-starlette": "[fastapi]"}

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.default_venv_backend = "venv"


def _pyenv_versions() -> None:
    """Let pyenv's shims answer ``python3.X`` for every supported version pyenv holds.

    pyenv's own shim sets PYENV_VERSION to the one version it ran nox with, so the
    supported versions are added after whatever it names.
    """
    if shutil.which("pyenv") is None:
        return
    run = subprocess.run(["pyenv", "versions", "--bare"], capture_output=True, text=True)
    current = subprocess.run(["pyenv", "version-name"], capture_output=True, text=True)
    newest: dict[str, tuple[int, str]] = {}
    for name in run.stdout.split():
        match = re.fullmatch(r"(3\.\d+)\.(\d+)", name)
        if match and match[1] in SUPPORTED:
            patch = int(match[2])
            if match[1] not in newest or patch > newest[match[1]][0]:
                newest[match[1]] = (patch, name)
    names = [*os.environ.get("PYENV_VERSION", "").split(":"), current.stdout.strip()]
    names += [name for _, name in newest.values()]
    os.environ["PYENV_VERSION"] = ":".join(dict.fromkeys(n for n in names if n))


def _available(version: str) -> bool:
    exe = shutil.which(f"python{version}")
    return exe is not None and subprocess.run([exe, "-c", ""], capture_output=True).returncode == 0


_pyenv_versions()
PYTHONS = [v for v in SUPPORTED if _available(v)] or [DEFAULT_PYTHON]


def _projects() -> dict[str, dict[str, Any]]:
    """The ``[project]`` table of each distribution under packages/, by its folder."""
    return {
        project.parent: tomllib.loads(project.read_text())["project"]
        for project in sorted(ROOT.glob("packages/*/pyproject.toml"))
    }


def _distributions(python: str, names: Iterable[str] | None = None) -> list[str]:
    """Every package folder whose requires-python admits *python* (of the distributions
    *names* only, if given), with its extras."""
    wanted = None if names is None else {canonicalize_name(name) for name in names}
    found = []
    for folder, meta in _projects().items():
        if wanted is not None and canonicalize_name(meta["name"]) not in wanted:
            continue
        if SpecifierSet(meta.get("requires-python", "")).contains(f"{python}.0"):
            found.append(f"{folder}{EXTRAS.get(meta['name'], '')}")
    # the engine first, so adapters resolve satchel-core from this checkout
    return sorted(found, key=lambda spec: "/core" not in spec)


def _python_of(session: nox.Session) -> str:
    out = session.run(
        "python", "-c", "import sys; print('%d.%d' % sys.version_info[:2])", silent=True
    )
    return str(out).strip()


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The whole suite against the distributions as built from packages/; the real-browser
    tests (marker ``browser``) run once per run, on DEFAULT_PYTHON, deselected elsewhere."""
    python = _python_of(session)
    session.install(*_distributions(python), *TEST_DEPS, *PACKAGING_TEST_DEPS)
    browser = [] if python == DEFAULT_PYTHON else ["-m", "not browser"]
    session.run("pytest", *browser, *session.posargs)


@nox.session(python=DEFAULT_PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the repository."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=DEFAULT_PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict over packages/ and tests/ (configured in pyproject.toml)."""
    session.install(*_distributions(DEFAULT_PYTHON), *TEST_DEPS)
    session.run("mypy", "--strict", *session.posargs)


def _oldest_python() -> str:
    """The oldest supported Python that every distribution's requires-python admits."""
    wanted = [SpecifierSet(meta.get("requires-python", "")) for meta in _projects().values()]
    return next(v for v in SUPPORTED if all(spec.contains(f"{v}.0") for spec in wanted))


def _lower_bound(requirement: Requirement) -> Version:
    bounds = [Version(s.version) for s in requirement.specifier if s.operator in {">=", "==", "~="}]
    if not bounds:
        raise ValueError(f"{requirement}: no lower bound (>=) for nox -s lowest to install")
    return max(bounds)


def _floors(names: Iterable[str], *, extras: bool) -> dict[str, Version]:
    """The declared lower bound of each third-party requirement of the distributions *names*
    and of the satchel distributions they require (their optional dependencies too, with
    *extras*); of two bounds on one package, the higher."""
    projects = {canonicalize_name(meta["name"]): meta for meta in _projects().values()}
    todo, seen = [canonicalize_name(name) for name in names], set()
    floors: dict[str, Version] = {}
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        meta = projects[name]
        texts = list(meta.get("dependencies", []))
        for group in meta.get("optional-dependencies", {}).values() if extras else ():
            texts += group
        for text in texts:
            requirement = Requirement(text)
            other = canonicalize_name(requirement.name)
            if other in projects:
                todo.append(other)
            else:
                bound = _lower_bound(requirement)
                floors[other] = max(floors.get(other, bound), bound)
    return floors


def _constraints(session: nox.Session, name: str, floors: dict[str, Version]) -> str:
    """A pip constraints file pinning each package of *floors* to its bound (``name==min``)."""
    pins = [f"{package}=={version}" for package, version in sorted(floors.items())]
    path = Path(session.create_tmp()) / name
    path.write_text("\n".join(pins) + "\n")
    session.log(f"{name}: {', '.join(pins)}")
    return str(path)


LOWEST_PYTHON = _oldest_python()
"""3.11 while satchel-muffin needs it (Muffin 3); every pinned release installs there."""
LOWEST_LATER = {
    "satchel-robyn": "robyn 0.88 requires orjson>=3.11.5, above satchel-core[orjson]'s floor",
}
"""Distributions added once the engine's tests ran at every floor of satchel-core's extras:
a requirement of theirs (not of satchel's) lifts one of those floors."""
LOWEST_DESELECT = {
    "tests/packaging": "builds and installs in environments of its own, from the newest releases",
    "tests/starlette/test_starlette_suite.py": (
        "counts the cases of the newest Starlette's own session tests (20 or more; 0.41's has 14)"
    ),
    "tests/examples/test_examples.py::test_mypy_strict_accepts_every_example": (
        "mypy --strict over satchel's own source needs redis 5.0.8's annotations (NoBackoff):"
        " typing, not behaviour, and nox -s typecheck checks it on the newest releases"
    ),
    **dict.fromkeys(
        [
            "tests/legacy/test_asgi_sessions.py::test_the_formats_read_what_asgi_sessions_writes",
            "tests/legacy/test_asgi_sessions.py::test_a_hostile_asgi_sessions_cookie_yields_a_fresh",
        ],
        "the test's token helper uses jwt.InsecureKeyLengthWarning, new in PyJWT 2.11",
    ),
}
"""Tests that need something newer than satchel's floors (a node id prefix each, and why)."""
LOWEST_PYTEST = ["-m", "not browser", "-W", "ignore::pytest.PytestRemovedIn10Warning"]
"""typing-extensions' floor keeps anyio below 4.16, and the pytest plugin of those releases
imports CallSpec2, which pytest 9.2 deprecates (a warning the suite's settings make an error)."""


@nox.session(python=LOWEST_PYTHON)
def lowest(session: nox.Session) -> None:
    """The suite with every third-party requirement at its declared lower bound, on the
    oldest Python every distribution supports: the engine's tests with every floor of
    satchel-core and its extras, then the whole suite (``-m "not browser"``, less
    LOWEST_DESELECT) once LOWEST_LATER's distributions are added at their own floors."""
    python = _python_of(session)
    names = [meta["name"] for meta in _projects().values()]
    first = [name for name in names if name not in LOWEST_LATER]
    pins = _constraints(session, "constraints.txt", _floors(names, extras=True))
    test_deps = [dep for dep in TEST_DEPS if not dep.startswith("playwright")]  # no browser
    session.install("-c", pins, *_distributions(python, first), *test_deps)
    session.run("pytest", *LOWEST_PYTEST, "tests/core")
    for name, why in LOWEST_LATER.items():
        session.log(f"now {name}: {why}")
    later = _constraints(session, "constraints-later.txt", _floors(LOWEST_LATER, extras=False))
    session.install("-c", later, *_distributions(python, LOWEST_LATER))
    for test, why in LOWEST_DESELECT.items():
        session.log(f"deselected {test}: {why}")
    deselect = [f"--deselect={test}" for test in LOWEST_DESELECT]
    session.run("pytest", *LOWEST_PYTEST, *deselect, *session.posargs)


BENCH_PEERS = [
    "starlette>=1.0",
    "starsessions==2.2.1",
    "asgi-sessions==1.3.0",
    "muffin-session==2.6.0",
    "matplotlib>=3.8",
    "uvicorn>=0.30",
]


@nox.session(python=DEFAULT_PYTHON)
def bench(session: nox.Session) -> None:
    """satchel against every peer (``-- --quick`` for a short run); writes docs/benchmarks.md.

    The peers are installed here only, never as dependencies of a satchel package.
    """
    session.install(*_distributions(DEFAULT_PYTHON), *BENCH_PEERS)
    session.run("python", "benchmarks/run.py", *session.posargs)


DEMO_STOP_SECONDS = 5.0
"""How long the demo server has to stop after nox passes it SIGTERM, before SIGKILL (Robyn
ignores SIGTERM)."""


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """Take SIGTERM to nox as Ctrl-C: nox then stops the command it is running (SIGTERM,
    then SIGKILL) instead of dying and leaving it running."""
    if threading.current_thread() is not threading.main_thread():  # signals go to the main one
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@nox.session(python=DEFAULT_PYTHON)  # satchel_muffin, documented too, imports on 3.11+
def docs(session: nox.Session) -> None:
    """Build the documentation site with mkdocs --strict into site/: the guides, the
    settings table (docs/hooks.py) and the API reference from the docstrings."""
    session.install(*_distributions(DEFAULT_PYTHON), "-r", "docs/requirements.txt")
    session.run("mkdocs", "build", "--strict", env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session(python=DEFAULT_PYTHON)
def demo(session: nox.Session) -> None:
    """Serve an example app on http://127.0.0.1:8000: bare ASGI with signed cookies and a
    development key made once, or ``-- --framework muffin --backend redis`` (see --help).
    Stopping nox stops the server: Ctrl-C, SIGTERM, or (the demo watches its parent)
    SIGKILL."""
    session.install(*_distributions(DEFAULT_PYTHON), *DEMO_DEPS)
    with _sigterm_interrupts():
        session.run(
            "python",
            "examples/demo.py",
            *session.posargs,
            env={"SATCHEL_DEMO_PARENT": str(os.getpid())},
            terminate_timeout=DEMO_STOP_SECONDS,
        )
