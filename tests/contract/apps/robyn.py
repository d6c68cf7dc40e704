"""The contract's Robyn app: tests/robyn/contract_app.py, served over real HTTP (Robyn
is not ASGI). ``tests/robyn`` is no package (it would shadow Robyn), so it loads by path."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_NAME = "robyn_contract_app"
if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        _NAME, Path(__file__).parents[2] / "robyn" / "contract_app.py"
    )
    assert _spec is not None
    assert _spec.loader is not None
    sys.modules[_NAME] = importlib.util.module_from_spec(_spec)
    _argv, sys.argv = sys.argv, sys.argv[:1]  # Robyn parses the arguments on import (--co)
    try:
        _spec.loader.exec_module(sys.modules[_NAME])
    finally:
        sys.argv = _argv
_module = sys.modules[_NAME]

ALIASES = _module.ALIASES
build = _module.build
make_app = _module.make_app
serve_manager = _module.serve_manager
