"""Bad session settings never serve: every example app, under a plain ``uvicorn app:app``.

Each example is started as a user starts it, with one bad ``SESSION_*`` setting,
and must exit non-zero with satchel's one-line message (never the secret's value)
instead of starting to serve. Bounded: each server gets 60 s, and one that starts
serving anyway is stopped and fails the test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from browser.conftest import installed_examples

ROOT = Path(__file__).parents[2]
SHORT_SECRET = "short-secret-value"
CASES = {
    "short secret": (
        {"SESSION_SECRET_KEY": SHORT_SECRET},
        "SESSION_SECRET_KEY must be at least 32 bytes: generate one with `satchel keygen`",
    ),
    "unknown backend": (
        {"SESSION_SECRET_KEY": "k" * 40, "SESSION_BACKEND": "postgres"},
        "SESSION_BACKEND='postgres': must be 'signed', 'jwt', 'fernet', 'aesgcm', 'base64',",
    ),
    "misspelled variable": (
        {"SESSION_SECRET_KEY": "k" * 40, "SESSION_MAXAGE": "60"},
        "SESSION_MAXAGE in the environment is not a satchel setting; did you mean SESSION_MAX_AGE?",
    ),
}

pytestmark = pytest.mark.slow


def _uvicorn(example: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("SESSION_")}
    command = [sys.executable, "-m", "uvicorn", "app:app", "--port", "0", "--host", "127.0.0.1"]
    try:
        return subprocess.run(
            command,
            cwd=ROOT / "examples" / example,
            env={**clean, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{example} started serving with bad settings:\n{exc.stderr!s}")


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize(
    "example", [p for p in installed_examples() if p.values[0] != "robyn"]
)  # Robyn is not ASGI: tests/robyn/test_example.py starts its example its own way
def test_an_example_with_bad_settings_exits_with_the_message(example: str, case: str) -> None:
    env, message = CASES[case]
    result = _uvicorn(example, env)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert message in output
    assert "ConfigurationError" in output
    assert SHORT_SECRET not in output
