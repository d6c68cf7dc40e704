"""Settings from the environment, overridden by keywords, validated at start-up."""

import os
import tempfile
from pathlib import Path

from satchel import ConfigurationError, SessionSettings, generate_key

os.environ["SESSION_SECRET_KEY"] = generate_key()
os.environ["SESSION_MAX_AGE"] = "PT8H"  # or "28800"
os.environ["SESSION_IDLE_TIMEOUT"] = "1800"

settings = SessionSettings(cookie_name="__Host-session", cookie_secure=True)
assert settings.max_age.total_seconds() == 8 * 3600
assert settings.idle_timeout is not None

try:
    SessionSettings(cookie_samesite="none")  # browsers reject SameSite=None without Secure
except ConfigurationError as error:
    message = str(error)
else:
    raise SystemExit("an invalid combination was accepted")
assert message == (
    "cookie_samesite='none' requires SESSION_COOKIE_SECURE=True (browsers reject it)"
)

os.environ["SESSION_MAXAGE"] = "60"  # a typo is refused, not ignored
try:
    SessionSettings()
except ConfigurationError as error:
    message = str(error)
else:
    raise SystemExit("a misspelled variable was accepted")
assert message.endswith("did you mean SESSION_MAX_AGE?")
del os.environ["SESSION_MAXAGE"]

# An app's own .env, read only when asked; its other variables are left alone.
with tempfile.TemporaryDirectory() as folder:
    env_file = Path(folder) / ".env"
    env_file.write_text("DATABASE_URL=postgres://db/app\nSESSION_COOKIE_NAME=sid\n")
    assert SessionSettings.from_env_file(env_file).cookie_name == "sid"
