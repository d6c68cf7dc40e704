"""`configure`: the one configuration entry every adapter calls.

An adapter hands over the options its user gave, under satchel's names or the
names its framework (or the library it replaces) uses, plus its table of those
aliases as data. Everything else is decided here, the same way for every adapter:
unknown names ("did you mean"), one setting given twice, ``manager=`` excluding
every other option, the fallback to ``SESSION_*`` variables, and one
`ConfigurationError` for any problem. Value conversions (SameSite in any case,
``max_age`` 0 or None, durations, secret wrappers) are `SessionSettings`' own.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import Any

from satchel.errors import ConfigurationError
from satchel.manager import SessionManager
from satchel.protocols import Backend, Serializer
from satchel.settings import SessionSettings, _names_as_given

Aliases = Mapping[str, "str | Mapping[str, str]"]
"""An adapter's option names, each with the satchel option it sets; a name whose value
is a mapping of options (muffin-session's ``cookie_params``) maps to a table of its keys."""

Sources = Sequence[tuple[str, Mapping[str, Any]]]
"""Named sources of options, later ones winning (a framework's precedence, for
instance ``[("app config", ...), ("options", ...)]``)."""

BackendFactory = Callable[[SessionSettings], "Backend | None"]
"""Makes the backend from the final settings (None: the one the settings name)."""

_SETTINGS = frozenset(SessionSettings.model_fields)


def configure(
    options: Mapping[str, Any] | Sources = (),
    *,
    aliases: Aliases | None = None,
    settings: SessionSettings | None = None,
    manager: SessionManager | None = None,
    backend: Backend | BackendFactory | None = None,
    serializer: Serializer | None = None,
    development: bool = False,
    suggest: Collection[str] = (),
) -> SessionManager:
    """The `SessionManager` an adapter's arguments describe, built once at start-up.

    *options* (a mapping, or named `Sources` applied in order) under satchel's
    names or *aliases*, over *settings* when given, else over ``SESSION_*``
    variables. *manager* is used as it is and excludes every other argument. With
    *development*, a missing secret is generated (`SessionSettings.development`).
    *suggest* names options the adapter takes itself, offered for a misspelled name.
    Raises `ConfigurationError` for every problem, naming options as they were given.
    """
    sources: Sources = [("options", options)] if isinstance(options, Mapping) else options
    if manager is not None:
        given = [name for _, source in sources for name in source]
        given += [n for n, v in (("settings", settings), ("backend", backend)) if v is not None]
        if serializer is not None:
            given.append("serializer")
        if given:
            got = ", ".join(given)
            raise ConfigurationError(f"manager= holds the settings; pass no other options ({got})")
        return manager
    if settings is not None and not isinstance(settings, SessionSettings):
        raise TypeError(
            f"settings must be a SessionSettings, not {type(settings).__name__} "
            "(a secret goes in secret_key=)"
        )
    values, names = translate(sources, aliases or {}, suggest)
    with _names_as_given(names):
        if settings is not None:
            built = settings.with_options(**values)
        elif development:
            built = SessionSettings.development(**values)
        else:
            built = SessionSettings(**values)
    chosen = backend(built) if callable(backend) and not isinstance(backend, Backend) else backend
    try:
        return SessionManager(built, backend=chosen, serializer=serializer)
    except ImportError as exc:
        raise ConfigurationError(str(exc), ("backend",)) from exc


def translate(
    sources: Sources, aliases: Aliases, suggest: Collection[str] = ()
) -> tuple[dict[str, Any], dict[str, str]]:
    """*sources* as `SessionSettings` options, and how each was spelled by the user.

    Names are case-insensitive (a framework's config keys are often upper-case).
    Within a source a setting given twice is an error; a later source overrides.
    """
    values: dict[str, Any] = {}
    names: dict[str, str] = {}
    for where, source in sources:
        seen: dict[str, str] = {}
        for raw, value in source.items():
            for field, spelling, field_value in _expand(
                raw.lower(), value, aliases, where, suggest
            ):
                if field in seen:
                    raise ConfigurationError(
                        f"{field} is given twice in the {where} (as {seen[field]} and {spelling})",
                        (field,),
                    )
                seen[field] = spelling
                values[field] = field_value
                names[field] = spelling
    return values, names


def _expand(
    name: str, value: Any, aliases: Aliases, where: str, suggest: Collection[str]
) -> Iterator[tuple[str, str, Any]]:
    """(setting, as spelled, value) for one option."""
    target = aliases.get(name, name if name in _SETTINGS else None)
    if target is None:
        raise ConfigurationError(_unknown(name, [*_SETTINGS, *aliases, *suggest], where))
    if isinstance(target, str):
        yield target, name, value
        return
    if isinstance(value, str):  # a mapping from the environment is a JSON object
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"{name} in the {where} must be a mapping (a JSON object)")
    for key, item in value.items():
        field = target.get(str(key).lower())
        if field is None:
            accepted = ", ".join(sorted(target))
            raise ConfigurationError(
                f"unknown {name} key {key!r} in the {where} (accepted: {accepted})"
            )
        yield field, f"{name}[{key!r}]", item


def _unknown(name: str, known: list[str], where: str) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown session option {name!r} in the {where}{hint}"
