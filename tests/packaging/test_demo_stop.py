"""Stopping ``nox -s demo`` stops the demo server: SIGTERM to nox frees the port.

nox runs the noxfile's demo session as written, on this Python (``--no-venv
--no-install``: this environment already holds what the demo needs), on loopback.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
SECRET = "a-secret-for-the-packaging-test-of-32-bytes-or-more"
NOX = [sys.executable, "-m", "nox", "--no-venv", "--no-install"]

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def _wait(condition: Callable[[], bool], seconds: float) -> bool:
    """Whether *condition* holds within *seconds*."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return bool(condition())


@pytest.mark.skipif(importlib.util.find_spec("nox") is None, reason="nox is not installed")
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and process groups")
def test_sigterm_to_nox_stops_the_demo_server(tmp_path: Path) -> None:
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SESSION_")}
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}"
    environment["SESSION_SECRET_KEY"] = SECRET  # no development key written into the checkout
    log = tmp_path / "nox.log"
    with log.open("w") as output:
        nox = subprocess.Popen(
            [*NOX, "-f", str(ROOT / "noxfile.py"), "-s", "demo", "--", "--port", str(port)],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group, so that nothing outlives the test
        )
    try:
        assert _wait(lambda: _listening(port), 60), log.read_text()
        nox.send_signal(signal.SIGTERM)  # to nox alone, as a process manager sends it
        nox.wait(timeout=15)
        assert _wait(lambda: not _listening(port), 5), f"the demo still serves\n{log.read_text()}"
    finally:
        with contextlib.suppress(ProcessLookupError):  # the group is empty once all went well
            os.killpg(nox.pid, signal.SIGKILL)
        nox.wait(timeout=10)
