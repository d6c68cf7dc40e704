"""The README's "Install from a clone" commands, as a new user runs them: each in a new
virtual environment, from the clone's top folder, then one request through the adapter.

satchel's own distributions come from their folders only (never from PyPI, where they may
not be yet); third-party ones come from PyPI, as in CI.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

tomllib = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")

ROOT = Path(__file__).parents[2]
SECTION = "## Install from a clone"
SECRET = "a-secret-for-the-packaging-test-of-32-bytes-or-more"
PIP = ["python3", "-m", "pip", "install"]

ASGI_REQUEST = """
import asyncio


async def request(app):
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": "/", "raw_path": b"/", "root_path": "", "query_string": b"",
        "headers": [(b"host", b"localhost")], "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], [(k.decode().lower(), v.decode()) for k, v in sent[0]["headers"]]


def check(app):
    status, headers = asyncio.run(request(app))
    cookies = [value for name, value in headers if name == "set-cookie"]
    assert status == 200 and cookies, (status, headers)
    print("set-cookie:", cookies[0].partition("=")[0])
"""
"""One request through an ASGI app (``check(app)``): it must answer 200 and set a cookie."""

APPS = {
    "adapter-asgi": """
from satchel import SessionSettings
from satchel_asgi import SessionMiddleware


async def visits(scope, receive, send):
    scope["session"]["visits"] = 1
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


check(SessionMiddleware(visits, SessionSettings(secret_key=SECRET)))
""",
    "adapter-starlette": """
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from satchel import SessionSettings
from satchel_starlette import SessionMiddleware


async def visits(request):
    request.session["visits"] = 1
    return PlainTextResponse("ok")


settings = SessionSettings(secret_key=SECRET)
check(Starlette(routes=[Route("/", visits)], middleware=[Middleware(SessionMiddleware, settings)]))
""",
    "adapter-muffin": """
import muffin

from satchel import SessionSettings
from satchel_muffin import Plugin

app = muffin.Application()
Plugin(app, SessionSettings(secret_key=SECRET), auto_manage=True)


@app.route("/")
async def visits(request):
    request.session["visits"] = 1
    return "ok"


check(app)
""",
}
"""A one-route app per ASGI adapter, sent one request by ASGI_REQUEST's ``check``."""

ROBYN_APP = """
import os

from robyn import Robyn

from satchel import SessionSettings
from satchel_robyn import configure_sessions

app = Robyn(__file__)
configure_sessions(app, SessionSettings(secret_key=SECRET))


@app.get("/")
def visits(request):
    request.session["visits"] = 1
    return "ok"


app.start(host="127.0.0.1", port=int(os.environ["PORT"]), _check_port=False)
"""
"""Robyn is no ASGI framework: this app is served, on loopback, and asked over HTTP."""

ORIGINS = """
import json
from importlib.metadata import distributions

print(json.dumps({
    dist.metadata["Name"]: json.loads(dist.read_text("direct_url.json") or "{}").get("url")
    for dist in distributions()
    if dist.metadata["Name"].startswith("satchel-")
}))
"""
"""Where each satchel distribution of an environment was installed from."""


def _clone_commands() -> dict[str, list[str]]:
    """The arguments of each pip command of the README's section, by the folder it ends with."""
    readme = (ROOT / "README.md").read_text()
    assert SECTION in readme
    section = readme.split(SECTION, 1)[1].split("\n## ", 1)[0]
    block = re.search(r"^```sh\n(.*?)^```", section, re.M | re.S)
    assert block, "the section shows its commands in one sh block"
    commands = {}
    for line in block[1].splitlines():
        words = shlex.split(line, comments=True)
        assert words[: len(PIP)] == PIP, line
        commands[Path(words[-1]).name] = words[len(PIP) :]
    return commands


def _project(folder: str) -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads(
        (ROOT / "packages" / folder / "pyproject.toml").read_text()
    )
    return data["project"]  # type: ignore[no-any-return]


def _folders() -> dict[str, str]:
    """Each folder under packages/, by the name of the distribution it builds."""
    return {str(_project(p.name)["name"]): p.name for p in sorted((ROOT / "packages").iterdir())}


def _satchel_needs(folder: str) -> list[str]:
    """The folders *folder*'s distribution needs (itself included), in dependency order."""
    folders = _folders()
    needed: list[str] = []
    for text in _project(folder).get("dependencies", []):
        name = Requirement(text).name
        if name in folders:
            needed += [f for f in _satchel_needs(folders[name]) if f not in needed]
    return [*needed, folder]


def test_the_readme_names_every_folder_each_distribution_needs_in_dependency_order() -> None:
    commands = _clone_commands()
    assert set(commands) == set(_folders().values())
    for folder, arguments in commands.items():
        assert arguments == [f"./packages/{f}" for f in _satchel_needs(folder)]


def test_each_package_readme_gives_the_same_command() -> None:
    for folder, arguments in _clone_commands().items():
        readme = (ROOT / "packages" / folder / "README.md").read_text()
        assert shlex.join([*PIP, *arguments]) in readme, folder


def _environment() -> dict[str, str]:
    """This process's environment less what would leak this checkout or its settings."""
    skip = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    return {k: v for k, v in os.environ.items() if k not in skip and not k.startswith("SESSION_")}


def _run(command: list[str], cwd: Path, timeout: float) -> str:
    result = subprocess.run(
        command, cwd=cwd, env=_environment(), capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{shlex.join(command)}:\n{result.stdout}{result.stderr}"
    return result.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _robyn_request(python: Path, cwd: Path) -> str:
    """Serve ROBYN_APP with *python* and return the name of the cookie its answer sets."""
    (cwd / "app.py").write_text(f"SECRET = {SECRET!r}\n{ROBYN_APP}")
    port = _free_port()
    server = subprocess.Popen(
        [str(python), "app.py"],
        cwd=cwd,
        env={**_environment(), "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # Robyn ignores SIGTERM: its group is killed below
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, "the Robyn app exited"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as answer:
                    cookie: str = answer.headers["set-cookie"] or ""
                    return cookie.partition("=")[0]
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


@pytest.mark.slow
@pytest.mark.parametrize(
    "folder", ["adapter-asgi", "adapter-starlette", "adapter-muffin", "adapter-robyn"]
)
def test_the_readme_command_installs_an_adapter_that_serves_a_request(
    folder: str, tmp_path: Path
) -> None:
    requires = SpecifierSet(str(_project(folder)["requires-python"]))
    if not requires.contains(platform.python_version()):
        pytest.skip(f"{folder} needs Python {requires}")
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "venv")], check=True, timeout=120)
    python = tmp_path / "venv" / ("Scripts" if os.name == "nt" else "bin") / "python"
    arguments = _clone_commands()[folder]
    _run([str(python), "-m", "pip", "install", "--quiet", *arguments], ROOT, timeout=600)

    origins = json.loads(_run([str(python), "-c", ORIGINS], tmp_path, timeout=60))
    folders = _folders()
    assert origins == {
        name: (ROOT / "packages" / f).as_uri()
        for name, f in folders.items()
        if f"./packages/{f}" in arguments
    }

    if folder == "adapter-robyn":
        cookie = _robyn_request(python, tmp_path)
    else:
        (tmp_path / "request.py").write_text(f"SECRET = {SECRET!r}\n{ASGI_REQUEST}{APPS[folder]}")
        cookie = _run([str(python), "request.py"], tmp_path, timeout=60).split()[-1]
    assert cookie == "session"
