"""An asgi-tools app that used asgi-sessions, moved to satchel-asgi (app.py).

Two lines changed: the import, and the secret, which now comes from
SESSION_SECRET_KEY (32 bytes or more) unless given as secret_key=. asgi-sessions'
keyword arguments keep their meaning.
"""

from asgi_tools import App, Request

from satchel import SessionSettings
from satchel_asgi import SessionMiddleware  # was: from asgi_sessions import SessionMiddleware

app = App()
app.middleware(
    SessionMiddleware.setup(
        SessionSettings.development(),  # was: secret_key="..." (any length, no warning)
        session_type="jwt",
        cookie_name="sid",
        max_age=3600,
        samesite="strict",
    )
)


@app.route("/", methods=["GET"])
async def home(request: Request) -> str:
    request.session["visits"] = request.session.get("visits", 0) + 1
    return str(request.session["visits"])


@app.route("/profile", methods=["POST"])
async def profile(request: Request) -> str:
    request.session.update(await request.json())  # asgi-sessions never saved update()
    return "saved"


@app.route("/cart", methods=["POST"])
async def cart(request: Request) -> str:
    request.session.setdefault("cart", []).append("pear")  # nor a nested change
    return "added"


@app.route("/whoami", methods=["GET"])
async def whoami(request: Request) -> str:
    return str(request.session.get("name"))  # only read: no Set-Cookie at all
