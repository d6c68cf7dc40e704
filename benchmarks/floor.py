"""The floor: the same verify + deserialize + serialize + sign work as a signed-cookie
session, written as the shortest plain Python can (hmac.digest, base64, and json or
orjson), with none of a library's checks (no expiry, no key rotation, no size rules)."""

from __future__ import annotations

import base64
import hmac
import json
from collections.abc import Callable
from typing import Any

from contenders import SECRET, act
from driver import ASGIApp, Message, Scope

KEY = SECRET.encode()


def _stdlib_dumps(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def floor_middleware(json_library: str = "json") -> ASGIApp:
    """A bare ASGI session middleware doing only the unavoidable work, with the
    standard library's json or with orjson (``json_library="orjson"``)."""
    loads: Callable[[bytes], Any] = json.loads
    dumps: Callable[[Any], bytes] = _stdlib_dumps
    if json_library == "orjson":
        import orjson

        loads, dumps = orjson.loads, orjson.dumps

    async def middleware(scope: Scope, receive: Any, send: Any) -> None:
        raw = b""
        for name, value in scope["headers"]:
            if name == b"cookie":
                raw = value
        data: dict[str, Any] = {}
        original = b"{}"
        start = raw.find(b"session=")
        if start >= 0:
            token = raw[start + 8 :].split(b";", 1)[0]
            body, _, mac = token.rpartition(b".")
            expected = base64.urlsafe_b64encode(hmac.digest(KEY, body, "sha256"))
            if hmac.compare_digest(mac, expected):
                original = base64.urlsafe_b64decode(body)
                data = loads(original)
        path = scope["path"]
        payload = b"ok" if path == "/untouched" else act(path, data)

        async def reply(message: Message) -> None:
            await send(message)

        out = dumps(data)
        headers = [(b"content-type", b"text/plain")]
        if out != original:
            body = base64.urlsafe_b64encode(out)
            token = body + b"." + base64.urlsafe_b64encode(hmac.digest(KEY, body, "sha256"))
            headers.append((b"set-cookie", b"session=" + token + b"; Path=/; HttpOnly"))
        await reply({"type": "http.response.start", "status": 200, "headers": headers})
        await reply({"type": "http.response.body", "body": payload})

    return middleware
