"""Calendars end to end on a real CalDAV server (Radicale) through Cal.com's routes and the real worker.

Connected through ``/v2/calendars/caldav/credentials``, selected and set as destination: an event in the
calendar removes the slots it overlaps; a booking appears in the destination calendar exactly once, moves
on reschedule (same UID, higher SEQUENCE) and disappears on cancel.
"""

import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
from icalendar import Calendar

from store import calendars
from testkit.radicale import RadicaleServer
from testkit.stack import Stack, event_type, eventually, seed
from tests.calendars.conftest import PASSWORD

DAY = (datetime.now(UTC) + timedelta(days=3)).date()


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def external_event(uid: str, start: datetime, end: datetime) -> str:
    stamp = "20260101T000000Z"
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//someone else//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:{stamp}\r\nDTSTART:{start:%Y%m%dT%H%M%SZ}\r\nDTEND:{end:%Y%m%dT%H%M%SZ}\r\n"
        "SUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


async def try_booking(stack: Stack, start: datetime) -> httpx.Response:
    """POST /v2/bookings for event type 1 at ``start``, whatever the answer."""
    attendee = {"name": "Bo", "email": "bo@example.com", "timeZone": "UTC"}
    return await stack.http.post(
        "/v2/bookings", json={"start": start.isoformat(), "eventTypeId": 1, "attendee": attendee}
    )


async def connect(stack: Stack, radicale: RadicaleServer, calendar_url: str) -> int:
    """Connect ada's CalDAV account, select the calendar and make it the destination; the credential id."""
    async with stack.as_(stack.keys.owner) as http:
        connected = await http.post(
            "/v2/calendars/caldav/credentials",
            json={"username": "ada", "password": PASSWORD, "url": radicale.url + "/"},
        )
        assert connected.status_code == 201, connected.text
        credential = connected.json()["data"]["id"]
        listed = (await http.get("/v2/calendars")).json()["data"]
        [connection] = listed["connectedCalendars"]
        assert connection["integration"]["type"] == "caldav_calendar" and connection["status"] == "ok"
        assert calendar_url in [c["externalId"] for c in connection["calendars"]]
        selected = await http.post(
            "/v2/selected-calendars",
            json={"integration": "caldav_calendar", "externalId": calendar_url, "credentialId": credential},
        )
        assert selected.status_code == 201, selected.text
        destination = await http.put(
            "/v2/destination-calendars", json={"integration": "caldav_calendar", "externalId": calendar_url}
        )
        assert destination.status_code == 200, destination.text
        listed = (await http.get("/v2/calendars")).json()["data"]
        assert listed["destinationCalendar"]["externalId"] == calendar_url
        [entry] = [c for c in listed["connectedCalendars"][0]["calendars"] if c["externalId"] == calendar_url]
        assert entry["isSelected"] is True
    return credential


async def slot_hours(stack: Stack) -> list[tuple[int, int]]:
    query = {"eventTypeId": 1, "start": DAY.isoformat(), "end": DAY.isoformat(), "timeZone": "UTC"}
    async with stack.as_(None) as http:
        response = await http.get("/v2/slots", params=query)
    assert response.status_code == 200, response.text
    starts = [datetime.fromisoformat(s["start"]) for s in response.json()["data"].get(DAY.isoformat(), [])]
    return [(s.hour, s.minute) for s in starts]


def ours(radicale: RadicaleServer, calendar_url: str) -> list:
    """The Bookflow events in the calendar, read straight from the server."""
    found = []
    for text in radicale.events(calendar_url, "ada").values():
        found += [e for e in Calendar.from_ical(text).walk("VEVENT") if str(e["uid"]).endswith("@bookflow")]
    return found


async def test_busy_time_removes_slots_and_bookings_follow_into_the_calendar(stack: Stack, radicale: RadicaleServer):
    calendar_url = radicale.make_calendar("ada", f"work-{uuid.uuid4().hex[:8]}")
    await seed(stack.db, event_type(1, length_in_minutes=30))
    radicale.put_event(calendar_url, "dentist", external_event("dentist", at(10), at(11)), "ada")
    credential = await connect(stack, radicale, calendar_url)

    hours = await slot_hours(stack)
    assert (9, 30) in hours and (11, 0) in hours
    assert (10, 0) not in hours and (10, 30) not in hours and (9, 45) not in hours

    async with stack.as_(stack.keys.owner) as http:
        busy = await http.get(
            "/v2/calendars/busy-times",
            params={
                "loggedInUsersTz": "UTC",
                "dateFrom": DAY.isoformat(),
                "dateTo": DAY.isoformat(),
                "credentialId": credential,
                "externalId": calendar_url,
            },
        )
    assert busy.status_code == 200, busy.text
    assert [(datetime.fromisoformat(b["start"]), datetime.fromisoformat(b["end"])) for b in busy.json()["data"]] == [
        (at(10), at(11))
    ]
    refused = await try_booking(stack, at(10, 30))
    assert refused.status_code == 400, refused.text

    booked = await stack.book(1, at(14))
    [event] = await eventually(lambda: our_events(radicale, calendar_url), lambda found: len(found) == 1)
    assert str(event["uid"]) == f"{booked['uid']}@bookflow"
    assert event["dtstart"].dt == at(14)

    async with stack.as_(None) as http:
        moved = await http.post(f"/v2/bookings/{booked['uid']}/reschedule", json={"start": at(15).isoformat()})
    assert moved.status_code == 201, moved.text
    new_uid = moved.json()["data"]["uid"]
    [event] = await eventually(
        lambda: our_events(radicale, calendar_url), lambda found: len(found) == 1 and found[0]["dtstart"].dt == at(15)
    )
    assert str(event["uid"]) == f"{booked['uid']}@bookflow"  # the same event moved
    assert int(event["sequence"]) == 1

    async with stack.as_(None) as http:
        cancelled = await http.post(f"/v2/bookings/{new_uid}/cancel", json={"cancellationReason": "ill"})
    assert cancelled.status_code == 200, cancelled.text
    await eventually(lambda: our_events(radicale, calendar_url), lambda found: found == [])
    # The meeting's events were all written by one workflow, in order: created, moved, deleted.
    assert len(radicale.events(calendar_url, "ada")) == 1  # the dentist stays


async def our_events(radicale: RadicaleServer, calendar_url: str) -> list:
    """``ours`` for ``eventually``."""
    return ours(radicale, calendar_url)


async def test_the_booking_time_check_refreshes_a_stale_copy_first(stack: Stack, radicale: RadicaleServer):
    calendar_url = radicale.make_calendar("ada", f"work-{uuid.uuid4().hex[:8]}")
    await seed(stack.db, event_type(1, length_in_minutes=30))
    credential = await connect(stack, radicale, calendar_url)
    radicale.put_event(calendar_url, "walk-in", external_event("walk-in", at(11), at(12)), "ada")
    assert (11, 0) in await slot_hours(stack)  # slots read only the stored copy: no provider call there
    async with stack.db.transaction() as session:  # the copy is two minutes old
        row = await session.get(calendars.ConnectionRow, credential)
        row.last_sync_at = datetime.now(UTC) - timedelta(minutes=2)
    refused = await try_booking(stack, at(11))
    assert refused.status_code == 400, refused.text
    assert (11, 0) not in await slot_hours(stack)
