"""Outlook (Microsoft Graph) end to end through msgraph-sdk against the emulator, with the real worker.

The connection is stored as the OAuth save step stores it (tokens sealed, the access token stale so the
first call refreshes it and the rotated refresh token must be kept); selecting, the destination, slots and
the booking's event go through Cal.com's routes and the booking's workflow, as for CalDAV and Google.
"""

from datetime import UTC, datetime
from typing import Any

from domain.calendars import BookingReference
from store import calendars
from testkit.graph import GraphEmulator
from testkit.stack import Stack, event_type, eventually, seed
from tests.calendars.test_end_to_end import at, slot_hours

WORK = "AAMkWork"


async def connect_graph(stack: Stack, graph: GraphEmulator, calendar: str = WORK) -> int:
    credentials = {
        "access_token": "stale-token",
        "refresh_token": graph.refresh_token,
        "token_uri": graph.token_uri,
        "client_id": graph.client_id,
        "client_secret": graph.client_secret,
    }
    async with stack.db.transaction() as session:
        connection = await calendars.add_connection(
            session, 1, "office365_calendar", graph.api_root, credentials, datetime.now(UTC)
        )
    async with stack.as_(stack.keys.owner) as http:
        assert (await http.get("/v2/calendars/office365/check")).status_code == 200
        selection = {"integration": "office365_calendar", "externalId": calendar, "credentialId": connection.id}
        assert (await http.post("/v2/selected-calendars", json=selection)).status_code == 201
        destination = {"integration": "office365_calendar", "externalId": calendar}
        assert (await http.put("/v2/destination-calendars", json=destination)).status_code == 200
    return connection.id


def ours(graph: GraphEmulator) -> list[dict[str, Any]]:
    return [e for e in graph.live(WORK) if str(e.get("transactionId", "")).endswith("@bookflow")]


async def test_outlook_busy_time_and_destination_events(stack: Stack):
    with GraphEmulator(calendars={"AAMkCal": "Calendar", WORK: "Work"}) as graph:
        await seed(stack.db, event_type(1, length_in_minutes=30))
        graph.put_external(
            WORK,
            {
                "id": "dentist",
                "start": {"dateTime": at(10).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
                "end": {"dateTime": at(11).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
            },
        )
        credential = await connect_graph(stack, graph)
        async with stack.db.sessions() as session:
            stored = await calendars.credentials_of(session, credential)
        # The refresh rotated both tokens; both were kept (sealed), or the next refresh would fail.
        assert stored["access_token"] == graph.access_token and stored["refresh_token"] == graph.refresh_token

        hours = await slot_hours(stack)
        assert (9, 30) in hours and (10, 0) not in hours and (10, 30) not in hours and (11, 0) in hours

        booked = await stack.book(1, at(14))

        async def mine() -> list[dict[str, Any]]:
            return ours(graph)

        [event] = await eventually(mine, lambda found: len(found) == 1)
        assert event["transactionId"] == f"{booked['uid']}@bookflow"

        async def references() -> list[BookingReference]:
            async with stack.db.sessions() as session:
                return await calendars.references_of(session, booked["uid"])

        [reference] = await eventually(references, lambda found: len(found) == 1)
        assert reference.uid == event["id"] and reference.type == "office365_calendar"
        assert (14, 0) not in await slot_hours(stack)  # held by the booking (its own event is not double-counted)

        async with stack.as_(None) as http:
            moved = await http.post(f"/v2/bookings/{booked['uid']}/reschedule", json={"start": at(15).isoformat()})
            assert moved.status_code == 201, moved.text
            [event] = await eventually(
                mine,
                lambda found: len(found) == 1 and found[0]["start"]["dateTime"].startswith(at(15).isoformat()[:16]),
            )
            assert graph.calls("PATCH", f"/me/events/{reference.uid}") >= 1  # moved in place, same event
            cancelled = await http.post(f"/v2/bookings/{moved.json()['data']['uid']}/cancel", json={})
            assert cancelled.status_code == 200, cancelled.text
        await eventually(mine, lambda found: found == [])
        assert [e["id"] for e in graph.live(WORK)] == ["dentist"]
        assert graph.calls("POST", f"/me/calendars/{WORK}/events") == 1  # one event for the meeting's life


async def test_the_event_types_destination_calendar_wins_over_the_users(stack: Stack):
    with GraphEmulator(calendars={"AAMkCal": "Calendar", WORK: "Work"}) as graph:
        # The user's destination is the default calendar; the event type names Work, through the API.
        await connect_graph(stack, graph, calendar="AAMkCal")
        await seed(stack.db, event_type(1, length_in_minutes=30))
        async with stack.as_(stack.keys.owner) as http:
            current = (await http.get("/v2/event-types/1")).json()["data"]
            assert "destinationCalendar" not in current  # unset: left out, as Cal.com does
            body = {"destinationCalendar": {"integration": "office365_calendar", "externalId": WORK}}
            patched = await http.patch("/v2/event-types/1", json=body)
            assert patched.status_code == 200, patched.text
            assert patched.json()["data"]["destinationCalendar"] == body["destinationCalendar"]
        booked = await stack.book(1, at(13))

        async def mine() -> list[dict[str, Any]]:
            return ours(graph)

        [event] = await eventually(mine, lambda found: len(found) == 1)
        assert event["transactionId"] == f"{booked['uid']}@bookflow"
        assert graph.live("AAMkCal") == []  # not in the user's destination
