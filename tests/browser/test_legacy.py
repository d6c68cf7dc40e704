"""Keep your users logged in, in Chromium: a user logs in on the incumbent (Starlette's
SessionMiddleware, muffin-session), the server is replaced on the same origin by the
satchel example app configured with ``legacy_formats``, and the user is still logged in,
now with satchel's cookie.

The incumbents are tests/legacy/incumbents/*.py; each server runs in a process of its own
(``python <app> --port N``), as the example servers of conftest.py do.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from support import SECRET

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).parents[2]
INCUMBENTS = ROOT / "tests" / "legacy" / "incumbents"
EXAMPLES = ROOT / "examples"


class Origin:
    """One port on 127.0.0.1 whose server can be replaced by another app."""

    def __init__(self, logs: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port: int = sock.getsockname()[1]
        self.logs = logs
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The origin's address."""
        return f"http://127.0.0.1:{self.port}"

    def serve(self, app: Path, **env: str) -> None:
        """Stop what serves the origin now, then serve *app* there with *env* added to a
        clean environment (no ``SESSION_*`` of the caller's)."""
        self.stop()
        clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("SESSION_")}
        log = self.logs / f"{app.parent.name}-{app.stem}-{self.port}.log"
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, str(app), "--port", str(self.port)],
                env={**clean, **env},
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"{app} did not start:\n{log.read_text()}")
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server and its process group (SIGTERM, then SIGKILL)."""
        process, self.process = self.process, None
        if process is None:
            return
        for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 10)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            try:
                process.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue


@pytest.fixture
def origin(tmp_path: Path) -> Iterator[Origin]:
    """A port whose servers the test starts; stopped at the end."""
    served = Origin(tmp_path)
    try:
        yield served
    finally:
        served.stop()


def _log_in(page: Page, url: str, name: str) -> None:
    page.goto(url + "/")
    page.fill("#login-name", name)
    with page.expect_navigation():
        page.click("#login-button")
    assert page.locator("#user").inner_text() == name


def _session_cookie(context: BrowserContext, url: str) -> str:
    [value] = [c["value"] for c in context.cookies(url) if c["name"] == "session"]
    return value


def _still_logged_in(page: Page, context: BrowserContext, url: str, name: str, old: str) -> None:
    page.goto(url + "/")
    assert page.locator("#user").inner_text() == name
    new = _session_cookie(context, url)
    assert new != old  # satchel's cookie replaced the incumbent's
    page.reload()
    assert page.locator("#user").inner_text() == name
    current = _session_cookie(context, url)
    page.goto(url + "/session")  # only reads satchel's own cookie: nothing to re-issue
    assert page.locator("#meta-new").inner_text() == "no"
    assert _session_cookie(context, url) == current


def test_a_user_logged_in_on_starlettes_sessions_is_still_logged_in_on_satchel(
    context: BrowserContext, origin: Origin
) -> None:
    old_secret = "starlette-dev-secret"  # shorter than satchel allows: read-only
    origin.serve(INCUMBENTS / "incumbent_starlette.py", INCUMBENT_SECRET=old_secret)
    page = context.new_page()
    _log_in(page, origin.url, "ada")
    old = _session_cookie(context, origin.url)

    origin.serve(
        EXAMPLES / "starlette" / "app.py",
        SESSION_SECRET_KEY=SECRET,
        SESSION_LEGACY_FORMATS="starlette",
        SESSION_LEGACY_SECRET_KEYS=old_secret,
    )
    _still_logged_in(page, context, origin.url, "ada", old)


def test_a_user_logged_in_on_muffin_session_is_still_logged_in_on_satchel_muffin(
    context: BrowserContext, origin: Origin
) -> None:
    pytest.importorskip("muffin_session")  # Muffin 3 and satchel-muffin: Python 3.11+
    old_secret = "a-muffin-session-secret-32-bytes"
    origin.serve(INCUMBENTS / "incumbent_muffin.py", INCUMBENT_SECRET=old_secret)
    page = context.new_page()
    _log_in(page, origin.url, "grace")
    old = _session_cookie(context, origin.url)

    origin.serve(
        EXAMPLES / "muffin" / "app.py",
        SESSION_SECRET_KEY=SECRET,
        SESSION_USER_KEY="id",  # where muffin-session's login put the user
        SESSION_LEGACY_FORMATS="asgi-sessions-jwt",
        SESSION_LEGACY_SECRET_KEYS=old_secret,
    )
    _still_logged_in(page, context, origin.url, "grace", old)
