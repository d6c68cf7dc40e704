"""Try the Robyn app on a real server: Robyn serves from its own Rust runtime, so the app
runs in a process of its own on a free loopback port, and httpx keeps the cookies."""

import os
import signal
import socket
import subprocess
import sys
import time

import httpx

with socket.socket() as sock:
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
serve = f"from quickstart_robyn import app; app.start(port={port}, _check_port=False)"
here = os.path.dirname(os.path.abspath(__file__))
server = subprocess.Popen(  # noqa: S603 (this interpreter, our own code)
    [sys.executable, "-c", serve], cwd=here, start_new_session=True, stderr=subprocess.DEVNULL
)
try:
    for _ in range(300):  # at most 30 s
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as browser:
        first = browser.get("/")
        assert first.text == "visits: 1"
        assert "HttpOnly" in first.headers["set-cookie"]
        assert first.headers["vary"] == "Cookie"  # and Cache-Control: private, for shared caches
        assert browser.get("/").text == "visits: 2"

        me = browser.get("/me")
        assert me.text == "visits: 2, user: None"
        assert "set-cookie" not in me.headers  # only read: nothing to write
        anonymous = browser.cookies["session"]

        assert browser.post("/login").text == "visits: 2, user: alice"
        assert browser.cookies["session"] != anonymous  # re-issued for the new identity

        response = browser.post("/logout")
        assert response.text == "visits: 0, user: None"
        assert "Max-Age=0" in response.headers["set-cookie"]
        assert "session" not in browser.cookies

        # A tampered cookie is a fresh, empty session: never an error in the app.
        tampered = browser.get("/me", headers={"cookie": f"session={anonymous[:-1]}"})
        assert (tampered.status_code, tampered.text) == (200, "visits: 0, user: None")
finally:
    os.killpg(server.pid, signal.SIGKILL)  # Robyn ignores SIGTERM
    server.wait()
