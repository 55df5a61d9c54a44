"""The store read behind slots and the booking-time check: every source of busy time in few round trips."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import event

from domain.config import Configuration, Host, User
from domain.schedules import OutOfOffice, always_available
from store import availability, config
from store.db import Database
from testkit.stack import ORGANIZER, event_type

BOB = User(id=2, name="Bob", email="bob@example.com", username="bob", time_zone="Europe/Rome")
CY = User(id=3, name="Cy", email="cy@example.com", username="cy", time_zone="Asia/Kolkata")  # no schedule: D1
START = datetime(2030, 5, 6, tzinfo=UTC)


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL statements sent while the block runs (each is one round trip to the database)."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        sent.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


def queries(sent: list[str]) -> list[str]:
    """The round trips that read (SQLite's driver also sends BEGIN)."""
    return [s for s in sent if s.lstrip().upper().startswith("SELECT")]


async def test_holds_out_of_office_and_schedules_come_in_three_round_trips(any_db):
    ada_own = always_available(10, ORGANIZER.id).model_copy(update={"is_default": False, "name": "For event 1"})
    typed = event_type(1, hosts=[Host(user_id=1), Host(user_id=2), Host(user_id=3)], schedule_id=10)
    document = Configuration(
        users=[ORGANIZER, BOB, CY],
        schedules=[always_available(1, 1), ada_own, always_available(2, 2, "Europe/Rome")],
        event_types=[typed],
    )
    async with any_db.transaction() as session:
        await config.apply_configuration(session, document)
        await availability.apply_configuration(session, document)
        booked = availability.Hold(
            host_id=1, kind=availability.BOOKING, uid="b1", event_type_id=1, status="ACCEPTED",
            slot_start=START + timedelta(hours=9), slot_end=START + timedelta(hours=10), after=15,
        )  # fmt: skip
        await availability.add_holds(session, [booked], START)
        away = OutOfOffice(id=7, user_id=2, start=START + timedelta(hours=12), end=START + timedelta(hours=14))
        await availability.save_out_of_office(session, away, 2, away)
    with statements(any_db) as sent:
        async with any_db.sessions() as session:
            hosts = await availability.load_hosts(session, typed, [1, 2, 3], START, START + timedelta(days=1), START)
    assert len(queries(sent)) == 3, sent
    by_id = {h.user.id: h for h in hosts}
    assert [h.user.id for h in hosts] == [1, 2, 3]
    # The event type's schedule where the host owns it, else the default, else Cal.com's working hours.
    assert (by_id[1].schedule.id, by_id[2].schedule.id, by_id[3].schedule.id) == (10, 2, 0)
    assert by_id[3].schedule.time_zone == "Asia/Kolkata"
    (hold,) = by_id[1].busy
    assert (hold.source, hold.ref, hold.end) == ("hold", "b1", START + timedelta(hours=10, minutes=15))
    (ooo,) = by_id[2].busy
    assert (ooo.source, ooo.ref, ooo.start, ooo.end) == (
        "out_of_office", "7", START + timedelta(hours=12), START + timedelta(hours=14)
    )  # fmt: skip
    assert by_id[3].busy == []
    with statements(any_db) as sent:
        async with any_db.sessions() as session:  # a booking being rescheduled does not hold its own time
            again = await availability.load_hosts(
                session, typed, [1], START, START + timedelta(days=1), START, ignore=("b1",)
            )
    assert again[0].busy == [] and len(queries(sent)) == 3
