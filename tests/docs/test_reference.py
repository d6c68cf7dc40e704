"""The API reference (docs/reference/) documents every public name, and only those.

A name is public when its distribution's ``__init__`` lists it in ``__all__``; each
page documents it with a mkdocstrings directive (``::: satchel.Session``). The
``__all__`` lists are read from the source, so every package is checked on every
Python (satchel_muffin imports only on 3.11+).
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
REFERENCE = ROOT / "docs" / "reference"
PACKAGES = {
    "satchel": "core",
    "satchel_asgi": "adapter-asgi",
    "satchel_starlette": "adapter-starlette",
    "satchel_muffin": "adapter-muffin",
    "satchel_robyn": "adapter-robyn",
}
DIRECTIVE = re.compile(r"^::: ([\w.]+)[ \t]*$", re.M)


def public_names(package: str) -> list[str]:
    """The ``__all__`` of *package*'s ``__init__.py``, read without importing it."""
    init = ROOT / "packages" / PACKAGES[package] / "src" / package / "__init__.py"
    for node in ast.parse(init.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
        ):
            names = ast.literal_eval(node.value)
            assert isinstance(names, list)
            return [str(name) for name in names]
    raise AssertionError(f"{init} has no __all__")


def directives() -> dict[str, Path]:
    """Every object a reference page documents, with the page."""
    return {
        target: page
        for page in sorted(REFERENCE.glob("*.md"))
        for target in DIRECTIVE.findall(page.read_text())
    }


def test_every_package_is_scanned() -> None:
    assert {p.name for p in (ROOT / "packages").glob("*/src/*") if p.is_dir()} >= set(PACKAGES)
    for folder in (ROOT / "packages").glob("*/src/*/__init__.py"):
        assert folder.parent.name in PACKAGES, f"{folder.parent.name}: add it to PACKAGES"


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_is_in_the_api_reference(package: str) -> None:
    documented = directives()
    missing = [name for name in public_names(package) if f"{package}.{name}" not in documented]
    assert missing == [], f"add '::: {package}.NAME' to docs/reference/{package}.md"


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_has_its_page_in_the_nav(package: str) -> None:
    assert (REFERENCE / f"{package}.md").is_file()
    assert f"reference/{package}.md" in (ROOT / "mkdocs.yml").read_text()


def test_the_api_reference_documents_only_public_names() -> None:
    public = {f"{package}.{name}" for package in PACKAGES for name in public_names(package)}
    stale = sorted(set(directives()) - public)
    assert stale == [], "documented names that no __all__ lists"
    for target, page in directives().items():
        assert page.stem == target.split(".")[0], f"{target} belongs on its package's page"


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("mkdocstrings") is None, reason="docs requirements not installed"
)
def test_strict_build_renders_every_public_name(tmp_path: Path) -> None:
    """``mkdocs build --strict`` (docs/requirements.txt) renders a heading for each name."""
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    for package in PACKAGES:
        page = (tmp_path / "reference" / package / "index.html").read_text()
        missing = [n for n in public_names(package) if f'id="{package}.{n}"' not in page]
        assert missing == []


def test_the_site_and_the_security_policy_name_one_repository() -> None:
    """mkdocs.yml's repo_url is the repository SECURITY.md and docs/security.md send
    vulnerability reports to (change them together)."""
    config = (ROOT / "mkdocs.yml").read_text()
    found = re.search(r"^repo_url: (\S+)$", config, re.M)
    assert found is not None
    repo = found[1]
    assert re.search(r"^edit_uri: \S+$", config, re.M)
    assert f"repo_name: {repo.removeprefix('https://github.com/')}" in config
    policy = (ROOT / "SECURITY.md").read_text()
    assert f"{repo}/security/advisories/new" in policy
    assert "docs/security.md" in policy
    assert f"{repo}/blob/main/SECURITY.md" in (ROOT / "docs" / "security.md").read_text()
