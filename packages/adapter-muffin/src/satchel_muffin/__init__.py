"""satchel-muffin: satchel sessions for Muffin 3, with muffin-session's API.

``from satchel_muffin import Plugin as Session`` replaces muffin-session's plugin;
the engine (`satchel.SessionManager`) does the session work.
"""

from satchel_muffin.config import (
    ConfigurationError,
    CookieParams,
    Location,
    PluginConfig,
    PluginOptions,
)
from satchel_muffin.plugin import Plugin
from satchel_muffin.responses import ResponseHTMLRedirect

__version__ = "0.1.0"

__all__ = [
    "ConfigurationError",
    "CookieParams",
    "Location",
    "Plugin",
    "PluginConfig",
    "PluginOptions",
    "ResponseHTMLRedirect",
]
