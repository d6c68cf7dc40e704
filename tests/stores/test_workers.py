"""Several uvicorn workers on one Redis lose no update (issue 16): the benchmark's
lost-update run (benchmarks/lost_updates.py), made small, against satchel's app on a
real uvicorn with four workers, 64 clients at once, on a real Redis and on a real
Redis Cluster of three masters."""

from __future__ import annotations

import importlib
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).parents[2] / "benchmarks"
PER_CLIENT = 15
"""Updates each client sends: enough for the writes to race, few enough that a scenario
takes seconds on two cores."""
SECONDS = 120.0
"""The load generator's time limit: a bound on a stuck run, not an expectation."""

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def _lost_updates() -> ModuleType:
    """benchmarks/lost_updates.py (the benchmarks import each other by bare name)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(BENCHMARKS))
        return importlib.import_module("lost_updates")


lost_updates = _lost_updates()


@pytest.fixture(scope="module", params=["redis", "redis-cluster"])
def satchel_port(request: pytest.FixtureRequest) -> Iterator[tuple[int, str]]:
    """The benchmark's satchel app under uvicorn with four workers (stopped afterwards),
    on a Redis or a Redis Cluster, its sessions under a key prefix no other test uses."""
    extra = {"LOAD_PREFIX": f"satchel-test:{uuid.uuid4().hex[:12]}:"}
    if request.param == "redis-cluster":
        url = request.getfixturevalue("redis_cluster_url")
        extra["LOAD_SATCHEL_SETTINGS"] = json.dumps({"redis_cluster": True})
    else:
        url = request.getfixturevalue("redis_url")
    with lost_updates.serve("satchel", url, extra) as port:
        yield port, request.param


def _updates(
    served: tuple[int, str], *, shared: bool, report: Callable[[str], None]
) -> dict[str, float]:
    """One lost-update run of 64 clients (recorded), checked for what any run must show."""
    port, where = served
    run: dict[str, float] = lost_updates.scenario(
        port, shared=shared, per_client=PER_CLIENT, seconds=SECONDS
    )
    title = lost_updates.SCENARIOS[shared]
    report(
        f"{where}: {lost_updates.WORKERS} uvicorn workers, {lost_updates.CLIENTS} clients, "
        f"{title}: "
        f"{run['sent']:.0f} updates sent, {run['ok']:.0f} answered 200 by "
        f"{run['workers']:.0f} workers, {run['lost']:.0f} lost ({run['rps']:.0f} requests/s)"
    )
    assert run["workers"] > 1  # the writes raced across processes, not only within one
    assert run["sent"] == lost_updates.CLIENTS * PER_CLIENT
    assert run["ok"] == run["sent"]  # every update answered 200 ...
    assert run["found"] == run["ok"]  # ... and every one of them is in the store
    assert run["lost"] == 0
    assert run["wrong"] == 0  # no client's key holds more than it was answered, either
    return run


def test_four_workers_lose_no_update_on_many_sessions(
    satchel_port: tuple[int, str], report: Callable[[str], None]
) -> None:
    run = _updates(satchel_port, shared=False, report=report)
    assert run["sessions"] == lost_updates.CLIENTS


def test_four_workers_lose_no_update_on_one_shared_session(
    satchel_port: tuple[int, str], report: Callable[[str], None]
) -> None:
    run = _updates(satchel_port, shared=True, report=report)
    assert run["sessions"] == 1
