"""Configuration: Starlette's and starsessions' keyword names, the stores, precedence."""

from __future__ import annotations

import json
import typing
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.datastructures import Secret
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from support import SECRET, make_settings

import satchel
from satchel import SessionManager, SessionOptions
from satchel.errors import ConfigurationError
from satchel_starlette import (
    CookieStore,
    ImproperlyConfigured,
    InMemoryStore,
    RedisStore,
    Serializer,
    SessionMiddleware,
    StarletteOptions,
    get_session,
)

pytestmark = pytest.mark.anyio
Client = Callable[..., httpx.AsyncClient]


async def count(request: Request) -> PlainTextResponse:
    session = get_session(request)
    session["n"] = session.get("n", 0) + 1
    return PlainTextResponse(str(session["n"]))


async def nowhere(scope: Scope, receive: Receive, send: Send) -> None:
    """The app behind a middleware that is only inspected."""


def app_with(**options: Any) -> Starlette:
    return Starlette(
        routes=[Route("/", count)], middleware=[Middleware(SessionMiddleware, **options)]
    )


def settings_of(**options: Any) -> satchel.SessionSettings:
    return SessionMiddleware(nowhere, **options).manager.settings


def refusal(*args: Any, **options: Any) -> str:
    """Why the middleware refuses to start with these arguments (it keeps the error)."""
    error = SessionMiddleware(nowhere, *args, **options).error
    assert isinstance(error, ConfigurationError), error
    return str(error)


@pytest.mark.parametrize(
    ("options", "field", "expected"),
    [
        ({"session_cookie": "sid"}, "cookie_name", "sid"),
        ({"path": "/app"}, "cookie_path", "/app"),
        ({"same_site": "strict"}, "cookie_samesite", "strict"),
        ({"https_only": True}, "cookie_secure", True),
        ({"domain": "example.com"}, "cookie_domain", "example.com"),
        ({"partitioned": True, "https_only": True}, "cookie_partitioned", True),
        ({"max_age": 3600}, "max_age", timedelta(seconds=3600)),
        ({"max_age": 3600}, "persistent", True),
        ({"max_age": None}, "persistent", False),
    ],
)
def test_starlette_keywords_map_onto_settings(
    options: dict[str, Any], field: str, expected: object
) -> None:
    assert getattr(settings_of(secret_key=SECRET, **options), field) == expected


@pytest.mark.parametrize(
    ("options", "field", "expected"),
    [
        ({"lifetime": 3600}, "max_age", timedelta(seconds=3600)),
        ({"lifetime": timedelta(days=2)}, "max_age", timedelta(days=2)),
        ({"lifetime": 3600}, "persistent", True),
        ({"lifetime": 0}, "persistent", False),
        ({"rolling": True}, "rolling", True),
        ({"cookie_name": "sid"}, "cookie_name", "sid"),
        ({"cookie_https_only": True}, "cookie_secure", True),
        ({"cookie_same_site": "Strict"}, "cookie_samesite", "strict"),
        ({"cookie_path": "/admin"}, "cookie_path", "/admin"),
        ({"cookie_domain": "example.com"}, "cookie_domain", "example.com"),
    ],
)
def test_starsessions_keywords_map_onto_settings(
    options: dict[str, Any], field: str, expected: object
) -> None:
    assert getattr(settings_of(secret_key=SECRET, **options), field) == expected


def test_a_browser_session_cookie_is_still_expired_by_the_server() -> None:
    browser_session: list[dict[str, Any]] = [{"max_age": None}, {"lifetime": 0}]
    for options in browser_session:
        settings = settings_of(secret_key=SECRET, **options)
        assert settings.persistent is False
        assert settings.max_age == timedelta(days=14)  # Starlette would never expire it


async def test_a_browser_session_cookie_carries_no_max_age(http: Client) -> None:
    async with http(app_with(secret_key=SECRET, max_age=None)) as client:
        header = (await client.get("/")).headers["set-cookie"]
    assert "Max-Age" not in header
    assert "HttpOnly" in header


def test_starlettes_secret_type_and_its_positional_secret_are_accepted() -> None:
    assert SessionMiddleware(nowhere, secret_key=Secret(SECRET)).manager.settings.secret_key
    positional = SessionMiddleware(nowhere, SECRET).manager.settings.secret_key
    assert positional is not None
    assert positional.get_secret_value() == SECRET


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"https_only": True, "cookie_https_only": True},
            "cookie_secure is given twice in the options (as https_only and cookie_https_only)",
        ),
        ({"session_cookie": "a", "cookie_name": "b"}, "cookie_name is given twice"),
        ({"same_site": "lax", "cookie_same_site": "lax"}, "cookie_samesite is given twice"),
        (
            {"lifetime": 60, "max_age": 60},
            "max_age is given twice in the options (as lifetime and max_age)",
        ),
        ({"lifetime": -1}, "lifetime=-1: must be at least one second"),
        ({"max_age": None, "persistent": True}, "persistent=True contradicts"),
    ],
)
def test_contradicting_or_invalid_options_are_refused_naming_them_as_given(
    options: dict[str, Any], message: str
) -> None:
    assert message in refusal(secret_key=SECRET, **options)


def test_a_secret_given_both_ways_is_refused() -> None:
    assert refusal(SECRET, secret_key=SECRET) == (
        "secret_key is given twice (second argument and secret_key=)"
    )


def test_misspelled_option_is_refused_with_a_suggestion() -> None:
    assert refusal(secret_key=SECRET, sesion_cookie="x") == (
        "unknown session option 'sesion_cookie' in the options; did you mean 'session_cookie'?"
    )


@pytest.mark.parametrize("secret", ["TOP SECRET", "a-weak-secret"])
def test_a_weak_placeholder_secret_is_refused_at_start_up_without_showing_it(secret: str) -> None:
    expected = "secret_key must be at least 32 bytes: generate one with `satchel keygen`"
    assert refusal(secret_key=secret) == expected
    assert refusal(secret_key=Secret(secret)) == expected
    assert refusal(store=CookieStore(secret_key=secret)) == expected


def test_samesite_none_without_secure_is_refused_whatever_its_spelling() -> None:
    spellings: list[dict[str, Any]] = [{"same_site": "none"}, {"cookie_same_site": "None"}]
    for options in spellings:
        [name] = options
        assert f"{name}='none' requires SESSION_COOKIE_SECURE=True" in refusal(
            secret_key=SECRET, **options
        )


def test_a_refused_middleware_keeps_its_error_and_builds_no_manager() -> None:
    middleware = SessionMiddleware(nowhere, secret_key="short")
    assert isinstance(middleware.error, ConfigurationError)
    assert "at least 32 bytes" in str(middleware.error)
    assert not hasattr(middleware, "manager")


def test_settings_of_the_wrong_type_are_refused_too() -> None:
    middleware = SessionMiddleware(nowhere, {"secret_key": SECRET})  # type: ignore[arg-type]
    assert isinstance(middleware.error, TypeError)
    assert "settings must be a SessionSettings, not dict" in str(middleware.error)


def test_every_satchel_option_is_also_a_keyword_of_the_middleware() -> None:
    satchel_names = set(typing.get_type_hints(SessionOptions))
    assert satchel_names <= set(typing.get_type_hints(StarletteOptions))


def test_a_settings_object_with_keyword_overrides_and_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = SessionMiddleware(nowhere, make_settings(cookie_name="shared"), https_only=True)
    assert settings.manager.settings.cookie_name == "shared"
    assert settings.manager.settings.cookie_secure is True
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)
    monkeypatch.setenv("SESSION_COOKIE_NAME", "from_env")
    assert settings_of(same_site="strict").cookie_name == "from_env"


def test_a_manager_cannot_be_combined_with_options() -> None:
    manager = SessionManager(make_settings())
    assert SessionMiddleware(nowhere, manager=manager).manager is manager
    assert refusal(manager=manager, session_cookie="x") == (
        "manager= holds the settings; pass no other options (session_cookie)"
    )
    assert "manager= holds the settings" in refusal(manager=manager, store=InMemoryStore())


# -- stores ------------------------------------------------------------------------------


def test_cookie_store_is_the_signed_backend_and_hides_its_secret() -> None:
    store = CookieStore(secret_key=SECRET)
    settings = settings_of(store=store)
    assert settings.backend == "signed"
    assert SECRET not in repr(store)


def test_a_store_given_second_is_taken_as_starsessions_takes_it() -> None:
    manager = SessionMiddleware(nowhere, InMemoryStore(), secret_key=SECRET).manager
    assert isinstance(manager.backend, satchel.MemoryStore)
    assert SessionMiddleware(nowhere, CookieStore(secret_key=SECRET)).manager.settings.backend == (
        "signed"
    )
    assert refusal(InMemoryStore(), store=InMemoryStore(), secret_key=SECRET) == (
        "store is given twice (second argument and store=)"
    )


def test_starsessions_default_cookie_path_none_means_every_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SESSION_COOKIE_PATH", "/app")
    assert settings_of(secret_key=SECRET, cookie_path=None).cookie_path == "/"


def test_in_memory_store_is_the_memory_backend_and_needs_a_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert refusal(store=InMemoryStore()) == (
        "SESSION_SECRET_KEY is required for backend='memory': generate one with `satchel keygen`"
    )
    store = InMemoryStore(max_entries=5)
    manager = SessionMiddleware(nowhere, store=store, secret_key=SECRET).manager
    assert isinstance(manager.backend, satchel.MemoryStore)
    assert manager.settings.store_max_entries == 5
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)
    assert SessionMiddleware(nowhere, store=InMemoryStore()).manager.settings.backend == "memory"


def test_redis_store_with_a_url_is_the_redis_backend_under_its_prefix() -> None:
    store = RedisStore("redis://127.0.0.1:1/0", prefix="app:")
    manager = SessionMiddleware(nowhere, store=store, secret_key=SECRET).manager
    assert manager.settings.backend == "redis"
    assert manager.settings.store_prefix == "app:"
    assert isinstance(manager.backend, satchel.RedisStore)


async def test_redis_store_on_your_connection_uses_it_and_leaves_it_open(redis_url: str) -> None:
    connection = Redis.from_url(redis_url)
    try:
        store = RedisStore(connection=connection)
        manager = SessionMiddleware(nowhere, store=store, secret_key=SECRET).manager
        assert isinstance(manager.backend, satchel.RedisStore)
        assert manager.backend.client is connection
        await manager.aclose()
        assert await connection.ping()  # still yours to close
    finally:
        await connection.aclose()


def test_redis_store_needs_a_url_or_a_connection_and_a_string_prefix() -> None:
    with pytest.raises(ImproperlyConfigured, match="url or a connection") as raised:
        RedisStore()
    assert isinstance(raised.value, ConfigurationError)  # and a RuntimeError, as starsessions'
    assert isinstance(raised.value, RuntimeError)
    with pytest.raises(TypeError, match="prefix must be a str"):
        RedisStore("redis://127.0.0.1:1/0", prefix=lambda key: "p" + key)  # type: ignore[arg-type]


def test_an_option_given_by_the_store_and_the_middleware_is_refused() -> None:
    assert refusal(store=CookieStore(SECRET), secret_key=SECRET) == (
        "secret_key: set by the store and by an option; give it once"
    )
    assert refusal(store=CookieStore(SECRET), backend="jwt").startswith("backend: set by the store")


def test_gc_ttl_bounds_a_browser_session_on_the_server() -> None:
    store = InMemoryStore(secret_key=SECRET, gc_ttl=3600)
    for browser_session in ({"lifetime": 0}, {"max_age": None}, {"lifetime": timedelta(0)}):
        settings = settings_of(store=store, **browser_session)
        assert (settings.max_age, settings.persistent) == (timedelta(seconds=3600), False)
    assert settings_of(store=store, lifetime=60).max_age == timedelta(seconds=60)
    assert "persistent=True contradicts" in refusal(store=store, lifetime=0, persistent=True)


def test_a_satchel_backend_passed_as_the_store_is_used_as_is() -> None:
    backend = SessionManager(make_settings(backend="memory")).backend
    middleware = SessionMiddleware(nowhere, store=backend, secret_key=SECRET)
    assert middleware.manager.backend is backend


class ReprSerializer(Serializer):
    """starsessions' custom serializer interface, writing sorted JSON."""

    def __init__(self) -> None:
        self.calls = 0

    def serialize(self, data: Any) -> bytes:
        self.calls += 1
        return json.dumps(data, sort_keys=True).encode()

    def deserialize(self, data: bytes) -> dict[str, Any]:
        self.calls += 1
        loaded: dict[str, Any] = json.loads(data)
        return loaded


async def test_a_starsessions_style_serializer_serializes_the_sessions(http: Client) -> None:
    serializer = ReprSerializer()
    app = app_with(store=InMemoryStore(secret_key=SECRET), serializer=serializer)
    async with http(app) as client:
        assert [(await client.get("/")).text for _ in range(3)] == ["1", "2", "3"]
    assert serializer.calls > 0
