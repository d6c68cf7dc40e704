"""A real nginx with its default header limits, proxying to uvicorn on loopback.

nginx is Debian's package (``apt-get install nginx``; `.ci/run` installs it), found
on PATH, at /usr/sbin/nginx (Debian's place, often not on a user's PATH) or at
``SATCHEL_TEST_NGINX``. Without it these tests skip with the reason; under CI (``CI``
set) they fail instead. The system's nginx service is never used: each run writes its
own nginx.conf (``client_header_buffer_size`` and ``large_client_header_buffers``
left at their defaults, 1k and 4 8k), with its pid, logs and temporary files in the
test's temporary directory, and starts ``nginx -g 'daemon off;'`` as a child process.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest
from support import SECRET, Jar

START_TIMEOUT = 30.0
"""Seconds nginx or uvicorn may take to accept connections."""

BROWSER_HEADERS = {
    "User-Agent": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36"
    ),
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en-US,en;q=0.9",
}
"""What a browser sends besides its cookies (nginx's limit is per header line)."""

CONFIG = """\
worker_processes 1;
{user}pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $host;
        }}
    }}
}}
"""


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the nginx tests)")
    pytest.skip(reason)


def nginx_binary() -> str:
    """The nginx to run, or a skip saying how to install one."""
    found = os.environ.get("SATCHEL_TEST_NGINX") or shutil.which("nginx")
    if found is None and os.access("/usr/sbin/nginx", os.X_OK):
        found = "/usr/sbin/nginx"
    if found is None:
        _unavailable("nginx is not installed (apt-get install nginx), nor SATCHEL_TEST_NGINX")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start(
    command: list[str], port: int, log: Path, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                _stop(process)
                pytest.fail(f"{command[0]} did not start:\n{log.read_text()}")
            time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server started here, and its process group: SIGTERM, then SIGKILL."""
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 10)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@dataclass
class Answer:
    """One response through nginx."""

    status: int
    set_cookies: list[str]
    body: bytes


@dataclass
class Proxy:
    """nginx on a loopback port, in front of the app of tests/nginx/nginx_app.py."""

    port: int
    requests: int = 0

    def send(self, method: str, path: str, cookie: str | None = None) -> Answer:
        """*method* *path* with browser headers and *cookie* as the Cookie header."""
        self.requests += 1
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.putrequest(method, path)
            for name, value in BROWSER_HEADERS.items():
                connection.putheader(name, value)
            if cookie:
                connection.putheader("Cookie", cookie)
            connection.putheader("Content-Length", "0")
            connection.endheaders()
            response = connection.getresponse()
            body = response.read()
            return Answer(response.status, response.msg.get_all("set-cookie") or [], body)
        finally:
            connection.close()

    def browse(self, jar: Jar, method: str, path: str) -> Answer:
        """*method* *path* from a browser holding *jar*, which takes the response's cookies."""
        answer = self.send(method, path, jar.header)
        jar.receive(answer.set_cookies)
        return answer


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    """nginx with default header limits, proxying to uvicorn serving tests/nginx/nginx_app.py
    with default session settings; both stopped when the module's tests end."""
    binary = nginx_binary()
    root = tmp_path_factory.mktemp("nginx")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("SESSION_")}
    env["SESSION_SECRET_KEY"] = SECRET
    env["SESSION_COMPRESS"] = "false"  # sizes to the byte: zlib's output varies by build
    upstream = _free_port()
    app = _start(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--app-dir",
            str(Path(__file__).parent),
            "--host",
            "127.0.0.1",
            "--port",
            str(upstream),
            "--log-level",
            "warning",
            "nginx_app:app",
        ],
        upstream,
        root / "uvicorn.log",
        env,
    )
    try:
        port = _free_port()
        # nginx started as root hands its workers to "nobody", who cannot enter pytest's
        # temporary directory: then they run as root, as the test does
        user = "user root;\n" if os.geteuid() == 0 else ""
        config = root / "nginx.conf"
        config.write_text(CONFIG.format(user=user, root=root, port=port, upstream=upstream))
        command = [binary, "-p", str(root), "-e", str(root / "error.log"), "-c", str(config)]
        server = _start([*command, "-g", "daemon off;"], port, root / "nginx.log", env)
        try:
            yield Proxy(port)
        finally:
            _stop(server)
    finally:
        _stop(app)
