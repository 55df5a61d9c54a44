"""The orphan reconciler: no reservation is left without its booking's workflow.

The API reserves a slot, then starts the booking's workflow. Should it die in between (a crash, a
SIGKILL, a lost connection), the slot would be held by a booking no workflow runs. Every worker
therefore looks, every few seconds, for reservations no workflow has taken up for longer than the
API could still be starting one, and starts their workflow itself: the booking then lives as if the
API had finished. Starting is idempotent (workflow id = booking uid, REJECT_DUPLICATE), so any number
of workers, or a late API, may race at it. A start Temporal refuses for good (the payload is too large)
frees the slot instead, which is what the API would have done.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from temporalio.client import Client

from api import routing_bookings
from api.booking_start import START_TIMEOUT, start_booking
from api.payload_limits import payload_refused
from domain.booking import Booking
from store import instant, orphans
from store.db import Database

log = logging.getLogger("bookflow.orphans")

# Longer than the API may still be trying to start a workflow, so the reconciler never races a live request.
GRACE = START_TIMEOUT * 2
INTERVAL = timedelta(seconds=5)


async def _mint(db: Database, booking: Booking) -> tuple[str, str] | None:
    """An orphaned instant meeting's new connect-and-join token (the API's died with it; the store keeps only
    its digest) and the digest it replaced; None for any other booking."""
    if not booking.instant:
        return None
    token = instant.new_token()
    async with db.transaction() as session:
        previous = await instant.replace(session, booking.uid, token, datetime.now(UTC))
    return None if previous is None else (token, previous)


async def _adopt(client: Client, db: Database, booking: Booking, task_queue: str, keep_open_minutes: float) -> str:
    minted = await _mint(db, booking)
    try:
        started = await start_booking(client, booking, task_queue, keep_open_minutes, minted[0] if minted else None)
        if not started and minted is not None:  # a late API started it with its own token: that one stands
            async with db.transaction() as session:
                await instant.restore(session, booking.uid, minted[1])
    except Exception as failed:
        if not payload_refused(failed):
            raise
        async with db.transaction() as session:
            await routing_bookings.release(session, booking.uid)
        return "released"
    return "started" if started else "already running"


async def reconcile_once(client: Client, db: Database, task_queue: str, keep_open_minutes: float) -> dict[str, str]:
    """One pass: each orphaned reservation's uid and what was done with it."""
    async with db.sessions() as session:
        found = await orphans.untouched(session, datetime.now(UTC) - GRACE)
    done = {}
    for booking in found:
        # A reschedule's new booking is started by the old booking's workflow, which survives any crash.
        if booking.from_reschedule is not None:
            continue
        done[booking.uid] = await _adopt(client, db, booking, task_queue, keep_open_minutes)
        log.warning("booking %s had no workflow: %s", booking.uid, done[booking.uid])
    return done


async def _loop(client: Client, db: Database, task_queue: str, keep_open_minutes: float) -> None:
    while True:
        try:
            await reconcile_once(client, db, task_queue, keep_open_minutes)
        except Exception:
            log.exception("the orphan reconciler's pass failed; trying again")
        await asyncio.sleep(INTERVAL.total_seconds())


@contextlib.asynccontextmanager
async def reconciling(client: Client, db: Database, task_queue: str, keep_open_minutes: float) -> AsyncIterator[None]:
    """Run the reconciler in the background for as long as the block runs."""
    task = asyncio.create_task(_loop(client, db, task_queue, keep_open_minutes))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
