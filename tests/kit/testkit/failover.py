"""The crash scenario of issue 14: two `bookflow worker` processes, a batch of meetings, a kill -9 of one worker
just before the meetings start. The test asserts on it; `python -m bench failover` reports its figures."""

import asyncio
import os
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.api.enums.v1 import EventType, TimeoutType
from temporalio.api.history.v1 import HistoryEvent
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
    killed: int | None  # the killed worker's pid (None in a baseline run)
    survivor_cpu: float  # CPU seconds the surviving worker spent from the kill until every meeting had started

    @property
    def started(self) -> Counter[str]:
        """MEETING_STARTED recordings per booking."""
        return counts(self.rows, Trigger.MEETING_STARTED)

    @property
    def lateness(self) -> list[timedelta]:
        """Each MEETING_STARTED's recorded time (the workflow's clock when it ran) minus the meeting's start."""
        return sorted(r.created_at - self.start for r in self.rows if r.trigger == Trigger.MEETING_STARTED)

    def lateness_at(self, q: int) -> timedelta:
        """The q-th percentile of ``lateness``."""
        return percentile(self.lateness, q)


def percentile(values: list[timedelta], q: int) -> timedelta:
    """The q-th percentile (inclusive method, as the other benches) of ``values``."""
    seconds = [v.total_seconds() for v in values]
    if len(seconds) == 1:
        return values[0]
    return timedelta(seconds=statistics.quantiles(seconds, n=100, method="inclusive")[q - 1])


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
        cpu_before = cpu_seconds(kept.pid)
        if kill:
            doomed.kill()
        killed = doomed.pid if kill else None
        rows = await eventually(lambda: event_log(db, uids), all_have(Trigger.MEETING_STARTED), timeout=120)
        cpu = cpu_seconds(kept.pid) - cpu_before
        if kept.process.returncode is not None:
            raise RuntimeError(f"the surviving worker exited with {kept.process.returncode}")
    return FailoverRun(uids, start, rows, killed, round(cpu, 2))


@dataclass
class Trace:
    """One MEETING_STARTED's path through Temporal, in seconds after the meeting's start (from its history)."""

    uid: str
    fired: float  # the timer fired
    started: float  # the workflow task that handled it started (and completed)
    completed: float  # and completed
    queue: str  # the task queue it was first scheduled on: the shared one, or a worker's sticky queue
    worker: str  # the identity (pid@host) of the worker that ran it
    timeouts: list[str]  # the workflow tasks that timed out in between: "sticky" (schedule-to-start) or "start"


def _at(event: HistoryEvent, start: datetime) -> float:
    return round((event.event_time.ToDatetime(tzinfo=UTC) - start).total_seconds(), 3)


def trace(uid: str, events: list[HistoryEvent], start: datetime) -> Trace | None:
    """The first timer that fired at or after ``start`` and the workflow tasks until one completed."""
    fired = next((e for e in events if e.event_type == EventType.EVENT_TYPE_TIMER_FIRED and _at(e, start) >= 0), None)
    if fired is None:
        return None
    timeouts, queue, started, completed = [], None, None, None
    for event in (e for e in events if e.event_id > fired.event_id):
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED and queue is None:
            queue = event.workflow_task_scheduled_event_attributes.task_queue.name
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            started = event
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
            kind = event.workflow_task_timed_out_event_attributes.timeout_type
            timeouts.append("sticky" if kind == TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START else "start")
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            completed = event
            break
    if queue is None or started is None or completed is None:
        return None
    worker = started.workflow_task_started_event_attributes.identity
    return Trace(uid, _at(fired, start), _at(started, start), _at(completed, start), queue, worker, timeouts)


async def traces(client: Client, run: FailoverRun) -> list[Trace]:
    """Every booking's trace, latest start first."""
    found = []
    for uid in run.uids:
        history = await client.get_workflow_handle(uid).fetch_history()
        if (one := trace(uid, list(history.events), run.start)) is not None:
            found.append(one)
    return sorted(found, key=lambda t: -t.started)


def taken_over(run: FailoverRun, found: list[Trace]) -> list[Trace]:
    """The meetings whose timer fired for the killed worker (onto its sticky queue), run by the survivor."""
    return [t for t in found if run.killed is not None and t.queue.startswith(f"{run.killed}@")]
