"""muffin-session 2.6.0's README, run on satchel-muffin: its code as published, with only
the import line changed as docs/migrating/muffin-session.md says (and, for the manual
integration, the one ``await`` that page adds). The README's secret is too short for
satchel, so the test deploys the app as one should: with a real secret in the
environment (``MUFFIN_SESSION_SECRET_KEY``, which wins over the code's)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
import muffin
import pytest
from support import SECRET

pytestmark = pytest.mark.anyio

Client = Callable[[muffin.Application], httpx.AsyncClient]

MANUAL_INTEGRATION = """
from muffin import Application, ResponseHTML
from muffin_session import Plugin as Session

app = Application('example')

session = Session(app, secret_key='REALLY_SECRET_KEY')

@app.route('/update')
async def update(request):
    ses = session.load_from_request(request)
    ses['var'] = 'value'
    response = ResponseHTML('Session updated.')
    session.save_to_response(ses, response)
    return response

@app.route('/load')
async def load(request):
    ses = session.load_from_request(request)
    return ses.get('var')
"""

AUTO_MANAGED = """
from muffin import Application
from muffin_session import Plugin as Session

app = Application('example')

session = Session()
session = Session(app, secret_key='REALLY_SECRET_KEY', auto_manage=True)

@app.route('/update')
async def update(request):
    request.session['var'] = 'value'
    return 'Session updated.'

@app.route('/load')
async def load(request):
    return request.session.get('var')
"""

EXAMPLE = """
from muffin import Application
from muffin_session import Plugin as Session

app = Application('example')
session = Session(app, secret_key='REALLY_SECRET_KEY', auto_manage=True)

@session.user_loader
async def load_user(user_id):
    return await db.get_user_by_id(user_id)

@app.route('/session')
async def get_session(request):
    return dict(request.session)

@app.route('/admin')
@session.user_pass(lambda user: user.is_admin)
async def admin(request):
    return 'Top secret admin page.'

@app.route('/login')
async def login(request):
    user = await authenticate(request)
    session.login(request, user.id)
    return 'Logged in.'

@app.route('/logout')
async def logout(request):
    session.logout(request)
    return 'Logged out.'

@app.route('/clear')
async def clear(request):
    request.session.clear()
    return 'Session cleared.'
"""


@dataclass
class User:
    id: str
    is_admin: bool


class Database:
    """The README's ``db``, left to the reader."""

    users: ClassVar[dict[str, User]] = {
        "root": User("root", is_admin=True),
        "guest": User("guest", is_admin=False),
    }

    async def get_user_by_id(self, user_id: str) -> User | None:
        return self.users.get(user_id)


async def authenticate(request: muffin.Request) -> User:
    """The README's ``authenticate``, left to the reader: ``/login?name=...``."""
    return Database.users[request.url.query["name"]]


def _run_readme(code: str, monkeypatch: pytest.MonkeyPatch) -> muffin.Application:
    """The README's *code* with the import line changed, its app on a real secret."""
    monkeypatch.setenv("MUFFIN_SESSION_SECRET_KEY", SECRET)
    ported = code.replace("from muffin_session import", "from satchel_muffin import")
    namespace: dict[str, Any] = {"db": Database(), "authenticate": authenticate}
    exec(compile(ported, "muffin-session README", "exec"), namespace)  # noqa: S102
    app = namespace["app"]
    assert isinstance(app, muffin.Application)
    return app


async def test_muffin_sessions_readme_manual_integration_with_the_documented_await(
    monkeypatch: pytest.MonkeyPatch, http: Client
) -> None:
    awaited = MANUAL_INTEGRATION.replace(
        "session.load_from_request(", "await session.load_from_request("
    )
    app = _run_readme(awaited, monkeypatch)
    async with http(app) as client:
        assert (await client.get("/update")).text == "Session updated."
        assert (await client.get("/load")).text == "value"


async def test_muffin_sessions_readme_auto_managed_sessions_run_unchanged(
    monkeypatch: pytest.MonkeyPatch, http: Client
) -> None:
    app = _run_readme(AUTO_MANAGED, monkeypatch)
    async with http(app) as client:
        assert (await client.get("/update")).text == "Session updated."
        assert (await client.get("/load")).text == "value"


async def test_muffin_sessions_readme_example_logs_in_and_out_unchanged(
    monkeypatch: pytest.MonkeyPatch, http: Client
) -> None:
    app = _run_readme(EXAMPLE, monkeypatch)
    async with http(app) as client:
        assert (await client.get("/login", params={"name": "guest"})).text == "Logged in."
        refused = await client.get("/admin")
        assert (refused.status_code, refused.headers["location"]) == (307, "/login")
        await client.get("/login", params={"name": "root"})
        assert (await client.get("/session")).json() == {"user_id": "root"}
        assert (await client.get("/admin")).text == "Top secret admin page."
        assert (await client.get("/logout")).text == "Logged out."
        assert (await client.get("/session")).json() == {}
        await client.get("/login", params={"name": "root"})
        assert (await client.get("/clear")).text == "Session cleared."
        assert (await client.get("/session")).json() == {}
