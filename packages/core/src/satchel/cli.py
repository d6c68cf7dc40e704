"""The ``satchel`` command: make keys and look inside session cookies.

``satchel keygen`` prints a fresh secret; ``satchel inspect COOKIE`` verifies a
cookie with the settings in the environment (``SESSION_*``) and prints its data
and times, or exactly why it is refused; ``satchel verify-key`` prints what
another service needs to verify JWT sessions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import get_args

from pydantic import ValidationError

from satchel import __version__
from satchel.errors import BadCookie, SatchelError
from satchel.keys import generate_key
from satchel.manager import SessionManager
from satchel.records import Record
from satchel.settings import BackendName, SessionSettings

_MARKUP = re.compile(r"(?::[a-z]+:)?`{1,2}([^`]+)`{1,2}")
"""Inline reStructuredText (``name``, `name`, :func:`name`), shown as the bare name."""


def _plain(text: str) -> str:
    """*text* from a docstring as a terminal shows it: without reStructuredText markup."""
    return _MARKUP.sub(r"\1", text)


def _command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, summary: str
) -> argparse.ArgumentParser:
    """A subcommand: *summary* is its line in ``satchel --help`` and starts its own help."""
    return commands.add_parser(
        name,
        help=summary,
        description=f"{summary[:1].upper()}{summary[1:]}.",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="satchel",
        description=_plain((__doc__ or "").splitlines()[0]),
        epilog="Settings come from the SESSION_* environment variables, as the application "
        "reads them. 'satchel COMMAND --help' shows a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"satchel {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    keygen = _command(commands, "keygen", "print a fresh random secret key")
    keygen.add_argument(
        "--backend",
        choices=get_args(BackendName),
        default="signed",
        help="the backend the key is for (every keyed backend takes the same form)",
    )
    keygen.add_argument(
        "--env", action="store_true", help="print it as a SESSION_SECRET_KEY=... line"
    )
    inspect = _command(
        commands, "inspect", "verify a session cookie with the SESSION_* settings and show it"
    )
    inspect.add_argument(
        "cookie",
        help="the cookie value, or a Cookie header such as 'session=...; session.1=...' "
        "(a value starting with '-' is taken as it is; '--' before it is accepted too)",
    )
    _command(commands, "verify-key", "print the key that verifies JWT session cookies")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 refused, 2 bad settings)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    cookie = _inspected(argv)
    if cookie is None:
        args = _parser().parse_args(argv)
        if args.command == "keygen":
            return _keygen(args.backend, args.env)
        command, cookie = args.command, getattr(args, "cookie", "")
    else:
        command = "inspect"
    try:
        manager = SessionManager(SessionSettings())
    except (ValidationError, ValueError, ImportError) as exc:
        print(f"satchel: the SESSION_* settings are not usable:\n{exc}", file=sys.stderr)
        return 2
    if command == "inspect":
        return _inspect(manager, cookie)
    return _verify_key(manager)


def _inspected(argv: list[str]) -> str | None:
    """The value of ``inspect VALUE`` or ``inspect -- VALUE`` whatever it starts with:
    argparse takes a value starting with "-" (a store id in 64 does) for an option, and
    Python versions differ on "--" after a subcommand. None for any other command line."""
    if argv[:1] != ["inspect"]:
        return None
    if len(argv) == 3 and argv[1] == "--":
        return argv[2]
    if len(argv) == 2 and argv[1] not in ("-h", "--help", "--"):
        return argv[1]
    return None


def _keygen(backend: str, env: bool) -> int:
    if backend == "base64":
        print("satchel: the base64 backend uses no key (and anyone can forge it)", file=sys.stderr)
        return 1
    key = generate_key()
    print(f"SESSION_SECRET_KEY={key}" if env else key)
    return 0


def _inspect(manager: SessionManager, text: str) -> int:
    name = manager.settings.cookie_name
    now = manager.now()
    cookies = text if text.startswith(f"{name}=") or ";" in text else {name: text}
    try:
        incoming = manager.cookie.read(cookies)
        if incoming is None:
            raise BadCookie(f"no cookie named {name!r} in the input")
        record = asyncio.run(_read(manager, incoming.value, now))
        data = manager.serializer.loads(record.payload)
    except (BadCookie, ValueError) as exc:
        reason = exc.reason if isinstance(exc, BadCookie) else f"data is not valid ({exc})"
        print(f"refused: {reason}", file=sys.stderr)
        return 1
    except SatchelError as exc:
        print(f"satchel: {exc}", file=sys.stderr)
        return 2
    expires = manager.lifetime.expires_at(record.created, record.issued)
    report = {
        "backend": manager.settings.backend,
        "created": _iso(record.created),
        "last_written": _iso(record.issued),
        "age_seconds": now - record.created,
        "expires": _iso(expires),
        "expires_in_seconds": expires - now,
        "chunks": incoming.chunks,
        "data": data,
    }
    print(json.dumps(report, indent=2))
    return 0


async def _read(manager: SessionManager, value: str, now: int) -> Record:
    try:
        return await manager.backend.read(value, now)
    finally:
        await manager.aclose()


def _verify_key(manager: SessionManager) -> int:
    from satchel.backends.jwt import JWTBackend

    backend = manager.backend
    if not isinstance(backend, JWTBackend):
        print("satchel: verify-key is for SESSION_BACKEND=jwt", file=sys.stderr)
        return 1
    print(backend.verification_key())
    return 0


def _iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat()


if __name__ == "__main__":
    raise SystemExit(main())
