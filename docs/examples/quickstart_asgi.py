"""A bare ASGI app with sessions: a visit counter, login and logout (app.py)."""

from satchel import SessionSettings
from satchel_asgi import Receive, Scope, Send, SessionMiddleware


async def visits(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    session = scope["session"]  # a satchel.Session: a dict that knows when it changed
    if scope["method"] == "POST" and scope["path"] == "/login":
        session.login("alice")  # a new session id: a cookie planted before gains nothing
    elif scope["method"] == "POST" and scope["path"] == "/logout":
        session.logout()  # everything goes; the browser is told to drop the cookie
    else:
        session["visits"] = session.get("visits", 0) + 1
    body = f"visits: {session.get('visits', 0)}, user: {session.user_id}".encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


# SESSION_* variables configure it; without SESSION_SECRET_KEY, a key is generated
# with a warning (SessionSettings() would refuse to start instead).
app = SessionMiddleware(visits, SessionSettings.development())
