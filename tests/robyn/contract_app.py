"""The contract's route table (`contract.apps.asgi.ROUTES`) as a Robyn app, sessions by
satchel-robyn, and a real server to drive it.

Robyn is not ASGI, so its app cannot sit behind httpx's ASGI transport: `serve` forks
this process (the manager, its clock and its memory store come along) and runs the
app on a free loopback port, driven over real HTTP. Robyn ignores SIGTERM, so the
server runs in its own process group and `Server.stop` kills the group. Robyn keeps one
server per process. A clock the test moves must be a `support.SharedClock`, whose time lives
in memory the forked server reads.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from contract.apps.asgi import ROUTES, Handler
from robyn import Request, Response, Robyn

import satchel_robyn
from satchel import SessionManager
from satchel_robyn import RobynSessions, configure_sessions, get_session

ALIASES = satchel_robyn.ALIASES


def build(**options: Any) -> SessionManager:
    """The manager satchel-robyn builds from *options*, as a user passes them."""
    return RobynSessions(**options).manager


def _body(request: Request) -> dict[str, Any]:
    data = json.loads(request.body) if request.body else {}
    assert isinstance(data, dict)
    return data


def _json(payload: dict[str, Any]) -> Response:
    return Response(200, {"content-type": "application/json"}, json.dumps(payload))


def make_app(manager: SessionManager) -> Robyn:
    """A Robyn app serving the contract routes, its sessions from *manager*."""
    app = Robyn(__file__)
    app.config.disable_openapi = True
    configure_sessions(app, manager=manager)

    app.add_route("GET", "/untouched", lambda request: _json({"ok": True}))
    for (method, path), handler in ROUTES.items():

        def route(request: Request, handler: Handler = handler) -> Response:
            return _json(handler(get_session(request), _body(request)))

        app.add_route(method, path, route)
    return app


@dataclass
class Server:
    """A Robyn app served by a forked process group on loopback."""

    url: str
    pid: int
    stopped: bool = False

    def stop(self) -> None:
        """Kill the server's process group (Robyn ignores SIGTERM) and reap it; again, nothing."""
        if not self.stopped:
            self.stopped = True
            os.killpg(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)

    def transport(self) -> httpx.AsyncBaseTransport:
        """An httpx transport that sends every request here, whatever its URL's host (the
        contract's ``http://testserver``, whose cookie domain its tests plant cookies on)."""
        return _Loopback(httpx.URL(self.url))


class _Loopback(httpx.AsyncHTTPTransport):
    def __init__(self, target: httpx.URL) -> None:
        super().__init__()
        self.target = target

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url.copy_with(scheme="http", host=self.target.host, port=self.target.port)
        sent = httpx.Request(
            request.method, url, headers=request.headers, stream=request.stream
        )  # a copy: the client files the response's cookies under the request's own URL
        return await super().handle_async_request(sent)


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(factory: Callable[[], Robyn], processes: int = 1, timeout: float = 20) -> Server:
    """Serve the app *factory* builds (in the forked child) on a free loopback port,
    in *processes* processes; return once it answers, within *timeout* seconds."""
    port = free_port()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
        pid = os.fork()
    if pid == 0:  # the server: its own process group, never back into the caller
        try:
            os.setsid()
            # a server, not a test: pytest's "warnings are errors" would stop Robyn's own
            # start-up on a Python that deprecates what it calls (3.12 and later)
            warnings.resetwarnings()
            app = factory()
            app.config.processes = processes
            app.start(host="127.0.0.1", port=port, _check_port=False)
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(1)
    server = Server(f"http://127.0.0.1:{port}", pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.waitpid(pid, os.WNOHANG) != (0, 0):
            raise RuntimeError("the Robyn server exited while starting")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.05)
    server.stop()
    raise TimeoutError(f"the Robyn server did not listen on {port} within {timeout} s")


def serve_manager(manager: SessionManager) -> Server:
    """The contract app for *manager* on a real server, stopped at exit at the latest
    (what the contract suite needs: ``httpx.AsyncClient(transport=server.transport())``)."""
    server = serve(lambda: make_app(manager))
    atexit.register(server.stop)
    return server
