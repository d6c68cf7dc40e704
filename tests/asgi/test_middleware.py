"""SessionMiddleware as an ASGI citizen: scopes, messages, errors, lifespan.

What every adapter must do (cookies, expiry, regeneration...) is pinned once in
tests/contract; this file pins what is particular to the raw ASGI middleware.
"""

from __future__ import annotations

import pytest
from asgi.conftest import Exchange, Store, client, counter, http_scope
from support import SECRET, FrozenClock, make_settings

from satchel import BackendUnavailable, SessionManager
from satchel.answers import UNAVAILABLE, Answer
from satchel_asgi import Receive, Scope, Send, SessionMiddleware

pytestmark = pytest.mark.anyio


async def test_session_is_in_the_scope_and_counts_across_requests() -> None:
    async with client(SessionMiddleware(counter, secret_key=SECRET)) as http:
        assert [(await http.get("/")).text for _ in range(3)] == ["1", "2", "3"]


async def test_headers_sent_as_a_tuple_get_the_cookie_and_keep_their_own() -> None:
    async with client(SessionMiddleware(counter, secret_key=SECRET)) as http:
        response = await http.get("/")
    assert response.headers["content-type"] == "text/plain"
    assert "set-cookie" in response.headers


async def test_app_header_list_is_not_mutated() -> None:
    sent: list[tuple[bytes, bytes]] = [(b"content-type", b"text/plain")]
    message = {"type": "http.response.start", "status": 200, "headers": sent}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["session"]["a"] = 1
        await send(message)
        await send({"type": "http.response.body", "body": b""})

    [start, _] = await Exchange()(SessionMiddleware(app, secret_key=SECRET), http_scope())
    assert sent == [(b"content-type", b"text/plain")]
    assert message == {"type": "http.response.start", "status": 200, "headers": sent}
    assert start is not message
    assert any(name == b"set-cookie" for name, _ in start["headers"])


async def test_a_response_start_without_headers_still_gets_its_cookie() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["session"]["a"] = 1
        await send({"type": "http.response.start", "status": 204})
        await send({"type": "http.response.body"})

    async with client(SessionMiddleware(app, secret_key=SECRET)) as http:
        response = await http.get("/")
    assert response.status_code == 204
    assert "set-cookie" in response.headers


async def test_an_untouched_session_sends_the_apps_messages_unchanged() -> None:
    start = {"type": "http.response.start", "status": 200, "headers": [(b"x", b"y")]}
    body = {"type": "http.response.body", "body": b"ok"}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(start)
        await send(body)

    middleware = SessionMiddleware(app, secret_key=SECRET)
    scope = http_scope((b"cookie", b"session=not-even-valid"))
    sent = await Exchange()(middleware, scope)
    assert sent[0] is start  # no Set-Cookie, no Vary, not even a copy
    assert sent[1] is body
    assert start["headers"] == [(b"x", b"y")]


async def test_several_cookie_headers_are_read_as_one() -> None:
    manager = SessionManager(make_settings())
    issued = await manager.load(None)
    issued["n"] = 41
    [cookie] = await manager.commit(issued)
    pair = cookie.split(";", 1)[0].encode()
    scope = http_scope((b"cookie", b"theme=dark"), (b"accept", b"*/*"), (b"cookie", pair))
    [_, body] = await Exchange()(SessionMiddleware(counter, manager=manager), scope)
    assert body["body"] == b"42"


# -- the exception rule: committed when a response start is sent, else nothing ------------------


async def test_a_change_before_the_response_started_is_committed_even_if_the_app_raises() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["session"]["saved"] = True
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("after the response started")

    exchange = Exchange()
    with pytest.raises(RuntimeError, match="after the response started"):
        await exchange(SessionMiddleware(app, secret_key=SECRET), http_scope())
    [start] = exchange.sent
    assert any(name == b"set-cookie" for name, _ in start["headers"])


async def test_nothing_is_committed_when_the_app_raises_before_a_response_starts() -> None:
    manager = SessionManager(make_settings(backend="memory"))

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["session"]["lost"] = True
        raise RuntimeError("before any response")

    exchange = Exchange()
    with pytest.raises(RuntimeError, match="before any response"):
        await exchange(SessionMiddleware(app, manager=manager), http_scope())
    assert exchange.sent == []
    assert len(manager.backend) == 0  # type: ignore[arg-type]


# -- websockets ----------------------------------------------------------------------------------


async def test_websocket_scope_gets_the_session_and_its_accept_the_cookie() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()  # websocket.connect
        seen = scope["session"].get("n", 0)
        scope["session"]["n"] = seen + 1
        await send({"type": "websocket.accept", "headers": [(b"x-seen", str(seen).encode())]})
        await send({"type": "websocket.close", "code": 1000})

    manager = SessionManager(make_settings())
    issued = await manager.load(None)
    issued["n"] = 4
    cookie = (await manager.commit(issued))[0].split(";", 1)[0].encode()
    scope = {"type": "websocket", "path": "/ws", "headers": [(b"cookie", cookie)]}
    exchange = Exchange({"type": "websocket.connect"})
    [accept, close] = await exchange(SessionMiddleware(app, manager=manager), scope)
    assert (b"x-seen", b"4") in accept["headers"]
    assert any(name == b"set-cookie" for name, _ in accept["headers"])
    assert close == {"type": "websocket.close", "code": 1000}


# -- lifespan and an unavailable store -----------------------------------------------------------


async def test_lifespan_passes_through_and_shutdown_closes_the_store() -> None:
    store = Store()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert "session" not in scope
        assert (await receive())["type"] == "lifespan.startup"
        await send({"type": "lifespan.startup.complete"})
        assert store.closed == 0
        assert (await receive())["type"] == "lifespan.shutdown"
        await send({"type": "lifespan.shutdown.complete"})

    manager = SessionManager(make_settings(), backend=store)
    exchange = Exchange({"type": "lifespan.startup"}, {"type": "lifespan.shutdown"})
    sent = await exchange(SessionMiddleware(app, manager=manager), {"type": "lifespan"})
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert store.closed == 1


async def test_an_unavailable_store_gives_a_503_not_a_fresh_session() -> None:
    store = Store()
    manager = SessionManager(make_settings(), backend=store)
    async with client(SessionMiddleware(counter, manager=manager)) as http:
        assert (await http.get("/")).text == "1"
        store.down = True
        response = await http.get("/")  # the load fails
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        assert response.headers["content-type"].startswith("text/plain")
        store.down = False
        assert (await http.get("/")).text == "2"


async def test_an_outage_answers_cores_answer_and_logs_one_warning_per_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = Store()
    store.down = True
    manager = SessionManager(make_settings(), backend=store)
    async with client(SessionMiddleware(counter, manager=manager)) as http:
        with caplog.at_level("DEBUG", logger="satchel"):
            responses = [await http.get("/", headers={"cookie": "session=id0"}) for _ in range(2)]
    for response in responses:
        assert response.status_code == UNAVAILABLE.status
        assert response.content == UNAVAILABLE.body
        assert [(k, v) for k, v in response.headers.items()] == list(UNAVAILABLE.headers)
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 2
    assert all("session store unavailable" in r.getMessage() for r in warnings)
    assert all("id0" not in r.getMessage() for r in caplog.records)


async def test_a_store_failing_at_commit_gives_a_503_instead_of_the_response() -> None:
    store = Store()
    manager = SessionManager(make_settings(), backend=store)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["session"]["a"] = 1
        store.down = True
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"would lose the write"})

    async with client(SessionMiddleware(app, manager=manager)) as http:
        response = await http.get("/")
    assert response.status_code == 503
    assert b"would lose" not in response.content


async def test_an_unavailable_store_refuses_a_websocket_with_1013() -> None:
    store = Store()
    store.down = True
    manager = SessionManager(make_settings(), backend=store)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("the app is not called without its session")

    scope = {"type": "websocket", "path": "/ws", "headers": [(b"cookie", b"session=id0")]}
    sent = await Exchange({"type": "websocket.connect"})(
        SessionMiddleware(app, manager=manager), scope
    )
    assert sent == [{"type": "websocket.close", "code": 1013}]


async def test_the_answer_to_an_unavailable_store_is_configurable() -> None:
    store = Store()
    store.down = True
    manager = SessionManager(make_settings(), backend=store)

    page = Answer(503, b"<h1>Back soon</h1>", 1013, 60, "text/html; charset=utf-8")
    middleware = SessionMiddleware(counter, manager=manager, unavailable=page)
    async with client(middleware) as http:
        response = await http.get("/", headers={"cookie": "session=id0"})
    assert (response.status_code, response.text) == (503, "<h1>Back soon</h1>")
    assert response.headers["retry-after"] == "60"
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"


async def test_a_given_manager_is_used_as_is_with_its_clock(clock: FrozenClock) -> None:
    manager = SessionManager(make_settings(max_age=100), clock=clock)
    middleware = SessionMiddleware(counter, manager=manager)
    assert middleware.manager is manager
    async with client(middleware) as http:
        assert (await http.get("/")).text == "1"
        assert (await http.get("/")).text == "2"
        clock.advance(100)
        assert (await http.get("/")).text == "1"


async def test_a_store_outage_the_app_raises_gets_cores_answer_before_a_response() -> None:
    store = Store()
    manager = SessionManager(make_settings(), backend=store)

    async def revoking(scope: Scope, receive: Receive, send: Send) -> None:
        await manager.revoke_user("alice")  # the store answers nothing

    async def revoking_late(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await manager.revoke_user("alice")

    store.down = True
    async with client(SessionMiddleware(revoking, manager=manager)) as http:
        response = await http.get("/")
    assert (response.status_code, response.content) == (503, UNAVAILABLE.body)
    with pytest.raises(BackendUnavailable):  # a response started: only the server can answer
        async with client(SessionMiddleware(revoking_late, manager=manager)) as http:
            await http.get("/")
