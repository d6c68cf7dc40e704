"""Where the time goes: a signed-cookie request that modifies one key, per adapter,
split into the engine's steps (profiled with cProfile) and, where valgrind is on the
machine, the instructions the request executes over the same app with no sessions.

The profiler slows every Python call, so each step's share of the profiled overhead is
applied to the overhead timed without it, in the same run; instruction counts
(callgrind) do not depend on the machine's load, so they show whether a framework
makes satchel execute more or only run slower.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from contenders import bases, satchel_contenders
from driver import ASGIApp, Message, Scope, call, cookie_header, run, scope

HERE = Path(__file__).parent

Func = tuple[str, int, str]
Matcher = Callable[[Func], bool]


def _in(path: str, *names: str) -> Matcher:
    return lambda f: f[0].replace(os.sep, "/").endswith(path) and f[2] in names


STEPS: list[tuple[str, Matcher]] = [
    ("parse the Cookie header", _in("satchel/cookies.py", "read")),
    (
        "verify and unpack (HMAC, base64, times)",
        lambda f: "/satchel/backends/" in f[0].replace(os.sep, "/") and f[2] == "unseal",
    ),
    ("JSON decode", _in("satchel/serializers.py", "loads")),
    ("JSON encode", _in("satchel/serializers.py", "dumps")),
    (
        "pack and sign",
        lambda f: "/satchel/backends/" in f[0].replace(os.sep, "/") and f[2] == "seal",
    ),
    ("render Set-Cookie", _in("satchel/cookies.py", "render")),
]
"""The engine's steps, each the cumulative time of the functions it names (counted once
where one calls another)."""
ENGINE: Matcher = lambda f: "/satchel/" in f[0].replace(os.sep, "/")  # noqa: E731
"""Everything else in satchel-core: sessions, the manager's decisions, Vary/Cache-Control."""
ADAPTER: Matcher = lambda f: re.search(r"/satchel_\w+/", f[0].replace(os.sep, "/")) is not None  # noqa: E731
"""The adapter's own functions."""


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: Message) -> None:
    return None


def _drive(app: ASGIApp, template: Scope, count: int) -> None:
    async def many() -> None:
        for _ in range(count):
            await app(dict(template), _receive, _send)

    run(many())


def _timed(app: ASGIApp, template: Scope, count: int) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        _drive(app, template, count)
        best = min(best, time.perf_counter() - start)
    return best / count * 1e6


def _profile(app: ASGIApp, template: Scope, count: int) -> pstats.Stats:
    profiler = cProfile.Profile()
    profiler.enable()
    _drive(app, template, count)
    profiler.disable()
    return pstats.Stats(profiler)


def _cumulative(stats: Any, match: Matcher) -> float:
    """Seconds spent in functions *match* names, called from functions it does not name."""
    total = 0.0
    for func, (_, _, _, _, callers) in stats.stats.items():
        if match(func):
            total += sum(ct for caller, (_, _, _, ct) in callers.items() if not match(caller))
    return total


def _builtin(func: Func) -> bool:
    return func[0] == "~"


def _called_from(stats: Any, match: Matcher, caller_match: Matcher) -> float:
    """Seconds spent in functions *match* names when called by those *caller_match* names."""
    total = 0.0
    for func, (_, _, _, _, callers) in stats.stats.items():
        if match(func):
            total += sum(ct for caller, (_, _, _, ct) in callers.items() if caller_match(caller))
    return total


def _own(stats: Any, match: Matcher) -> float:
    return float(sum(tt for func, (_, _, tt, _, _) in stats.stats.items() if match(func)))


def _total(stats: Any) -> float:
    return float(stats.total_tt)


def _apps(adapter: str, variant: str) -> tuple[ASGIApp, ASGIApp, Scope]:
    found = {c.name: c for c in satchel_contenders(None)}
    contender = found[f"satchel {variant} ({adapter})"]
    app = contender.build(contender, False)
    seeded = run(call(app, scope("/seed")))
    framework = contender.framework
    return app, bases()[framework], scope("/modify", cookie_header(seeded.set_cookies))


def profile_adapter(adapter: str, variant: str, count: int) -> dict[str, float]:
    """µs per request for each step, the engine's remainder, the adapter and the
    framework's extra work for sessions, scaled to the overhead timed unprofiled."""
    app, base, template = _apps(adapter, variant)
    _drive(app, template, 200)
    _drive(base, template, 200)
    overhead = _timed(app, template, count) - _timed(base, template, count)
    stats, plain = _profile(app, template, count), _profile(base, template, count)
    profiled = (_total(stats) - _total(plain)) / count * 1e6
    parts: dict[str, float] = {}
    for label, match in STEPS:
        parts[label] = _cumulative(stats, match) / count * 1e6
    engine = _cumulative(stats, ENGINE) / count * 1e6  # core, as the adapter and app call it
    parts["the engine's decisions and bookkeeping"] = max(engine - sum(parts.values()), 0.0)
    # an adapter's functions enclose the application, so only their own time counts,
    # with the builtins they call themselves
    own = _own(stats, ADAPTER) + _called_from(stats, _builtin, ADAPTER)
    parts["adapter"] = own / count * 1e6
    parts["framework and event loop, for the session layer"] = max(
        profiled - engine - parts["adapter"], 0.0
    )
    scale = overhead / profiled if profiled > 0 else 0.0
    result = {label: value * scale for label, value in parts.items()}
    result["total (timed without the profiler)"] = overhead
    return result


INSTRUCTIONS = """
import asyncio, sys
sys.path.insert(0, {here!r})
from where import _apps, _drive
app, base, template = _apps({adapter!r}, {variant!r})
target = base if {base!r} else app
_drive(target, template, 200)
_drive(target, template, {count})
"""


def _instructions(adapter: str, variant: str, base: bool, count: int) -> int | None:
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    code = INSTRUCTIONS.format(
        here=str(HERE), adapter=adapter, variant=variant, base=base, count=count
    )
    out = subprocess.run(
        [
            valgrind,
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-c",
            code,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"refs:\s+([\d,]+)", out.stderr)
    return None if found is None else int(found[1].replace(",", ""))


def instructions_per_request(adapter: str, variant: str, count: int = 1000) -> int | None:
    """Instructions a modifying request executes beyond the same app without sessions
    (callgrind; the difference of runs of *count* requests and of none)."""
    runs = [_instructions(adapter, variant, base, n) for base in (False, True) for n in (count, 0)]
    app_n, app_0, base_n, base_0 = runs
    if app_n is None or app_0 is None or base_n is None or base_0 is None:
        return None
    return round(((app_n - app_0) - (base_n - base_0)) / count)


def where_lines(quick: bool) -> list[str]:
    """The report's "where the time goes" section."""
    count = 2000 if quick else 20000
    adapters = ["asgi", "starlette", "muffin"]
    variants = ["signed", "signed+orjson"]
    columns: dict[str, dict[str, float]] = {}
    counted: dict[str, int | None] = {}
    for adapter in adapters:
        for variant in variants:
            try:
                columns[f"{adapter}, {variant}"] = profile_adapter(adapter, variant, count)
            except KeyError:  # the adapter or orjson is not installed
                continue
            if not quick:
                counted[f"{adapter}, {variant}"] = instructions_per_request(adapter, variant)
    if not columns:
        return []
    names = list(columns)
    labels = list(next(iter(columns.values())))
    lines = [
        f"A request that modifies one key of a signed-cookie session ({count} requests, "
        "µs per request). Each step is its share of the profiled overhead (cProfile) "
        "applied to the overhead timed without the profiler in this run.",
        "",
        "| step | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for label in labels:
        cells = " | ".join(f"{columns[name][label]:.2f}" for name in names)
        lines.append(f"| {label} | {cells} |")
    if any(v is not None for v in counted.values()):
        cells = " | ".join(
            f"{counted[name]:,}" if counted.get(name) is not None else "n/a" for name in names
        )
        lines.append(f"| instructions over the app without sessions (callgrind) | {cells} |")
    return lines


if __name__ == "__main__":
    print("\n".join(where_lines("--quick" in sys.argv)))
