"""satchel-asgi's own behaviour: what the contract does not cover."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from support import SECRET, FrozenClock, make_settings

from satchel import BackendUnavailable, BadCookie, Record, SessionManager
from satchel_asgi import Message, Receive, Scope, Send, SessionMiddleware, cookie_header

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Every test here runs under asyncio and trio."""
    return str(request.param)


def client(app: Any) -> httpx.AsyncClient:
    """An HTTP client for *app*."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def counter(scope: Scope, receive: Receive, send: Send) -> None:
    """Counts visits; sends its headers as a tuple (allowed by the ASGI spec)."""
    session = scope["session"]
    session["n"] = session.get("n", 0) + 1
    headers = ((b"content-type", b"text/plain"),)
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": str(session["n"]).encode()})


def test_cookie_header_joins_several_cookie_headers() -> None:
    scope = {"headers": [(b"cookie", b"a=1"), (b"x", b"y"), (b"cookie", b"b=2")]}
    assert cookie_header(scope) == "a=1; b=2"
    assert cookie_header({"headers": []}) is None


async def test_session_is_in_the_scope_and_counts_across_requests() -> None:
    async with client(SessionMiddleware(counter, secret_key=SECRET)) as http:
        assert [(await http.get("/")).text for _ in range(3)] == ["1", "2", "3"]


async def test_app_header_list_is_not_mutated() -> None:
    sent: list[tuple[bytes, bytes]] = [(b"content-type", b"text/plain")]
    original = list(sent)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["session"]["a"] = 1
        message = {"type": "http.response.start", "status": 200, "headers": sent}
        await send(message)
        assert message["headers"] is sent
        await send({"type": "http.response.body", "body": b""})

    async with client(SessionMiddleware(app, secret_key=SECRET)) as http:
        response = await http.get("/")
    assert sent == original
    assert "set-cookie" in response.headers


async def test_a_response_without_headers_key_still_gets_its_cookie() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["session"]["a"] = 1
        await send({"type": "http.response.start", "status": 204})
        await send({"type": "http.response.body"})

    async with client(SessionMiddleware(app, secret_key=SECRET)) as http:
        response = await http.get("/")
    assert response.status_code == 204
    assert "set-cookie" in response.headers


async def test_untouched_session_leaves_the_response_start_as_it_was() -> None:
    seen: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    middleware = SessionMiddleware(app, secret_key=SECRET)

    async def record(message: Message) -> None:
        seen.append(message)

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "headers": [(b"cookie", b"session=whatever")], "path": "/"}
    await middleware(scope, receive, record)
    assert seen[0] == {"type": "http.response.start", "status": 200, "headers": []}


# -- the exception rule ------------------------------------------------------------------------


async def test_a_change_before_the_response_started_is_committed_even_if_the_app_raises() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["session"]["saved"] = True
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("after the response started")

    messages: list[Message] = []

    async def record(message: Message) -> None:
        messages.append(message)

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    middleware = SessionMiddleware(app, secret_key=SECRET)
    with pytest.raises(RuntimeError):
        await middleware({"type": "http", "headers": [], "path": "/"}, receive, record)
    [start] = messages
    assert any(name == b"set-cookie" for name, _ in start["headers"])


async def test_nothing_is_committed_when_the_app_raises_before_a_response_starts() -> None:
    manager = SessionManager(make_settings(backend="memory"))

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["session"]["lost"] = True
        raise RuntimeError("before any response")

    messages: list[Message] = []

    async def record(message: Message) -> None:
        messages.append(message)

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    middleware = SessionMiddleware(app, manager=manager)
    with pytest.raises(RuntimeError):
        await middleware({"type": "http", "headers": [], "path": "/"}, receive, record)
    assert messages == []
    assert len(manager.backend) == 0  # type: ignore[arg-type]


# -- asgi-sessions compatibility -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "field", "expected"),
    [
        ({"session_type": "jwt"}, "backend", "jwt"),
        ({"session_type": "fernet"}, "backend", "fernet"),
        ({"session_type": "base64", "allow_unsigned": True}, "backend", "base64"),
        ({"cookie_name": "sid"}, "cookie_name", "sid"),
        ({"samesite": "Strict"}, "cookie_samesite", "strict"),
        ({"secure": True}, "cookie_secure", True),
        ({"max_age": 3600}, "persistent", True),
        ({"max_age": 0}, "persistent", False),
    ],
)
def test_asgi_sessions_keywords_map_onto_settings(
    options: dict[str, Any], field: str, expected: object
) -> None:
    middleware = SessionMiddleware(counter, secret_key=SECRET, **options)
    assert getattr(middleware.manager.settings, field) == expected


@pytest.mark.parametrize("session_type", ["JWT", "cookie", "", "pickle"])
def test_unknown_session_type_is_an_error_not_base64(session_type: str) -> None:
    with pytest.raises(ValueError, match="unknown session_type"):
        SessionMiddleware(counter, secret_key=SECRET, session_type=session_type)  # type: ignore[arg-type]


def test_base64_session_type_still_needs_the_unsigned_opt_in() -> None:
    with pytest.raises(ValueError, match="allow_unsigned"):
        SessionMiddleware(counter, secret_key=SECRET, session_type="base64")


def test_a_short_secret_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        SessionMiddleware(counter, secret_key="secret")


async def test_cookie_is_httponly_with_a_numeric_max_age() -> None:
    async with client(SessionMiddleware(counter, secret_key=SECRET, max_age=600)) as http:
        header = (await http.get("/")).headers["set-cookie"]
    assert "HttpOnly" in header
    assert "Max-Age=600;" in header


def test_settings_object_and_keyword_overrides_combine() -> None:
    settings = make_settings(cookie_name="shared")
    middleware = SessionMiddleware(counter, settings, max_age=60)
    assert middleware.manager.settings.cookie_name == "shared"
    assert middleware.manager.settings.max_age.total_seconds() == 60


def test_a_manager_cannot_be_combined_with_options() -> None:
    manager = SessionManager(make_settings())
    assert SessionMiddleware(counter, manager=manager).manager is manager
    with pytest.raises(ValueError, match="manager="):
        SessionMiddleware(counter, manager=manager, cookie_name="x")


def test_settings_come_from_the_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)
    monkeypatch.setenv("SESSION_COOKIE_NAME", "from_env")
    assert SessionMiddleware(counter).manager.settings.cookie_name == "from_env"


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_setup_works_with_asgi_tools_request_session(anyio_backend: str) -> None:
    from asgi_tools import App, Request

    app = App()
    app.middleware(SessionMiddleware.setup(secret_key=SECRET, session_type="jwt"))

    @app.route("/")
    async def home(request: Request) -> dict[str, Any]:
        request.session["n"] = request.session.get("n", 0) + 1
        return {"n": request["session"]["n"]}

    async with client(app) as http:
        assert [(await http.get("/")).json()["n"] for _ in range(3)] == [1, 2, 3]


# -- websockets ----------------------------------------------------------------------------------


async def test_websocket_scope_gets_the_session_and_its_handshake_the_cookie() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "websocket"
        await receive()  # websocket.connect
        seen = scope["session"].get("n", 0)
        scope["session"]["n"] = seen + 1
        await send({"type": "websocket.accept", "headers": [(b"x-seen", str(seen).encode())]})
        await send({"type": "websocket.close", "code": 1000})

    settings = make_settings()
    manager = SessionManager(settings)
    issuer = await manager.load(None)
    issuer["n"] = 4
    cookie = (await manager.commit(issuer))[0].split(";", 1)[0]
    sent: list[Message] = []
    inbox = [{"type": "websocket.connect"}]

    async def receive() -> Message:
        return inbox.pop(0)

    async def record(message: Message) -> None:
        sent.append(message)

    scope = {"type": "websocket", "headers": [(b"cookie", cookie.encode())], "path": "/ws"}
    await SessionMiddleware(app, manager=manager)(scope, receive, record)
    accept = sent[0]
    assert (b"x-seen", b"4") in accept["headers"]
    assert any(name == b"set-cookie" for name, _ in accept["headers"])


# -- lifespan and an unavailable store --------------------------------------------------------


class ClosingBackend:
    """A store-like backend that counts closes and can be made unavailable."""

    def __init__(self) -> None:
        self.closed = 0
        self.down = False
        self.records: dict[str, Record] = {}

    async def read(self, value: str, now: int) -> Record:
        if self.down:
            raise BackendUnavailable("down")
        if value not in self.records:
            raise BadCookie("unknown")
        return self.records[value]

    async def write(self, record: Record, previous: Record | None) -> str:
        if self.down:
            raise BackendUnavailable("down")
        key = f"id{len(self.records)}"
        self.records[key] = Record(record.payload, record.created, record.issued, key)
        return key

    async def delete(self, record: Record) -> None:
        return None

    async def aclose(self) -> None:
        self.closed += 1


async def test_lifespan_passes_through_and_shutdown_closes_the_store() -> None:
    backend = ClosingBackend()
    received: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert "session" not in scope
        while True:
            message = await receive()
            received.append(message["type"])
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return

    inbox = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[str] = []

    async def receive() -> Message:
        return inbox.pop(0)

    async def record(message: Message) -> None:
        sent.append(message["type"])

    manager = SessionManager(make_settings(), backend=backend)
    await SessionMiddleware(app, manager=manager)({"type": "lifespan"}, receive, record)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert backend.closed == 1


async def test_an_unavailable_store_gives_a_503_not_a_fresh_session() -> None:
    backend = ClosingBackend()
    manager = SessionManager(make_settings(), backend=backend)
    async with client(SessionMiddleware(counter, manager=manager)) as http:
        assert (await http.get("/")).text == "1"
        backend.down = True
        response = await http.get("/")  # the load fails
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        backend.down = False
        assert (await http.get("/")).text == "2"


async def test_a_store_failing_at_commit_gives_a_503_instead_of_the_response() -> None:
    backend = ClosingBackend()
    manager = SessionManager(make_settings(), backend=backend)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["session"]["a"] = 1
        backend.down = True
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"would lose the write"})

    async with client(SessionMiddleware(app, manager=manager)) as http:
        response = await http.get("/")
    assert response.status_code == 503
    assert b"would lose" not in response.content


async def test_the_503_answer_is_configurable() -> None:
    backend = ClosingBackend()
    backend.down = True
    manager = SessionManager(make_settings(), backend=backend)

    async def maintenance(scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": 302, "headers": [(b"location", b"/m")]}
        )
        await send({"type": "http.response.body", "body": b""})

    middleware = SessionMiddleware(counter, manager=manager, on_unavailable=maintenance)
    async with client(middleware) as http:
        response = await http.get("/", headers={"cookie": "session=id0"})
    assert response.status_code == 302


async def test_a_frozen_clock_manager_is_used_as_given(clock: FrozenClock) -> None:
    manager = SessionManager(make_settings(max_age=100), clock=clock)
    async with client(SessionMiddleware(counter, manager=manager)) as http:
        assert (await http.get("/")).text == "1"
        clock.advance(100)
        assert (await http.get("/")).text == "1"
