"""The demo launcher (``nox -s demo``, examples/demo.py) serves any example on any backend."""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from browser.conftest import missing_modules

DEMO = Path(__file__).parents[2] / "examples" / "demo.py"


def _demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("satchel_demo", DEMO)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["satchel_demo"] = module
    spec.loader.exec_module(module)
    return module


def test_demo_offers_every_example_folder_as_a_framework() -> None:
    found = _demo().frameworks()
    assert {"asgi", "asgi-tools", "muffin"} <= set(found)
    assert all(path.name == "app.py" for path in found.values())
    assert "common" not in found


def test_demo_generates_a_development_key_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    demo = _demo()
    monkeypatch.setattr(demo, "KEY_FILE", tmp_path / "key")
    first = demo.development_key()
    assert f"SESSION_SECRET_KEY={first}" in capsys.readouterr().out
    assert demo.development_key() == first
    assert capsys.readouterr().out == ""
    assert (tmp_path / "key").stat().st_mode & 0o077 == 0


def test_demo_keeps_a_configured_secret_and_sets_the_chosen_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo = _demo()
    monkeypatch.setattr(demo, "KEY_FILE", tmp_path / "key")
    environ = {"SESSION_SECRET_KEY": "configured"}
    demo.configure(environ, "redis")
    assert environ == {
        "SESSION_SECRET_KEY": "configured",
        "SESSION_BACKEND": "redis",
        "SESSION_REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    assert not (tmp_path / "key").exists()
    environ = {"SESSION_REDIS_URL": "redis://elsewhere:6379/1"}
    demo.configure(environ, "redis")
    assert environ["SESSION_REDIS_URL"] == "redis://elsewhere:6379/1"
    assert environ["SESSION_SECRET_KEY"] == (tmp_path / "key").read_text().strip()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _served(args: list[str], env: dict[str, str]) -> Iterator[tuple[str, list[str]]]:
    """Run the demo; yields its URL and, once it has stopped, its output lines."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, str(DEMO), *args, "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", output
    finally:
        process.terminate()
        output.extend(process.communicate(timeout=10)[0].splitlines())


@pytest.mark.slow
@pytest.mark.parametrize(
    ("framework", "backend"), [("asgi", None), ("asgi-tools", "jwt"), ("muffin", "redis")]
)
def test_demo_serves_the_chosen_example_on_the_chosen_backend(
    framework: str, backend: str | None, request: pytest.FixtureRequest
) -> None:
    missing = missing_modules(DEMO.parent / framework.replace("-", "_") / "app.py")
    if missing:
        pytest.skip(f"the {framework} example needs {', '.join(missing)}, not installed here")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("SESSION_")}
    env["SESSION_SECRET_KEY"] = "demo-test-secret-0123456789abcdefghij"
    args = ["--framework", framework]
    if backend is not None:
        args += ["--backend", backend]
    if backend == "redis":
        env["SESSION_REDIS_URL"] = request.getfixturevalue("redis_url")
    with _served(args, env) as (url, output), httpx.Client(base_url=url) as client:
        visits = [re.search(r'id="visits">(\d+)<', client.get("/").text) for _ in range(2)]
        assert [m[1] for m in visits if m] == ["1", "2"]
        page = client.get("/session").text
        assert f'id="meta-backend">{backend or "signed"}<' in page
    assert f"satchel demo: the {framework} example with {backend or 'signed'} sessions" in output
    assert not [line for line in output if "SESSION_SECRET_KEY=" in line]
