"""satchel-asgi example: a bare ASGI app that counts each visitor's visits.

    python examples/asgi/bare_app.py                          # http://127.0.0.1:8000
    SESSION_SECRET_KEY=$(satchel keygen) uvicorn bare_app:app  # any ASGI server

Sessions are signed cookies unless SESSION_* variables say otherwise. Without
SESSION_SECRET_KEY a development key is generated (with a warning), so sessions
end when the process restarts.
"""

from __future__ import annotations

from satchel import SessionSettings
from satchel_asgi import Receive, Scope, Send, SessionMiddleware


async def visits(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return  # lifespan: nothing to start here
    session = scope["session"]  # a lazy satchel.Session: nothing is decoded until touched
    session["visits"] = session.get("visits", 0) + 1
    body = f"visit number {session['visits']}".encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


app = SessionMiddleware(visits, SessionSettings.development())

if __name__ == "__main__":
    import sys

    import uvicorn

    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    print(f"satchel-asgi example: open http://127.0.0.1:{port}/", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port)
