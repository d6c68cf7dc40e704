"""Helpers shared by every test package (importable as `support`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from satchel import SessionSettings

SECRET = "test-secret-0123456789abcdefghijklmnop"
OTHER_SECRET = "another-secret-0123456789abcdefghijkl"
COOKIE_BACKENDS = ("signed", "jwt", "fernet", "aesgcm", "base64")
START = 1_800_000_000


class Cart(BaseModel):
    """The typed session data the contract apps validate (every field has a default)."""

    items: list[int] = []
    owner: str | None = None


class FrozenClock:
    """A clock tests move by hand."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds


def make_settings(**options: Any) -> SessionSettings:
    """Settings for tests: explicit values only, never the environment's."""
    options.setdefault("secret_key", SECRET)
    if options.get("backend") == "base64":
        options.setdefault("allow_unsigned", True)
    return SessionSettings.model_validate(options)


class Jar:
    """A browser's cookie jar, reduced to what session tests need."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def receive(self, set_cookies: list[str]) -> Jar:
        """Apply Set-Cookie values as a browser would (Max-Age=0 deletes)."""
        for header in set_cookies:
            name, _, value = header.split(";", 1)[0].partition("=")
            if "Max-Age=0" in header:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return self

    @property
    def header(self) -> str:
        """The Cookie header the browser sends next."""
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


def cookie_pairs(set_cookies: list[str]) -> str:
    """The Cookie header a fresh browser sends after these Set-Cookie values."""
    return Jar().receive(set_cookies).header
