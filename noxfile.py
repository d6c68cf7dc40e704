"""Every task of the repository: ``nox -s tests | lint | typecheck | demo``.

``tests`` runs on every Python from 3.10 to 3.13 that this machine has (pyenv's
versions included), with each distribution under packages/ installed from its
folder, as users install them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nox
from packaging.specifiers import SpecifierSet

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


def _distributions(python: str) -> list[str]:
    """Every package folder whose requires-python admits *python*, with its extras."""
    found = []
    for project in sorted(ROOT.glob("packages/*/pyproject.toml")):
        meta = tomllib.loads(project.read_text())["project"]
        if SpecifierSet(meta.get("requires-python", "")).contains(f"{python}.0"):
            found.append(f"{project.parent}{EXTRAS.get(meta['name'], '')}")
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
    session.install(*_distributions(python), *TEST_DEPS)
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


@nox.session(python=DEFAULT_PYTHON)
def docs(session: nox.Session) -> None:
    """Build the documentation site with mkdocs --strict into site/."""
    session.install(*_distributions(DEFAULT_PYTHON), "mkdocs>=1.6", "mkdocs-material>=9.5")
    session.run("mkdocs", "build", "--strict", env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session(python=DEFAULT_PYTHON)
def demo(session: nox.Session) -> None:
    """Serve an example app on http://127.0.0.1:8000: bare ASGI with signed cookies and a
    development key made once, or ``-- --framework muffin --backend redis`` (see --help)."""
    session.install(*_distributions(DEFAULT_PYTHON), *DEMO_DEPS)
    session.run("python", "examples/demo.py", *session.posargs)
