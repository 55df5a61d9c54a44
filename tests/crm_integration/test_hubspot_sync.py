"""A booking's life as ONE HubSpot meeting, through the API, the workflow and hubspot-api-client."""

from datetime import UTC, timedelta
from itertools import pairwise

from crm.hubspot.meeting import hubspot_datetime
from store import crm as crm_store
from testkit.hubspot import HubSpotEmulator
from testkit.stack import Stack, eventually, soon
from tests.crm_integration.support import BOOKER, HS, PLAIN


def _meetings(hubspot: HubSpotEmulator):
    async def probe() -> list[dict]:
        return hubspot.objects("meetings", include_archived=True)

    return probe


async def _outcome(hubspot: HubSpotEmulator, outcome: str) -> dict:
    (meeting,) = await eventually(
        _meetings(hubspot), lambda ms: len(ms) == 1 and ms[0]["properties"].get("hs_meeting_outcome") == outcome
    )
    return meeting


async def _synced(org: Stack, uid: str) -> bool:
    async with org.db.sessions() as session:
        return await crm_store.get_record(session, uid, "hubspot") is not None


async def test_booking_reschedule_no_show_and_cancel_keep_one_truthful_meeting(org: Stack, hubspot):
    contact = hubspot.add_object("contacts", {"email": BOOKER, "firstname": "Bo"})
    company = hubspot.add_object("companies", {"name": "Acme", "domain": "acme.com"})
    hubspot.associate("contacts", contact, "companies", company, 1)
    start = soon(86400).replace(microsecond=0)

    booking = await org.book(HS, start, email=BOOKER)
    meeting = await _outcome(hubspot, "SCHEDULED")
    # The meeting is created first and associated after: wait until the sync step has finished.
    await eventually(lambda: _synced(org, booking["uid"]), bool)
    assert meeting["properties"]["hs_timestamp"] == hubspot_datetime(start.astimezone(UTC))
    assert meeting["properties"]["hs_meeting_start_time"] == hubspot_datetime(start)
    assert {a.to_id for a in hubspot.associations_of("meetings", meeting["id"], "companies")} == {company}
    assert {a.to_id for a in hubspot.associations_of("meetings", meeting["id"], "contacts")} == {contact}

    later = start + timedelta(days=1)
    moved = await org.http.post(f"/v2/bookings/{booking['uid']}/reschedule", json={"start": later.isoformat()})
    new_uid = moved.json()["data"]["uid"]
    meeting = await _outcome(hubspot, "RESCHEDULED")
    assert meeting["properties"]["hs_meeting_start_time"] == hubspot_datetime(later)

    absent = {"attendees": [{"email": BOOKER, "absent": True}]}
    assert (await org.http.post(f"/v2/bookings/{new_uid}/mark-absent", json=absent)).status_code == 200
    await _outcome(hubspot, "NO_SHOW")

    assert (await org.http.post(f"/v2/bookings/{new_uid}/cancel", json={})).status_code == 200
    meeting = await _outcome(hubspot, "CANCELED")
    assert meeting["archived"] is False and meeting["properties"]["hs_meeting_start_time"] == hubspot_datetime(later)
    async with org.db.sessions() as session:
        assert (await crm_store.get_record(session, new_uid, "hubspot")).external_id == meeting["id"]
        assert await crm_store.list_errors(session) == []


async def test_a_429_is_retried_by_temporal_after_its_retry_after_and_a_plain_booking_touches_no_crm(
    org: Stack, hubspot, salesforce
):
    plain = await org.book(PLAIN, soon(3 * 86400).replace(microsecond=0))
    hubspot.inject_fault("POST", "/crm/v3/objects/meetings", status=429, times=5, retry_after="1")
    booking = await org.book(HS, soon(86400).replace(microsecond=0), email="new@acme.com")
    meeting = await _outcome(hubspot, "SCHEDULED")
    await eventually(lambda: _synced(org, booking["uid"]), bool)  # the step records the meeting after it
    async with org.db.sessions() as session:
        record = await crm_store.get_record(session, booking["uid"], "hubspot")
        assert record is not None and record.external_id == meeting["id"]
        assert not await crm_store.has_steps(session, plain["uid"], "hubspot")
    posts = hubspot.requests_to("POST", "/crm/v3/objects/meetings")
    assert len(posts) == 6  # five 429s, each retried by Temporal after its Retry-After, then created
    assert all(later.at - earlier.at >= 1 for earlier, later in pairwise(posts))
    assert salesforce.calls == 0
    history = [e async for e in org.client.get_workflow_handle(plain["uid"]).fetch_history_events()]
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    assert "commit_transition" in scheduled and "crm_sync_booking" not in scheduled
    markers = [e.SerializeToString() for e in history if e.HasField("marker_recorded_event_attributes")]
    assert not any(b"crm-sync" in m for m in markers)  # no patch marker either: old histories replay
