"""An asgi-tools app with sessions: a visit counter, login and logout (app.py)."""

from asgi_tools import App, Request, ResponseRedirect

from satchel import SessionSettings
from satchel_asgi import SessionMiddleware

app = App()
app.middleware(SessionMiddleware.setup(SessionSettings.development()))  # SESSION_* settings


@app.route("/", methods=["GET"])
async def home(request: Request) -> str:
    session = request.session  # or request["session"]: a satchel.Session
    session["visits"] = session.get("visits", 0) + 1
    return f"visits: {session['visits']}, user: {session.user_id}"


@app.route("/login", methods=["POST"])
async def login(request: Request) -> None:
    name = (await request.form()).get("name", "")
    request.session.login(name)  # a new session id: no session fixation
    request.session.flash(f"Welcome, {name}!")
    raise ResponseRedirect("/", status_code=303)  # the session is saved all the same


@app.route("/logout", methods=["POST"])
async def logout(request: Request) -> None:
    request.session.logout()
    raise ResponseRedirect("/", status_code=303)


@app.route("/welcome", methods=["GET"])
async def welcome(request: Request) -> str:
    return " ".join(flash.message for flash in request.session.pop_flashes())
