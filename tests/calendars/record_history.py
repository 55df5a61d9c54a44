"""Record the calendar workflows' histories for tests/test_replay.py (`python -m tests.calendars.record_history`).

A CalDAV account connected, selected and made the destination; a booking made, rescheduled and cancelled:
the connection's CalendarSyncWorkflow and the meeting's DestinationEventWorkflow.
"""

import asyncio
import os
import tempfile
from pathlib import Path

from domain.calendars import sync_workflow_id
from store import calendars
from store.db import Database
from testkit.access import TEST_SECRET_KEYS
from testkit.devserver import start_dev_server
from testkit.radicale import RadicaleServer
from testkit.stack import event_type, eventually, running_stack, seed
from tests.calendars.conftest import PASSWORD
from tests.calendars.test_end_to_end import at, connect, our_events
from tests.support.histories import save_history


async def main() -> None:
    os.environ |= {"BOOKFLOW_ALLOW_PRIVATE_URLS": "true"}
    env = await start_dev_server()
    with tempfile.TemporaryDirectory() as tmp, RadicaleServer(users={"ada": PASSWORD}) as radicale:
        db = Database(f"sqlite:///{Path(tmp) / 'record.db'}", TEST_SECRET_KEYS)
        try:
            await db.migrate()
            await seed(db, event_type(1, length_in_minutes=30))
            calendar_url = radicale.make_calendar("ada", "work")
            async with running_stack(env.client, db, "record-calendars") as stack:
                credential = await connect(stack, radicale, calendar_url)
                booked = await stack.book(1, at(14))
                await eventually(lambda: our_events(radicale, calendar_url), lambda found: len(found) == 1)
                async with stack.as_(None) as http:
                    moved = await http.post(
                        f"/v2/bookings/{booked['uid']}/reschedule", json={"start": at(15).isoformat()}
                    )
                    new_uid = moved.json()["data"]["uid"]
                    await eventually(
                        lambda: our_events(radicale, calendar_url),
                        lambda found: len(found) == 1 and found[0]["dtstart"].dt == at(15),
                    )
                    await http.post(f"/v2/bookings/{new_uid}/cancel", json={"cancellationReason": "ill"})
                await eventually(lambda: our_events(radicale, calendar_url), lambda found: found == [])
                async with db.sessions() as session:
                    connection = await calendars.get_connection(session, credential)
                assert connection is not None
                print(await save_history(stack.client, sync_workflow_id(connection), "calendar_sync_connected"))
                event_workflow = f"calendar-event:{booked['uid']}"
                print(await save_history(stack.client, event_workflow, "calendar_event_booked_moved_cancelled"))
        finally:
            await db.dispose()
            await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
