"""Settings from the environment, overridden by keywords, validated at start-up."""

import os

from pydantic import ValidationError

from satchel import SessionSettings, generate_key

os.environ["SESSION_SECRET_KEY"] = generate_key()
os.environ["SESSION_MAX_AGE"] = "PT8H"  # or "28800"
os.environ["SESSION_IDLE_TIMEOUT"] = "1800"

settings = SessionSettings(cookie_name="__Host-session", cookie_secure=True)
assert settings.max_age.total_seconds() == 8 * 3600
assert settings.idle_timeout is not None

try:
    SessionSettings(cookie_samesite="none")  # browsers reject SameSite=None without Secure
except ValidationError as error:
    message = str(error)
else:
    raise SystemExit("an invalid combination was accepted")
assert "cookie_samesite='none' requires cookie_secure=True" in message
