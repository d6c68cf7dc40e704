"""Starlette's own SessionMiddleware tests, run against satchel-starlette.

The file is tests/middleware/test_session.py of the installed Starlette's source
distribution, fetched from PyPI by pip (nothing of it is kept in this repository), and
changed only as docs/migrating/starlette.md tells a user to change an app: the
middleware's import and a secret of 32 bytes. Each test that still fails has its reason
below, as the migration page gives it; every other test must pass.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
import starlette

pytestmark = pytest.mark.slow

SECRET = "a-real-secret-of-32-bytes-or-more-0123456789"

DIFFERENT = {
    "test_session_zero_max_age": "max_age=0 gives a browser-session cookie, not Max-Age=0",
    "test_session_expires": "max_age=-1 is refused at start-up",
    "test_domain_cookie": "attribute names spelled Domain=, Path= (any case is the same cookie)",
    "test_session_cookie_subpath": "attribute names spelled Domain=, Path=",
    "test_partitioned_session[{backend}-True]": "attribute names spelled Partitioned",
}
"""The tests that fail for a documented difference (docs/migrating/starlette.md)."""

INTERNAL = ["test_session_tracks_modification"]
"""Tests of Starlette's own `Session` class, not of the middleware: not run."""

BACKENDS = ("asyncio", "trio")

HARNESS = """
import pytest
from starlette.testclient import TestClient


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request):
    return request.param


@pytest.fixture
def test_client_factory(anyio_backend):
    def factory(app, **options):
        return TestClient(app, backend=anyio_backend, **options)

    return factory
"""

TYPES = """
from collections.abc import Callable

from starlette.testclient import TestClient

TestClientFactory = Callable[..., TestClient]
"""


def _expected_failures() -> set[str]:
    found = set()
    for name in DIFFERENT:
        for backend in BACKENDS:
            found.add(name.format(backend=backend) if "{" in name else f"{name}[{backend}]")
    return found


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Starlette's session tests with the documented changes, beside its test helpers."""
    root = tmp_path_factory.mktemp("starlette-suite")
    pip = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check"]
    wanted_version = f"starlette=={starlette.__version__}"
    subprocess.run(
        [*pip, "--no-deps", "--no-binary", ":all:", "-d", str(root), wanted_version],
        check=True,
        timeout=300,
    )
    (archive,) = root.glob("starlette-*.tar.gz")
    wanted = ("tests/__init__.py", "tests/middleware/")
    with tarfile.open(archive) as tar:
        members = [
            m
            for m in tar.getmembers()
            if m.isfile() and m.name.partition("/")[2].startswith(wanted)
        ]
        for member in members:
            member.name = member.name.partition("/")[2]
        tar.extractall(root, members=members, filter="data")
    # the harness, ours: the client factory the tests take, on both anyio backends (what
    # Starlette's own conftest gives, without its development-only dependencies)
    (root / "tests" / "conftest.py").write_text(HARNESS)
    (root / "tests" / "types.py").write_text(TYPES)
    test = root / "tests" / "middleware" / "test_session.py"
    source = test.read_text()
    # the documented changes: satchel-starlette's middleware, and a real secret
    changed = re.sub(
        r"^from starlette\.middleware\.sessions import (Session, )?SessionMiddleware$",
        lambda found: (
            ("from starlette.middleware.sessions import Session\n" if found[1] else "")
            + "from satchel_starlette import SessionMiddleware"
        ),
        source,
        flags=re.MULTILINE,
    )
    changed = re.sub(r'secret_key="[^"]*"', f'secret_key="{SECRET}"', changed)
    assert changed.count("satchel_starlette") == 1, "Starlette's import line has changed"
    test.write_text(changed)
    return root


@pytest.fixture(scope="module")
def outcomes(suite: Path) -> dict[str, str]:
    """Each test's outcome (passed, failed, error or skipped), by its name."""
    report = suite / "report.xml"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        + ["-o", "addopts=", "-o", "filterwarnings=", f"--junitxml={report}"]
        + [f"--deselect=tests/middleware/test_session.py::{name}" for name in INTERNAL]
        + ["tests/middleware/test_session.py"],
        cwd=suite,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert report.exists(), run.stdout.decode() + run.stderr.decode()
    found = {}
    for case in ElementTree.parse(report).iter("testcase"):  # noqa: S314  # pytest's own file
        kinds = {child.tag for child in case}
        outcome = next((k for k in ("failure", "error", "skipped") if k in kinds), "passed")
        found[case.attrib["name"]] = outcome
    return found


def test_starlettes_session_tests_pass_but_for_documented_differences(
    outcomes: dict[str, str],
) -> None:
    expected = _expected_failures() & outcomes.keys()  # a test older releases lack is not run
    assert len(outcomes) >= 20, outcomes  # the whole file ran, on both backends
    unexpected = {name: o for name, o in outcomes.items() if o != "passed"}.keys() - expected
    assert not unexpected, {name: outcomes[name] for name in unexpected}
    still_different = {name for name in expected if outcomes.get(name) == "failure"}
    assert still_different == expected, expected - still_different
