"""`python -m bench reminders --bookings 500`: how late reminders go out when many fall due together.

500 bookings (one organizer each) get a reminder 30 s before their start; the starts are spread over
``--spread`` seconds (60: all due within the same minute), beginning once every booking is made.
Email goes to a real SMTP server (aiosmtpd) on loopback, or to the outbox with ``--provider outbox``.
Lateness is the message's send time (recorded when the provider accepted it) minus its due time.
"""

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from temporalio.client import Client

from domain.booking import Attendee, Booking, BookingInput, BookingStatus
from domain.reminders import ReminderWorkflow
from store import bookings
from store.db import Database
from store.messages import MessageRow
from testkit.devserver import start_quiet_dev_server
from testkit.smtp import SmtpServer
from testkit.stack import ORGANIZER, event_type, seed
from worker.settings import MessagingSettings
from worker.temporal import build_worker

QUEUE = "bench-reminders"
OFFSET = timedelta(seconds=30)
RULE = ReminderWorkflow.model_validate(
    {
        "id": 1,
        "name": "bench",
        "trigger": {"type": "beforeEvent", "offset": {"value": OFFSET.total_seconds() / 60, "unit": "minute"}},
        "steps": [{"stepNumber": 1, "action": "email_attendee"}],
    }
)


async def _book(client: Client, db: Database, i: int, start: datetime) -> None:
    draft = Booking(
        id=0,
        uid=uuid.uuid4().hex,
        event_type=event_type(1, workflows=[RULE]),
        organizer=ORGANIZER.model_copy(update={"id": i + 1, "username": f"host{i + 1}"}),
        attendees=[Attendee(name="Bench Booker", email=f"booker{i}@example.com", time_zone="Europe/Rome")],
        start=start,
        end=start + timedelta(minutes=1),
        status=BookingStatus.ACCEPTED,
        created_at=datetime.now(UTC),
        title="bench",
    )
    async with db.transaction() as session:
        booking = await bookings.reserve(session, draft)
    await client.start_workflow(
        "BookingWorkflow", BookingInput(booking=booking, keep_open_minutes=0), id=booking.uid, task_queue=QUEUE
    )


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


async def _sent(db: Database) -> list[MessageRow]:
    async with db.sessions() as session:
        return list(await session.scalars(select(MessageRow).where(MessageRow.status == "sent")))


async def run(count: int, spread: float, lead: float, provider: str) -> dict[str, float]:
    env = await start_quiet_dev_server()
    smtp = SmtpServer() if provider == "smtp" else None
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        await db.migrate()
        users = [ORGANIZER.model_copy(update={"id": i + 1, "username": f"host{i + 1}"}) for i in range(count)]
        await seed(db, event_type(1, workflows=[RULE]), users=users)
        values = {"smtp_rate": 10_000, "outbox_rate": 10_000, "provider_timeout_seconds": 10}
        if smtp:
            values |= {"email_server_host": "127.0.0.1", "email_server_port": smtp.port}
        messaging = MessagingSettings(_env_file=None, **values)
        try:
            async with build_worker(env.client, db, QUEUE, messaging=messaging):
                first_due = datetime.now(UTC) + timedelta(seconds=lead)
                starts = [first_due + OFFSET + timedelta(seconds=random.uniform(0, spread)) for _ in range(count)]
                for chunk in range(0, count, 50):
                    await asyncio.gather(
                        *(_book(env.client, db, i, starts[i]) for i in range(chunk, min(count, chunk + 50)))
                    )
                if datetime.now(UTC) > first_due:
                    raise RuntimeError(f"making the bookings took longer than --lead {lead} s; raise it")
                deadline = asyncio.get_running_loop().time() + lead + spread + 120
                while len(rows := await _sent(db)) < count and asyncio.get_running_loop().time() < deadline:
                    await asyncio.sleep(0.5)
        finally:
            await db.dispose()
            if smtp:
                smtp.close()
            await env.shutdown()
    lateness = [((r.sent_at.replace(tzinfo=UTC) - r.due.replace(tzinfo=UTC)).total_seconds() * 1000) for r in rows]
    sent_times = sorted(r.sent_at.replace(tzinfo=UTC) for r in rows)
    window = max((sent_times[-1] - sent_times[0]).total_seconds(), 1e-3) if sent_times else 1
    return {
        "lateness_p50_ms": round(_percentile(lateness, 50), 1),
        "lateness_p99_ms": round(_percentile(lateness, 99), 1),
        "messages_per_s": round(len(rows) / window, 1),
        "sent": len(rows),
        "bookings": count,
        "spread_s": spread,
        "provider": provider,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench reminders")
    parser.add_argument("--bookings", type=int, default=500)
    parser.add_argument("--spread", type=float, default=60, help="Seconds over which the reminders fall due.")
    parser.add_argument("--lead", type=float, default=60, help="Seconds allowed for making the bookings.")
    parser.add_argument("--provider", choices=["smtp", "outbox"], default="smtp")
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(run(args.bookings, args.spread, args.lead, args.provider))))
    return 0
