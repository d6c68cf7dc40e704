"""MkDocs hook: the settings reference is generated from SessionSettings itself."""

from __future__ import annotations

import types
import typing
from datetime import timedelta
from typing import Any

MARKER = "<!-- satchel:settings -->"


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
        return f"list of {_type(args[0])}s"
    if annotation in names:
        return names[annotation]
    return "import path of a pydantic model"


def _default(field: Any) -> str:
    default = field.get_default(call_default_factory=True)
    if default is None:
        return "unset"
    if isinstance(default, timedelta):
        return f"{int(default.total_seconds())} s"
    if default == []:
        return "none"
    return f"`{default}`"


def settings_table() -> str:
    """A Markdown table of every SessionSettings field."""
    from satchel import SessionSettings

    rows = [
        "| setting | environment variable | type | default | meaning |",
        "|---|---|---|---|---|",
    ]
    for name, field in SessionSettings.model_fields.items():
        meaning = " ".join((field.description or "").split()).replace("|", "\\|")
        rows.append(
            f"| `{name}` | `SESSION_{name.upper()}` | {_type(field.annotation)} | "
            f"{_default(field)} | {meaning} |"
        )
    return "\n".join(rows)


def on_page_markdown(markdown: str, **_: Any) -> str:
    """Replace the settings marker with the generated table."""
    if MARKER in markdown:
        return markdown.replace(MARKER, settings_table())
    return markdown
