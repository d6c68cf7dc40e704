"""Keep your users logged in, in Chromium: a user logs in on the incumbent (Starlette's
SessionMiddleware, starsessions' CookieStore and RedisStore, asgi-sessions' JWT, Fernet
and base64 sessions, muffin-session), the server is replaced on the same origin by the
satchel example app configured with ``legacy_formats``, and the user is still logged in,
now with satchel's cookie.

The incumbents are tests/legacy/incumbents/*.py; each server runs in a process of its own
(``python <app> --port N``), as the example servers of conftest.py do. Whether a cookie
is satchel's is asked of satchel itself: ``satchel inspect`` reads it with satchel's own
backend alone, never with a legacy format.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from support import SECRET

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).parents[2]
INCUMBENTS = ROOT / "tests" / "legacy" / "incumbents"
EXAMPLES = ROOT / "examples"
INSPECT_TIMEOUT = 30.0
"""Seconds ``satchel inspect`` may take."""


def _environment(**env: str) -> dict[str, str]:
    """*env* added to a clean environment (no ``SESSION_*`` of the caller's)."""
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("SESSION_")}
    return {**clean, **env}


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

    def serve(self, app: Path, *args: str, **env: str) -> None:
        """Stop what serves the origin now, then serve *app* there (with the command-line
        *args*) with *env* added to a clean environment (no ``SESSION_*`` of the caller's)."""
        self.stop()
        log = self.logs / f"{app.parent.name}-{app.stem}-{self.port}.log"
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, str(app), "--port", str(self.port), *args],
                env=_environment(**env),
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


@dataclass(frozen=True)
class Move:
    """One move: the incumbent app, its command-line arguments and secret, and the
    satchel example that replaces it with the ``SESSION_*`` variables (besides satchel's
    own secret) that read the incumbent's sessions."""

    incumbent: str
    args: tuple[str, ...]
    secret: str
    example: str
    settings: dict[str, str] = field(default_factory=dict)


def _inspect(value: str, settings: dict[str, str]) -> dict[str, Any] | None:
    """The data of cookie *value* as satchel's own backend reads it (``satchel inspect``
    under the ``SESSION_*`` *settings*, their legacy ones left out); None when refused."""
    own = {k: v for k, v in settings.items() if not k.startswith("SESSION_LEGACY_")}
    result = subprocess.run(
        [sys.executable, "-m", "satchel.cli", "inspect", value],
        env=_environment(**own),
        capture_output=True,
        text=True,
        timeout=INSPECT_TIMEOUT,
        check=False,
    )
    if result.returncode == 1:
        return None
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)["data"]
    return data


def _user(page: Page) -> str | None:
    """Who the page shown says is logged in (None, at once, when nobody is)."""
    found = page.locator("#user")
    return found.inner_text() if found.count() else None


def _log_in(page: Page, url: str, name: str) -> None:
    page.goto(url + "/")
    page.fill("#login-name", name)
    with page.expect_navigation():
        page.click("#login-button")
    assert _user(page) == name


def _session_cookie(context: BrowserContext, url: str) -> str:
    [value] = [c["value"] for c in context.cookies(url) if c["name"] == "session"]
    return value


def _logged_in_on_the_incumbent(
    page: Page, context: BrowserContext, url: str, name: str, settings: dict[str, str]
) -> str:
    """Log *name* in on the incumbent; its cookie, which satchel's backend refuses."""
    _log_in(page, url, name)
    page.reload()
    assert _user(page) == name
    old = _session_cookie(context, url)
    assert _inspect(old, settings) is None  # the incumbent's format, not satchel's
    return old


def _still_logged_in(
    page: Page,
    context: BrowserContext,
    url: str,
    name: str,
    old: str,
    settings: dict[str, str],
    user_key: str = "user_id",
) -> None:
    """The same page shows *name* after the switch, and the browser now holds satchel's
    cookie, which satchel reads as its own and does not re-issue."""
    page.goto(url + "/")
    assert _user(page) == name
    new = _session_cookie(context, url)
    assert new != old  # satchel's cookie replaced the incumbent's
    data = _inspect(new, settings)
    assert data is not None  # in satchel's own format
    assert data[user_key] == name
    page.reload()
    assert _user(page) == name
    current = _session_cookie(context, url)
    page.goto(url + "/session")  # only reads satchel's own cookie: nothing to re-issue
    assert page.locator("#meta-new").inner_text() == "no"
    assert _session_cookie(context, url) == current


def test_a_user_logged_in_on_starlettes_sessions_is_still_logged_in_on_satchel(
    context: BrowserContext, origin: Origin
) -> None:
    old_secret = "starlette-dev-secret"  # shorter than satchel allows: read-only
    settings = {
        "SESSION_SECRET_KEY": SECRET,
        "SESSION_LEGACY_FORMATS": "starlette",
        "SESSION_LEGACY_SECRET_KEYS": old_secret,
    }
    origin.serve(INCUMBENTS / "incumbent_starlette.py", INCUMBENT_SECRET=old_secret)
    page = context.new_page()
    old = _logged_in_on_the_incumbent(page, context, origin.url, "ada", settings)

    origin.serve(EXAMPLES / "starlette" / "app.py", **settings)
    _still_logged_in(page, context, origin.url, "ada", old, settings)


def test_a_user_logged_in_on_muffin_session_is_still_logged_in_on_satchel_muffin(
    context: BrowserContext, origin: Origin
) -> None:
    pytest.importorskip("muffin_session")  # Muffin 3 and satchel-muffin: Python 3.11+
    old_secret = "a-muffin-session-secret-32-bytes"
    settings = {
        "SESSION_SECRET_KEY": SECRET,
        "SESSION_USER_KEY": "id",  # where muffin-session's login put the user
        "SESSION_LEGACY_FORMATS": "asgi-sessions-jwt",
        "SESSION_LEGACY_SECRET_KEYS": old_secret,
    }
    origin.serve(INCUMBENTS / "incumbent_muffin.py", INCUMBENT_SECRET=old_secret)
    page = context.new_page()
    old = _logged_in_on_the_incumbent(page, context, origin.url, "grace", settings)

    origin.serve(EXAMPLES / "muffin" / "app.py", **settings)
    _still_logged_in(page, context, origin.url, "grace", old, settings, user_key="id")


OLD_SECRET = "the-incumbents-own-secret"  # shorter than satchel allows: read-only
FERNET_SECRET = "asgi-sessions-fernet-32-chars!!!"  # asgi-sessions: 32 characters at most
COOKIE_MOVES = [
    pytest.param(
        Move(
            "incumbent_starsessions.py",
            ("--store", "cookie"),
            OLD_SECRET,
            "starlette",
            {
                "SESSION_LEGACY_FORMATS": "starsessions",
                "SESSION_LEGACY_SECRET_KEYS": OLD_SECRET,
                "SESSION_LEGACY_MAX_AGE": "3600",  # starsessions' lifetime
            },
        ),
        id="starsessions",
    ),
    pytest.param(
        Move(
            "incumbent_asgi_sessions.py",
            ("--session-type", "jwt"),
            OLD_SECRET,
            "asgi_tools",
            {
                "SESSION_LEGACY_FORMATS": "asgi-sessions-jwt",
                "SESSION_LEGACY_SECRET_KEYS": OLD_SECRET,
            },
        ),
        id="asgi-sessions-jwt",
    ),
    pytest.param(
        Move(
            "incumbent_asgi_sessions.py",
            ("--session-type", "fernet"),
            FERNET_SECRET,
            "asgi_tools",
            {
                "SESSION_LEGACY_FORMATS": "asgi-sessions-fernet",
                "SESSION_LEGACY_SECRET_KEYS": FERNET_SECRET,
            },
        ),
        id="asgi-sessions-fernet",
    ),
    pytest.param(
        Move(
            "incumbent_asgi_sessions.py",
            ("--session-type", "base64"),
            OLD_SECRET,  # asgi-sessions asks for one, and signs nothing with it
            "asgi_tools",
            {"SESSION_LEGACY_FORMATS": "asgi-sessions-base64", "SESSION_ALLOW_UNSIGNED": "true"},
        ),
        id="asgi-sessions-base64",
    ),
]


@pytest.mark.parametrize("move", COOKIE_MOVES)
def test_a_user_logged_in_on_an_incumbents_cookie_is_still_logged_in_on_satchel(
    move: Move, context: BrowserContext, origin: Origin
) -> None:
    settings = {"SESSION_SECRET_KEY": SECRET, **move.settings}
    origin.serve(INCUMBENTS / move.incumbent, *move.args, INCUMBENT_SECRET=move.secret)
    page = context.new_page()
    old = _logged_in_on_the_incumbent(page, context, origin.url, "ada", settings)

    origin.serve(EXAMPLES / move.example / "app.py", **settings)
    _still_logged_in(page, context, origin.url, "ada", old, settings)


def test_a_user_logged_in_on_starsessions_redis_store_is_still_logged_in_on_satchel_redis(
    context: BrowserContext, origin: Origin, redis_url: str, redis_prefix: str
) -> None:
    from redis import Redis

    legacy_prefix = f"{redis_prefix}starsessions."
    settings = {
        "SESSION_SECRET_KEY": SECRET,
        "SESSION_BACKEND": "redis",
        "SESSION_REDIS_URL": redis_url,
        "SESSION_STORE_PREFIX": f"{redis_prefix}satchel:",
        "SESSION_LEGACY_FORMATS": "starsessions-redis",
        "SESSION_LEGACY_REDIS_URL": redis_url,
        "SESSION_LEGACY_STORE_PREFIX": legacy_prefix,
        "SESSION_LEGACY_MAX_AGE": "3600",
    }
    origin.serve(
        INCUMBENTS / "incumbent_starsessions.py",
        "--store",
        "redis",
        INCUMBENT_REDIS_URL=redis_url,
        INCUMBENT_STORE_PREFIX=legacy_prefix,
    )
    page = context.new_page()
    old = _logged_in_on_the_incumbent(page, context, origin.url, "ada", settings)
    with contextlib.closing(Redis.from_url(redis_url, socket_timeout=5)) as redis:
        record = redis.get(legacy_prefix + old)  # starsessions' record of the login
        assert record is not None
        assert json.loads(record)["user_id"] == "ada"

        origin.serve(EXAMPLES / "starlette" / "app.py", **settings)
        _still_logged_in(page, context, origin.url, "ada", old, settings)
        assert redis.exists(legacy_prefix + old) == 0  # the move deleted the old record
        assert redis.keys(f"{redis_prefix}satchel:*")  # the session is satchel's now
