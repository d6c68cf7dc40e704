"""Every adapter agrees: the same options give the same settings, under satchel's names
and under each adapter's aliases; the same bad settings are refused with the same
message; a store that is down gets the same answer; equal sessions get equal cookies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from contract.conftest import ADAPTERS, FACTORIES, Adapter, Apps, transport_to
from support import SECRET, _free_port

from satchel import SessionManager, SessionSettings
from satchel.answers import UNAVAILABLE
from satchel.errors import ConfigurationError

BUILDERS = [pytest.param(a, id=a.name, marks=a.marks()) for a in ADAPTERS]
BASE: dict[str, Any] = {"secret_key": SECRET, "cookie_secure": True}
SAMPLES: dict[str, Any] = {
    "backend": "fernet",
    "cookie_name": "sid",
    "cookie_path": "/app",
    "cookie_domain": "example.com",
    "cookie_secure": True,
    "cookie_httponly": False,
    "cookie_samesite": "Strict",
    "cookie_partitioned": True,
    "max_age": 3600,
}
"""A value for every setting an adapter's alias may stand for."""

SATCHEL_OPTIONS: dict[str, Any] = {
    **BASE,
    "backend": "jwt",
    "cookie_name": "sid",
    "cookie_samesite": "Strict",
    "max_age": 600,
    "idle_timeout": 300,
    "refresh_interval": 30,
    "rolling": True,
    "cookie_max_chunks": 4,
}

BAD_OPTIONS: list[dict[str, Any]] = [
    {"secret_key": "too-short"},
    {**BASE, "backend": "postgres"},
    {"secret_key": SECRET, "cookie_samesite": "none"},
    {**BASE, "max_age": None, "persistent": True},
    {**BASE, "cookie_nme": "sid"},
    {**BASE, "backend": "redis"},
    {**BASE, "cookie_name": "__Host-s", "cookie_path": "/app"},
]


def _built(adapter: Adapter, options: Mapping[str, Any]) -> SessionManager:
    assert adapter.build is not None
    return adapter.build(**options)


def _settings(adapter: Adapter, options: Mapping[str, Any]) -> dict[str, Any]:
    return _built(adapter, options).settings.model_dump()


def _alias_cases() -> list[Any]:
    """(adapter, options under an alias, the same under satchel's name), per alias."""
    cases = []
    for adapter in ADAPTERS:
        for alias, target in adapter.aliases.items():
            table = target if isinstance(target, Mapping) else {None: target}
            for key, field in table.items():  # a mapping option (cookie_params) has keys
                base = {k: v for k, v in BASE.items() if k != field}
                value = SAMPLES[field]
                given = {**base, alias: value if key is None else {key: value}}
                name = alias if key is None else f"{alias}.{key}"
                cases.append((adapter, given, {**base, field: value}, name))
    return [
        pytest.param(a, given, expected, id=f"{a.name}-{name}", marks=a.marks())
        for a, given, expected, name in cases
    ]


def test_every_adapter_has_aliases_to_agree_on() -> None:
    assert all(a.aliases for a in ADAPTERS if a.build is not None)


@pytest.mark.parametrize("adapter", BUILDERS)
def test_satchel_option_names_give_the_settings_core_gives(adapter: Adapter) -> None:
    assert _settings(adapter, SATCHEL_OPTIONS) == (SessionSettings(**SATCHEL_OPTIONS).model_dump())


@pytest.mark.parametrize(("adapter", "given", "expected"), _alias_cases())
def test_an_alias_gives_the_settings_of_satchels_name(
    adapter: Adapter, given: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert _settings(adapter, given) == SessionSettings(**expected).model_dump()


@pytest.mark.parametrize("options", BAD_OPTIONS, ids=lambda o: ",".join(sorted(o)))
def test_the_same_bad_settings_are_refused_with_the_same_message(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError) as core:
        SessionSettings(**options)
    expected = str(core.value)
    if "cookie_nme" in options:
        expected = "unknown session option 'cookie_nme' in the options; did you mean 'cookie_name'?"
    for adapter in ADAPTERS:
        if adapter.build is None:
            continue
        with pytest.raises(ConfigurationError) as info:
            _built(adapter, options)
        assert str(info.value) == expected, adapter.name


@pytest.mark.anyio
@pytest.mark.parametrize("adapter", [pytest.param(a.name, marks=a.marks()) for a in ADAPTERS])
async def test_a_store_that_is_down_gets_cores_answer_in_every_adapter(adapter: str) -> None:
    settings = SessionSettings(
        **BASE, backend="redis", redis_url=f"redis://127.0.0.1:{_free_port()}/0", store_timeout=1
    )
    manager = SessionManager(settings)
    try:
        with transport_to(adapter, manager) as transport:
            async with httpx.AsyncClient(
                transport=transport, base_url="https://testserver"
            ) as http:
                response = await http.post("/set", json={"a": 1})  # the write finds no server
    finally:
        await manager.aclose()
    assert response.status_code == UNAVAILABLE.status
    assert response.content == UNAVAILABLE.body
    for name, value in UNAVAILABLE.headers:
        assert response.headers.get_list(name) == [value], name
    assert "set-cookie" not in response.headers


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.parametrize("backend", ["signed", "jwt", "base64", "fernet", "memory"])
async def test_equal_sessions_get_equal_set_cookie_headers(apps: Apps, backend: str) -> None:
    headers = {}
    for name in FACTORIES:
        async with apps.client(name) as http:
            response = await http.post("/set", json={"cart": [1, 2], "user": "alice"})
            headers[name] = response.headers.get_list("set-cookie")
    if backend in ("fernet", "memory"):  # a random nonce or id: compare all but the value
        headers = {n: [h.split(";", 1)[1] for h in v] for n, v in headers.items()}
    assert len(set(map(tuple, headers.values()))) == 1, headers
