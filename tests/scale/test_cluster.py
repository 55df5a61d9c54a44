"""Two `bookflow api` and two `bookflow worker` processes on one Temporal and one PostgreSQL work as one:
one booking out of 50 requests for a slot, and a batch of lifecycles with every event recorded once and every
webhook delivered. (Timings: `python -m bench scale`.)"""

import ipaddress
import random
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from store.bookings import BookingRow
from store.db import Database
from testkit.cluster import (
    CONTENDED,
    LIFECYCLE,
    contend_for_one_slot,
    delivered,
    lifecycles,
    running_cluster,
    seed_cluster,
    subscribe,
)
from testkit.receiver import receiving

BOOKINGS = 50  # fits CI's time on 2 cores; the bench runs 200


async def _bookings_of(db: Database, event_type_id: int) -> int:
    async with db.sessions() as session:
        return await session.scalar(select(func.count()).where(BookingRow.event_type_id == event_type_id))


async def test_two_apis_and_two_workers_on_postgresql_act_as_one(
    temporal_env: WorkflowEnvironment, pg_db: Database, task_queue: str, tmp_path: Path
):
    await seed_cluster(pg_db, BOOKINGS)
    async with (
        receiving() as receiver,
        running_cluster(temporal_env.client, pg_db, task_queue, tmp_path, apis=2, workers=2) as cluster,
    ):
        statuses = await contend_for_one_slot(cluster, requests=50)
        assert statuses[201] == 1, statuses
        assert set(statuses) <= {201, 400, 409}, statuses  # the losers are told the slot is gone, never a 500
        assert await _bookings_of(pg_db, CONTENDED) == 1

        await subscribe(cluster, receiver)
        run = await lifecycles(cluster, pg_db, receiver, BOOKINGS, lead=timedelta(seconds=30))
        for process in [*cluster.apis, *cluster.workers]:
            assert process.process.returncode is None, process.name

    for trigger in LIFECYCLE:
        recorded = run.recorded(trigger)
        assert set(recorded) == set(run.uids) and set(recorded.values()) == {1}, (trigger, recorded)
        assert delivered(run.requests, trigger) >= set(run.uids), trigger
    # At least once per (event, subscriber), under one webhook-id: as many distinct ids as events.
    ids = {request.headers["webhook-id"] for request in run.requests if request.path == "/hook"}
    assert len(ids) == len(LIFECYCLE) * BOOKINGS, len(ids)


async def test_the_apis_share_one_rate_limit_through_redis(
    temporal_env: WorkflowEnvironment, pg_db: Database, task_queue: str, tmp_path: Path
):
    limit = 7  # per client address per hour: no window boundary falls inside the test
    redis_db = random.randint(1, 15)  # apart from other suites' counters
    # The client is one address behind the loopback "proxy", so the count is its own.
    settings = {"BOOKFLOW_RATE_LIMIT_PUBLIC": f"{limit}/hour", "BOOKFLOW_TRUSTED_PROXIES": "127.0.0.1/32"}
    # A fresh client address per run: the hour-long window outlives the test in the shared Redis.
    client = {"X-Forwarded-For": str(ipaddress.IPv4Address(0xC6120000 + random.getrandbits(17)))}
    async with (
        running_cluster(temporal_env.client, pg_db, task_queue, tmp_path, 2, 0, redis_db, **settings) as cluster,
        httpx.AsyncClient(timeout=30, headers=client) as http,
    ):
        answers = [
            (await http.get(cluster.next_api() + "/v2/bookings/no-such-uid")).status_code for _ in range(2 * limit)
        ]
        probes = [(await api.probe(path)).status_code for api in cluster.apis for path in ("/health", "/ready")]
    # Spread over both processes, the address still gets its limit once, not once per process.
    assert answers == [404] * limit + [429] * limit, answers
    assert probes == [200] * 4, probes  # an orchestrator's probes are never refused
