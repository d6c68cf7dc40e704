"""satchel-muffin: satchel sessions for Muffin 3, with muffin-session's API
(``from satchel_muffin import Plugin as Session``)."""

from satchel.errors import ConfigurationError
from satchel_muffin.config import (
    ALIASES,
    CookieParams,
    Location,
    PlainSecret,
    PluginConfig,
    PluginOptions,
)
from satchel_muffin.plugin import Plugin
from satchel_muffin.request import Request
from satchel_muffin.responses import ResponseAnswer, ResponseHTMLRedirect, SavedResponse

__version__ = "0.1.0"
"""satchel-muffin's version, written only here: hatchling reads it into the package metadata."""

__all__ = [
    "ALIASES",
    "ConfigurationError",
    "CookieParams",
    "Location",
    "PlainSecret",
    "Plugin",
    "PluginConfig",
    "PluginOptions",
    "Request",
    "ResponseAnswer",
    "ResponseHTMLRedirect",
    "SavedResponse",
]
