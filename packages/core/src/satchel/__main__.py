"""``python -m satchel``: the ``satchel`` command, for where the script is not on PATH."""

from __future__ import annotations

from satchel.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
