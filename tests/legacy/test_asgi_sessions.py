"""Moving from asgi-sessions: its JWT, Fernet and base64 cookies, issued by asgi-sessions'
own middleware, load in satchel once and come back as satchel's; what asgi-sessions
answered with a 500 (expired or immature claims, another algorithm) is a fresh session."""

from __future__ import annotations

import base64
import json
import time
import warnings
from collections.abc import Callable
from typing import Any, cast

import jwt
import pytest
from asgi_sessions import SessionFernet as _SessionFernet
from asgi_sessions import SessionMiddleware as AsgiSessions
from support import SECRET, FrozenClock, MakeApp, Visit, make_settings

from satchel import (
    AsgiSessionsBase64Format,
    AsgiSessionsFernetFormat,
    AsgiSessionsJWTFormat,
    ConfigurationError,
    SessionManager,
    SessionSettings,
)
from satchel.legacy import MAX_LEGACY_VALUE

pytestmark = pytest.mark.anyio

SessionFernet: Any = _SessionFernet  # asgi-sessions is untyped

OLD_SECRET = "an-asgi-sessions-secret-32-bytes"  # 32 characters: both JWT and Fernet take it
assert len(OLD_SECRET) == 32
FORMATS = {
    "jwt": "asgi-sessions-jwt",
    "fernet": "asgi-sessions-fernet",
    "base64": "asgi-sessions-base64",
}
ALICE = {"user_id": "alice", "cart": [1, 2]}


def asgi_sessions_app(session_type: str, secret: str = OLD_SECRET) -> Any:
    """The incumbent: a raw ASGI app under asgi-sessions' middleware that logs alice in."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        for key, value in ALICE.items():
            scope["session"][key] = value
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    return AsgiSessions(cast(Any, app), secret_key=secret, session_type=session_type)


async def asgi_sessions_cookie(visit: Visit, session_type: str, secret: str = OLD_SECRET) -> str:
    """The session cookie asgi-sessions issues (quoted, as its Morsel renders it)."""
    reply = await visit(asgi_sessions_app(session_type, secret), "/login", method="POST")
    value = reply.cookie("session")
    assert value
    return value


def _options(session_type: str, **options: Any) -> dict[str, Any]:
    options["legacy_formats"] = [FORMATS[session_type]]
    if session_type == "base64":
        options["allow_unsigned"] = True
    else:
        options.setdefault("legacy_secret_keys", [OLD_SECRET])
    return options


@pytest.mark.parametrize("backend", ["signed", "jwt", "fernet", "memory"])
@pytest.mark.parametrize("session_type", sorted(FORMATS))
async def test_an_asgi_sessions_cookie_keeps_its_user_logged_in_and_comes_back_as_satchels(
    visit: Visit, satchel_app: MakeApp, session_type: str, backend: str
) -> None:
    old = await asgi_sessions_cookie(visit, session_type)
    app = satchel_app(**_options(session_type, backend=backend))
    first = await visit(app, cookie=f"session={old}")
    assert first.body == {"user": "alice", "data": ALICE, "is_new": True}
    new = first.cookie("session")
    assert new is not None
    assert new != old
    second = await visit(app, cookie=f"session={new}")
    assert second.body == {"user": "alice", "data": ALICE, "is_new": False}
    assert second.set_cookies == []


@pytest.mark.parametrize("session_type", ["jwt", "fernet"])
async def test_a_short_asgi_sessions_secret_reads_without_a_warning_per_request(
    visit: Visit, satchel_app: MakeApp, session_type: str
) -> None:
    with warnings.catch_warnings():  # PyJWT warns asgi-sessions about the short key
        warnings.simplefilter("ignore")
        old = await asgi_sessions_cookie(visit, session_type, secret="short")
    app = satchel_app(**_options(session_type, legacy_secret_keys=["short"]))
    for _ in range(2):  # warnings are errors here: satchel's reader raises none
        assert (await visit(app, cookie=f"session={old}")).body["user"] == "alice"


def test_the_base64_format_is_refused_without_allow_unsigned() -> None:
    with pytest.raises(ConfigurationError, match="SESSION_ALLOW_UNSIGNED=True") as caught:
        SessionSettings(secret_key=SECRET, legacy_formats=["asgi-sessions-base64"])
    assert "forge" in str(caught.value)
    assert "legacy_formats" in caught.value.fields


def test_a_fernet_secret_asgi_sessions_could_not_use_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="at most 32 ASCII"):
        SessionSettings(
            secret_key=SECRET,
            legacy_formats=["asgi-sessions-fernet"],
            legacy_secret_keys=["x" * 33, "é" * 10],
        )
    with pytest.raises(ConfigurationError, match="at most 32 ASCII"):  # satchel's own secret
        SessionSettings(secret_key=SECRET, legacy_formats=["asgi-sessions-fernet"])


# -- hostile cookies -------------------------------------------------------------------

NOW = int(time.time())


def _jwt(claims: dict[str, Any], key: str = OLD_SECRET, algorithm: str = "HS256") -> str:
    with warnings.catch_warnings():  # HS512 under a 32-byte key: PyJWT warns
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        return jwt.encode(claims, key, algorithm=algorithm)


def _jws(payload: bytes) -> str:
    return jwt.PyJWS().encode(payload, OLD_SECRET, algorithm="HS256")


def _tampered(token: str) -> str:
    header, _payload, signature = token.split(".")
    forged = base64.urlsafe_b64encode(b'{"user_id":"admin"}').rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


HOSTILE_JWT: dict[str, Callable[[], str]] = {
    "alg none": lambda: jwt.encode({"user_id": "alice"}, "", algorithm="none"),
    "HS512 under the right key": lambda: _jwt({"user_id": "alice"}, algorithm="HS512"),
    "another secret": lambda: _jwt({"user_id": "alice"}, "another-secret-of-32-bytes-or-so"),
    "tampered payload": lambda: _tampered(_jwt({"user_id": "alice"})),
    "tampered signature": lambda: _jwt({"user_id": "alice"})[:-4] + "AAAA",
    "expired exp": lambda: _jwt({"user_id": "alice", "exp": NOW - 10}),
    "exp not a number": lambda: _jwt({"user_id": "alice", "exp": "soon"}),
    "exp NaN": lambda: _jws(b'{"user_id": "alice", "exp": NaN}'),
    "future nbf": lambda: _jwt({"user_id": "alice", "nbf": NOW + 3600}),
    "future iat": lambda: _jwt({"user_id": "alice", "iat": NOW + 3600}),
    "an aud": lambda: _jwt({"user_id": "alice", "aud": "api"}),
    "an int sub": lambda: _jws(b'{"user_id": "alice", "sub": 1}'),
    "an int jti": lambda: _jws(b'{"user_id": "alice", "jti": 1}'),
    "a JSON list payload": lambda: _jws(b'[{"user_id": "alice"}]'),
    "a JSON scalar payload": lambda: _jws(b"42"),
    "not JSON payload": lambda: _jws(b"\x80 not json"),
    "oversize": lambda: _jwt({"user_id": "a" * MAX_LEGACY_VALUE}),
    "garbage with two dots": lambda: "a.b.c",
    "garbage": lambda: "garbage",
    "not ascii": lambda: _jwt({"user_id": "alice"}) + "é",
}

_FERNET = SessionFernet(secret=OLD_SECRET).f  # asgi-sessions' own key derivation
HOSTILE_FERNET: dict[str, Callable[[], str]] = {
    "another secret": lambda: (
        SessionFernet(secret="another").f.encrypt(b'{"user_id": "a"}').decode()
    ),
    "tampered": lambda: _FERNET.encrypt(b'{"user_id": "alice"}').decode()[:-6] + "AAAAAA",
    "older than max_age": lambda: _FERNET.encrypt_at_time(
        b'{"user_id": "a"}', NOW - 15 * 86400
    ).decode(),
    "from the future": lambda: _FERNET.encrypt_at_time(b'{"user_id": "a"}', NOW + 3600).decode(),
    "a JSON list": lambda: _FERNET.encrypt(b'[{"user_id": "alice"}]').decode(),
    "not JSON": lambda: _FERNET.encrypt(b"\x80 not json").decode(),
    "oversize": lambda: _FERNET.encrypt(b'{"a": "' + b"a" * MAX_LEGACY_VALUE + b'"}').decode(),
    "garbage": lambda: "gAAAAAgarbage",
}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


HOSTILE_BASE64: dict[str, Callable[[], str]] = {
    "a JSON list": lambda: _b64(b'[{"user_id": "alice"}]'),
    "a JSON scalar": lambda: _b64(b"42"),
    "JSON null": lambda: _b64(b"null"),
    "not JSON": lambda: _b64(b"\x80 not json"),
    "not base64": lambda: "not*base64!",
    "oversize": lambda: _b64(json.dumps({"a": "a" * MAX_LEGACY_VALUE}).encode()),
}

HOSTILE = [("jwt", case) for case in sorted(HOSTILE_JWT)]
HOSTILE += [("fernet", case) for case in sorted(HOSTILE_FERNET)]
HOSTILE += [("base64", case) for case in sorted(HOSTILE_BASE64)]
_MAKERS = {"jwt": HOSTILE_JWT, "fernet": HOSTILE_FERNET, "base64": HOSTILE_BASE64}


@pytest.mark.parametrize(("session_type", "case"), HOSTILE, ids=[f"{t}: {c}" for t, c in HOSTILE])
async def test_a_hostile_asgi_sessions_cookie_yields_a_fresh_session(
    visit: Visit, satchel_app: MakeApp, session_type: str, case: str
) -> None:
    app = satchel_app(**_options(session_type))
    reply = await visit(app, cookie=f'session="{_MAKERS[session_type][case]()}"')
    assert reply.status == 200
    assert reply.body == {"user": None, "data": {}, "is_new": True}
    assert reply.set_cookies == []


@pytest.mark.parametrize(
    ("legacy_max_age", "age", "user"),
    [(None, 13 * 86400, "alice"), (None, 15 * 86400, None), (60, 30, "alice"), (60, 90, None)],
)
async def test_a_fernet_token_may_be_as_old_as_max_age_or_legacy_max_age(
    visit: Visit, legacy_max_age: int | None, age: int, user: str | None
) -> None:
    old = await asgi_sessions_cookie(visit, "fernet")
    options = _options("fernet")
    if legacy_max_age is not None:
        options["legacy_max_age"] = legacy_max_age
    manager = SessionManager(make_settings(**options), clock=FrozenClock(time.time() + age))
    assert (await manager.load(f'session="{old}"')).get("user_id") == user


def test_the_formats_read_what_asgi_sessions_writes() -> None:
    token = _jwt({"user_id": "alice", "exp": NOW + 60})
    assert AsgiSessionsJWTFormat([OLD_SECRET]).read(token, NOW) == {
        "user_id": "alice",
        "exp": NOW + 60,
    }
    assert AsgiSessionsJWTFormat(["other", OLD_SECRET]).read(token, NOW + 61) is None
    fernet = _FERNET.encrypt_at_time(b'{"user_id": "alice"}', NOW).decode()
    assert AsgiSessionsFernetFormat(["x" * 40, OLD_SECRET], max_age=60).read(fernet, NOW) == {
        "user_id": "alice"
    }
    assert AsgiSessionsBase64Format().read("eyJpZCI6MX0=", NOW) == {"id": 1}
    with pytest.raises(ValueError, match="Fernet"):
        AsgiSessionsFernetFormat(["x" * 40], max_age=60)
