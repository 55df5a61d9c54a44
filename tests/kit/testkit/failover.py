"""The crash scenario of issue 14: two `bookflow worker` processes, a batch of meetings, a kill -9 of one worker
just before the meetings start. The test asserts on it; `python -m bench failover` reports its figures."""

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.client import Client

from domain.triggers import Trigger
from store.db import Database
from store.events import EventRow
from testkit.batch import counts, event_log, seed_batch, start_batch
from testkit.processes import process_env, spawned_worker
from testkit.stack import eventually

# The kill comes this long before the meetings start: every workflow waits on its timer, cached on a worker.
KILL_BEFORE = timedelta(seconds=1)
LENGTH = timedelta(seconds=2)


@dataclass
class FailoverRun:
    """What the event log said once every meeting had started."""

    uids: list[str]
    start: datetime
    rows: list[EventRow]

    @property
    def started(self) -> Counter[str]:
        """MEETING_STARTED recordings per booking."""
        return counts(self.rows, Trigger.MEETING_STARTED)

    @property
    def lateness(self) -> list[timedelta]:
        """Each MEETING_STARTED's recorded time (the workflow's clock when it ran) minus the meeting's start."""
        return sorted(r.created_at - self.start for r in self.rows if r.trigger == Trigger.MEETING_STARTED)


def lead_for(bookings: int) -> timedelta:
    """Time to start a batch and let every workflow run its first task, on a 2-core machine, with room."""
    return timedelta(seconds=10 + bookings * 0.25)


async def kill_one_of_two(
    client: Client, db: Database, task_queue: str, scratch: Path, bookings: int, kill: bool = True
) -> FailoverRun:
    """Run the scenario on ``db`` (migrated, empty) with two spawned workers; ``kill=False`` for a baseline."""
    target = client.service_client.config.target_host
    env = process_env(target, client.namespace, db.url, task_queue, scratch)
    kind = await seed_batch(db, bookings)
    async with (
        spawned_worker("worker-a", env, scratch) as doomed,
        spawned_worker("worker-b", env, scratch) as kept,
    ):
        await asyncio.gather(doomed.wait_ready(), kept.wait_ready())
        start = (datetime.now(UTC) + lead_for(bookings)).replace(microsecond=0)
        uids = await start_batch(client, db, task_queue, kind, bookings, start, LENGTH)

        def all_have(trigger: Trigger):
            return lambda rows: len(counts(rows, trigger)) == len(uids)

        # Every workflow has run its first task, so sits on one worker's sticky queue, before the kill.
        await eventually(lambda: event_log(db, uids), all_have(Trigger.BOOKING_CREATED), timeout=120)
        left = start - KILL_BEFORE - datetime.now(UTC)
        if left < timedelta(0):
            raise RuntimeError(f"the batch took {-left} too long to start: raise lead_for()")
        await asyncio.sleep(left.total_seconds())
        if kill:
            doomed.kill()
        rows = await eventually(lambda: event_log(db, uids), all_have(Trigger.MEETING_STARTED), timeout=120)
        if kept.process.returncode is not None:
            raise RuntimeError(f"the surviving worker exited with {kept.process.returncode}")
    return FailoverRun(uids, start, rows)
