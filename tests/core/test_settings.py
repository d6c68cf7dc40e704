"""SessionSettings: environment, defaults, and the combinations refused at start-up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError
from support import SECRET, make_settings

from satchel import SessionSettings


def _error(**options: Any) -> str:
    with pytest.raises(ValidationError) as info:
        make_settings(**options)
    return str(info.value)


def test_defaults_are_the_documented_ones() -> None:
    settings = make_settings()
    assert settings.backend == "signed"
    assert settings.cookie_name == "session"
    assert settings.cookie_path == "/"
    assert settings.cookie_httponly is True
    assert settings.cookie_samesite == "lax"
    assert settings.max_age == timedelta(days=14)
    assert settings.idle_timeout is None
    assert settings.persistent is True
    assert settings.rolling is False


def test_settings_read_session_environment_variables_case_insensitively(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)
    monkeypatch.setenv("session_cookie_name", "sid")
    monkeypatch.setenv("SESSION_MAX_AGE", "3600")
    monkeypatch.setenv("SESSION_IDLE_TIMEOUT", "PT30M")
    monkeypatch.setenv("SESSION_BACKEND", "fernet")
    settings = SessionSettings()
    assert settings.secret_key is not None
    assert settings.secret_key.get_secret_value() == SECRET
    assert settings.cookie_name == "sid"
    assert settings.max_age == timedelta(hours=1)
    assert settings.idle_timeout == timedelta(minutes=30)
    assert settings.backend == "fernet"


def test_keyword_arguments_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)
    monkeypatch.setenv("SESSION_COOKIE_NAME", "from_env")
    assert SessionSettings(cookie_name="explicit").cookie_name == "explicit"


@pytest.mark.parametrize(
    "raw",
    [
        f'["{"a" * 32}", "{"b" * 32}"]',
        f"{'a' * 32},{'b' * 32}",
        f" {'a' * 32} , {'b' * 32} ",
    ],
)
def test_fallback_secrets_accept_json_or_comma_separated_env(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)
    monkeypatch.setenv("SESSION_SECRET_KEY_FALLBACKS", raw)
    fallbacks = SessionSettings().secret_key_fallbacks
    assert [f.get_secret_value() for f in fallbacks] == ["a" * 32, "b" * 32]


def test_data_model_is_imported_from_a_dotted_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)
    monkeypatch.setenv("SESSION_DATA_MODEL", "pydantic:BaseModel")
    assert SessionSettings().data_model is BaseModel


def test_secrets_never_appear_in_repr_or_errors() -> None:
    settings = make_settings(secret_key_fallbacks=["f" * 40])
    assert SECRET not in repr(settings)
    assert "f" * 40 not in repr(settings)
    short = "tiny-secret-value"
    message = _error(secret_key=short, cookie_samesite="none")
    assert short not in message


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"cookie_samesite": "none"}, "cookie_samesite='none' requires cookie_secure"),
        ({"cookie_name": "__Host-s", "cookie_secure": False}, "__Host- cookie_name requires"),
        (
            {"cookie_name": "__Host-s", "cookie_secure": True, "cookie_domain": "example.com"},
            "__Host- cookie_name forbids cookie_domain",
        ),
        (
            {"cookie_name": "__host-s", "cookie_secure": True, "cookie_path": "/app"},
            "__Host- cookie_name requires cookie_path='/'",
        ),
        ({"cookie_name": "__Secure-s"}, "__Secure- cookie_name requires cookie_secure"),
        ({"cookie_partitioned": True}, "cookie_partitioned=True requires cookie_secure"),
        ({"secret_key": None}, "secret_key is required"),
        ({"secret_key": "x" * 31}, "secret_key must be at least 32 bytes"),
        ({"secret_key_fallbacks": ["short"]}, "secret_key_fallbacks[0] must be at least"),
        ({"backend": "base64", "allow_unsigned": False}, "allow_unsigned=True"),
        ({"max_age": timedelta(days=401)}, "max_age may not exceed 400 days"),
        (
            {"idle_timeout": 30, "refresh_interval": 60},
            "refresh_interval must be shorter than idle_timeout",
        ),
        ({"cookie_name": "bad name"}, "cookie_name"),
        ({"cookie_name": "a;b"}, "cookie_name"),
        ({"cookie_path": "/a;b"}, "cookie_path"),
        ({"cookie_path": "app"}, "cookie_path"),
        ({"cookie_domain": "example.com; Secure"}, "cookie_domain"),
        ({"max_age": 0}, "max_age"),
        ({"backend": "cookie"}, "backend"),
        ({"cookie_max_chunks": 100}, "cookie_max_chunks"),
        ({"secret_kee": SECRET}, "secret_kee"),
    ],
)
def test_invalid_configuration_fails_at_construction_naming_the_field(
    options: dict[str, Any], named: str
) -> None:
    assert named in _error(**options)


def test_every_problem_is_reported_at_once() -> None:
    message = _error(cookie_samesite="none", cookie_partitioned=True)
    assert "cookie_samesite" in message
    assert "cookie_partitioned" in message


@pytest.mark.parametrize("backend", ["signed", "jwt", "fernet", "aesgcm"])
def test_keyed_backends_need_a_secret(backend: str) -> None:
    assert "secret_key is required" in _error(backend=backend, secret_key=None)


def test_base64_needs_no_secret_once_unsigned_is_allowed() -> None:
    settings = make_settings(backend="base64", allow_unsigned=True, secret_key=None)
    assert settings.secret_key is None


def test_a_secure_host_cookie_is_accepted() -> None:
    settings = make_settings(cookie_name="__Host-session", cookie_secure=True)
    assert settings.cookie_name == "__Host-session"


def test_with_options_validates_the_new_combination() -> None:
    settings = make_settings()
    assert settings.with_options(max_age=60).max_age == timedelta(seconds=60)
    assert settings.with_options() is settings
    with pytest.raises(ValidationError, match="cookie_secure"):
        settings.with_options(cookie_samesite="none")


def test_typed_options_list_exactly_the_settings_fields() -> None:
    from satchel.settings import SessionOptions

    assert set(SessionOptions.__annotations__) == set(SessionSettings.model_fields)


def test_every_setting_is_documented_for_the_generated_reference() -> None:
    undocumented = [n for n, f in SessionSettings.model_fields.items() if not f.description]
    assert undocumented == []


def test_development_settings_generate_a_key_with_a_warning_only_when_none_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.warns(UserWarning, match="generated development key"):
        generated = SessionSettings.development()
    assert generated.secret_key is not None
    assert len(generated.secret_key.get_secret_value()) >= 43
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)
    configured = SessionSettings.development(cookie_name="dev")
    assert configured.secret_key is not None
    assert configured.secret_key.get_secret_value() == SECRET
    with pytest.raises(ValidationError, match="cookie_secure"):
        SessionSettings.development(cookie_samesite="none")
