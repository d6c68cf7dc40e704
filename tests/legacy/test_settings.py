"""The legacy settings: read from ``SESSION_*`` variables, secrets kept out of reprs and
errors, and every combination that cannot work refused at start-up."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware as StarletteSessions
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from support import SECRET, MakeApp, Visit

from satchel import ConfigurationError, LegacyFormatName, SessionSettings

pytestmark = pytest.mark.anyio

PASSWORD = "hunter2-redis-password"


def test_every_legacy_setting_comes_from_session_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "SECRET_KEY": SECRET,
        "COOKIE_NAME": "__Host-session",
        "COOKIE_SECURE": "true",
        "LEGACY_FORMATS": "starlette, starsessions-redis",
        "LEGACY_SECRET_KEYS": '["old-one", "old-two"]',
        "LEGACY_MAX_AGE": "3600",
        "LEGACY_COOKIE_NAME": "session",
        "LEGACY_COOKIE_PATH": "/app",
        "LEGACY_COOKIE_DOMAIN": "example.com",
        "LEGACY_REDIS_URL": f"redis://:{PASSWORD}@127.0.0.1:6379/0",
        "LEGACY_STORE_PREFIX": "old.",
    }.items():
        monkeypatch.setenv(f"SESSION_{name}", value)
    settings = SessionSettings()
    assert settings.legacy_formats == ["starlette", "starsessions-redis"]
    assert [s.get_secret_value() for s in settings.legacy_secret_keys] == ["old-one", "old-two"]
    assert settings.legacy_max_age is not None
    assert settings.legacy_max_age.total_seconds() == 3600
    assert (settings.legacy_cookie_name, settings.legacy_cookie_path) == ("session", "/app")
    assert settings.legacy_cookie_domain == "example.com"
    assert settings.legacy_redis_url is not None
    assert PASSWORD in settings.legacy_redis_url.get_secret_value()
    assert settings.legacy_store_prefix == "old."
    assert PASSWORD not in repr(settings)
    assert "old-one" not in repr(settings)


def test_the_legacy_defaults_read_the_incumbent_where_it_usually_is() -> None:
    settings = SessionSettings(secret_key=SECRET)
    assert settings.legacy_formats == []
    assert settings.legacy_max_age is None
    assert settings.legacy_cookie_name is None
    assert settings.legacy_cookie_path == "/"
    assert settings.legacy_store_prefix == "starsessions."  # starsessions' RedisStore default


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"legacy_formats": ["muffin"]}, "legacy_formats"),
        ({"legacy_redis_url": "redis://127.0.0.1/0"}, "without 'starsessions-redis'"),
        ({"legacy_formats": ["starsessions-redis"]}, "set SESSION_LEGACY_REDIS_URL"),
        (
            {"legacy_formats": ["asgi-sessions-base64"], "legacy_secret_keys": ["old"]},
            "given without",
        ),
        (
            {
                "legacy_formats": ["starlette"],
                "legacy_cookie_name": "__Host-old",
                "legacy_cookie_path": "/app",
            },
            "__Host-",
        ),
        ({"legacy_formats": ["starlette"], "legacy_cookie_name": "a b"}, "legacy_cookie_name"),
        ({"legacy_formats": ["starlette"], "legacy_cookie_path": "app"}, "legacy_cookie_path"),
        ({"legacy_formats": ["starlette"], "legacy_cookie_domain": "a b"}, "legacy_cookie_domain"),
        ({"legacy_formats": ["starlette"], "legacy_max_age": 0}, "legacy_max_age"),
    ],
)
def test_legacy_settings_that_cannot_work_are_refused(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        SessionSettings(secret_key=SECRET, **options)


def test_a_legacy_redis_url_never_appears_in_an_error() -> None:
    with pytest.raises(ConfigurationError) as caught:
        SessionSettings(secret_key=SECRET, legacy_redis_url=f"redis://:{PASSWORD}@h/0")
    assert PASSWORD not in str(caught.value)
    assert "legacy_redis_url" in caught.value.fields


@pytest.mark.parametrize(
    ("name", "module", "extra"),
    [
        ("asgi-sessions-jwt", "jwt", "jwt"),
        ("asgi-sessions-fernet", "cryptography", "crypto"),
        ("starsessions-redis", "redis", "redis"),
    ],
)
def test_a_format_whose_dependency_is_missing_names_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, name: LegacyFormatName, module: str, extra: str
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda n, *a: None if n == module else real(n, *a)
    )
    with pytest.raises(ConfigurationError, match=rf"pip install 'satchel-core\[{extra}\]'"):
        SessionSettings(
            secret_key=SECRET,
            redis_url="redis://127.0.0.1/0",
            legacy_formats=[name],
            legacy_secret_keys=["old"],
        )


async def test_an_app_configured_by_variables_alone_keeps_starlettes_users_logged_in(
    monkeypatch: pytest.MonkeyPatch, visit: Visit, satchel_app: MakeApp
) -> None:
    async def login(request: Request) -> JSONResponse:
        request.session["user_id"] = "alice"
        return JSONResponse({})

    incumbent = Starlette(
        routes=[Route("/login", login, methods=["POST"])],
        middleware=[Middleware(StarletteSessions, secret_key="old")],
    )
    old = (await visit(incumbent, "/login", method="POST")).cookie("session")
    monkeypatch.setenv("SESSION_LEGACY_FORMATS", "starlette")
    monkeypatch.setenv("SESSION_LEGACY_SECRET_KEYS", "old")
    reply = await visit(satchel_app(), cookie=f"session={old}")
    assert reply.body["user"] == "alice"
    assert reply.cookie("session") not in (None, old)
