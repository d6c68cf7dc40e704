#!/usr/bin/env bash
# The satchel command line, end to end: a key, a cookie made with it, its inspection.
set -euo pipefail
python -m satchel --version    # "satchel <version>": python -m satchel is the satchel command
export SESSION_SECRET_KEY="$(satchel keygen)"
cookie="$(python - <<'PY'
import asyncio
from satchel import SessionManager, SessionSettings

async def issue() -> str:
    manager = SessionManager(SessionSettings())
    session = await manager.load(None)
    session.login(42)
    return (await manager.commit(session))[0].split(";", 1)[0]

print(asyncio.run(issue()))
PY
)"
satchel inspect "$cookie"                       # prints the data, age and expiry as JSON
satchel inspect "${cookie%????}AAAA" || echo "refused, status $?"   # a tampered copy
SESSION_BACKEND=jwt SESSION_JWT_ALGORITHM=EdDSA satchel verify-key   # the PEM public key
