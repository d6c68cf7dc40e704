"""mypy accepts a conforming custom backend and rejects a wrong one."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def _mypy(name: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    target = tmp_path / name
    shutil.copy(HERE / name, target)
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", target.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_mypy_accepts_a_structurally_conforming_backend(tmp_path: Path) -> None:
    result = _mypy("accept_custom_backend.py", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout


@pytest.mark.slow
def test_mypy_rejects_a_backend_with_the_wrong_signature(tmp_path: Path) -> None:
    result = _mypy("reject_wrong_signature.py", tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'Incompatible types in assignment (expression has type "WrongStore"' in result.stdout
    assert "def read(self, value: bytes) -> Record" in result.stdout
    assert 'Argument "backend" to "SessionManager"' in result.stdout


@pytest.mark.slow
def test_mypy_accepts_starlette_and_fastapi_code_using_satchel_starlette(tmp_path: Path) -> None:
    pytest.importorskip("fastapi")  # satchel-starlette's [fastapi] extra
    result = _mypy("accept_starlette_sessions.py", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout


@pytest.mark.slow
def test_mypy_rejects_misused_satchel_starlette_options_and_dependencies(tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    result = _mypy("reject_starlette_sessions.py", tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'Unexpected keyword argument "sesion_cookie"' in result.stdout
    assert 'Argument "same_site" to "Middleware" has incompatible type' in result.stdout
    assert 'Argument 1 to "append" of "list" has incompatible type "str"' in result.stdout
    assert 'Too many arguments for "regenerate" of "Session"' in result.stdout
    assert 'Argument 1 to "SessionModel" has incompatible type' in result.stdout
    assert 'Missing positional argument "user_id" in call to "login" of "Session"' in result.stdout
    assert "Found 6 errors" in result.stdout


@pytest.mark.slow
def test_mypy_sees_a_satchel_session_on_a_muffin_request(tmp_path: Path) -> None:
    pytest.importorskip("satchel_muffin")  # Python 3.11+ (tests/muffin shadows "muffin")
    result = _mypy("accept_muffin_request.py", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout


@pytest.mark.slow
def test_mypy_rejects_misuse_of_the_session_on_a_muffin_request(tmp_path: Path) -> None:
    pytest.importorskip("satchel_muffin")
    result = _mypy("reject_muffin_request.py", tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'Missing positional argument "user_id" in call to "login" of "Session"' in result.stdout
    assert '"Session" has no attribute "log_in"' in result.stdout
    assert 'Argument 1 to "flash" of "Session" has incompatible type "int"' in result.stdout
    assert "Found 3 errors" in result.stdout
