"""The public API: re-exported from the package, typed, and documented."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import satchel
import satchel.asgi
import satchel.backends

PUBLIC = [(satchel, name) for name in satchel.__all__]
PUBLIC += [(satchel.backends, name) for name in satchel.backends.__all__]
PUBLIC += [(satchel.asgi, name) for name in satchel.asgi.__all__]
"""Every public name: the application's API in `satchel`, a backend author's in
`satchel.backends`, an ASGI adapter author's in `satchel.asgi`."""

LAZY = {
    "AESGCMBackend": "aesgcm",
    "Base64Backend": "base64",
    "FernetBackend": "fernet",
    "JWTBackend": "jwt",
    "MemoryStore": "memory",
    "RedisStore": "redis",
    "SignedBackend": "signed",
}
"""The names `satchel` imports from their backend module on first use."""


def _public_members(obj: object) -> list[tuple[str, object]]:
    members: list[tuple[str, object]] = []
    for name, member in vars(obj).items():
        if name.startswith("_"):
            continue
        if inspect.isfunction(member) or isinstance(member, property):
            members.append((name, member))
    return members


@pytest.mark.parametrize(("module", "name"), PUBLIC, ids=[n for _, n in PUBLIC])
def test_every_public_name_has_a_docstring(module: object, name: str) -> None:
    obj = getattr(module, name)
    if not (inspect.isclass(obj) or inspect.isfunction(obj)):
        return  # constants and type aliases are documented where they are defined
    assert inspect.getdoc(obj), f"{name} has no docstring"
    if inspect.isclass(obj):
        for member_name, member in _public_members(obj):
            assert inspect.getdoc(member), f"{name}.{member_name} has no docstring"


def test_every_public_class_and_function_of_the_modules_is_re_exported() -> None:
    exported = {id(getattr(module, name)) for module, name in PUBLIC}
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


@pytest.mark.parametrize(("name", "module"), sorted(LAZY.items()))
def test_a_backend_class_is_imported_from_its_module_on_first_use(name: str, module: str) -> None:
    assert name in satchel.__all__
    backend_module = importlib.import_module(f"satchel.backends.{module}")
    assert getattr(satchel, name) is getattr(backend_module, name)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        satchel.Nothing  # noqa: B018
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        satchel.backends.Nothing  # noqa: B018


def test_backend_internals_live_in_satchel_backends_only() -> None:
    moved = {"StoreBackend", "DerivedKey", "Keyring", "hkdf", "Lifetime", "Record"}
    moved |= {"CookieValue", "build_backend", "COOKIE_LIMIT"}
    assert moved <= set(satchel.backends.__all__)
    assert moved.isdisjoint(satchel.__all__)
    assert "generate_key" in satchel.__all__


def test_the_package_is_marked_typed() -> None:
    from importlib.resources import files

    assert files("satchel").joinpath("py.typed").is_file()
