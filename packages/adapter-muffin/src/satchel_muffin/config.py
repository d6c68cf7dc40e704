"""The plugin's options: muffin-session's names as data, Muffin's layers, core's checks."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypedDict

from asgi_tools import Request, ResponseError, ResponseRedirect
from muffin import Application
from pydantic import BaseModel, ConfigDict, InstanceOf, ValidationError

from satchel.answers import UNAVAILABLE, Answer
from satchel.config import Aliases
from satchel.errors import ConfigurationError
from satchel.settings import BackendName, SessionOptions, SessionSettings

Location = str | Callable[[Request], str | ResponseError | Awaitable[str | ResponseError]]
"""Where `Plugin.user_pass` sends whom it refuses: a URL, or a function of the request."""

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
"""muffin-session's ``cookie_params``, merged key by key (``max-age`` None: browser session)."""

_COOKIE_ATTRIBUTES = ("path", "domain", "secure", "httponly", "samesite", "partitioned")
ALIASES: Aliases = {
    "session_type": "backend",
    "cookie_params": {key: f"cookie_{key}" for key in _COOKIE_ATTRIBUTES}
    | {"max-age": "max_age", "max_age": "max_age"},
}
"""muffin-session's option names, each with the satchel option (or options) it sets."""


class PluginOptions(SessionOptions, total=False):
    """`Plugin`'s keyword options: satchel's, the plugin's own and muffin-session's."""

    disabled: bool
    auto_manage: bool
    debug: bool | None
    session_type: BackendName
    cookie_params: CookieParams
    default_user_checker: Callable[[Any], Any]
    login_url: Location
    redirect_type: Callable[..., BaseException]
    unavailable: Answer


class PluginConfig(BaseModel):
    """The plugin's own options (the session options are `SessionSettings`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    disabled: bool = False
    """Install nothing: no middleware, no ``app.plugins`` entry."""
    auto_manage: bool = False
    """Load the session before each view, save it into the response, returned or raised."""
    debug: bool | None = None
    """Generate a missing secret, with a warning (None: the app's ``DEBUG``)."""
    login_url: str | Callable[..., Any] = "/login"
    """Where `Plugin.user_pass` redirects by default (a `Location`)."""
    redirect_type: Callable[..., BaseException] = ResponseRedirect
    """What `Plugin.user_pass` raises to redirect: ``redirect_type(url, **params)``."""
    default_user_checker: Callable[[Any], Any] = lambda user: user is not None
    """What `Plugin.user_pass` requires of the user by default: that there is one."""
    unavailable: InstanceOf[Answer] = UNAVAILABLE
    """The answer when the session store is down (core's 503, with Retry-After)."""


OWN = frozenset(PluginConfig.model_fields)
"""The plugin's own option names (the others are session options)."""


def gather(
    name: str, app: Application, options: Mapping[str, Any]
) -> tuple[PluginConfig, list[tuple[str, dict[str, Any]]]]:
    """Muffin's layers (app config < options < environment), split into the plugin's own
    options and the sources of session options for `satchel.config.configure`."""
    config, environment = f"{name}_".upper(), f"{app.cfg.name}_{name}_".upper()
    layers = {  # each named as errors say where an option was: "in the app config (SESSION_*)"
        f"app config ({config}*)": _prefixed(dict(app.cfg).items(), config),
        "options": options,
        f"environment ({environment}*)": _prefixed(os.environ.items(), environment),
    }
    own: dict[str, Any] = {}
    sources: list[tuple[str, dict[str, Any]]] = []
    for where, layer in layers.items():
        sources.append((where, {}))
        for option, value in layer.items():
            key = option.lower()
            if key in OWN:
                own[key] = value
            else:
                sources[-1][1][option] = value
    try:
        return PluginConfig(**own), sources
    except ValidationError as exc:
        bad = "; ".join(f"{e['loc'][0]}={e['input']!r}: {e['msg']}" for e in exc.errors())
        raise ConfigurationError(bad, tuple(str(e["loc"][0]) for e in exc.errors())) from None


class PlainSecret(str):
    """The secret key as muffin-session's ``cfg.secret_key`` gave it, plain text (code
    reads it to sign other things), but with a repr that hides it: printing the config,
    a log of it or a traceback never shows the secret."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "PlainSecret('**********')"


def session_cfg(settings: SessionSettings) -> dict[str, Any]:
    """*settings* as muffin-session's ``cfg`` shows them: every setting under satchel's
    name, ``session_type``, ``cookie_params`` (with ``max-age`` in seconds, None for a
    browser-session cookie) and ``secret_key`` as a `PlainSecret`."""
    values = dict(settings)
    secret = settings.secret_key
    values["secret_key"] = None if secret is None else PlainSecret(secret.get_secret_value())
    values["session_type"] = settings.backend
    max_age = int(settings.max_age.total_seconds()) if settings.persistent else None
    params = {key: values[f"cookie_{key}"] for key in _COOKIE_ATTRIBUTES}
    values["cookie_params"] = params | {"max-age": max_age}
    return values


def _prefixed(items: Iterable[tuple[str, Any]], prefix: str) -> dict[str, Any]:
    """The items whose upper-cased name starts with *prefix*, without it."""
    return {k[len(prefix) :].lower(): v for k, v in items if k.upper().startswith(prefix)}
