"""What the move from Robyn's sessions keeps and changes, checked on a real server."""

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
from robyn.session import Session, SessionManager

from satchel import generate_key

secret = generate_key()  # the app's secret, before and after the move (32 bytes or more)
# A cookie Robyn's built-in sessions issued to a user before the move, by Robyn's own code:
robyn = SessionManager(secret, cookie_name="sid", max_age=3600)
robyn_cookie = robyn.dumps(Session({"views": 41, "user": "bob"}))

with socket.socket() as sock:
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
serve = f"from migrate_robyn import app; app.start(port={port}, _check_port=False)"
env = {**os.environ, "SECRET_KEY": secret, "SESSION_LEGACY_FORMATS": "robyn"}  # the opt-in
here = os.path.dirname(os.path.abspath(__file__))
server = subprocess.Popen(  # noqa: S603 (this interpreter, our own code)
    [sys.executable, "-c", serve],
    cwd=here,
    env=env,
    start_new_session=True,
    stderr=subprocess.DEVNULL,
)
try:
    for _ in range(300):  # at most 30 s
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as browser:
        # Bob's Robyn cookie still logs him in; the answer re-issues it in satchel's format.
        moved = browser.get("/", headers={"cookie": f"sid={robyn_cookie}"})
        assert moved.text == "views: 42, user: bob"
        assert browser.cookies["sid"] != robyn_cookie
        assert "SameSite=Strict" in moved.headers["set-cookie"]
        assert moved.headers["vary"] == "Cookie"  # and Cache-Control: private
        assert browser.get("/").text == "views: 43, user: bob"

        browser.post("/cart")
        assert browser.post("/cart").text == "cart: ['pear', 'pear']"

        assert "Max-Age=0" in browser.post("/logout").headers["set-cookie"]
        assert browser.get("/").text == "views: 1, user: None"

    # A tampered or expired Robyn cookie is a fresh session, never an error.
    body, _, signature = robyn_cookie.partition(".")
    expired = SessionManager(secret, max_age=-1).dumps(Session({"user": "bob"}))
    for bad in (f"{body}x.{signature}", expired):
        fresh = httpx.get(f"http://127.0.0.1:{port}/", headers={"cookie": f"sid={bad}"})
        assert fresh.text == "views: 1, user: None"
finally:
    os.killpg(server.pid, signal.SIGKILL)  # Robyn ignores SIGTERM
    server.wait()
