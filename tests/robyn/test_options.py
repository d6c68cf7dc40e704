"""configure_sessions: Robyn's option names, satchel's, settings objects, the environment,
and refusal at the call; requests run in-process through Robyn's own TestClient."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from robyn import Request, Response, Robyn, testing
from support import SECRET, make_settings

import satchel
from satchel import ConfigurationError, SessionManager, SignedBackend
from satchel.backends import Record
from satchel_robyn import RobynSessions, configure_sessions, get_session


def _json(payload: dict[str, Any]) -> Response:
    """A JSON response (Robyn's TestClient skips after-request hooks for a plain dict)."""
    return Response(200, {"content-type": "application/json"}, json.dumps(payload))


def _app(**options: Any) -> Robyn:
    app = Robyn(__file__)
    app.config.disable_openapi = True
    configure_sessions(app, **options)

    def count(request: Request) -> Response:
        session = get_session(request)
        session["n"] = session.get("n", 0) + 1
        return _json({"n": session["n"]})

    async def peek(request: Request) -> Response:
        return _json({"data": dict(get_session(request))})

    app.add_route("GET", "/count", count)
    app.add_route("GET", "/peek", peek)
    return app


def test_robyns_option_names_set_the_cookie_attributes() -> None:
    manager = RobynSessions(
        secret_key=SECRET,
        cookie_name="sid",
        path="/app",
        domain="example.com",
        secure=True,
        http_only=False,
        same_site="STRICT",  # type: ignore[arg-type]  # any case works; the type lists three
    ).manager
    settings = manager.settings
    assert (settings.cookie_name, settings.cookie_path, settings.cookie_domain) == (
        "sid",
        "/app",
        "example.com",
    )
    assert (settings.cookie_secure, settings.cookie_httponly) == (True, False)
    assert settings.cookie_samesite == "strict"


def test_robyns_max_age_none_gives_a_browser_session_cookie() -> None:
    settings = RobynSessions(secret_key=SECRET, max_age=None).manager.settings
    assert settings.persistent is False
    assert settings.max_age == timedelta(days=14)  # the server still ends it


def test_robyns_max_age_in_seconds_is_the_lifetime() -> None:
    assert RobynSessions(secret_key=SECRET, max_age=3600).manager.settings.max_age == timedelta(
        hours=1
    )


def test_settings_come_from_session_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)
    monkeypatch.setenv("SESSION_BACKEND", "fernet")
    assert RobynSessions().manager.settings.backend == "fernet"


def test_a_settings_object_and_a_manager_are_taken_as_they_are() -> None:
    settings = make_settings(backend="aesgcm")
    assert RobynSessions(settings, same_site="strict").manager.settings.cookie_samesite == "strict"
    manager = SessionManager(settings)
    assert RobynSessions(manager=manager).manager is manager


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"secret_key": "short"}, "secret_key"),
        ({"secret_key": SECRET, "same_site": "None"}, "same_site"),
        ({"secret_key": SECRET, "same_site": "sometimes"}, "same_site"),
        ({"secret_key": SECRET, "http_onyl": True}, "http_only"),
        ({"secret_key": SECRET, "path": "/a", "cookie_path": "/b"}, "given twice"),
        ({}, "SESSION_SECRET_KEY"),
    ],
)
def test_bad_settings_raise_at_configure_sessions_naming_the_option(
    options: dict[str, Any], named: str
) -> None:
    app = Robyn(__file__)
    with pytest.raises(ConfigurationError, match=named):
        configure_sessions(app, **options)
    assert app.middleware_router.global_middlewares == []


def test_a_manager_excludes_every_other_option() -> None:
    with pytest.raises(ConfigurationError, match="manager="):
        RobynSessions(manager=SessionManager(make_settings()), secret_key=SECRET)


def test_sessions_are_configured_once_per_app_robyns_or_satchels() -> None:
    app = Robyn(__file__)
    configure_sessions(app, secret_key=SECRET)
    with pytest.raises(RuntimeError, match="already configured"):
        configure_sessions(app, secret_key=SECRET)
    robyns = Robyn(__file__)
    robyns.configure_sessions(secret_key=SECRET)
    with pytest.raises(RuntimeError, match="already configured"):
        configure_sessions(robyns, secret_key=SECRET)


@pytest.mark.parametrize("backend", ["signed", "memory"])
def test_sync_and_async_handlers_share_request_session_in_the_test_client(backend: str) -> None:
    with testing.TestClient(_app(secret_key=SECRET, backend=backend)) as client:
        first = client.get("/count")
        assert first.json() == {"n": 1}
        assert first.headers.get("set-cookie").startswith("session=")
        assert first.headers.get("vary") == "Cookie"
        assert first.headers.get("cache-control") == "private"
        cookie = first.headers.get("set-cookie").split(";")[0]
        second = client.get("/count", headers={"Cookie": cookie})
        assert second.json() == {"n": 2}
        cookie = second.headers.get("set-cookie").split(";")[0]
        read = client.get("/peek", headers={"Cookie": cookie})
        assert read.json() == {"data": {"n": 2}}
        assert read.headers.get("set-cookie") is None


def test_a_store_down_at_commit_gets_cores_answer_logged_once(
    unused_redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = _app(secret_key=SECRET, backend="redis", redis_url=unused_redis_url, store_timeout=0.5)
    with caplog.at_level(logging.WARNING, "satchel"), testing.TestClient(app) as client:
        response = client.get("/count")
    assert response.status_code == 503
    assert response.headers.get("retry-after") == "5"
    assert response.headers.get("cache-control") == "no-store"
    assert response.content == satchel.UNAVAILABLE.body
    assert len([r for r in caplog.records if "unavailable" in r.getMessage()]) == 1


def test_a_store_down_at_load_gets_a_custom_answer_instead_of_the_handler(
    unused_redis_url: str,
) -> None:
    with testing.TestClient(_app(secret_key=SECRET, backend="memory")) as client:
        cookie = client.get("/count").headers.get("set-cookie").split(";")[0]
    custom = satchel.Answer(503, b"<h1>back soon</h1>", 1013, 30, "text/html")
    app = _app(
        secret_key=SECRET,
        backend="redis",
        redis_url=unused_redis_url,
        store_timeout=0.5,
        unavailable=custom,
    )
    with testing.TestClient(app) as client:
        response = client.get("/count", headers={"Cookie": cookie})
    assert (response.status_code, response.content) == (503, b"<h1>back soon</h1>")
    assert response.headers.get("retry-after") == "30"
    assert response.headers.get("content-type") == "text/html"


def test_get_session_outside_configured_sessions_is_a_clear_error() -> None:
    app = Robyn(__file__)
    app.add_route("GET", "/", lambda request: dict(get_session(request)))
    with testing.TestClient(app) as client, pytest.raises(RuntimeError, match="configure_sessions"):
        client.get("/")


class _SlowDelete(SignedBackend):
    """A cookie backend whose delete waits (a revocation list somewhere)."""

    async def delete(self, record: Record) -> None:
        await asyncio.sleep(0)


def test_a_cookie_backend_whose_commit_waits_is_a_clear_error_not_a_lost_write() -> None:
    settings = make_settings()
    manager = SessionManager(settings, backend=_SlowDelete.from_settings(settings))
    app = _app(manager=manager)

    def clear(request: Request) -> Response:
        get_session(request).clear()
        return _json({})

    app.add_route("GET", "/clear", clear)
    with testing.TestClient(app) as client:
        cookie = client.get("/count").headers.get("set-cookie").split(";")[0]
        with pytest.raises(RuntimeError, match="awaited I/O"):
            client.get("/clear", headers={"Cookie": cookie})


def test_every_public_name_is_exported_and_documented() -> None:
    import inspect

    import satchel_robyn
    from satchel_robyn import sessions

    public = {
        name
        for name, obj in vars(sessions).items()
        if not name.startswith("_") and getattr(obj, "__module__", None) == sessions.__name__
    }
    assert public | {"ALIASES"} == set(satchel_robyn.__all__)
    for name in satchel_robyn.__all__:
        obj = getattr(satchel_robyn, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert inspect.getdoc(obj), name
            for member, value in vars(obj).items():
                if inspect.isfunction(value) and not member.startswith("_"):
                    assert inspect.getdoc(value), f"{name}.{member}"


def test_a_secret_given_in_robyns_position_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="secret_key="):
        configure_sessions(Robyn(__file__), SECRET)  # type: ignore[arg-type]
