"""Bookflow as production runs it: M `bookflow api` and N `bookflow worker` processes on one Temporal and one
store, driven over HTTP. The multi-process test asserts on these scenarios; `python -m bench scale` times them.
"""

import asyncio
import itertools
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from temporalio.client import Client

from domain.config import Host
from domain.triggers import Trigger
from store.db import Database
from store.events import EventRow
from testkit.access import Keys, bearer, issue_keys
from testkit.batch import counts, event_log, organizer
from testkit.processes import Spawned, process_env, spawned_api, spawned_worker
from testkit.receiver import Received, Receiver
from testkit.stack import event_type, eventually, seed

# A booking's life through the API: created, started, ended (no confirmation, no payment, closed at its end).
LIFECYCLE = (Trigger.BOOKING_CREATED, Trigger.MEETING_STARTED, Trigger.MEETING_ENDED)
CONTENDED = 999  # the event type whose one slot 50 requests fight over


@dataclass
class Cluster:
    """The running processes and the keys to call the APIs with."""

    apis: list[Spawned]
    workers: list[Spawned]
    keys: Keys
    _round_robin: itertools.cycle = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._round_robin = itertools.cycle(self.apis)

    def next_api(self) -> str:
        """The APIs' URLs in turn, as a load balancer spreads requests."""
        return next(self._round_robin).url


REDIS = "redis://127.0.0.1:6379"
# The load comes from one address; production's per-client limit would refuse most of it.
UNLIMITED = {"BOOKFLOW_RATE_LIMIT_PUBLIC": "1000000/minute", "BOOKFLOW_RATE_LIMIT_KEY": "1000000/minute"}


@asynccontextmanager
async def running_cluster(
    client: Client,
    db: Database,
    task_queue: str,
    scratch: Path,
    apis: int = 2,
    workers: int = 2,
    redis_db: int = 0,
    **settings: str,
) -> AsyncIterator[Cluster]:
    """``apis`` API and ``workers`` worker processes on ``db`` (migrated beforehand), all ready.

    They share rate-limit counters in Redis database ``redis_db``; ``settings`` (variables) override the
    cluster's: bookings close at their end, no rate limit.
    """
    target = client.service_client.config.target_host
    shared = {"BOOKFLOW_KEEP_OPEN_MINUTES": "0", "BOOKFLOW_REDIS_URL": f"{REDIS}/{redis_db}"} | UNLIMITED
    env = process_env(target, client.namespace, db.url, task_queue, scratch, **(shared | settings))
    keys = await issue_keys(db)
    async with AsyncExitStack() as stack:
        api_procs = [await stack.enter_async_context(spawned_api(f"api-{i}", env, scratch)) for i in range(apis)]
        workers_ = [
            await stack.enter_async_context(spawned_worker(f"worker-{i}", env, scratch)) for i in range(workers)
        ]
        await asyncio.gather(*(p.wait_ready() for p in [*api_procs, *workers_]))
        yield Cluster(api_procs, workers_, keys)


async def seed_cluster(db: Database, bookings: int) -> None:
    """Event type i (1…bookings) hosted by organizer i, so all can meet at once; and the contended type."""
    kinds = [event_type(i + 1, hosts=[Host(user_id=organizer(i).id)]) for i in range(bookings)]
    kinds.append(event_type(CONTENDED, hosts=[Host(user_id=organizer(0).id)]))
    await seed(db, *kinds, users=[organizer(i) for i in range(max(bookings, 1))])


def _booking(event_type_id: int, start: datetime, i: int) -> dict:
    return {
        "start": start.isoformat(),
        "eventTypeId": event_type_id,
        "attendee": {"name": "Scale Booker", "email": f"booker{i}@example.com", "timeZone": "Europe/Rome"},
    }


async def contend_for_one_slot(cluster: Cluster, requests: int = 50) -> Counter[int]:
    """``requests`` concurrent bookings of one slot, spread over the APIs: how many got each status."""
    slot = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    async with httpx.AsyncClient(timeout=60) as http:
        answers = await asyncio.gather(
            *(
                http.post(cluster.next_api() + "/v2/bookings", json=_booking(CONTENDED, slot, i))
                for i in range(requests)
            )
        )
    return Counter(answer.status_code for answer in answers)


async def subscribe(cluster: Cluster, receiver: Receiver) -> None:
    """An instance-wide webhook (admin key) for every trigger of the lifecycle."""
    body = {"subscriberUrl": receiver.url, "triggers": [t.value for t in LIFECYCLE]}
    async with httpx.AsyncClient(headers=bearer(cluster.keys.admin), timeout=30) as http:
        answer = await http.post(cluster.next_api() + "/v2/webhooks", json=body)
    answer.raise_for_status()


def delivered(requests: list[Received], trigger: Trigger) -> set[str]:
    """The booking uids a ``trigger`` webhook reached the receiver for."""
    found = set()
    for request in requests:
        body = json.loads(request.body)
        if body["triggerEvent"] == trigger:
            found.add(body.get("uid") or body["payload"]["uid"])
    return found


@dataclass
class LifecycleRun:
    """``count`` bookings made over the APIs and lived through; the log, the deliveries and the timings."""

    uids: list[str]
    rows: list[EventRow]
    requests: list[Received]
    booking_seconds: float  # first POST until every BOOKING_CREATED webhook arrived
    start_burst_seconds: float  # the meetings' common start until every MEETING_STARTED webhook arrived

    def recorded(self, trigger: Trigger) -> Counter[str]:
        return counts(self.rows, trigger)


async def _until_delivered(receiver: Receiver, trigger: Trigger, uids: set[str], timeout: float) -> float:
    """Wait until every uid's ``trigger`` webhook arrived; the arrival time of the last one."""
    await eventually(lambda: asyncio.sleep(0, delivered(receiver.requests, trigger)), lambda got: uids <= got, timeout)
    return max(r.arrived for r in receiver.requests if json.loads(r.body)["triggerEvent"] == trigger)


async def lifecycles(cluster: Cluster, db: Database, receiver: Receiver, count: int, lead: timedelta) -> LifecycleRun:
    """Book ``count`` one-minute meetings starting together ``lead`` from now, over the APIs in turn, and wait
    until each has ended and every webhook of its life has arrived."""
    start = (datetime.now(UTC) + lead).replace(microsecond=0)
    gate = asyncio.Semaphore(20)

    async def book(i: int, http: httpx.AsyncClient) -> str:
        async with gate:
            answer = await http.post(cluster.next_api() + "/v2/bookings", json=_booking(i + 1, start, i))
        assert answer.status_code == 201, answer.text
        return answer.json()["data"]["uid"]

    began = time.time()
    async with httpx.AsyncClient(timeout=60) as http:
        uids = list(await asyncio.gather(*(book(i, http) for i in range(count))))
    wanted = set(uids)
    created = await _until_delivered(receiver, Trigger.BOOKING_CREATED, wanted, timeout=120 + count)
    if datetime.now(UTC) >= start:
        raise RuntimeError("the bookings were made after their start: raise the lead")
    started = await _until_delivered(receiver, Trigger.MEETING_STARTED, wanted, timeout=120 + count)
    await _until_delivered(receiver, Trigger.MEETING_ENDED, wanted, timeout=180 + count)
    rows = await event_log(db, uids)
    return LifecycleRun(uids, rows, list(receiver.requests), created - began, started - start.timestamp())
