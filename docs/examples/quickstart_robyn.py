"""A Robyn app with sessions: a visit counter, login and logout (app.py)."""

from robyn import Request, Robyn

from satchel import SessionSettings
from satchel_robyn import configure_sessions, get_session

app = Robyn(__file__)
# SESSION_* variables configure it, checked here (a bad one raises before anything serves);
# development(): without SESSION_SECRET_KEY, a key is generated, with a warning.
configure_sessions(app, SessionSettings.development())


@app.get("/")
def home(request: Request) -> str:
    request.session["visits"] = request.session.get("visits", 0) + 1  # a dict, as in Robyn
    return f"visits: {request.session['visits']}"


@app.get("/me")
async def me(request: Request) -> str:
    session = get_session(request)  # request.session, typed as the satchel.Session it is
    return f"visits: {session.get('visits', 0)}, user: {session.user_id}"


@app.post("/login")
async def login(request: Request) -> str:
    get_session(request).login("alice")  # a new session identity: a planted cookie gains nothing
    return await me(request)


@app.post("/logout")
async def logout(request: Request) -> str:
    get_session(request).logout()  # everything goes; the browser is told to drop the cookie
    return await me(request)
