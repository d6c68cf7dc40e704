"""The satchel command line: keygen, inspect, verify-key."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import jwt
import pytest
from support import SECRET, Jar, make_settings

from satchel import SessionManager, SessionSettings
from satchel.cli import main


def _cookie(**options: object) -> Jar:
    async def issue() -> Jar:
        manager = SessionManager(make_settings(**options))
        session = await manager.load(None)
        session.update(user_id=7, cart=[1, 2])
        return Jar().receive(await manager.commit(session))

    return asyncio.run(issue())


def test_keygen_prints_a_key_the_settings_accept(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keygen"]) == 0
    key = capsys.readouterr().out.strip()
    assert len(key) >= 43
    assert SessionSettings(secret_key=key).secret_key is not None
    assert main(["keygen"]) == 0
    assert capsys.readouterr().out.strip() != key


def test_keygen_env_form_and_backend_choice(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keygen", "--backend", "fernet", "--env"]) == 0
    assert capsys.readouterr().out.startswith("SESSION_SECRET_KEY=")
    assert main(["keygen", "--backend", "base64"]) == 1
    assert "no key" in capsys.readouterr().err


def test_inspect_shows_data_and_times_of_a_valid_cookie(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)
    jar = _cookie()
    assert main(["inspect", jar.cookies["session"]]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["data"] == {"user_id": 7, "cart": [1, 2]}
    assert report["backend"] == "signed"
    assert report["expires_in_seconds"] > 13 * 86400
    assert {"created", "last_written", "age_seconds", "expires"} <= set(report)


def test_inspect_reassembles_a_chunked_cookie_header(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import secrets

    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)

    async def issue() -> Jar:  # chunks: past the default 3 KB of cookies
        manager = SessionManager(make_settings(cookie_max_bytes=12288))
        session = await manager.load(None)
        session["blob"] = secrets.token_hex(3000)
        return Jar().receive(await manager.commit(session))

    jar = asyncio.run(issue())
    assert main(["inspect", jar.header]) == 0
    assert json.loads(capsys.readouterr().out)["chunks"] == 2


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda v: v[:-4] + ("AAAA" if v[-4:] != "AAAA" else "BBBB"), "bad signature"),
        (lambda v: "!!!", "not base64url"),
    ],
)
def test_inspect_says_exactly_why_a_cookie_is_refused(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    change: object,
    reason: str,
) -> None:
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)
    value = _cookie().cookies["session"]
    assert callable(change)
    assert main(["inspect", change(value)]) == 1
    assert f"refused: {reason}" in capsys.readouterr().err


def test_inspect_reports_a_foreign_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    value = _cookie(secret_key="z" * 40).cookies["session"]
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)
    assert main(["inspect", value]) == 1
    assert "unknown key" in capsys.readouterr().err


def test_inspect_with_unusable_settings_explains_them(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SESSION_SECRET_KEY", "short")
    assert main(["inspect", "x"]) == 2
    err = capsys.readouterr().err
    assert "at least 32 bytes" in err
    assert "short" not in err.replace("shorter", "")


def test_verify_key_prints_a_key_that_verifies_jwt_sessions(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)
    monkeypatch.setenv("SESSION_BACKEND", "jwt")
    monkeypatch.setenv("SESSION_JWT_ALGORITHM", "EdDSA")
    assert main(["verify-key"]) == 0
    public = capsys.readouterr().out
    token = _cookie(backend="jwt", jwt_algorithm="EdDSA").cookies["session"]
    claims = jwt.decode(
        token, public, algorithms=["EdDSA"], audience="session", options={"verify_iat": False}
    )
    assert claims["user_id"] == 7


def test_verify_key_refuses_other_backends(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)
    assert main(["verify-key"]) == 1
    assert "SESSION_BACKEND=jwt" in capsys.readouterr().err


@pytest.mark.slow
def test_console_script_runs_as_a_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "satchel.cli", "keygen"], capture_output=True, text=True, check=True
    )
    assert len(result.stdout.strip()) >= 43


def test_inspect_reads_a_redis_session_from_the_store(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    redis_url: str,
    redis_prefix: str,
) -> None:
    options = {"backend": "redis", "redis_url": redis_url, "store_prefix": redis_prefix}

    async def issue() -> Jar:
        manager = SessionManager(make_settings(**options))
        try:
            session = await manager.load(None)
            session["user_id"] = 9
            return Jar().receive(await manager.commit(session))
        finally:
            await manager.aclose()

    jar = asyncio.run(issue())
    for name, value in {"SECRET_KEY": SECRET, **options}.items():
        monkeypatch.setenv(f"SESSION_{name.upper()}", value)
    # as a Cookie header: a store's id may start with "-", which argparse would take for an option
    assert main(["inspect", f"session={jar.cookies['session']}"]) == 0
    assert json.loads(capsys.readouterr().out)["data"] == {"user_id": 9}
    forged = jar.cookies["session"][:-3] + "AAA"
    assert main(["inspect", f"session={forged}"]) == 1
    assert "bad session id signature" in capsys.readouterr().err


def test_inspect_takes_a_value_starting_with_a_dash_as_the_value(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not for an unknown option: the value is verified (and refused, here), bare or
    after "--"; only a lone -h or --help asks for help."""
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)
    for value in (["-abc"], ["--", "-abc"], ["--", "--help"], ["--", "--"]):
        assert main(["inspect", *value]) == 1
        assert capsys.readouterr().err.startswith("refused: ")
    with pytest.raises(SystemExit) as info:
        main(["inspect", "--help"])
    assert info.value.code == 0
    assert "cookie" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        main(["inspect"])
    assert info.value.code == 2


def test_inspect_reads_a_store_id_that_starts_with_a_dash(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    redis_url: str,
    redis_prefix: str,
) -> None:
    """One store id in 64 starts with "-": as a bare value, and after "--"."""
    import os
    import secrets

    options = {"backend": "redis", "redis_url": redis_url, "store_prefix": redis_prefix}

    async def issue() -> Jar:
        manager = SessionManager(make_settings(**options))
        try:
            session = await manager.load(None)
            session["user_id"] = 9
            return Jar().receive(await manager.commit(session))
        finally:
            await manager.aclose()

    with monkeypatch.context() as patch:  # ids whose first six bits are 62: "-"
        patch.setattr(secrets, "token_bytes", lambda n: b"\xfb" + os.urandom(n - 1))
        value = asyncio.run(issue()).cookies["session"]
    assert value.startswith("-")
    for name, setting in {"SECRET_KEY": SECRET, **options}.items():
        monkeypatch.setenv(f"SESSION_{name.upper()}", setting)
    for argv in (["inspect", value], ["inspect", "--", value]):
        assert main(argv) == 0
        assert json.loads(capsys.readouterr().out)["data"] == {"user_id": 9}


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    import satchel

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"satchel {satchel.__version__}\n"


HELPS = [["--help"], ["keygen", "--help"], ["inspect", "--help"], ["verify-key", "--help"]]


@pytest.mark.parametrize("argv", HELPS, ids=" ".join)
def test_help_is_plain_text(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """No reStructuredText from the docstrings: a terminal shows markup as it is."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: satchel")
    for markup in ("``", ":func:", ":class:", ":meth:", "`"):
        assert markup not in text


def test_each_command_says_what_it_does_in_its_own_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["keygen", "--help"])
    assert "Print a fresh random secret key." in capsys.readouterr().out


def test_a_missing_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "usage: satchel" in err
    assert "``" not in err


@pytest.mark.slow
def test_python_dash_m_satchel_runs_the_command() -> None:
    helped = subprocess.run(
        [sys.executable, "-m", "satchel", "--help"], capture_output=True, text=True, check=True
    )
    assert helped.stdout.startswith("usage: satchel")
    assert "keygen" in helped.stdout
    assert "``" not in helped.stdout
    version = subprocess.run(
        [sys.executable, "-m", "satchel", "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.startswith("satchel ")
