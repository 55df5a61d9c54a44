"""`python -m bench lifecycle --bookings 200`: what a booking's create → confirm → start → end costs the worker.

The bookings run through Bookflow's BookingWorkflow, and as many through a bare workflow of the same shape
(bench.bare_workflow: the same activities, an update, timers at the same start and end, activities that do
nothing), one kind after the other on one dev server. Each kind's worker runs alone in its own process
(bench.lifecycle_worker), so its CPU time (user + system, every thread, read from /proc) is its own:

- ``cpu_ms_per_booking``, ``bare_cpu_ms_per_booking``, ``cpu_ratio``: worker CPU per booking, the figure that
  holds on a loaded, shared machine;
- ``bookings_per_s``, ``bare_per_s``, ``ratio``: bookings per second of busy wall time.

Both count two busy phases only: (1) start every workflow and confirm it; (2) from the moment every meeting
starts until every workflow has ended. Between them the run waits for the meetings' start (set far enough
ahead that every confirm lands while the booking is still open: the workflow refuses changes once its
lifecycle has closed), and that wait counts in neither figure. A refused confirm is counted in ``refused``,
never as a booking done, and fails the bench (exit 1), as does a booking missing any of its four events.
Both workers cache bytecode outside the tree, as an installed package has it (see bench.lifecycle_worker).

``--profile DIR`` samples each worker with py-spy (every thread: workflow tasks run on the SDK's threads,
so cProfile in the main thread would miss them) and writes ``DIR/<kind>.txt``, collapsed stacks with
idle samples left out; the sampling costs CPU in py-spy's process, not the worker's.
"""

import argparse
import asyncio
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError

from bench import lifecycle_worker
from bench.bare_workflow import LENGTH, BareBookingWorkflow
from domain.booking import Attendee, Booking, BookingInput, BookingStatus, ConfirmInput
from domain.config import User
from store import bookings
from store.db import Database
from store.events import EventRow
from testkit.devserver import start_dev_server
from testkit.stack import ORGANIZER, event_type, seed

# Meetings start this long after their bookings are reserved: enough for phase 1 (start and confirm every
# booking) on a loaded machine. The wait left over is measured by neither figure, so generous costs nothing.
BASE_LEAD = timedelta(seconds=10)
LEAD_PER_BOOKING = timedelta(milliseconds=150)
# A Bookflow booking that lived its whole life fired these: requested, created (confirmed), started, ended.
EVENTS_PER_BOOKING = 4
_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) process ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime and stime are the 14th and 15th fields; the split starts at the 3rd (after the command name).
    return (int(fields[11]) + int(fields[12])) / _TICKS


@dataclass
class Phases:
    """Busy wall time and worker CPU time summed over the measured phases; bookings done and refused."""

    wall: float = 0.0
    cpu: float = 0.0
    done: int = 0
    refused: int = 0


@asynccontextmanager
async def profiled(pid: int, out: Path | None) -> AsyncIterator[None]:
    """Sample process ``pid`` with py-spy into ``out`` (collapsed stacks) while the block runs; nothing if None."""
    if out is None:
        yield
        return
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
    args = ["record", "--pid", str(pid), "--format", "raw", "--output", str(out), "--rate", "200", "--nonblocking"]
    process = await asyncio.create_subprocess_exec(spy, *args, stdout=asyncio.subprocess.DEVNULL)
    try:
        yield
    finally:
        # py-spy writes its file on SIGINT.
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        await process.wait()


@asynccontextmanager
async def worker_process(
    kind: str, address: str, queue: str, scratch: Path, database_url: str | None
) -> AsyncIterator[int]:
    """A worker process of ``kind`` (see bench.lifecycle_worker), polling once this yields its pid; SIGTERM when
    the block ends. Its stderr goes to ``scratch/<kind>-worker.log``."""
    log = scratch / f"{kind}-worker.log"
    args = [kind, address, queue, str(scratch / "pycache"), *([database_url] if database_url else [])]
    with log.open("wb") as errors:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.lifecycle_worker",
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=errors,
        )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=120)
        if line.decode().strip() != lifecycle_worker.READY:
            raise RuntimeError(f"the {kind} worker did not start:\n{log.read_text(errors='replace')[-4000:]}")
        yield process.pid
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()


async def _measure(
    pid: int, phase: Callable[[], Awaitable[list[bool]]], phases: Phases, begins: datetime | None = None
) -> list[bool]:
    """Run ``phase``, add its busy wall time and the worker's CPU time to ``phases``; each booking's outcome.

    ``begins``: when the phase's work begins, if later than now (its wall time counts from then).
    """
    cpu, began = cpu_seconds(pid), time.perf_counter()
    if begins is not None:
        began += (begins - datetime.now(UTC)).total_seconds()
    outcomes = await phase()
    phases.wall += time.perf_counter() - began
    phases.cpu += cpu_seconds(pid) - cpu
    return outcomes


async def _gather(count: int, concurrency: int, one: Callable[[int], Awaitable[bool]]) -> list[bool]:
    gate = asyncio.Semaphore(concurrency)

    async def bounded(i: int) -> bool:
        async with gate:
            return await one(i)

    return list(await asyncio.gather(*(bounded(i) for i in range(count))))


async def _until_just_before(moment: datetime) -> None:
    """Sleep until a moment before ``moment``, so the worker's CPU is read before its timers fire."""
    await asyncio.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds() - 0.2))


def _lead(count: int) -> timedelta:
    return BASE_LEAD + count * LEAD_PER_BOOKING


def _organizer(i: int) -> User:
    """Booking i's organizer: one per booking, so every booking can start at the same moment."""
    return ORGANIZER.model_copy(update={"id": i + 1, "username": f"host{i + 1}"})


async def _reserve(db: Database, count: int, start: datetime) -> list[Booking]:
    """Reserve ``count`` pending bookings at ``start``, as the API does before it starts their workflows."""
    reserved = []
    for i in range(count):
        draft = Booking(
            id=0,
            uid=uuid.uuid4().hex,
            event_type=event_type(1, requires_confirmation=True),
            organizer=_organizer(i),
            attendees=[Attendee(name="Bench", email="bench@example.com")],
            start=start,
            end=start + LENGTH,
            status=BookingStatus.PENDING,
            created_at=datetime.now(UTC),
            title="bench",
        )
        async with db.transaction() as session:
            reserved.append(await bookings.reserve(session, draft))
    return reserved


Begin = Callable[[int, datetime], Awaitable[tuple[WorkflowHandle, bool]]]


async def _phases(
    kind: str,
    client: Client,
    scratch: Path,
    database_url: str | None,
    count: int,
    concurrency: int,
    prepare: Callable[[datetime], Awaitable[None]],
    begin: Begin,
    lived: Callable[[WorkflowHandle], Awaitable[bool]],
    profile: Path | None = None,
) -> tuple[Phases, list[str]]:
    """Run ``count`` lifecycles of ``kind`` on its own worker process: measure both phases; the workflow ids.

    ``prepare`` gets the meetings' start before anything is measured; ``begin`` starts booking i's workflow
    and confirms it (False: refused); ``lived`` waits for a workflow's end (False: not the whole lifecycle).
    """
    phases = Phases()
    handles: list[WorkflowHandle] = []

    async def create_and_confirm(i: int) -> bool:
        handle, confirmed = await begin(i, start)
        handles.append(handle)
        return confirmed

    address = client.service_client.config.target_host
    worker = worker_process(kind, address, f"bench-{kind}", scratch, database_url)
    async with worker as pid, profiled(pid, profile / f"{kind}.txt" if profile else None):
        start = datetime.now(UTC) + _lead(count)
        await prepare(start)
        confirmed = await _measure(pid, lambda: _gather(count, concurrency, create_and_confirm), phases)
        await _until_just_before(start)
        ended = await _measure(
            pid, lambda: _gather(len(handles), concurrency, lambda i: lived(handles[i])), phases, start
        )
    phases.refused = confirmed.count(False)
    phases.done = ended.count(True)
    return phases, [h.id for h in handles]


async def _bookflow(
    client: Client, db: Database, scratch: Path, count: int, concurrency: int, profile: Path | None
) -> tuple[Phases, list[str], int]:
    """Bookflow's phases, the workflow ids, and how many events the store recorded."""
    reserved: list[Booking] = []

    async def prepare(start: datetime) -> None:
        reserved.extend(await _reserve(db, count, start))

    async def begin(i: int, _: datetime) -> tuple[WorkflowHandle, bool]:
        booking = reserved[i]
        handle = await client.start_workflow(
            "BookingWorkflow",
            BookingInput(booking=booking, keep_open_minutes=0),
            id=booking.uid,
            task_queue="bench-bookflow",
            result_type=Booking,
        )
        try:
            confirmed = await handle.execute_update("confirm", ConfirmInput(), result_type=Booking)
        except WorkflowUpdateFailedError:
            return handle, False
        return handle, confirmed.status is BookingStatus.ACCEPTED

    async def lived(handle: WorkflowHandle) -> bool:
        ended = await handle.result()
        return ended.status is BookingStatus.ACCEPTED and {"meeting_started", "meeting_ended"} <= set(ended.done)

    phases, ids = await _phases("bookflow", client, scratch, db.url, count, concurrency, prepare, begin, lived, profile)
    async with db.sessions() as session:
        recorded = await session.scalar(select(func.count()).select_from(EventRow)) or 0
    return phases, ids, recorded


async def _bare(client: Client, scratch: Path, count: int, concurrency: int, profile: Path | None) -> Phases:
    async def prepare(_: datetime) -> None:
        return None

    async def begin(_: int, start: datetime) -> tuple[WorkflowHandle, bool]:
        handle = await client.start_workflow(
            BareBookingWorkflow.run, start.isoformat(), id=f"bare-{uuid.uuid4().hex}", task_queue="bench-bare"
        )
        await handle.execute_update(BareBookingWorkflow.confirm)
        return handle, True

    async def lived(handle: WorkflowHandle) -> bool:
        await handle.result()
        return True

    phases, _ = await _phases("bare", client, scratch, None, count, concurrency, prepare, begin, lived, profile)
    return phases


async def _history_events(client: Client, ids: list[str]) -> float:
    sample = ids[:10]
    counts = [len((await client.get_workflow_handle(i).fetch_history()).events) for i in sample]
    return sum(counts) / len(counts)


async def run(count: int, concurrency: int, database_url: str | None = None, profile: Path | None = None) -> dict:
    load_before = os.getloadavg()[0]
    env = await start_dev_server()
    with tempfile.TemporaryDirectory() as scratch:
        db = Database(database_url or f"sqlite:///{Path(scratch) / 'bench.db'}")
        try:
            await db.migrate()
            await seed(db, event_type(1, requires_confirmation=True), users=[_organizer(i) for i in range(count)])
            booked, ids, recorded = await _bookflow(env.client, db, Path(scratch), count, concurrency, profile)
            history = await _history_events(env.client, ids)
            bare = await _bare(env.client, Path(scratch), count, concurrency, profile)
        finally:
            await db.dispose()
            await env.shutdown()
    per_s, bare_per_s = booked.done / booked.wall, bare.done / bare.wall
    cpu_ms, bare_cpu_ms = 1000 * booked.cpu / max(booked.done, 1), 1000 * bare.cpu / max(bare.done, 1)
    return {
        "bookings": count,
        "bookings_per_s": round(per_s, 2),
        "bare_per_s": round(bare_per_s, 2),
        "ratio": round(per_s / bare_per_s, 3),
        "cpu_ms_per_booking": round(cpu_ms, 2),
        "bare_cpu_ms_per_booking": round(bare_cpu_ms, 2),
        "cpu_ratio": round(cpu_ms / bare_cpu_ms, 3),
        "history_events_per_booking": round(history, 1),
        "events_per_booking": round(recorded / count, 2),
        "refused": booked.refused,
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench lifecycle")
    parser.add_argument("--bookings", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument(
        "--database-url", help="An empty database to use instead of a fresh SQLite file (e.g. PostgreSQL)."
    )
    parser.add_argument("--profile", type=Path, help="Sample each worker with py-spy into DIR/<kind>.txt.")
    args = parser.parse_args(argv)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    result = asyncio.run(run(args.bookings, args.concurrency, args.database_url, args.profile))
    print(json.dumps(result))
    complete = result["refused"] == 0 and result["events_per_booking"] == EVENTS_PER_BOOKING
    return 0 if complete else 1
