"""The middleware's option names: satchel's, and Starlette's and starsessions' as
aliases (`ALIASES`, data only: `satchel.config.configure` checks every value)."""

from __future__ import annotations

from pydantic import SecretStr
from starlette.datastructures import Secret

from satchel.settings import SameSite, Seconds, SessionOptions


class StarletteOptions(SessionOptions, total=False):
    """Keyword options of `SessionMiddleware`: every `satchel.SessionOptions` option,
    Starlette's names and starsessions' names."""

    # Starlette's secret is a Secret (the settings take any wrapper whose str() is the
    # secret); a TypedDict may not widen an inherited key, so mypy is told to allow it
    secret_key: str | SecretStr | Secret | None  # type: ignore[misc]
    # Starlette's SessionMiddleware
    session_cookie: str
    path: str
    same_site: SameSite
    https_only: bool
    domain: str | None
    partitioned: bool
    # starsessions' SessionMiddleware
    lifetime: Seconds
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
    "lifetime": "max_age",
}
"""Starlette's and starsessions' option names, each with the satchel option it sets."""
