"""Every code block of the documentation runs here.

Python and shell blocks in docs/*.md are snippet includes of files under
docs/examples/; this module checks that, and runs each file.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest
from support import run_script

DOCS = Path(__file__).parents[2] / "docs"
ROOT = DOCS.parent
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)
INCLUDE = re.compile(r'^--8<-- "(?P<path>[^"]+)"$')
EXAMPLES = sorted((DOCS / "examples").glob("*.py")) + sorted((DOCS / "examples").glob("*.sh"))


def _blocks() -> list[tuple[Path, str, str]]:
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        for language, body in BLOCK.findall(page.read_text()):
            found.append((page, language, body.strip()))
    return found


def test_every_code_block_is_an_included_example_file() -> None:
    problems = []
    for page, language, body in _blocks():
        if language not in ("python", "sh"):
            continue
        match = INCLUDE.match(body)
        if match is None or not (ROOT / match["path"]).is_file():
            problems.append(f"{page.name}: a {language} block that is not a tested example")
    assert problems == []


def test_every_example_file_is_shown_in_the_docs() -> None:
    shown = {INCLUDE.match(body)["path"] for _, _, body in _blocks() if INCLUDE.match(body)}  # type: ignore[index]
    assert {str(p.relative_to(ROOT)) for p in EXAMPLES} <= shown


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_documented_example_runs(example: Path, tmp_path: Path) -> None:
    if example.suffix == ".sh":
        if shutil.which("bash") is None:
            pytest.skip("no bash")
        command = ["bash", str(example)]
    else:
        command = [sys.executable, str(example)]
    result = run_script(command, tmp_path)
    if example.name == "cli.sh":
        assert '"user_id": 42' in result.stdout
        assert "refused, status 1" in result.stdout
        assert "BEGIN PUBLIC KEY" in result.stdout
