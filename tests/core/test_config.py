"""configure: the one configuration entry every adapter calls, aliases passed as data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from support import SECRET

from satchel import SessionManager, SessionSettings
from satchel.config import Aliases, configure
from satchel.errors import ConfigurationError

ALIASES: Aliases = {
    "session_cookie": "cookie_name",
    "same_site": "cookie_samesite",
    "https_only": "cookie_secure",
    "lifetime": "max_age",
    "cookie_params": {"path": "cookie_path", "max-age": "max_age", "secure": "cookie_secure"},
}


def _error(*args: Any, **kwargs: Any) -> str:
    with pytest.raises(ConfigurationError) as info:
        configure(*args, **kwargs)
    return str(info.value)


def test_aliases_and_satchel_names_give_equal_settings() -> None:
    by_alias = configure(
        {"secret_key": SECRET, "session_cookie": "sid", "same_site": "Strict", "https_only": True},
        aliases=ALIASES,
    )
    by_name = configure(
        {
            "secret_key": SECRET,
            "cookie_name": "sid",
            "cookie_samesite": "strict",
            "cookie_secure": True,
        }
    )
    assert by_alias.settings == by_name.settings
    assert by_alias.settings.cookie_samesite == "strict"


def test_a_nested_alias_table_maps_each_key() -> None:
    manager = configure(
        {"secret_key": SECRET, "cookie_params": {"path": "/app", "Max-Age": None}}, aliases=ALIASES
    )
    assert manager.settings.cookie_path == "/app"
    assert manager.settings.persistent is False


def test_an_unknown_key_of_a_nested_table_lists_the_accepted_ones() -> None:
    message = _error({"cookie_params": {"expires": 1}}, aliases=ALIASES)
    assert message == (
        "unknown cookie_params key 'expires' in the options (accepted: max-age, path, secure)"
    )


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [("sesion_cookie", "session_cookie"), ("max_ag", "max_age"), ("cookie_nme", "cookie_name")],
)
def test_a_misspelled_option_is_refused_with_a_suggestion(name: str, suggestion: str) -> None:
    message = _error({"secret_key": SECRET, name: 1}, aliases=ALIASES)
    assert (
        message == f"unknown session option {name!r} in the options; did you mean {suggestion!r}?"
    )


def test_one_setting_given_under_two_names_is_refused() -> None:
    message = _error({"cookie_secure": True, "https_only": False}, aliases=ALIASES)
    assert message == (
        "cookie_secure is given twice in the options (as cookie_secure and https_only)"
    )


def test_a_later_source_overrides_an_earlier_one_without_being_given_twice() -> None:
    manager = configure(
        [
            ("app config", {"SECRET_KEY": SECRET, "COOKIE_NAME": "from_config"}),
            ("options", {"session_cookie": "from_options"}),
        ],
        aliases=ALIASES,
    )
    assert manager.settings.cookie_name == "from_options"


def test_an_error_names_the_option_as_the_user_spelled_it() -> None:
    message = _error({"secret_key": SECRET, "same_site": "sideways"}, aliases=ALIASES)
    assert message.startswith("same_site='sideways': must be 'lax', 'strict' or 'none'")
    message = _error({"secret_key": SECRET, "same_site": "none"}, aliases=ALIASES)
    assert message == "same_site='none' requires SESSION_COOKIE_SECURE=True (browsers reject it)"


@pytest.mark.parametrize("value", [0, None, timedelta(0)])
def test_a_browser_session_alias_contradicted_by_persistent_is_refused(value: Any) -> None:
    message = _error({"secret_key": SECRET, "lifetime": value, "persistent": True}, aliases=ALIASES)
    assert message.startswith("lifetime=0 or None asks for a browser-session cookie")
    assert "persistent=True contradicts it" in message


def test_a_manager_excludes_every_other_option() -> None:
    manager = SessionManager(SessionSettings(secret_key=SECRET))
    assert configure({}, manager=manager) is manager
    message = _error({"cookie_name": "sid"}, manager=manager)
    assert message == "manager= holds the settings; pass no other options (cookie_name)"
    settings = SessionSettings(secret_key=SECRET)
    assert "(settings)" in _error({}, manager=manager, settings=settings)


def test_options_apply_over_given_settings() -> None:
    base = SessionSettings(secret_key=SECRET, cookie_name="base", cookie_secure=True)
    manager = configure({"session_cookie": "sid"}, aliases=ALIASES, settings=base)
    assert manager.settings.cookie_name == "sid"
    assert manager.settings.cookie_secure is True


def test_without_settings_the_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)
    monkeypatch.setenv("SESSION_COOKIE_NAME", "from_env")
    assert configure({}).settings.cookie_name == "from_env"
    monkeypatch.setenv("SESSION_MAXAGE", "60")
    message = _error({})
    assert message == (
        "SESSION_MAXAGE in the environment is not a satchel setting; did you mean SESSION_MAX_AGE?"
    )


def test_development_generates_a_missing_secret_with_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SESSION_SECRET_KEY", raising=False)
    with pytest.warns(UserWarning, match="generated development key"):
        manager = configure({}, development=True)
    assert manager.settings.secret_key is not None
    assert "SESSION_SECRET_KEY is required" in _error({})


def test_settings_of_another_type_are_a_type_error() -> None:
    with pytest.raises(TypeError, match="a secret goes in secret_key="):
        configure({}, settings="not-settings")  # type: ignore[arg-type]


def test_a_backend_factory_gets_the_final_settings() -> None:
    seen: list[SessionSettings] = []

    def factory(settings: SessionSettings) -> None:
        seen.append(settings)

    manager = configure({"secret_key": SECRET, "cookie_name": "sid"}, backend=factory)
    assert seen == [manager.settings]
    assert type(manager.backend).__name__ == "SignedBackend"  # None: the settings' backend


def test_a_missing_optional_dependency_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    monkeypatch.delitem(sys.modules, "satchel.backends.jwt", raising=False)
    for name in [m for m in sys.modules if m == "jwt" or m.startswith("jwt.")] or ["jwt"]:
        monkeypatch.setitem(sys.modules, name, None)  # as if pyjwt were not installed
    message = _error({"secret_key": SECRET, "backend": "jwt"})
    assert message == "backend='jwt' needs an optional dependency: pip install 'satchel-core[jwt]'"
