"""The calendar store on SQLite and PostgreSQL: sealed credentials, destination precedence, the busy copy
with fail-closed connections, and references."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from domain.calendars import BookingReference, CalendarRef, ConnectedCalendar
from store import calendars as store
from store.db import Database

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


# Long and distinctive: a short password could turn up inside random ciphertext by chance.
PASSWORD = "correct-horse-battery-staple-7f3a"


async def _connection(db: Database, user_id: int = 1) -> tuple[int, CalendarRef]:
    async with db.transaction() as session:
        connection = await store.add_connection(
            session,
            user_id,
            "caldav_calendar",
            "https://dav.example.com/",
            {"username": "ada", "password": PASSWORD},
            NOW,
        )
        await store.save_calendars(
            session,
            connection.id,
            [ConnectedCalendar(connection_id=connection.id, external_id="https://dav.example.com/ada/work/", name="w")],
        )
    return connection.id, CalendarRef(
        integration="caldav_calendar", external_id="https://dav.example.com/ada/work/", credential_id=connection.id
    )


async def test_credentials_are_sealed_at_rest(any_db: Database):
    connection_id, _ = await _connection(any_db)
    async with any_db.sessions() as session:
        row = await session.get(store.ConnectionRow, connection_id)
        assert row is not None and PASSWORD not in row.key and row.key.startswith("sealed:")
        assert await store.credentials_of(session, connection_id) == {"username": "ada", "password": PASSWORD}


async def test_the_event_types_destination_wins_over_the_users(any_db: Database):
    _, ref = await _connection(any_db)
    other = ref.model_copy(update={"external_id": "https://dav.example.com/ada/other/"})
    async with any_db.transaction() as session:
        assert await store.destination_for(session, 1, 7) is None
        await store.set_destination(session, ref, user_id=1)
        await store.set_destination(session, other, event_type_id=7)
        await store.set_destination(session, ref, user_id=1)  # again: still one row per level
    async with any_db.sessions() as session:
        assert await store.destination_for(session, 1, 7) == other
        assert await store.destination_for(session, 1, 8) == ref
        assert await store.destination_for(session, 1) == ref


async def test_busy_comes_from_selected_calendars_and_an_unreadable_one_blocks_everything(any_db: Database):
    connection_id, ref = await _connection(any_db)
    window = (NOW, NOW + timedelta(days=1))
    busy_at = (NOW + timedelta(hours=2), NOW + timedelta(hours=3))
    async with any_db.transaction() as session:
        [state] = await store.sync_states(session, connection_id, [ref.external_id])
        event = store.StoredEvent("/ada/work/e.ics", '"1"', "BEGIN:VCALENDAR...", [busy_at])
        await store.apply_sync(
            session, state, 1, token="t1", ctag="c1", full=True, changed=[event], deleted=[], now=NOW
        )
        await store.record_success(session, connection_id, NOW)
        assert (await store.busy_by_host(session, [1], *window, NOW))[1] == []  # not selected: not seen
        await store.select_calendar(session, 1, ref)
        await store.select_calendar(session, 1, ref)  # idempotent
    async with any_db.sessions() as session:
        [busy] = (await store.busy_by_host(session, [1], *window, NOW))[1]
        assert (busy.start, busy.end, busy.source) == (*busy_at, "calendar")
        [calendar] = await store.calendars_of(session, connection_id)
        assert calendar.event_count == 1
    async with any_db.transaction() as session:
        await store.record_failure(session, connection_id, "the server answered 503", NOW + timedelta(minutes=1))
    async with any_db.sessions() as session:
        # A recent good copy still counts while the provider hiccups...
        assert len((await store.busy_by_host(session, [1], *window, NOW + timedelta(minutes=1)))[1]) == 1
        # ...but not for long: then the host is busy for the whole window (fail closed).
        later = NOW + timedelta(minutes=10)
        blocked = (await store.busy_by_host(session, [1], *window, later))[1]
        assert any((b.start, b.end) == window and "503" in (b.ref or "") for b in blocked)
    async with any_db.transaction() as session:
        await store.apply_sync(
            session, state, 1, token="t2", ctag="c2", full=False, changed=[], deleted=[event.event_id], now=NOW
        )
        await store.record_success(session, connection_id, NOW)
        assert (await store.busy_by_host(session, [1], *window, NOW))[1] == []


async def test_busy_is_merged_per_host_across_calendars_and_follows_the_selection(any_db: Database):
    connection_id, work = await _connection(any_db)
    home = work.model_copy(update={"external_id": "https://dav.example.com/ada/home/"})
    window = (NOW, NOW + timedelta(days=1))
    hour = timedelta(hours=1)
    async with any_db.transaction() as session:
        await store.save_calendars(
            session,
            connection_id,
            [
                ConnectedCalendar(connection_id=connection_id, external_id=work.external_id, name="w"),
                ConnectedCalendar(connection_id=connection_id, external_id=home.external_id, name="h"),
            ],
        )
        await store.record_success(session, connection_id, NOW)
        await store.select_calendar(session, 1, work)
        await store.select_calendar(session, 1, home)
        states = await store.sync_states(session, connection_id, [work.external_id, home.external_id])
        spans = {
            work.external_id: [(NOW + 2 * hour, NOW + 3 * hour), (NOW + 6 * hour, NOW + 7 * hour)],
            home.external_id: [(NOW + 2.5 * hour, NOW + 4 * hour), (NOW + 3 * hour, NOW + 3.5 * hour)],
        }
        for state in states:
            events = [store.StoredEvent(f"e{i}", None, "", [span]) for i, span in enumerate(spans[state.external_id])]
            await store.apply_sync(
                session, state, 1, token="t", ctag="c", full=True, changed=events, deleted=[], now=NOW
            )
    async with any_db.sessions() as session:
        busy = (await store.busy_by_host(session, [1], *window, NOW))[1]
        # One row set per host: overlapping events of both calendars come back as one interval.
        assert sorted((b.start, b.end) for b in busy) == [
            (NOW + 2 * hour, NOW + 4 * hour),
            (NOW + 6 * hour, NOW + 7 * hour),
        ]
        assert {b.ref for b in busy} == {f"calendar {work.external_id}"}
    async with any_db.transaction() as session:
        assert await store.unselect_calendar(session, 1, work)
    async with any_db.sessions() as session:
        busy = (await store.busy_by_host(session, [1], *window, NOW))[1]
        assert sorted((b.start, b.end) for b in busy) == [(NOW + 2.5 * hour, NOW + 4 * hour)]
    async with any_db.transaction() as session:
        await store.delete_connection(session, connection_id)
    async with any_db.sessions() as session:
        assert (await store.busy_by_host(session, [1], *window, NOW))[1] == []
        assert await session.scalar(select(func.count()).select_from(store.HostBusyRow)) == 0  # the row is gone


async def test_references_follow_the_booking(any_db: Database):
    reference = BookingReference(
        booking_uid="b1",
        type="caldav_calendar",
        uid="/ada/work/b1%40bookflow.ics",
        ical_uid="b1@bookflow",
        external_calendar_id="/ada/work/",
        credential_id=1,
    )
    async with any_db.transaction() as session:
        await store.save_reference(session, reference, NOW)
        await store.save_reference(session, reference.model_copy(update={"deleted": True}), NOW)
    async with any_db.sessions() as session:
        assert await store.references_of(session, "b1") == [reference.model_copy(update={"deleted": True})]


async def test_disconnect_removes_everything_the_connection_held(any_db: Database):
    connection_id, ref = await _connection(any_db)
    async with any_db.transaction() as session:
        await store.select_calendar(session, 1, ref)
        await store.set_destination(session, ref, user_id=1)
        await store.delete_connection(session, connection_id)
    async with any_db.sessions() as session:
        assert await store.list_connections(session) == []
        assert await store.selected_of(session, [1]) == []
        assert await store.destination_for(session, 1) is None
