"""Two `bookflow worker` processes: a kill -9 of one leaves timed events on time; SIGTERM drains a worker.

Issue 14's bound: MEETING_STARTED at most 2 s late at p99 when one of two workers dies just before a batch of
meetings starts (with Temporal's default sticky-queue and task timeouts its workflows would wait 10 s).
`python -m bench failover` measures the same scenario with a larger batch.
"""

import asyncio
import importlib.util
import signal
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from store.db import Database
from testkit.batch import seed_batch, start_batch
from testkit.failover import kill_one_of_two, taken_over, traces
from testkit.processes import process_env, spawned_worker
from testkit.server import LoopbackServer, Reply, Request
from testkit.stack import eventually, running_api
from worker.temporal import WORKFLOWS, cache_workflow_bytecode

BOOKINGS = 20
LATENESS_P99 = timedelta(seconds=2)


def _env(temporal_env: WorkflowEnvironment, db: Database, task_queue: str, data_dir: Path) -> dict[str, str]:
    client = temporal_env.client
    return process_env(client.service_client.config.target_host, client.namespace, db.url, task_queue, data_dir)


async def test_a_killed_worker_leaves_meetings_starting_on_time(
    temporal_env: WorkflowEnvironment, pg_db: Database, task_queue: str, tmp_path: Path
):
    run = await kill_one_of_two(temporal_env.client, pg_db, task_queue, tmp_path, BOOKINGS)
    assert set(run.started) == set(run.uids) and set(run.started.values()) == {1}, run.started  # all, once each
    assert run.lateness[0] >= timedelta(0), run.lateness
    # Each meeting's timer, workflow task and timeouts, from its history: the killed worker held some of them.
    found = await traces(temporal_env.client, run)
    assert taken_over(run, found), found
    assert run.lateness_at(99) <= LATENESS_P99, found


async def test_sigterm_stops_polling_and_lets_the_activity_in_flight_finish(
    temporal_env: WorkflowEnvironment, pg_db: Database, task_queue: str, tmp_path: Path
):
    release = threading.Event()
    received: list[Request] = []

    def held(request: Request) -> Reply:
        received.append(request)
        release.wait(timeout=30)  # the delivery is in flight until the test lets it answer
        return Reply(200, b"ok")

    receiver = LoopbackServer(held)
    env = _env(temporal_env, pg_db, task_queue, tmp_path) | {"BOOKFLOW_SHUTDOWN_GRACE_SECONDS": "20"}
    kind = await seed_batch(pg_db, 1)
    try:
        async with (
            running_api(temporal_env.client, pg_db, task_queue) as stack,
            spawned_worker("worker", env, tmp_path) as worker,
        ):
            body = {"subscriberUrl": receiver.url + "/hook", "triggers": ["BOOKING_CREATED"]}
            created = await stack.http.post("/v2/webhooks", json=body)
            assert created.status_code == 201, created.text
            webhook = created.json()["data"]["id"]
            await worker.wait_ready()
            start = datetime.now(UTC) + timedelta(hours=1)
            await start_batch(temporal_env.client, pg_db, task_queue, kind, 1, start, timedelta(minutes=1))
            await eventually(lambda: asyncio.sleep(0, len(received)), lambda n: n == 1)

            worker.process.send_signal(signal.SIGTERM)
            # Draining: not ready (so no new work is routed to it), yet still running the delivery.
            draining = await eventually(lambda: worker.probe("/ready"), lambda answer: answer.status_code == 503)
            assert "worker: draining" in draining.text, draining.text
            assert worker.process.returncode is None
            release.set()
            assert await asyncio.wait_for(worker.process.wait(), timeout=30) == 0

            listed = await stack.http.get(f"/v2/webhooks/{webhook}/deliveries")
            (delivery,) = listed.json()["data"]
    finally:
        release.set()
        receiver.close()
    # The attempt in flight at SIGTERM finished and was recorded: delivered once, never cancelled and resent.
    assert delivery["status"] == "delivered", delivery
    assert [attempt["statusCode"] for attempt in delivery["log"]] == [200], delivery
    assert len(received) == 1


def test_a_worker_without_bytecode_writing_caches_its_workflow_modules_for_replays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # as under PYTHONDONTWRITEBYTECODE
    monkeypatch.setattr(sys, "pycache_prefix", None)
    cache_workflow_bytecode(tmp_path / "bytecode")
    # Where the sandbox's import of a workflow module looks for bytecode, it now finds it (no compile per replay).
    for module in {sys.modules[cls.__module__] for cls in WORKFLOWS}:
        cached = Path(importlib.util.cache_from_source(str(module.__file__)))
        assert cached.is_file() and cached.is_relative_to(tmp_path / "bytecode"), cached
