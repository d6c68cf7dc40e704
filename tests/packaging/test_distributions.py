"""Each distribution under packages/ as a package index shows it: one version, written once;
ranges on satchel's own distributions that admit them; the MIT licence; links that work
away from the repository; sdists and wheels whose metadata twine accepts."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import subprocess
import sys
import tarfile
import zipfile
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

tomllib = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")

ROOT = Path(__file__).parents[2]
FOLDERS = sorted(path.parent for path in ROOT.glob("packages/*/pyproject.toml"))
REPOSITORY = "https://github.com/satchel-sessions/satchel"
URLS = {"Homepage", "Documentation", "Repository", "Issues", "Changelog"}


def _pyproject(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads((folder / "pyproject.toml").read_text())
    return data


def _version_file(folder: Path) -> Path:
    return folder / str(_pyproject(folder)["tool"]["hatch"]["version"]["path"])


def _version(folder: Path) -> Version:
    found = re.search(r'^__version__ = "([^"]+)"$', _version_file(folder).read_text(), re.M)
    assert found, f"no __version__ in {_version_file(folder)}"
    return Version(found[1])


def _versions() -> dict[str, Version]:
    """Each distribution's current version, by its canonical name."""
    return {canonicalize_name(_pyproject(f)["project"]["name"]): _version(f) for f in FOLDERS}


def _requirements(folder: Path) -> list[Requirement]:
    project = _pyproject(folder)["project"]
    texts = list(project.get("dependencies", []))
    for group in project.get("optional-dependencies", {}).values():
        texts += group
    return [Requirement(text) for text in texts]


def _next_breaking(version: Version) -> Version:
    """The first release that may break *version*'s users: the next minor one on 0.x."""
    major, minor = version.release[0], version.release[1] if len(version.release) > 1 else 0
    return Version(f"0.{minor + 1}") if major == 0 else Version(f"{major + 1}")


def test_every_distribution_takes_its_version_from_its_package() -> None:
    for folder in FOLDERS:
        project = _pyproject(folder)["project"]
        assert "version" not in project, f"{folder.name}: the version is written in its package"
        assert "version" in project["dynamic"]
        assert _version_file(folder).name == "__init__.py"
        assert _version(folder)


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda folder: folder.name)
def test_the_installed_metadata_carries_the_package_version(folder: Path) -> None:
    name = _pyproject(folder)["project"]["name"]
    module = _version_file(folder).parent.name
    try:
        installed = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        pytest.skip(f"{name} is not installed under this Python")
    assert Version(installed) == _version(folder)
    assert importlib.import_module(module).__version__ == installed


def test_every_requirement_on_satchel_admits_its_current_version_and_no_breaking_one() -> None:
    versions = _versions()
    checked = 0
    for folder in FOLDERS:
        for requirement in _requirements(folder):
            name = canonicalize_name(requirement.name)
            if name not in versions:
                continue
            checked += 1
            where = f"{folder.name}: {requirement}"
            assert requirement.specifier.contains(versions[name]), where
            assert not requirement.specifier.contains(_next_breaking(versions[name])), where
    assert checked >= 5  # four adapters on satchel-core, satchel-starlette on satchel-asgi


def test_every_third_party_requirement_has_a_lower_bound() -> None:
    versions = _versions()
    for folder in FOLDERS:
        for requirement in _requirements(folder):
            if canonicalize_name(requirement.name) in versions:
                continue
            operators = {spec.operator for spec in requirement.specifier}
            assert operators & {">=", "==", "~="}, f"{folder.name}: {requirement}"


def test_every_distribution_is_mit_licensed_with_the_licence_in_its_folder() -> None:
    licence = (ROOT / "LICENSE").read_text()
    assert licence.startswith("MIT License\n")
    assert "Copyright (c) 2026 The satchel developers" in licence
    for folder in FOLDERS:
        pyproject = _pyproject(folder)
        project = pyproject["project"]
        assert (folder / "LICENSE").read_text() == licence, folder.name
        assert project["license"] == "MIT"  # an SPDX expression (PEP 639)
        assert project["license-files"] == ["LICENSE"]
        assert not [c for c in project["classifiers"] if c.startswith("License ::")]
        # hatchling writes License-Expression and License-File from 1.27 on
        assert pyproject["build-system"]["requires"] == ["hatchling>=1.27"]


def test_readmes_and_urls_point_at_the_repository() -> None:
    for folder in FOLDERS:
        links = re.findall(r"\]\(([^)]*)\)", (folder / "README.md").read_text())
        assert links, folder.name
        relative = [link for link in links if not link.startswith("https://")]
        assert relative == [], f"{folder.name}/README.md: a package index cannot follow these"
        urls = _pyproject(folder)["project"]["urls"]
        assert set(urls) == URLS
        assert all(url.startswith(REPOSITORY) for url in urls.values())


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An sdist and a wheel of every distribution, as ``python -m build`` makes them."""
    for tool in ("build", "twine"):
        if importlib.util.find_spec(tool) is None:
            pytest.skip(f"{tool} is not installed (nox -s tests installs it)")
    out = tmp_path_factory.mktemp("dist")
    builds = [
        subprocess.Popen(
            [sys.executable, "-m", "build", "--outdir", str(out), str(folder)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for folder in FOLDERS
    ]
    for folder, build in zip(FOLDERS, builds, strict=True):
        output, _ = build.communicate(timeout=300)
        assert build.returncode == 0, f"{folder.name}:\n{output}"
    return out


@pytest.mark.slow
def test_built_distributions_pass_twine_check(built: Path) -> None:
    files = sorted(str(path) for path in built.iterdir())
    assert len(files) == 2 * len(FOLDERS), files
    check = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.slow
@pytest.mark.parametrize("folder", FOLDERS, ids=lambda folder: folder.name)
def test_built_distributions_carry_licence_readme_and_metadata(built: Path, folder: Path) -> None:
    project = _pyproject(folder)["project"]
    base = f"{project['name'].replace('-', '_')}-{_version(folder)}"
    with tarfile.open(built / f"{base}.tar.gz") as sdist:
        names = set(sdist.getnames())
    assert {f"{base}/LICENSE", f"{base}/README.md", f"{base}/pyproject.toml"} <= names
    with zipfile.ZipFile(built / f"{base}-py3-none-any.whl") as wheel:
        assert f"{base}.dist-info/licenses/LICENSE" in wheel.namelist()
        metadata = HeaderParser().parsestr(wheel.read(f"{base}.dist-info/METADATA").decode())
    assert metadata["Version"] == str(_version(folder))
    assert metadata["License-Expression"] == "MIT"
    assert metadata["License-File"] == "LICENSE"
    assert metadata["Description-Content-Type"] == "text/markdown"
    urls = dict(url.split(", ", 1) for url in metadata.get_all("Project-URL") or [])
    assert set(urls) == URLS
