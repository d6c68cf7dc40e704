"""Several workers, one Redis: are updates lost? satchel's Redis store against
starsessions' RedisStore, each in the same Starlette app (load_apps.py) served by uvicorn
with 4 workers, 64 clients driven by lostgen.py in another process, on many sessions
(one a client) and on one session they all share. Loopback only; every process started
here is stopped on any exit."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from load import LIBRARIES, _drive, _server, _stopped_on_sigterm, settings_note

WORKERS = 4
CLIENTS = 64
SCENARIOS = {False: "many sessions", True: "one shared session"}
"""Each scenario, by whether the clients share one session, and its name in the report."""
TITLE = "## Several workers: lost updates"


@dataclass(frozen=True)
class LostUpdates:
    """The section's report lines, and each (library, shared) run's summary."""

    lines: list[str]
    runs: dict[tuple[str, bool], dict[str, float]]


@contextmanager
def serve(library: str, redis_url: str, extra: Mapping[str, str] | None = None) -> Iterator[int]:
    """uvicorn with `WORKERS` workers serving *library*'s app; yields its port."""
    with _stopped_on_sigterm(), _server(LIBRARIES[library], WORKERS, redis_url, extra) as port:
        yield port


def scenario(
    port: int, *, shared: bool, per_client: int, seconds: float, clients: int = CLIENTS
) -> dict[str, float]:
    """One run of lostgen.py against *port*: *clients* clients, *per_client* updates each
    (fewer if *seconds* run out), on one shared session or one session each."""
    options = ["--shared"] if shared else []
    return _drive(port, clients, per_client * clients, seconds, "lostgen.py", options)


def _commands(redis_url: str) -> int:
    """How many commands the Redis at *redis_url* has run (those inside scripts too):
    INFO's commandstats, which unlike MONITOR costs nothing while a run is timed."""
    from redis import Redis

    with Redis.from_url(redis_url) as client:
        stats = client.info("commandstats")
    return sum(int(found["calls"]) for found in stats.values())


def lost_update_test(redis_url: str, *, quick: bool) -> LostUpdates:
    """The report's lost-update section: one run of each (library, scenario), about 20 s
    quick and a minute full (the time limit cuts a slow run short)."""
    started = time.monotonic()
    per_client, seconds = (25, 30.0) if quick else (50, 60.0)
    runs: dict[tuple[str, bool], dict[str, float]] = {}
    with serve("satchel", redis_url) as mine, serve("starsessions", redis_url) as theirs:
        ports = {"satchel": mine, "starsessions": theirs}
        for shared in SCENARIOS:
            order = list(ports)
            if shared:  # neither always meets a warmer machine
                order.reverse()
            for name in order:
                before = _commands(redis_url)
                run = scenario(ports[name], shared=shared, per_client=per_client, seconds=seconds)
                run["commands"] = (_commands(redis_url) - before - 1) / run["sent"]
                runs[name, shared] = run
    lines = _report(runs, per_client, seconds, time.monotonic() - started)
    return LostUpdates(lines, runs)


def _report(
    runs: dict[tuple[str, bool], dict[str, float]], per_client: int, seconds: float, took: float
) -> list[str]:
    lines = [
        TITLE,
        "",
        "The Starlette app of the section above (benchmarks/load_apps.py), with satchel's "
        "Redis store and with starsessions' RedisStore, each served by uvicorn with "
        f"{WORKERS} worker processes, {CLIENTS} clients, each on a keep-alive connection of "
        "its own (benchmarks/lostgen.py, in its own process). Each client sends "
        f"up to {per_client} `POST /hit/<n>` (fewer if the run reaches its {seconds:.0f} s "
        "limit), each adding one to its key `hits:<n>` in the session. "
        "*Many sessions*: each client logs in to a session of its own first. *One shared "
        "session*: one login, and every client sends that session's cookie, so their "
        "writes to one session race each other within a worker and across the workers. "
        "Then every session is read back (`GET /dump`): a client's updates are lost where "
        "its key holds less than the number of 200 answers it got. satchel writes a "
        "session with a compare-and-set on its version and, when another request wrote "
        "first, merges its changed keys into what that request wrote and tries again (a "
        "round trip a try); starsessions writes the whole session, so of two writes that "
        "raced, the last one wins. Redis commands "
        "per update: all that Redis ran during the run (those inside satchel's scripts, "
        "the logins and the read-back included, from INFO commandstats), over the updates "
        f"sent. One run per cell; the section took {took:.0f} s.{settings_note()}",
        "",
        "| library | scenario | requests sent | answered 200 | workers that answered | "
        "requests/s | p99 ms | slowest ms | Redis commands per update | lost updates |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for shared, title in SCENARIOS.items():
        for name in LIBRARIES:
            run = runs[name, shared]
            lines.append(
                f"| {name} | {title} | {run['sent']:,.0f} | {run['ok']:,.0f} | "
                f"{run['workers']:.0f} | {run['rps']:,.0f} | {run['p99_ms']:,.1f} | "
                f"{run['max_ms']:,.0f} | {run['commands']:.1f} | {run['lost']:,.0f} |"
            )
    lost = {title: runs["satchel", shared]["lost"] for shared, title in SCENARIOS.items()}
    verdict = "met" if not any(lost.values()) else "**missed**"
    found = ", ".join(f"{title} {count:,.0f}" for title, count in lost.items())
    lines += [
        "",
        f"**Target** (issue 16) {WORKERS} uvicorn workers at {CLIENTS} clients, on many "
        f"sessions and on one shared session: 0 lost updates. satchel lost: {found}: "
        f"{verdict}.",
    ]
    return lines
