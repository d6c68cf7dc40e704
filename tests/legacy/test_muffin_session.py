"""Moving from muffin-session: the cookies its Plugin issues (asgi-sessions' formats, the
user under ``"id"``) load in satchel once and come back as satchel's. muffin-session
and Muffin 3 need Python 3.11+."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from support import MakeApp, Visit

if TYPE_CHECKING:
    import muffin
else:
    muffin = pytest.importorskip("muffin")  # Muffin 3 needs Python 3.11+
muffin_session: Any = pytest.importorskip("muffin_session")

pytestmark = pytest.mark.anyio

OLD_SECRET = "a-muffin-session-secret-32-bytes"  # 32 characters: JWT and Fernet take it
FORMATS = {
    "jwt": "asgi-sessions-jwt",
    "fernet": "asgi-sessions-fernet",
    "base64": "asgi-sessions-base64",
}


def muffin_app(session_type: str) -> Any:
    """The incumbent: a Muffin app on muffin-session's Plugin; POST /login logs alice in."""
    app = muffin.Application()
    session = muffin_session.Plugin(
        app, secret_key=OLD_SECRET, session_type=session_type, auto_manage=True
    )

    @app.route("/login", methods="POST")
    async def login(request: muffin.Request) -> dict[str, bool]:
        session.login(request, "alice")
        return {"ok": True}

    return app


@pytest.mark.parametrize("session_type", sorted(FORMATS))
async def test_a_muffin_session_cookie_keeps_its_user_logged_in_and_comes_back_as_satchels(
    visit: Visit, satchel_app: MakeApp, session_type: str
) -> None:
    issued = await visit(muffin_app(session_type), "/login", method="POST")
    old = issued.cookie("session")
    assert old
    options: dict[str, Any] = {"legacy_formats": [FORMATS[session_type]], "user_key": "id"}
    if session_type == "base64":
        options["allow_unsigned"] = True
    else:
        options["legacy_secret_keys"] = [OLD_SECRET]
    app = satchel_app(**options)
    first = await visit(app, cookie=f"session={old}")
    assert first.body == {"user": "alice", "data": {"id": "alice"}, "is_new": True}
    new = first.cookie("session")
    assert new is not None
    assert new != old
    second = await visit(app, cookie=f"session={new}")
    assert second.body == {"user": "alice", "data": {"id": "alice"}, "is_new": False}
    assert second.set_cookies == []
