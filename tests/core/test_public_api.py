"""The public API: re-exported from the package, typed, and documented."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys

import pytest

import satchel

PUBLIC_PACKAGES = ["satchel"]


def _public_members(obj: object) -> list[tuple[str, object]]:
    members: list[tuple[str, object]] = []
    for name, member in vars(obj).items():
        if name.startswith("_"):
            continue
        if inspect.isfunction(member) or isinstance(member, property):
            members.append((name, member))
    return members


@pytest.mark.parametrize("name", satchel.__all__)
def test_every_public_name_has_a_docstring(name: str) -> None:
    obj = getattr(satchel, name)
    if not (inspect.isclass(obj) or inspect.isfunction(obj)):
        return  # constants and type aliases are documented where they are defined
    assert inspect.getdoc(obj), f"{name} has no docstring"
    if inspect.isclass(obj):
        for member_name, member in _public_members(obj):
            assert inspect.getdoc(member), f"{name}.{member_name} has no docstring"


def test_every_public_class_and_function_of_the_modules_is_re_exported() -> None:
    exported = {id(getattr(satchel, name)) for name in satchel.__all__}
    missing = []
    for info in pkgutil.walk_packages(satchel.__path__, "satchel."):
        if info.name.rsplit(".", 1)[-1].startswith("_") or info.name == "satchel.cli":
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != info.name:
                continue
            if (inspect.isclass(obj) or inspect.isfunction(obj)) and id(obj) not in exported:
                missing.append(f"{info.name}.{name}")
    assert missing == []


def test_importing_satchel_loads_no_optional_dependency() -> None:
    code = (
        "import sys, satchel; "
        "print(sorted(m for m in ('jwt', 'cryptography', 'redis') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_package_is_marked_typed() -> None:
    from importlib.resources import files

    assert files("satchel").joinpath("py.typed").is_file()
