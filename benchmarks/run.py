"""satchel against every peer, side by side: ``nox -s bench`` (``-- --quick`` for a
minute's run). Prints the table and writes docs/benchmarks.md and a PNG chart.

Every contender is checked for correct responses before anything is timed; then
the contenders are interleaved round by round, each round timing every
(contender, scenario) cell, and each cell's overhead is its time minus the
same-round time of the same framework with no session middleware. Robyn, which is
not ASGI, is measured over loopback HTTP (robyn_http.py); ``--only robyn`` runs that
section alone and rewrites only it in the report, and so does ``--only workers`` for
the lost-update runs of several uvicorn workers on one Redis (lost_updates.py).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from contenders import (
    Contender,
    available,
    bases,
    peer_contenders,
    satchel_contenders,
)
from driver import ASGIApp, call, cookie_header, run, scope, timed
from floor import floor_middleware

ROOT = Path(__file__).parent.parent


@dataclass(frozen=True)
class Scenario:
    """One kind of request."""

    key: str
    title: str
    path: str
    seed: str | None
    expect_body: bytes
    writes: bool
    rolling: bool = False


SCENARIOS = [
    Scenario("b", "untouched", "/untouched", "/seed", b"ok", writes=False),
    Scenario("c", "read-only", "/read", "/seed", b"1", writes=False),
    Scenario("d", "modify one key", "/modify", "/seed", b"1", writes=True),
    Scenario("e", "new session", "/new", None, b"1", writes=True),
    Scenario("f", "2 KB session, modify", "/modify", "/seed-big", b"1", writes=True),
    Scenario("g", "rolling refresh", "/read", "/seed", b"1", writes=True, rolling=True),
]


@dataclass
class Cell:
    """One contender in one scenario: its app, request and per-round timings."""

    contender: Contender
    scenario: Scenario
    app: ASGIApp
    template: dict[str, object]
    rounds: list[float] = field(default_factory=list)
    sends_cookie: bool = False


class Invalid(Exception):
    """A contender answered a scenario wrongly; it is left out of the timings."""


def prepare(contender: Contender, scenario: Scenario) -> Cell:
    """Build the app, seed its cookie, and check the response is right."""
    app = contender.build(contender, scenario.rolling)
    cookie = None
    if scenario.seed is not None:
        if scenario.rolling:
            contender.clock.offset = -120.0  # the cookie was issued two minutes ago
        seeded = run(call(app, scope(scenario.seed)))
        contender.clock.offset = 0.0
        if seeded.status != 200 or not seeded.set_cookies:
            raise Invalid(f"seeding {scenario.seed} gave {seeded.status} and no cookie")
        cookie = cookie_header(seeded.set_cookies)
    template = scope(scenario.path, cookie)
    first = run(call(app, template))
    if first.status != 200 or first.body != scenario.expect_body:
        raise Invalid(f"{scenario.path} answered {first.status} {first.body[:40]!r}")
    if scenario.writes and not first.set_cookies:
        raise Invalid(f"{scenario.path} sent no Set-Cookie")
    if contender.family == "satchel" and not scenario.writes and first.set_cookies:
        raise SystemExit(f"BUG: {contender.name} sent Set-Cookie for {scenario.title}")
    return Cell(contender, scenario, app, template, sends_cookie=bool(first.set_cookies))


@contextmanager
def redis_server() -> Iterator[str | None]:
    """A redis-server of the benchmark's own on a free loopback port, if one exists."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as directory:
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", directory],
            stdout=subprocess.DEVNULL,
        )
        try:
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                    break
                except OSError:
                    time.sleep(0.02)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            process.wait(timeout=10)


def machine() -> str:
    """Python version, CPU and date, for the report's header."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"Python {platform.python_version()} ({platform.python_implementation()}), {cpu}, "
        f"{os.cpu_count()} CPUs, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"
    )


BATCHES = 5
"""Each round times a cell in this many batches and keeps the fastest: noise (another
process, an interrupt) only ever adds time, so the fastest batch is the best estimate
of the cost, as timeit advises; the rounds then give the median and the spread."""


def measure(cells: list[Cell], base_cells: list[Cell], rounds: int, count: int) -> None:
    """Time every cell once per round, in a new random order each round."""
    everything = cells + base_cells
    batch = max(count // BATCHES, 1)
    for number in range(rounds):
        order = everything[:]
        random.Random(number).shuffle(order)
        for cell in order:
            fastest = min(run(timed(cell.app, cell.template, batch)) for _ in range(BATCHES))
            cell.rounds.append(fastest)
        print(f"  round {number + 1}/{rounds} done", flush=True)


@dataclass
class Result:
    """A cell's overhead over its framework's base, in microseconds."""

    name: str
    family: str
    kind: str
    framework: str
    scenario: Scenario
    median: float
    low: float
    high: float
    sends_cookie: bool


def overheads(cells: list[Cell], base_cells: list[Cell]) -> list[Result]:
    """Per-round differences from the same round's base, summarised."""
    base = {(c.contender.framework, c.scenario.key): c for c in base_cells}
    results = []
    for cell in cells:
        reference = base[cell.contender.framework, cell.scenario.key]
        diffs = sorted((t - b) * 1e6 for t, b in zip(cell.rounds, reference.rounds, strict=True))
        quartiles = statistics.quantiles(diffs, n=4) if len(diffs) > 1 else diffs * 3
        results.append(
            Result(
                cell.contender.name,
                cell.contender.family,
                cell.contender.kind,
                cell.contender.framework,
                cell.scenario,
                statistics.median(diffs),
                quartiles[0],
                quartiles[-1],
                cell.sends_cookie,
            )
        )
    return results


def _unused(contender: Contender, rolling: bool) -> ASGIApp:
    raise AssertionError("a base is built once, in bases()")


def robyn_lines(quick: bool) -> list[str]:
    """The report's Robyn section: satchel-robyn against Robyn's own sessions, over
    loopback HTTP (Robyn is not ASGI)."""
    from report import robyn_section
    from robyn_http import measure as measure_robyn

    section = robyn_section(measure_robyn(quick, machine()))
    print("\n".join(section))
    return section


def workers_lines(redis_url: str, quick: bool) -> list[str]:
    """The report's lost-update section: several uvicorn workers on one Redis, satchel
    against starsessions."""
    from lost_updates import lost_update_test

    section = lost_update_test(redis_url, quick=quick).lines
    print("\n".join(section))
    return section


def main() -> None:
    """Run the benchmark and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run for development")
    parser.add_argument(
        "--out",
        type=Path,
        help="the report to write (docs/benchmarks.md; build/bench-quick.md with --quick, "
        "so a development run leaves the published report alone)",
    )
    parser.add_argument(
        "--no-load",
        action="store_true",
        help="skip the Redis load tests (under concurrency, and the lost-update runs)",
    )
    parser.add_argument(
        "--no-where", action="store_true", help="skip the where-the-time-goes profiles"
    )
    parser.add_argument(
        "--only",
        choices=["robyn", "workers"],
        help="run one section only and rewrite just that section of the report",
    )
    args = parser.parse_args()
    rounds, count = (3, 300) if args.quick else (9, 1500)
    if args.out is None:
        args.out = ROOT / ("build/bench-quick.md" if args.quick else "docs/benchmarks.md")
    if args.only == "robyn":
        from report import replace_section

        if not available("satchel_robyn"):
            raise SystemExit("--only robyn needs satchel-robyn (and Robyn) installed")
        replace_section(args.out, robyn_lines(args.quick))
        print(f"rewrote the Robyn section of {args.out}")
        return
    if args.only == "workers":
        from report import replace_section

        with redis_server() as redis_url:
            if redis_url is None:
                raise SystemExit("--only workers needs redis-server on PATH")
            replace_section(args.out, workers_lines(redis_url, args.quick))
        print(f"rewrote the lost-update section of {args.out}")
        return

    with redis_server() as redis_url:
        contenders = satchel_contenders(redis_url) + peer_contenders(redis_url)
        for library in ("json", "orjson") if available("orjson") else ("json",):
            contenders.append(
                Contender(
                    f"floor (plain hmac+{library})",
                    "floor",
                    "signed",
                    "asgi",
                    lambda c, r, lib=library: floor_middleware(lib),
                )
            )
        cells: list[Cell] = []
        skipped: list[str] = []
        for contender in contenders:
            for scenario in SCENARIOS:
                if scenario.rolling and not contender.rolling:
                    continue
                if contender.family == "floor" and scenario.key not in "bcde":
                    continue
                try:
                    cells.append(prepare(contender, scenario))
                except Invalid as exc:
                    skipped.append(f"{contender.name} / {scenario.title}: {exc}")
                except Exception as exc:  # a peer that crashes is reported, not fatal
                    skipped.append(f"{contender.name} / {scenario.title}: raised {exc!r}")
        base_cells = []
        for framework, app in bases().items():
            base = Contender(f"no sessions ({framework})", "base", "-", framework, _unused)
            for scenario in SCENARIOS:
                base_cells.append(Cell(base, scenario, app, scope(scenario.path)))
        print(f"{machine()}\n{len(cells)} cells, {rounds} rounds of {count} requests each")
        measure(cells, base_cells, rounds, count)
        results = overheads(cells, base_cells)
        memory_lines: list[str] = []
        load = None
        workers: list[str] = []
        from memory import measure_memory

        memory_lines = measure_memory(redis_url, quick=args.quick)
        if redis_url and not args.no_load:
            from load import load_test

            load = load_test(redis_url, quick=args.quick)
            try:
                workers = workers_lines(redis_url, args.quick)
            except Exception as exc:  # the other sections' figures are kept, not lost
                from lost_updates import TITLE

                workers = [TITLE, "", f"Not measured in this run: {exc!r}"]
    where: list[str] = []
    if not args.no_where:
        from where import where_lines

        where = where_lines(args.quick)
    robyn: list[str] = []
    if available("satchel_robyn"):
        try:
            robyn = robyn_lines(args.quick)
        except Exception as exc:  # the other sections' figures are kept, not lost
            robyn = ["## Robyn", "", f"Not measured in this run: {exc!r}"]

    from report import write_report

    write_report(
        args.out,
        results,
        base_cells,
        skipped=skipped,
        header=machine(),
        mode="quick" if args.quick else "full",
        rounds=rounds,
        count=count,
        memory=memory_lines,
        load=load.lines if load else [],
        robyn=robyn,
        where=where,
        concurrency=load.results if load else None,
        workers=workers,
    )


if __name__ == "__main__":
    main()
