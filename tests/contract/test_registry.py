"""The contract's registry: app files join by existing, absent frameworks skip visibly."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from contract import conftest


def test_every_app_file_is_a_registered_adapter() -> None:
    files = sorted(p.stem for p in (Path(conftest.__file__).parent / "apps").glob("[!_]*.py"))
    assert [adapter.name for adapter in conftest.ADAPTERS] == [f.replace("_", "-") for f in files]
    assert {"asgi", "asgi-tools"} <= set(conftest.FACTORIES)


def test_an_adapter_whose_framework_is_missing_is_skipped_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, "contract.apps.asgi_tools")
    monkeypatch.setitem(sys.modules, "asgi_tools", None)  # as if it were not installed
    adapter = conftest._adapter("asgi_tools")
    assert adapter.factory is None
    [mark] = adapter.marks()
    assert mark.name == "skip"
    assert mark.kwargs["reason"].startswith("asgi_tools is not installed under Python 3.")
