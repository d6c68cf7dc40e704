"""MkDocs hook: the settings reference is generated from SessionSettings itself.

Names are set in ``<code class="nowrap">`` (docs/stylesheets/extra.css keeps them on
one line) and defaults are shown as a ``SESSION_*`` variable would spell them.
"""

from __future__ import annotations

import html
import json
import types
import typing
from datetime import timedelta
from typing import Any

MARKER = "<!-- satchel:settings -->"


def name(text: str) -> str:
    """A setting's or variable's name, as code that never breaks across lines."""
    return f'<code class="nowrap">{html.escape(text)}</code>'


def _type(annotation: Any) -> str:
    from pydantic import SecretStr

    names = {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        timedelta: "seconds or ISO 8601 duration",
        SecretStr: "secret",
    }
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return " \\| ".join(f"`{v}`" for v in args)
    if origin is typing.Annotated:
        return _type(args[0])
    if origin in (typing.Union, types.UnionType):
        kinds = " or ".join(_type(a) for a in args if a is not type(None))
        return kinds + (" or unset" if type(None) in args else "")
    if origin is list:
        item = args[0]
        if typing.get_origin(item) is typing.Literal:
            return f"list, each of {_type(item)}"
        return f"list of {_type(item)}s"
    if annotation in names:
        return names[annotation]
    return "import path of a pydantic model"


def env_value(value: Any) -> str | None:
    """*value* as a ``SESSION_*`` variable spells it (None: unset). Durations are seconds."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        return str(int(seconds)) if seconds.is_integer() else str(seconds)
    if isinstance(value, list | tuple | set | frozenset):
        return json.dumps(list(value))
    return str(value)


def iso_duration(value: timedelta) -> str:
    """*value* as an ISO 8601 duration (``P14D``, ``PT1M``), which the variables accept too."""
    from pydantic import TypeAdapter

    return str(TypeAdapter(timedelta).dump_python(value, mode="json"))


def _spoken(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def _default(field: Any) -> str:
    default = field.get_default(call_default_factory=True)
    shown = env_value(default)
    if shown is None:
        return "unset"
    if isinstance(default, timedelta):
        return f"`{shown}` or `{iso_duration(default)}` ({_spoken(default)})"
    return f"`{shown}`"


def settings_table() -> str:
    """A Markdown table of every SessionSettings field."""
    from satchel import SessionSettings

    rows = [
        "| setting and environment variable | type | default | meaning |",
        "|---|---|---|---|",
    ]
    for field_name, field in SessionSettings.model_fields.items():
        meaning = " ".join((field.description or "").split()).replace("|", "\\|")
        rows.append(
            f"| {name(field_name)}<br>{name(f'SESSION_{field_name.upper()}')} | "
            f"{_type(field.annotation)} | {_default(field)} | {meaning} |"
        )
    return "\n".join(rows)


def on_page_markdown(markdown: str, **_: Any) -> str:
    """Replace the settings marker with the generated table."""
    if MARKER in markdown:
        return markdown.replace(MARKER, settings_table())
    return markdown
