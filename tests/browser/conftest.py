"""Real-browser fixtures: Debian's Chromium, driven by Playwright, against example apps
served by uvicorn on 127.0.0.1.

Chromium is the system's (``chromium`` on PATH, or ``SATCHEL_TEST_CHROMIUM``); nothing
is downloaded. Without it, or without Playwright, these tests skip with the reason;
under CI (``CI`` set) they fail instead. Each example app runs in a process of its
own (``python examples/<name>/app.py --port N``), configured by ``SESSION_*``
variables, started on first use and stopped at the end of the run. Every browser
context is a fresh profile with an empty cookie jar.

Screenshots go to ``SATCHEL_SCREENSHOTS`` when set (``docs/screenshots`` refreshes the
documentation's), else into the run's temporary directory.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
from support import SECRET

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Cookie, Page

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples"
CHROMIUM_FLAGS = [
    # What Chromium needs as root on a machine with no network beyond loopback.
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # A name that reaches the loopback servers without being loopback by name, so plain
    # http to it is not a secure context (tests of what Chromium refuses).
    "--host-resolver-rules=MAP satchel.test 127.0.0.1",
]
START_TIMEOUT = 30.0
"""Seconds an example server may take to accept connections."""
ACTION_TIMEOUT = 15_000
"""Milliseconds any one browser action (navigation, click) may take."""


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the browser tests)")
    pytest.skip(reason)


def missing_modules(app: Path) -> list[str]:
    """The modules an example app imports at its top that are not installed here
    (satchel_muffin and Muffin 3 need Python 3.11+); its shared pages do not count."""
    shared = {p.stem for p in (EXAMPLES / "common").glob("*.py")}
    names: set[str] = set()
    for node in ast.parse(app.read_text()).body:
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return sorted(n for n in names - shared if importlib.util.find_spec(n) is None)


def installed_examples() -> list[Any]:
    """Every ``examples/<name>/app.py`` as a parameter (its folder's name), skipped, with
    the reason, when a module it imports is not installed under this Python."""
    params = []
    for path in sorted(EXAMPLES.glob("*/app.py")):
        missing = missing_modules(path)
        reason = f"{', '.join(missing)} not installed under Python %d.%d" % sys.version_info[:2]
        marks = [pytest.mark.skip(reason=reason)] if missing else []
        params.append(
            pytest.param(path.parent.name, id=path.parent.name.replace("_", "-"), marks=marks)
        )
    return params


@dataclass
class Server:
    """One example app in a uvicorn process of its own."""

    example: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        """The app's address."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop the server and its process group: SIGTERM, then SIGKILL after 3 s (Robyn
        ignores SIGTERM)."""
        for sig, wait in ((signal.SIGTERM, 3), (signal.SIGKILL, 10)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue


@dataclass
class Servers:
    """Example servers by example and settings, started on first use."""

    directory: Path
    running: dict[tuple[str, tuple[tuple[str, str], ...]], Server] = field(default_factory=dict)

    def get(self, example: str, **settings: str) -> Server:
        """The server of *example* whose ``SESSION_*`` variables are *settings* (the test
        secret unless given), started now unless one already runs."""
        settings.setdefault("secret_key", SECRET)
        key = (example, tuple(sorted(settings.items())))
        if key not in self.running:
            self.running[key] = self._start(example, settings)
        return self.running[key]

    def _start(self, example: str, settings: dict[str, str]) -> Server:
        env = {k: v for k, v in os.environ.items() if not k.upper().startswith("SESSION_")}
        env.update({f"SESSION_{name.upper()}": value for name, value in settings.items()})
        port = _free_port()
        log = self.directory / f"{example}-{port}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, str(EXAMPLES / example / "app.py"), "--port", str(port)],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Server(example, port, process, log)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return server
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    server.stop()
                    pytest.fail(f"{example} did not start:\n{log.read_text()}")
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop every server."""
        for server in self.running.values():
            server.stop()
        self.running.clear()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """The example servers of this run; all stopped at its end."""
    running = Servers(tmp_path_factory.mktemp("servers"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium from the system, launched once per test module: while
    Playwright's sync API runs, it marks its event loop as running in this thread,
    which the async tests of other modules must not find."""
    executable = os.environ.get("SATCHEL_TEST_CHROMIUM") or shutil.which("chromium")
    if executable is None:
        _unavailable("no chromium on PATH (apt-get install chromium) and no SATCHEL_TEST_CHROMIUM")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install playwright)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_FLAGS, headless=True, timeout=60_000
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile: an empty cookie jar."""
    profile = browser.new_context(viewport={"width": 800, "height": 560})
    profile.set_default_timeout(ACTION_TIMEOUT)
    try:
        yield profile
    finally:
        profile.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: ``SATCHEL_SCREENSHOTS``, else a temporary directory."""
    chosen = os.environ.get("SATCHEL_SCREENSHOTS")
    if not chosen:
        return tmp_path_factory.mktemp("screenshots")
    directory = Path(chosen).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    return directory


class Shopper:
    """One browser tab on one example app, in the terms of examples/common/shop.py."""

    def __init__(self, page: Page, server: Server, host: str = "127.0.0.1") -> None:
        self.page = page
        self.server = server
        self.url = f"http://{host}:{server.port}"

    def open(self, path: str = "/") -> int:
        """Go to *path*; the response's status."""
        response = self.page.goto(self.url + path)
        assert response is not None
        return response.status

    def text(self, selector: str) -> str:
        """The text of the one element *selector* names."""
        return self.page.locator(selector).inner_text()

    def visits(self) -> int:
        """Visit the home page; the counter it shows."""
        self.open("/")
        return int(self.text("#visits"))

    def user(self) -> str | None:
        """Who the page shown says is logged in."""
        found = self.page.locator("#user")
        return found.inner_text() if found.count() else None

    def log_in(self, name: str) -> None:
        """Log in through the home page's form."""
        self.open("/")
        self.page.fill("#login-name", name)
        with self.page.expect_navigation():
            self.page.click("#login-button")

    def log_out(self) -> None:
        """Log out through the home page's button; ends on /bye."""
        self.open("/")
        with self.page.expect_navigation():
            self.page.click("#logout-button")

    def add_to_cart(self, quantity: int) -> int:
        """Add *quantity* items through the cart's form; the status of the page shown."""
        self.open("/cart")
        self.page.fill("#cart-quantity", str(quantity))
        with self.page.expect_navigation() as navigation:
            self.page.click("#cart-add")
        response = navigation.value
        assert response is not None
        return response.status

    def cookies(self, prefix: str = "session") -> dict[str, Cookie]:
        """The session cookies (chunks included) the browser holds for this app."""
        return {
            c["name"]: c
            for c in self.page.context.cookies(self.url)
            if c["name"] == prefix or c["name"].startswith(f"{prefix}.")
        }

    def shot(self, directory: Path, name: str) -> Path:
        """A screenshot of the page shown, as ``<name>.png``."""
        path = directory / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path
