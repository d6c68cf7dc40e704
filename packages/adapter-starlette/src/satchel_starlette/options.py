"""The middleware's keyword options: satchel's, Starlette's and starsessions' names.

Starlette's ``SessionMiddleware`` and starsessions name the same cookie settings
differently (``session_cookie``, ``https_only``, ``cookie_https_only``...). This
module maps each of their names onto one `SessionSettings` field, and nothing
more: every value is then validated by `SessionSettings`, and the defaults are
satchel's (``SESSION_*``), whatever names the options were given under.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Literal, TypedDict

from pydantic import BaseModel, SecretStr
from starlette.datastructures import Secret

from satchel import BackendName
from satchel.settings import JWTAlgorithm, OnConflict, Seconds

SameSite = Literal["lax", "strict", "none", "Lax", "Strict", "None"]
"""A SameSite value as Starlette and starsessions take it (satchel's are lower-case)."""


class StarletteOptions(TypedDict, total=False):
    """Keyword options of `SessionMiddleware`: every `satchel.SessionOptions` option,
    Starlette's names and starsessions' names.

    `secret_key` also takes Starlette's ``Secret`` and `max_age` also takes None
    (Starlette's browser-session cookie), which is why this is not an extension of
    `satchel.SessionOptions`: a TypedDict cannot widen an inherited key.
    """

    # satchel's own options (see satchel.SessionOptions and SessionSettings)
    backend: BackendName
    secret_key: str | SecretStr | Secret | None
    secret_key_fallbacks: Sequence[str | SecretStr] | str
    allow_unsigned: bool
    cookie_name: str
    cookie_path: str | None
    cookie_domain: str | None
    cookie_secure: bool
    cookie_httponly: bool
    cookie_samesite: Literal["lax", "strict", "none"]
    cookie_partitioned: bool
    cookie_chunking: bool
    cookie_max_chunks: int
    max_age: Seconds | None
    idle_timeout: Seconds | None
    rolling: bool
    refresh_interval: Seconds
    persistent: bool
    compress: bool | None
    max_session_bytes: int
    jwt_algorithm: JWTAlgorithm
    jwt_issuer: str
    user_key: str
    data_model: type[BaseModel] | str | None
    redis_url: str | SecretStr | None
    store_prefix: str
    store_timeout: float
    store_encrypt: bool
    store_max_entries: int
    on_conflict: OnConflict
    # Starlette's SessionMiddleware
    session_cookie: str
    path: str
    same_site: SameSite
    https_only: bool
    domain: str | None
    partitioned: bool
    # starsessions' SessionMiddleware
    lifetime: int | timedelta
    cookie_https_only: bool
    cookie_same_site: SameSite


ALIASES: dict[str, str] = {
    "session_cookie": "cookie_name",
    "path": "cookie_path",
    "same_site": "cookie_samesite",
    "cookie_same_site": "cookie_samesite",
    "https_only": "cookie_secure",
    "cookie_https_only": "cookie_secure",
    "domain": "cookie_domain",
    "partitioned": "cookie_partitioned",
}
"""Starlette's and starsessions' option names, each with the satchel option it sets."""


def _lifetime(value: object) -> float:
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    if not isinstance(seconds, int | float) or seconds < 0:
        raise ValueError("lifetime must be 0 (a browser-session cookie) or more seconds")
    return seconds


def session_options(options: StarletteOptions) -> dict[str, Any]:
    """*options* under satchel's names, ready for `SessionSettings`.

    ``max_age=None`` (Starlette), ``max_age=0`` and ``lifetime=0`` (starsessions)
    mean a cookie that ends with the browser session: ``persistent=False``, while
    the server still enforces satchel's `max_age`. A setting given under two names
    is an error, as is a negative lifetime.
    """
    mapped: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    for name, value in options.items():
        field = ALIASES.get(name, name)
        if name == "lifetime":
            field, value = "max_age", _lifetime(value)
        if field in spelled:
            raise ValueError(f"{field} is given twice (as {spelled[field]} and {name})")
        spelled[field] = name
        if field == "cookie_path" and value is None:
            value = "/"  # starsessions' default: the cookie goes to every path
        if field == "cookie_samesite" and isinstance(value, str):
            value = value.lower()
        elif field == "secret_key" and isinstance(value, Secret):
            value = str(value)
        mapped[field] = value
    if mapped.get("max_age", 1) in (None, 0):
        given = spelled["max_age"]
        del mapped["max_age"]
        if mapped.get("persistent") is True:
            raise ValueError(
                f"{given}= asks for a browser-session cookie; persistent=True contradicts it"
            )
        mapped["persistent"] = False
    return mapped
