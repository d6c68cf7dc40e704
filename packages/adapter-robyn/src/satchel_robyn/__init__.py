"""satchel-robyn: satchel sessions for Robyn, under Robyn's own option names."""

from satchel_robyn.sessions import (
    ALIASES,
    RobynOptions,
    RobynSessions,
    configure_sessions,
    get_session,
    to_response,
)

__version__ = "0.1.0"
"""satchel-robyn's version, written only here: hatchling reads it into the package metadata."""

__all__ = [
    "ALIASES",
    "RobynOptions",
    "RobynSessions",
    "configure_sessions",
    "get_session",
    "to_response",
]
