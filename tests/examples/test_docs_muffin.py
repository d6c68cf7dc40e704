"""The documentation's Muffin examples (docs/examples/muffin/) run here, where Muffin is
installed (Python 3.11+); tests/docs runs every other file of docs/examples/, on every
Python. This test also makes sure no other folder there escapes both."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from support import run_script

DOCS_EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"
MUFFIN_EXAMPLES = sorted((DOCS_EXAMPLES / "muffin").glob("*.py"))


def test_the_only_folder_of_documented_examples_is_muffins() -> None:
    nested = {p.parent for p in DOCS_EXAMPLES.glob("*/*") if p.suffix in (".py", ".sh")}
    assert nested == {DOCS_EXAMPLES / "muffin"}


@pytest.mark.slow
@pytest.mark.parametrize("example", MUFFIN_EXAMPLES, ids=lambda p: p.name)
def test_documented_muffin_example_runs(example: Path, tmp_path: Path) -> None:
    pytest.importorskip("satchel_muffin")  # Muffin 3 and its adapter: Python 3.11+
    run_script([sys.executable, "-W", "error::DeprecationWarning", str(example)], tmp_path)
