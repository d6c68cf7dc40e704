"""The plugin's options: muffin-session's names, Muffin's precedence, satchel's checks.

Options come from four places, later ones winning, as for every Muffin plugin:
the plugin's defaults, the application's config (``SESSION_*`` for a plugin
named "session"), the keyword options, and the environment
(``MUFFIN_SESSION_*``, after the application's name). Unlike Muffin's base
plugin, nothing is dropped: an unknown or misspelled option is an error, and
every session option is validated by `SessionSettings`.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Any, TypedDict

from asgi_tools import Request, ResponseError, ResponseRedirect
from pydantic import BaseModel, ConfigDict

from satchel import BackendName, SessionOptions, SessionSettings

Location = str | Callable[[Request], str | ResponseError | Awaitable[str | ResponseError]]
"""Where `Plugin.user_pass` sends a visitor who fails its check: a URL, or a function
of the request (sync or async) that returns one, or returns a `ResponseError` to raise."""

CookieParams = TypedDict(
    "CookieParams",
    {
        "path": str,
        "domain": str | None,
        "secure": bool,
        "httponly": bool,
        "samesite": str,
        "partitioned": bool,
        "max-age": int | None,
        "max_age": int | None,
    },
    total=False,
)
"""muffin-session's ``cookie_params``: each key sets one ``cookie_*`` setting and the
others keep their values. ``max-age: None`` means a cookie that ends with the browser
session (``persistent=False``); the server still enforces ``max_age``."""


class PluginOptions(SessionOptions, total=False):
    """Keyword options of `Plugin`: every `SessionSettings` option, the plugin's own,
    and muffin-session's names (``session_type``, ``cookie_params``)."""

    disabled: bool
    auto_manage: bool
    debug: bool | None
    session_type: BackendName
    cookie_params: CookieParams
    default_user_checker: Callable[[Any], Any]
    login_url: Location
    redirect_type: Callable[..., BaseException]


def _has_user(user: Any) -> bool:
    return user is not None


class PluginConfig(BaseModel):
    """The plugin's own options (the session options are `SessionSettings`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    disabled: bool = False
    """Install nothing: no middleware, no ``app.plugins`` entry."""

    auto_manage: bool = False
    """Load each request's session into ``request.session`` (``request.<name>`` for a
    plugin with another name) and save it into the response, raised ones included."""

    debug: bool | None = None
    """Allow running without a secret (a fresh one is generated, with a warning).
    ``None`` follows the application's ``DEBUG``."""

    login_url: str | Callable[..., Any] = "/login"
    """Where `Plugin.user_pass` redirects by default (see `Location`)."""

    redirect_type: Callable[..., BaseException] = ResponseRedirect
    """The response `Plugin.user_pass` raises to redirect: ``redirect_type(url, **params)``."""

    default_user_checker: Callable[[Any], Any] = _has_user
    """What `Plugin.user_pass` requires of the loaded user by default: that there is one."""


class ConfigurationError(ValueError):
    """An option the plugin does not know, or options that contradict each other."""


_ALIASES = frozenset({"session_type", "cookie_params"})
_PLUGIN = frozenset(PluginConfig.model_fields)
_SETTINGS = frozenset(SessionSettings.model_fields)
_KNOWN = _PLUGIN | _SETTINGS | _ALIASES
_COOKIE_PARAMS = {
    "path": "cookie_path",
    "domain": "cookie_domain",
    "secure": "cookie_secure",
    "httponly": "cookie_httponly",
    "samesite": "cookie_samesite",
    "partitioned": "cookie_partitioned",
}
_MAX_AGE = frozenset({"max-age", "max_age"})


def check_names(options: Iterable[str], source: str = "options") -> None:
    """Raise `ConfigurationError` for an option name the plugin does not know."""
    for name in options:
        if name.lower() not in _KNOWN:
            raise ConfigurationError(_unknown(name, source))


def _unknown(name: str, source: str) -> str:
    close = difflib.get_close_matches(name.lower(), sorted(_KNOWN), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown session option {name!r} in the {source}{hint}"


def _expand(name: str, value: Any, source: str) -> Iterator[tuple[str, Any]]:
    """The settings or plugin options one option name stands for."""
    if name == "session_type":
        yield "backend", value
    elif name == "cookie_params":
        if not isinstance(value, Mapping):
            raise ConfigurationError(f"cookie_params in the {source} must be a mapping")
        for param, param_value in value.items():
            key = str(param).lower()
            if key in _MAX_AGE:
                if param_value is None:
                    yield "persistent", False
                else:
                    yield "persistent", True
                    yield "max_age", param_value
            elif key in _COOKIE_PARAMS:
                if key == "samesite" and isinstance(param_value, str):
                    param_value = param_value.lower()
                yield _COOKIE_PARAMS[key], param_value
            else:
                accepted = ", ".join(sorted([*_COOKIE_PARAMS, "max-age"]))
                raise ConfigurationError(
                    f"unknown cookie_params key {param!r} in the {source} (accepted: {accepted})"
                )
    elif name in _KNOWN:
        yield name, value
    else:
        raise ConfigurationError(_unknown(name, source))


def _normalized(layer: Mapping[str, Any], source: str) -> dict[str, Any]:
    """One source's options under their settings or plugin names."""
    out: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    for raw_name, value in layer.items():
        name = raw_name.lower()
        for field, field_value in _expand(name, value, source):
            if field in out:
                raise ConfigurationError(
                    f"{field} is given twice in the {source} (as {spelled[field]} and {name})"
                )
            out[field] = field_value
            spelled[field] = name
    return out


def _prefixed(items: Iterable[tuple[str, Any]], prefix: str) -> dict[str, Any]:
    """The items whose upper-cased name starts with *prefix*, without it."""
    prefix = prefix.upper()
    return {
        name[len(prefix) :]: value
        for name, value in items
        if name.upper().startswith(prefix) and len(name) > len(prefix)
    }


def _from_environment(value: str) -> Any:
    """An environment value: a JSON object for ``cookie_params``, otherwise the text,
    which the option's type then parses (``true``, ``3600``, ``P14D``...)."""
    return json.loads(value) if value.lstrip().startswith("{") else value


def gather(
    *,
    name: str,
    app_name: str,
    app_config: Iterable[tuple[str, Any]],
    options: Mapping[str, Any],
    environ: Mapping[str, str],
) -> tuple[PluginConfig, dict[str, Any]]:
    """Merge every source by Muffin's precedence: app config < options < environment.

    Returns the plugin's own options, validated, and the session options still to
    be validated by `SessionSettings`.
    """
    layers = (
        ("app config", _prefixed(app_config, f"{name}_")),
        ("options", options),
        (
            "environment",
            {
                key: _from_environment(value)
                for key, value in _prefixed(environ.items(), f"{app_name}_{name}_").items()
            },
        ),
    )
    merged: dict[str, Any] = {}
    for source, layer in layers:
        merged.update(_normalized(layer, source))
    config = PluginConfig(**{k: v for k, v in merged.items() if k in _PLUGIN})
    return config, {k: v for k, v in merged.items() if k not in _PLUGIN}


def build_settings(
    base: SessionSettings | None, options: dict[str, Any], *, debug: bool
) -> SessionSettings:
    """The settings: *base* (else ``SESSION_*`` variables) with *options* applied.

    In *debug* mode a missing secret is replaced by a generated one, with a warning
    (`SessionSettings.development`). A weak secret is refused even then.
    """
    if base is not None:
        return base.with_options(**options)
    if debug:
        return SessionSettings.development(**options)
    return SessionSettings(**options)
