"""The satchel demo: one of the example apps on http://127.0.0.1:8000.

    python3 -m nox -s demo                                        # bare ASGI, signed cookies
    python3 -m nox -s demo -- --framework muffin --backend redis  # any example, any backend

Every ``examples/<framework>/app.py`` is a framework here (``asgi_tools`` is
``asgi-tools``), and each serves the same shop: a visit counter, login with a new
session id, logout, a flash message, a cart that grows until the session fills its
3 KB of cookies (``SESSION_COOKIE_MAX_BYTES=12288`` lets it span chunk cookies), and
the session's metadata. ``SESSION_*`` variables configure the sessions as usual; without
SESSION_SECRET_KEY a development key is generated once, printed, and kept in
.satchel-dev-key, so restarts (and switching frameworks) keep everyone logged in.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import sys
import threading
import time
from collections.abc import MutableMapping
from pathlib import Path
from types import ModuleType
from typing import Any, get_args

from satchel import BackendName, generate_key

EXAMPLES = Path(__file__).resolve().parent
KEY_FILE = EXAMPLES.parent / ".satchel-dev-key"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def frameworks() -> dict[str, Path]:
    """Every example app, by framework name."""
    return {path.parent.name.replace("_", "-"): path for path in sorted(EXAMPLES.glob("*/app.py"))}


def development_key() -> str:
    """The key kept in .satchel-dev-key, generated (and printed) the first time."""
    if KEY_FILE.exists():
        return KEY_FILE.read_text().strip()
    key = generate_key()
    KEY_FILE.write_text(key + "\n")
    KEY_FILE.chmod(0o600)
    print(f"satchel demo: generated a development key, kept in {KEY_FILE}:")
    print(f"  SESSION_SECRET_KEY={key}")
    return key


def configure(environ: MutableMapping[str, str], backend: str | None) -> None:
    """Put the demo's choices into *environ*, where every example reads its settings:
    the development key unless a secret is set, and the chosen backend."""
    if not environ.get("SESSION_SECRET_KEY"):
        environ["SESSION_SECRET_KEY"] = development_key()
    if backend is not None:
        environ["SESSION_BACKEND"] = backend
    chosen = environ.get("SESSION_BACKEND", "signed").lower()
    if chosen == "redis":
        environ.setdefault("SESSION_REDIS_URL", DEFAULT_REDIS_URL)
    elif chosen == "base64":
        print("satchel demo: base64 cookies are unsigned: anyone can forge them")
        environ["SESSION_ALLOW_UNSIGNED"] = "true"


def load(framework: str) -> ModuleType:
    """Import the example app of *framework* from its file."""
    path = frameworks()[framework]
    name = f"satchel_example_{path.parent.name}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def stop_with_parent(parent: int, grace: float = 5.0) -> None:
    """Stop this server once process *parent* (nox) is gone, as after a SIGKILL it could not
    pass on: SIGTERM to itself, then, *grace* seconds later, exit whatever it is doing."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(grace)
        os._exit(1)

    threading.Thread(target=watch, name="satchel-demo-parent", daemon=True).start()


def main(argv: list[str] | None = None) -> None:
    """Serve the chosen example with uvicorn."""
    found = frameworks()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--framework", choices=sorted(found), default="asgi")
    parser.add_argument(
        "--backend",
        choices=get_args(BackendName),
        help="SESSION_BACKEND for this run (default: SESSION_BACKEND, else signed)",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    if os.environ.get("SATCHEL_DEMO_PARENT"):  # set by nox -s demo
        stop_with_parent(int(os.environ["SATCHEL_DEMO_PARENT"]))
    configure(os.environ, args.backend)
    sys.argv = sys.argv[:1]  # Robyn reads the command line when imported
    app: Any = load(args.framework).app
    backend = os.environ.get("SESSION_BACKEND", "signed")
    print(f"satchel demo: the {args.framework} example with {backend} sessions", flush=True)
    print(f"satchel demo: open http://{args.host}:{args.port}/", flush=True)
    if args.framework == "robyn":  # not ASGI: Robyn serves its app itself
        app.start(host=args.host, port=args.port, _check_port=False)
        return
    import uvicorn

    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
