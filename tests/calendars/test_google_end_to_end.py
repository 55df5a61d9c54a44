"""Google Calendar end to end through google-api-python-client against the emulator, with the real worker.

The connection is stored as the OAuth save step would store it (tokens sealed); selecting, the destination,
slots and the booking's event go through Cal.com's routes and the booking's workflow, as for CalDAV.
"""

from datetime import UTC, datetime
from typing import Any

from store import calendars
from testkit.google_calendar import GoogleCalendarEmulator
from testkit.stack import Stack, event_type, eventually, seed
from tests.calendars.test_end_to_end import at, slot_hours


async def _connect(stack: Stack, google: GoogleCalendarEmulator) -> int:
    credentials = {
        "access_token": "stale-token",  # expired: the first call refreshes it
        "refresh_token": google.refresh_token,
        "token_uri": google.token_uri,
        "client_id": "bookflow",
        "client_secret": "client-secret",
    }
    async with stack.db.transaction() as session:
        connection = await calendars.add_connection(
            session, 1, "google_calendar", google.api_root, credentials, datetime.now(UTC)
        )
    async with stack.as_(stack.keys.owner) as http:
        assert (await http.get("/v2/calendars/google/check")).status_code == 200
        selection = {"integration": "google_calendar", "externalId": "primary", "credentialId": connection.id}
        assert (await http.post("/v2/selected-calendars", json=selection)).status_code == 201
        destination = {"integration": "google_calendar", "externalId": "primary"}
        assert (await http.put("/v2/destination-calendars", json=destination)).status_code == 200
    return connection.id


def _ours(google: GoogleCalendarEmulator) -> list[dict[str, Any]]:
    return [
        e
        for e in google.events.get("primary", {}).values()
        if e["status"] != "cancelled" and "bookflowUid" in e.get("extendedProperties", {}).get("private", {})
    ]


async def test_google_busy_time_and_destination_events(stack: Stack):
    with GoogleCalendarEmulator(calendars={"primary": "Ada"}) as google:
        await seed(stack.db, event_type(1, length_in_minutes=30))
        busy = {"start": {"dateTime": at(10).isoformat()}, "end": {"dateTime": at(11).isoformat()}}
        google.put_external("primary", {"id": "dentist", **busy})
        credential = await _connect(stack, google)
        async with stack.db.sessions() as session:
            stored = await calendars.credentials_of(session, credential)
        assert stored["access_token"] == google.access_token != "stale-token"  # the refreshed token was kept

        hours = await slot_hours(stack)
        assert (9, 30) in hours and (10, 0) not in hours and (11, 0) in hours

        booked = await stack.book(1, at(14))

        async def ours() -> list[dict[str, Any]]:
            return _ours(google)

        [event] = await eventually(ours, lambda found: len(found) == 1)
        assert event["extendedProperties"]["private"]["bookflowUid"] == f"{booked['uid']}@bookflow"
        async with stack.as_(None) as http:
            moved = await http.post(f"/v2/bookings/{booked['uid']}/reschedule", json={"start": at(15).isoformat()})
            assert moved.status_code == 201, moved.text
            [event] = await eventually(
                ours,
                lambda found: len(found) == 1 and found[0]["start"]["dateTime"].startswith(at(15).isoformat()[:16]),
            )
            assert event["sequence"] == 1
            cancelled = await http.post(f"/v2/bookings/{moved.json()['data']['uid']}/cancel", json={})
            assert cancelled.status_code == 200, cancelled.text
        await eventually(ours, lambda found: found == [])
        # One event for the meeting's whole life (the reschedule's insert met 409 and updated it).
        assert [e["id"] for e in google.events["primary"].values() if e["id"] != "dentist"] == [event["id"]]


async def test_an_outage_delays_the_write_shows_the_error_and_loses_nothing(stack: Stack):
    with GoogleCalendarEmulator(calendars={"primary": "Ada"}) as google:
        await seed(stack.db, event_type(1, length_in_minutes=30))
        credential = await _connect(stack, google)
        google.faults = [500] * 1000  # Google answers 500 until further notice
        booked = await stack.book(1, at(13))

        async def connection() -> dict[str, Any]:
            async with stack.as_(stack.keys.owner) as http:
                [entry] = (await http.get("/v2/calendars")).json()["data"]["connectedCalendars"]
            return entry

        failing = await eventually(connection, lambda c: c["syncErrorCount"] >= 1, timeout=60)
        assert failing["credentialId"] == credential and "500" in failing["error"] and failing["syncErrorAt"]
        assert _ours(google) == []
        google.faults.clear()  # the outage ends: the retried write lands, once

        async def ours() -> list[dict[str, Any]]:
            return _ours(google)

        [event] = await eventually(ours, lambda found: len(found) == 1, timeout=120)
        assert event["extendedProperties"]["private"]["bookflowUid"] == f"{booked['uid']}@bookflow"
        recovered = await connection()
        assert recovered["status"] == "ok" and recovered["syncErrorCount"] == 0
