"""Outlook when things go wrong: an outage delays the write and loses nothing; replies lost past the SDK's own
retries make no second event; the periodic sync follows BOOKFLOW_CALENDAR_SYNC_INTERVAL_SECONDS.

Short intervals stand in for long ones: the outage lasts until the first failure is recorded (not 10 real
minutes; the write retries with backoff for up to a day, so a longer outage only waits longer), and the
sync interval is set to 1 second.
"""

import dataclasses
from typing import Any

import httpx
import pytest

from api.app import create_app
from domain.calendars import BookingReference
from store import calendars
from testkit.graph import GraphEmulator
from testkit.stack import Stack, api_context, event_type, eventually, seed
from tests.calendars.test_end_to_end import at, slot_hours
from tests.calendars.test_graph_end_to_end import WORK, connect_graph, ours


async def _connection(stack: Stack) -> dict[str, Any]:
    async with stack.as_(stack.keys.owner) as http:
        [entry] = (await http.get("/v2/calendars")).json()["data"]["connectedCalendars"]
    return entry


async def test_an_outage_delays_the_write_shows_the_error_and_loses_nothing(stack: Stack):
    with GraphEmulator(calendars={"AAMkCal": "Calendar", WORK: "Work"}) as graph:
        await seed(stack.db, event_type(1, length_in_minutes=30))
        credential = await connect_graph(stack, graph)
        graph.faults = [500] * 10_000  # Graph answers 500 until further notice
        booked = await stack.book(1, at(13))

        failing = await eventually(lambda: _connection(stack), lambda c: c["syncErrorCount"] >= 2, timeout=60)
        assert failing["credentialId"] == credential and "500" in failing["error"] and failing["syncErrorAt"]
        assert ours(graph) == []
        graph.faults.clear()  # the outage ends: the retried write lands, once

        [event] = await eventually(lambda: _async(ours(graph)), lambda found: len(found) == 1, timeout=120)
        assert event["transactionId"] == f"{booked['uid']}@bookflow"
        await eventually(
            lambda: _connection(stack), lambda c: c["status"] == "ok" and c["syncErrorCount"] == 0, timeout=30
        )


async def test_replies_lost_past_the_sdks_retries_make_no_second_event(stack: Stack):
    with GraphEmulator(calendars={"AAMkCal": "Calendar", WORK: "Work"}) as graph:
        await seed(stack.db, event_type(1, length_in_minutes=30))
        await connect_graph(stack, graph)
        # Every POST takes effect but its answer is lost: the SDK's RetryHandler posts 3 more times, gives up,
        # and the activity fails; Temporal retries the activity, whose POST finally gets its answer.
        graph.lost_replies = 5
        booked = await stack.book(1, at(16))

        async def written() -> list[BookingReference]:
            async with stack.db.sessions() as session:
                return await calendars.references_of(session, booked["uid"])

        [reference] = await eventually(written, lambda found: len(found) == 1, timeout=90)
        assert graph.lost_replies == 0 and graph.calls("POST", f"/me/calendars/{WORK}/events") == 6
        [event] = ours(graph)
        assert reference.uid == event["id"]
        assert event["transactionId"] == f"{booked['uid']}@bookflow"
        assert len(graph.live(WORK)) == 1


async def test_the_sync_interval_setting_drives_the_periodic_sync(stack: Stack, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("BOOKFLOW_CALENDAR_SYNC_INTERVAL_SECONDS", "1")
    app = create_app(api_context(stack.client, stack.db, stack.task_queue))
    api = dataclasses.replace(stack, transport=httpx.ASGITransport(app=app))
    with GraphEmulator(calendars={"AAMkCal": "Calendar", WORK: "Work"}) as graph:
        await seed(stack.db, event_type(1, length_in_minutes=30))
        await connect_graph(api, graph)
        assert (12, 0) in await slot_hours(api)
        graph.put_external(
            WORK,
            {
                "id": "lunch",
                "start": {"dateTime": at(12).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
                "end": {"dateTime": at(13).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
            },
        )
        # Nobody asks for a sync: the next periodic round (1 s) brings the event in.
        hours = await eventually(lambda: slot_hours(api), lambda found: (12, 0) not in found, timeout=30)
        assert (11, 30) in hours and (13, 0) in hours


async def _async(value: Any) -> Any:
    return value
