"""The settings reference (docs/settings.md), whose table docs/hooks.py generates from
`SessionSettings`: names that never break across lines, and defaults written as a
``SESSION_*`` variable takes them."""

from __future__ import annotations

import importlib.util
import os
import re
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from support import SECRET

from satchel import SessionSettings

ROOT = Path(__file__).parents[2]
CELL = re.compile(r"(?<!\\)\|")


def _hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("satchel_docs_hooks", ROOT / "docs" / "hooks.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hooks = _hooks()


def _rows() -> dict[str, list[str]]:
    """The table's cells, by setting."""
    rows = {}
    for line in str(hooks.settings_table()).splitlines()[2:]:
        cells = [cell.strip() for cell in CELL.split(line)[1:-1]]
        found = re.match(r'<code class="nowrap">(\w+)</code>', cells[0])
        assert found is not None, line
        rows[found[1]] = cells
    return rows


def _defaults() -> dict[str, Any]:
    return {
        name: field.get_default(call_default_factory=True)
        for name, field in SessionSettings.model_fields.items()
    }


def test_the_table_lists_every_setting_under_both_names_unbroken() -> None:
    rows = _rows()
    assert list(rows) == list(SessionSettings.model_fields)
    for name, cells in rows.items():
        env = f"SESSION_{name.upper()}"
        assert f'<code class="nowrap">{env}</code>' in cells[0]
        assert "`" not in cells[0]  # a Markdown code span would break at underscores


def test_the_nowrap_style_is_part_of_the_site() -> None:
    css = (ROOT / "docs" / "stylesheets" / "extra.css").read_text()
    assert re.search(r"code\.nowrap\s*\{[^}]*white-space:\s*nowrap", css)
    assert "stylesheets/extra.css" in (ROOT / "mkdocs.yml").read_text()


def test_defaults_are_shown_as_the_environment_spells_them() -> None:
    rows = _rows()
    for name, default in _defaults().items():
        shown = rows[name][2]
        assert not re.search(r"\b(True|False|None|timedelta)\b", shown), (name, shown)
        if default is None:
            assert shown == "unset"
        elif isinstance(default, bool):
            assert shown == f"`{str(default).lower()}`"
        elif isinstance(default, timedelta):
            seconds = int(default.total_seconds())
            assert shown.startswith(f"`{seconds}` or `P"), (name, shown)
        elif isinstance(default, list):
            assert shown == "`[]`"


def test_max_age_reads_as_seconds_and_iso() -> None:
    assert _rows()["max_age"][2] == "`1209600` or `P14D` (14 days)"
    assert _rows()["refresh_interval"][2] == "`60` or `PT1M` (1 minute)"


@pytest.mark.parametrize("form", ["seconds", "iso"])
def test_every_shown_default_read_from_the_environment_is_the_default(
    monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    for variable in list(os.environ):
        if variable.upper().startswith("SESSION_"):
            monkeypatch.delenv(variable)
    defaults = _defaults()
    for name, default in defaults.items():
        shown = hooks.env_value(default)
        if shown is None:
            continue
        if form == "iso" and isinstance(default, timedelta):
            shown = hooks.iso_duration(default)
        monkeypatch.setenv(f"SESSION_{name.upper()}", shown)
    read = SessionSettings(secret_key=SECRET)
    for name, default in defaults.items():
        if default is not None:
            assert getattr(read, name) == default, name


def test_the_generated_table_replaces_the_marker() -> None:
    page = (ROOT / "docs" / "settings.md").read_text()
    assert hooks.MARKER in page
    rendered = hooks.on_page_markdown(page)
    assert hooks.MARKER not in rendered
    assert '<code class="nowrap">SESSION_BACKEND</code>' in rendered
