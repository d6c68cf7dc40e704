"""SessionSettings: environment, defaults, and the combinations refused at start-up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import BaseModel
from support import OTHER_SECRET as OTHER
from support import SECRET, make_settings

from satchel import SessionSettings
from satchel.errors import ConfigurationError


def _error(**options: Any) -> str:
    options.setdefault("secret_key", SECRET)
    with pytest.raises(ConfigurationError) as info:
        SessionSettings(**options)
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


def test_session_cookies_default_to_3072_bytes_of_the_cookie_header(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What stock nginx passes both ways, with room for the app's other cookies and
    response headers (tests/nginx); SESSION_COOKIE_MAX_BYTES goes further."""
    settings = make_settings()
    assert (settings.cookie_max_bytes, settings.cookie_max_chunks) == (3072, 3)
    monkeypatch.setenv("SESSION_COOKIE_MAX_BYTES", "12288")
    assert SessionSettings(secret_key=SECRET).cookie_max_bytes == 12288


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
        ({"cookie_samesite": "none"}, "cookie_samesite='none' requires SESSION_COOKIE_SECURE"),
        ({"cookie_name": "__Host-s", "cookie_secure": False}, "__Host- cookie_name requires"),
        (
            {"cookie_name": "__Host-s", "cookie_secure": True, "cookie_domain": "example.com"},
            "__Host- cookie_name forbids cookie_domain",
        ),
        (
            {"cookie_name": "__host-s", "cookie_secure": True, "cookie_path": "/app"},
            "__Host- cookie_name requires cookie_path='/'",
        ),
        ({"cookie_name": "__Secure-s"}, "__Secure- cookie_name requires SESSION_COOKIE_SECURE"),
        ({"cookie_partitioned": True}, "cookie_partitioned=True requires SESSION_COOKIE_SECURE"),
        ({"secret_key": None}, "secret_key is required"),
        ({"secret_key": "x" * 31}, "secret_key must be at least 32 bytes"),
        ({"secret_key_fallbacks": ["short"]}, "secret_key_fallbacks[0] must be at least"),
        ({"backend": "base64", "allow_unsigned": False}, "set allow_unsigned=True"),
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
        ({"max_age": 0.5}, "max_age=0.5: must be at least one second"),
        ({"backend": "cookie"}, "backend"),
        ({"cookie_max_chunks": 100}, "cookie_max_chunks"),
        ({"cookie_max_bytes": 512}, "cookie_max_bytes"),
        ({"cookie_max_bytes": 20 * 4096 + 1}, "cookie_max_bytes"),
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
    with pytest.raises(ConfigurationError, match="SESSION_COOKIE_SECURE"):
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
    with pytest.raises(ConfigurationError, match="SESSION_COOKIE_SECURE"):
        SessionSettings.development(cookie_samesite="none")


def test_an_error_names_the_variable_the_value_came_from(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)
    monkeypatch.setenv("SESSION_BACKEND", "postgres")
    with pytest.raises(ConfigurationError) as info:
        SessionSettings()
    message = str(info.value)
    assert message.startswith("SESSION_BACKEND='postgres': must be 'signed', 'jwt'")
    assert "\n" not in message
    assert info.value.fields == ("backend",)


def test_a_missing_secret_names_its_variable_and_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SESSION_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError) as info:
        SessionSettings()
    assert str(info.value) == (
        "SESSION_SECRET_KEY is required for SESSION_BACKEND='signed': "
        "generate one with `satchel keygen`"
    )


def test_a_short_secret_from_the_environment_is_never_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SESSION_SECRET_KEY", "tiny-secret-value")
    monkeypatch.setenv("SESSION_REDIS_URL", "redis://:hunter2-password@localhost/0")
    monkeypatch.setenv("SESSION_SECRET_KEY_FALLBACKS", "also-tiny-secret")
    with pytest.raises(ConfigurationError) as info:
        SessionSettings(backend="redis")
    message = str(info.value)
    assert "SESSION_SECRET_KEY must be at least 32 bytes" in message
    assert "SESSION_SECRET_KEY_FALLBACKS[0] must be at least 32 bytes" in message
    for secret in ("tiny-secret-value", "hunter2", "also-tiny-secret"):
        assert secret not in message
        assert secret not in repr(info.value)


def test_a_configuration_error_is_a_satchel_error_and_a_value_error() -> None:
    from satchel import SatchelError

    assert issubclass(ConfigurationError, SatchelError)
    assert issubclass(ConfigurationError, ValueError)


@pytest.mark.parametrize(
    ("variable", "suggestion"),
    [
        ("SESSION_MAXAGE", "did you mean SESSION_MAX_AGE?"),
        ("SESSION_SECRT_KEY", "did you mean SESSION_SECRET_KEY?"),
        ("session_cookie_nam", "did you mean SESSION_COOKIE_NAME?"),
        ("SESSION_FLAVOUR", "see the settings reference for the names"),
    ],
)
def test_a_misspelled_session_variable_is_refused_with_a_suggestion(
    monkeypatch: pytest.MonkeyPatch, variable: str, suggestion: str
) -> None:
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)
    monkeypatch.setenv(variable, "60")
    with pytest.raises(ConfigurationError) as info:
        SessionSettings()
    assert str(info.value) == (
        f"{variable.upper()} in the environment is not a satchel setting; {suggestion}"
    )


def test_the_desktop_session_manager_variable_is_not_taken_for_a_typo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SESSION_MANAGER", "local/host:@/tmp/.ICE-unix/1234")
    assert SessionSettings(secret_key=SECRET).backend == "signed"


def test_a_dotenv_file_is_read_when_asked_and_its_other_variables_ignored(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"DATABASE_URL=postgres://app@db/app\nDEBUG=1\nSESSION_SECRET_KEY={SECRET}\n"
        "session_max_age=3600\nSESSION_BACKEND=jwt\n"
    )
    monkeypatch.setenv("SESSION_BACKEND", "fernet")  # the environment wins over the file
    settings = SessionSettings.from_env_file(env_file, cookie_name="sid")
    assert settings.secret_key is not None
    assert settings.secret_key.get_secret_value() == SECRET
    assert settings.max_age == timedelta(hours=1)
    assert settings.backend == "fernet"
    assert settings.cookie_name == "sid"
    assert SessionSettings.from_env_file(tmp_path / "absent.env", secret_key=SECRET).max_age == (
        timedelta(days=14)
    )


def test_a_dotenv_file_is_not_read_unless_asked(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("SESSION_COOKIE_NAME=from_file\n")
    monkeypatch.chdir(tmp_path)
    assert SessionSettings(secret_key=SECRET).cookie_name == "session"
    assert SessionSettings.from_env_file(secret_key=SECRET).cookie_name == "from_file"


def test_a_misspelled_variable_in_a_dotenv_file_is_refused(tmp_path: Any) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"SESSION_SECRET_KEY={SECRET}\nSESSION_IDLE_TIMOUT=60\n")
    with pytest.raises(
        ConfigurationError,
        match=r"SESSION_IDLE_TIMOUT in the \.env file .* "
        r"did you mean SESSION_IDLE_TIMEOUT\?",
    ):
        SessionSettings.from_env_file(env_file)


@pytest.mark.parametrize("value", [0, 0.0, None, timedelta(0)])
def test_max_age_zero_or_none_asks_for_a_browser_session_cookie(value: Any) -> None:
    settings = SessionSettings(secret_key=SECRET, max_age=value)
    assert settings.persistent is False
    assert settings.max_age == timedelta(days=14)  # the server still ends the session


def test_max_age_zero_from_the_environment_is_a_browser_session_cookie(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SESSION_MAX_AGE", "0")
    assert SessionSettings(secret_key=SECRET).persistent is False


@pytest.mark.parametrize("persistent", [True, "true", "1"])
def test_a_browser_session_cookie_that_is_persistent_is_a_contradiction(persistent: Any) -> None:
    message = _error(max_age=None, persistent=persistent)
    assert "max_age=0 or None asks for a browser-session cookie" in message
    assert "persistent=True contradicts it" in message


@pytest.mark.parametrize("given", ["Lax", "STRICT", "none", "Strict"])
def test_samesite_is_accepted_in_any_case(given: str) -> None:
    settings = SessionSettings(secret_key=SECRET, cookie_samesite=given, cookie_secure=True)  # type: ignore[arg-type]
    assert settings.cookie_samesite == given.lower()


def test_a_secret_wrapper_gives_its_text() -> None:
    class Secret:  # as Starlette's starlette.datastructures.Secret
        def __init__(self, value: str) -> None:
            self._value = value

        def __str__(self) -> str:
            return self._value

    settings = SessionSettings(
        secret_key=Secret(SECRET),  # type: ignore[arg-type]
        secret_key_fallbacks=[Secret(OTHER)],  # type: ignore[list-item]
    )
    assert settings.secret_key is not None
    assert settings.secret_key.get_secret_value() == SECRET
    assert [f.get_secret_value() for f in settings.secret_key_fallbacks] == [OTHER]


def test_cookie_path_none_means_every_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SESSION_COOKIE_PATH", "/app")
    assert SessionSettings(secret_key=SECRET).cookie_path == "/app"
    assert SessionSettings(secret_key=SECRET, cookie_path=None).cookie_path == "/"
