"""A world the booking-creation crash tests can break: a pausable Temporal, a killable `bookflow api`
process, PostgreSQL row and table locks that hold a request at a chosen step, and a worker (with its
orphan reconciler) in this process."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import psycopg
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.contrib.pydantic import pydantic_data_converter

from domain.booking import Booking
from store import bookings
from store.db import Database
from testkit.stack import eventually
from worker.devserver import search_attribute_args, temporal_binary

SECRET_KEY = "edge-crash-tests-secret-key-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@asynccontextmanager
async def pausable_temporal(tmp: Path) -> AsyncIterator[tuple[subprocess.Popen[bytes], Client]]:
    """A Temporal dev server process of our own, so a test can SIGSTOP and SIGCONT it."""
    port = free_port()
    command = [str(temporal_binary()), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port)]
    command += ["--ui-port", str(free_port()), "--log-level", "error", *search_attribute_args()]
    with (tmp / "temporal.log").open("ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        client = await eventually(lambda: _connect(f"127.0.0.1:{port}"), lambda c: c is not None, timeout=60)
        yield process, client
    finally:
        process.send_signal(signal.SIGCONT)
        process.terminate()
        process.wait(timeout=30)


async def _connect(address: str) -> Client | None:
    try:
        return await Client.connect(address, data_converter=pydantic_data_converter)
    except RuntimeError:
        return None


@dataclass
class ApiProcess:
    """`bookflow api` as production runs it, in a process of its own."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


@asynccontextmanager
async def api_process(tmp: Path, temporal: str, database_url: str, task_queue: str) -> AsyncIterator[ApiProcess]:
    port = free_port()
    env = os.environ | {
        "TEMPORAL_ADDRESS": temporal,
        "BOOKFLOW_DATABASE_URL": database_url,
        "BOOKFLOW_TASK_QUEUE": task_queue,
        "BOOKFLOW_SECRET_KEY": SECRET_KEY,
        "BOOKFLOW_DATA_DIR": str(tmp / "api-data"),
    }
    bookflow = Path(sys.executable).parent / "bookflow"
    with (tmp / "api.log").open("ab") as log:
        process = subprocess.Popen(
            [str(bookflow), "api", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp
        )
    api = ApiProcess(process, f"http://127.0.0.1:{port}", tmp / "api.log")
    try:
        await eventually(lambda: _healthy(api), lambda ok: ok, timeout=60)
        yield api
    finally:
        if process.poll() is None:
            api.kill()


async def _healthy(api: ApiProcess) -> bool:
    if api.process.poll() is not None:
        said = api.log.read_text(errors="replace")[-2000:]
        raise AssertionError(f"bookflow api exited with {api.process.returncode}:\n{said}")
    try:
        async with httpx.AsyncClient() as http:
            return (await http.get(api.url + "/health")).status_code == 200
    except httpx.TransportError:
        return False


@asynccontextmanager
async def holding_lock(database_url: str, statement: str) -> AsyncIterator[None]:
    """Hold a PostgreSQL lock (``statement`` inside an open transaction) until the block ends."""
    async with await psycopg.AsyncConnection.connect(database_url) as connection:
        await connection.execute(statement)
        try:
            yield
        finally:
            await connection.rollback()


async def lock_waiters(database_url: str, table: str) -> int:
    """How many other sessions are waiting on a lock with a statement that names ``table``."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as connection:
        cursor = await connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE %s",
            (f"%{table}%",),
        )
        row = await cursor.fetchone()
        return row[0] if row else 0


@asynccontextmanager
async def paused(temporal: subprocess.Popen[bytes]) -> AsyncIterator[None]:
    temporal.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        temporal.send_signal(signal.SIGCONT)


async def holding_at(db: Database, start: datetime) -> list[Booking]:
    """The bookings holding the organizer's slot at ``start`` (what a listing and the slot check see)."""
    async with db.sessions() as session:
        found, _ = await bookings.search(session, bookings.BookingFilter(take=250), datetime.now().astimezone())
    return [b for b in found if b.start == start and b.status.value in bookings.HOLDING]


async def runs(client: Client, booking: Booking) -> bool:
    """The booking's workflow is running and has committed the booking (so it owns it)."""
    try:
        description = await client.get_workflow_handle(booking.uid).describe()
    except Exception:
        return False
    committed = booking.updated_at is not None and booking.updated_at != booking.created_at
    return description.status is WorkflowExecutionStatus.RUNNING and committed


async def slot_outcome(db: Database, client: Client, start: datetime) -> str:
    """'free', 'booked' (one booking, its workflow runs) or a description of anything else."""
    held = await holding_at(db, start)
    if not held:
        return "free"
    if len(held) == 1 and await runs(client, held[0]):
        return "booked"
    return f"inconsistent: {[(b.uid, b.status.value, b.updated_at == b.created_at) for b in held]}"


async def fire_and_forget(url: str, path: str, body: dict) -> asyncio.Task[object]:
    """Send a request in the background; its answer (or the connection dying) does not matter."""

    async def send() -> object:
        try:
            async with httpx.AsyncClient(timeout=120) as http:
                return await http.post(url + path, json=body)
        except httpx.TransportError as lost:
            return lost

    return asyncio.create_task(send())
