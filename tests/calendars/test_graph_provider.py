"""The Microsoft Graph adapter through msgraph-sdk (default middleware) against the loopback emulator."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from calendars.busy import busy_intervals
from calendars.graph_provider import GraphProvider
from calendars.model import CalendarError, CredentialRejected
from testkit.graph import GraphEmulator
from tests.calendars.test_caldav_provider import START, content

WORK = "AAMkWork"


@pytest.fixture
def graph() -> Iterator[GraphEmulator]:
    with GraphEmulator(calendars={"AAMkCal": "Calendar", WORK: "Work"}) as emulator:
        yield emulator


def provider_for(graph: GraphEmulator, **overrides: str) -> GraphProvider:
    credentials = {
        "access_token": graph.access_token,
        "refresh_token": graph.refresh_token,
        "token_uri": graph.token_uri,
        "client_id": graph.client_id,
        "client_secret": graph.client_secret,
    } | overrides
    return GraphProvider(credentials, api_root=graph.api_root)


def _at(start: datetime, minutes: int = 60, **extra: object) -> dict[str, object]:
    return {
        "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
        "end": {"dateTime": (start + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
        **extra,
    }


def test_lists_calendars_through_me(graph: GraphEmulator):
    found = provider_for(graph).list_calendars()
    assert [(c.external_id, c.primary, c.read_only) for c in found] == [("AAMkCal", True, False), (WORK, False, False)]
    # The SDK builds /users/me-token-to-replace/...; its UrlReplaceHandler must have made it /me/...
    assert graph.calls("GET", "/v1.0/me/calendars") == 1


def test_a_retried_create_makes_one_event_and_a_reschedule_moves_it(graph: GraphEmulator):
    provider = provider_for(graph)
    first = provider.put_event(WORK, content("m1@bookflow"))
    again = provider.put_event(WORK, content("m1@bookflow"))  # an activity retried after a crash
    assert first.created and first.event_id == again.event_id
    [event] = graph.live(WORK)
    assert event["transactionId"] == "m1@bookflow" and event["subject"] == "Intro"
    assert event["attendees"][0]["emailAddress"]["address"] == "bo@example.com"
    moved = provider.put_event(WORK, content("m1@bookflow", 1, START + timedelta(hours=2)), first.event_id)
    assert moved.event_id == first.event_id and not moved.created
    [event] = graph.live(WORK)
    assert event["start"]["dateTime"].startswith("2026-12-10T12:00")
    provider.delete_event(WORK, first.event_id)
    provider.delete_event(WORK, first.event_id)  # 404: gone already, done
    assert graph.live(WORK) == []


def test_the_sdks_own_retry_of_a_post_makes_no_second_event(graph: GraphEmulator):
    graph.lost_replies = 1  # made, but the answer is a 503 with Retry-After: the SDK's RetryHandler posts again
    written = provider_for(graph).put_event(WORK, content("m2@bookflow"))
    assert graph.calls("POST", f"/me/calendars/{WORK}/events") == 2
    [event] = graph.live(WORK)
    assert written.event_id == event["id"]


def test_a_reschedule_with_the_reference_lost_finds_the_event_by_transaction(graph: GraphEmulator):
    provider = provider_for(graph)
    first = provider.put_event(WORK, content("m3@bookflow"))
    moved = provider.put_event(WORK, content("m3@bookflow", 1, START + timedelta(hours=3)))
    assert moved.event_id == first.event_id
    [event] = graph.live(WORK)
    assert event["start"]["dateTime"].startswith("2026-12-10T13:00")


def test_delta_sync_is_incremental_and_busy_follows_outlooks_semantics(graph: GraphEmulator):
    window = (datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC))
    graph.put_external(WORK, {"id": "busy1", **_at(START)})
    graph.put_external(WORK, {"id": "free1", **_at(START, showAs="free")})
    graph.put_external(WORK, {"id": "maybe1", **_at(START, showAs="tentative")})
    graph.put_external(WORK, {"id": "nope1", **_at(START, responseStatus={"response": "declined"})})
    # Rome time: the adapter asks for UTC (Prefer: outlook.timezone), so 09:00 Rome is 08:00Z.
    graph.put_external(
        WORK,
        {
            "id": "weekly1",
            "start": {"dateTime": "2026-11-02T09:00:00", "timeZone": "Europe/Rome"},
            "end": {"dateTime": "2026-11-02T09:30:00", "timeZone": "Europe/Rome"},
            "recurrence": {
                "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]},
                "range": {"type": "noEnd", "startDate": "2026-11-02"},
            },
        },
    )
    for n in range(60):  # more than a page: @odata.nextLink is followed
        graph.put_external(WORK, {"id": f"filler{n}", **_at(START + timedelta(days=1, hours=n % 10))})
    provider = provider_for(graph)
    full = provider.sync(WORK, None)
    assert full.full and full.token and graph.calls("GET", "skiptoken") >= 1
    blocking: dict[str, list] = {}
    for event in full.changed:
        key = event.event_id.split("_")[0]
        blocking[key] = blocking.get(key, []) + busy_intervals(event, window)
    assert len(blocking["busy1"]) == 1 and blocking["free1"] == [] and blocking["nope1"] == []
    assert blocking["maybe1"] == []  # tentative blocks only when the connection says so
    mondays = sorted(b.start for b in blocking["weekly1"])
    assert len(mondays) == 4 and mondays[0] == datetime(2026, 12, 7, 8, tzinfo=UTC)

    graph.put_external(WORK, {"id": "busy2", **_at(START + timedelta(hours=5))})
    graph.remove_external(WORK, "busy1")
    before = len(graph.requests)
    delta = provider.sync(WORK, full.token)
    assert not delta.full and [e.event_id for e in delta.changed] == ["busy2"] and delta.deleted == ["busy1"]
    assert len(graph.requests) - before == 1  # one call for a calendar with a change
    nothing = provider.sync(WORK, delta.token)
    assert nothing.changed == [] and nothing.deleted == []


def test_an_unknown_delta_token_starts_over(graph: GraphEmulator):
    graph.put_external(WORK, {"id": "busy1", **_at(START)})
    provider = provider_for(graph)
    token = provider.sync(WORK, None).token
    assert token is not None
    broken = token.replace("deltatoken=", "deltatoken=x")
    again = provider.sync(WORK, broken)
    assert again.full and [e.event_id for e in again.changed] == ["busy1"]


def test_an_expired_token_is_refreshed_and_the_rotated_refresh_token_kept(graph: GraphEmulator):
    provider = provider_for(graph)
    old_refresh = graph.refresh_token
    graph.expire()
    assert provider.list_calendars()
    kept = provider.refreshed_credentials()
    assert kept == {"access_token": graph.access_token, "refresh_token": graph.refresh_token}
    assert graph.refresh_token != old_refresh
    graph.expire()
    graph.revoked = True
    with pytest.raises(CredentialRejected):
        provider.list_calendars()


def test_an_outage_is_a_retryable_failure(graph: GraphEmulator):
    graph.faults = [500] * 5
    with pytest.raises(CalendarError) as failed:
        provider_for(graph).list_calendars()
    assert failed.value.retryable and not isinstance(failed.value, CredentialRejected)


def test_get_schedule_in_the_emulator_answers_the_sdk(graph: GraphEmulator):
    """getSchedule (mailbox-level free/busy) is emulated for the SDK's request body."""
    import asyncio

    from msgraph.generated.models.date_time_time_zone import DateTimeTimeZone
    from msgraph.generated.users.item.calendar.get_schedule.get_schedule_post_request_body import (
        GetSchedulePostRequestBody,
    )

    graph.put_external(WORK, {"id": "busy1", **_at(START)})
    provider = provider_for(graph)
    body = GetSchedulePostRequestBody(
        schedules=[graph.mail],
        start_time=DateTimeTimeZone(date_time="2026-12-10T09:00:00", time_zone="UTC"),
        end_time=DateTimeTimeZone(date_time="2026-12-10T12:00:00", time_zone="UTC"),
        availability_view_interval=60,
    )

    async def ask():
        import httpx

        async with httpx.AsyncClient() as http:
            return await provider._client(http).me.calendar.get_schedule.post(body)

    answer = asyncio.run(ask())
    assert answer is not None and answer.value[0].availability_view == "020"
