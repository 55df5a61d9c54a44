"""HubSpot booking sync through hubspot-api-client against the loopback emulator.

A booking, its reschedule, cancellation and no-show leave ONE meeting with the right start,
associations and outcome at each step.
"""

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.crm import CrmAction, CrmActivities, CrmSyncRequest
from activities.crm_providers import HubSpotClient
from crm.hubspot.errors import HubSpotError
from crm.hubspot.sync import HubSpotBookingSync, HubSpotSyncOptions
from domain.booking import Attendee
from testkit.hubspot import HubSpotEmulator
from tests.crm.hubspot_support import CREATED, START, TOKEN, connect, make_booking

MEETINGS = "/crm/v3/objects/meetings"


@pytest.fixture
def emulator() -> Iterator[HubSpotEmulator]:
    with HubSpotEmulator(access_token=TOKEN) as emu:
        yield emu


def _crm_of_ada(emulator: HubSpotEmulator) -> dict[str, str]:
    """Ada's contact with a primary and a secondary company, an open and a closed deal."""
    ids = {
        "contact": emulator.add_object("contacts", {"email": "ada@acme.com", "firstname": "Ada"}),
        "primary": emulator.add_object("companies", {"name": "Acme", "domain": "acme.com"}),
        "other": emulator.add_object("companies", {"name": "Side gig"}),
        "open": emulator.add_object("deals", {"dealname": "Acme expansion", "hs_is_closed": "false"}),
        "closed": emulator.add_object("deals", {"dealname": "Acme 2029", "hs_is_closed": "true"}),
    }
    emulator.associate("contacts", ids["contact"], "companies", ids["primary"], 1)
    emulator.associate("contacts", ids["contact"], "companies", ids["other"], 279)
    emulator.associate("contacts", ids["contact"], "deals", ids["open"], 4)
    emulator.associate("contacts", ids["contact"], "deals", ids["closed"], 4)
    return ids


def _only_meeting(emulator: HubSpotEmulator) -> dict:
    (meeting,) = emulator.objects("meetings", include_archived=True)
    assert meeting["archived"] is False
    return meeting


def _linked(emulator: HubSpotEmulator, meeting_id: str, to_type: str) -> set[str]:
    return {a.to_id for a in emulator.associations_of("meetings", meeting_id, to_type)}


async def test_create_reschedule_cancel_no_show_keep_one_truthful_meeting(emulator: HubSpotEmulator) -> None:
    ids = _crm_of_ada(emulator)
    sync = HubSpotBookingSync(connect(emulator), HubSpotSyncOptions(associate_open_deal=True))
    booking = make_booking()

    created = await sync.on_created(booking)

    meeting = _only_meeting(emulator)
    assert created.external_id == meeting["id"] and created.errors == []
    assert created.person_ids == [ids["contact"]]
    props = meeting["properties"]
    # The start, not the creation time, on the timeline (Cal.com sends Date.now()).
    assert props["hs_timestamp"] == props["hs_meeting_start_time"] == "2030-03-04T15:30:00.000Z"
    assert props["hs_meeting_end_time"] == "2030-03-04T16:00:00.000Z"
    assert props["hs_meeting_outcome"] == "SCHEDULED"
    assert props["hs_meeting_title"] == booking.title
    assert props["hs_meeting_location"] == "https://meet.example/abc"
    assert "Europe/London" in props["hs_meeting_body"]
    assert "Bring &lt;b&gt;numbers&lt;/b&gt;" in props["hs_meeting_body"]  # notes, escaped
    assert "company_size:</b> 51-200" in props["hs_meeting_body"]  # booking answers
    (sent,) = emulator.requests_to("POST", MEETINGS)
    assert sent.body["properties"]["hs_timestamp"] == "2030-03-04T15:30:00.000Z"
    assert sent.body["properties"]["bookflow_booking_uid"] == booking.uid
    assert _linked(emulator, meeting["id"], "contacts") == {ids["contact"]}
    assert _linked(emulator, meeting["id"], "companies") == {ids["primary"]}
    assert _linked(emulator, meeting["id"], "deals") == {ids["open"]}
    types = {a.to_type: a.type_id for a in emulator.associations_of("meetings", meeting["id"], "contacts")}
    assert types == {"contacts": 200}

    moved = booking.model_copy(
        update={"start": START + timedelta(days=2), "end": START + timedelta(days=2, minutes=45)}
    )
    rescheduled = await sync.on_rescheduled(moved, created.external_id)

    meeting = _only_meeting(emulator)
    assert rescheduled.external_id == meeting["id"] == created.external_id
    assert meeting["properties"]["hs_timestamp"] == "2030-03-06T15:30:00.000Z"
    assert meeting["properties"]["hs_meeting_end_time"] == "2030-03-06T16:15:00.000Z"
    assert meeting["properties"]["hs_meeting_outcome"] == "RESCHEDULED"
    assert _linked(emulator, meeting["id"], "companies") == {ids["primary"]}

    cancelled = await sync.on_cancelled(moved, created.external_id)

    meeting = _only_meeting(emulator)  # kept, not archived as Cal.com does
    assert cancelled.external_id == meeting["id"] and not cancelled.deleted
    assert meeting["properties"]["hs_meeting_outcome"] == "CANCELED"
    assert meeting["properties"]["hs_timestamp"] == "2030-03-06T15:30:00.000Z"
    assert emulator.requests_to("DELETE", MEETINGS + "/.*") == []

    absent = moved.model_copy(update={"attendees": [moved.attendees[0].model_copy(update={"absent": True})]})
    await sync.on_no_show(absent, created.external_id)

    meeting = _only_meeting(emulator)
    assert meeting["properties"]["hs_meeting_outcome"] == "NO_SHOW"
    assert "ada@acme.com" in meeting["properties"]["hs_internal_meeting_notes"]
    assert meeting["properties"]["hs_timestamp"] == "2030-03-06T15:30:00.000Z"


async def test_booking_made_by_rescheduling_moves_the_original_meeting(emulator: HubSpotEmulator) -> None:
    sync = HubSpotBookingSync(connect(emulator))
    first = await sync.on_created(make_booking())
    new = make_booking(uid="bkg-uid-2", from_reschedule="bkg-uid-1", start=START + timedelta(hours=3))

    second = await sync.on_created(new)

    meeting = _only_meeting(emulator)
    assert second.external_id == first.external_id == meeting["id"]
    assert meeting["properties"]["hs_meeting_outcome"] == "RESCHEDULED"
    assert meeting["properties"]["hs_meeting_start_time"] == "2030-03-04T18:30:00.000Z"
    assert meeting["properties"]["bookflow_booking_uid"] == "bkg-uid-2"


async def test_missing_contacts_are_created_with_first_and_last_name(emulator: HubSpotEmulator) -> None:
    known = emulator.add_object("contacts", {"email": "ada@acme.com"})
    booking = make_booking(
        attendees=[
            Attendee(name="Ada Lovelace", email="ada@acme.com"),
            Attendee(name="Grace Brewster Hopper", email="Grace@Navy.com"),
        ],
        guests=["guest@navy.com"],
    )

    result = await HubSpotBookingSync(connect(emulator)).on_created(booking)

    contacts = {c["properties"]["email"]: c for c in emulator.objects("contacts")}
    grace = contacts["grace@navy.com"]["properties"]
    assert (grace["firstname"], grace["lastname"]) == ("Grace", "Brewster Hopper")
    assert "guest@navy.com" in contacts
    (create,) = emulator.requests_to("POST", "/crm/v3/objects/contacts/batch/create")
    assert sorted(i["properties"]["email"] for i in create.body["inputs"]) == ["grace@navy.com", "guest@navy.com"]
    assert set(result.person_ids) == {c["id"] for c in contacts.values()}
    assert known in result.person_ids
    assert _linked(emulator, result.external_id, "contacts") == set(result.person_ids)


async def test_contact_creation_can_be_turned_off_and_guests_ignored(emulator: HubSpotEmulator) -> None:
    known = emulator.add_object("contacts", {"email": "ada@acme.com"})
    booking = make_booking(
        attendees=[Attendee(name="Ada", email="ada@acme.com"), Attendee(name="Bo Bell", email="bo@x.com")],
        guests=["guest@x.com"],
    )
    options = HubSpotSyncOptions(create_contacts=False, include_guests=False)

    result = await HubSpotBookingSync(connect(emulator), options).on_created(booking)

    assert emulator.requests_to("POST", "/crm/v3/objects/contacts/batch/create") == []
    (read,) = emulator.requests_to("POST", "/crm/v3/objects/contacts/batch/read")
    assert sorted(i["id"] for i in read.body["inputs"]) == ["ada@acme.com", "bo@x.com"]
    assert result.person_ids == [known]
    assert _linked(emulator, result.external_id, "contacts") == {known}


async def test_batches_hold_at_most_100_inputs(emulator: HubSpotEmulator) -> None:
    attendees = [Attendee(name=f"Person {i}", email=f"p{i}@crowd.com") for i in range(150)]

    result = await HubSpotBookingSync(connect(emulator)).on_created(make_booking(attendees=attendees))

    for path in ("/crm/v3/objects/contacts/batch/read", "/crm/v3/objects/contacts/batch/create"):
        sizes = [len(r.body["inputs"]) for r in emulator.requests_to("POST", path)]
        assert sizes == [100, 50], path
    linked = emulator.requests_to("POST", "/crm/v4/associations/meetings/contacts/batch/create")
    assert [len(r.body["inputs"]) for r in linked] == [100, 50]
    assert len(_linked(emulator, result.external_id, "contacts")) == 150


async def test_a_repeated_create_finds_the_meeting_instead_of_duplicating(emulator: HubSpotEmulator) -> None:
    _crm_of_ada(emulator)
    booking = make_booking()

    first = await HubSpotBookingSync(connect(emulator)).on_created(booking)
    # A retried activity runs on a fresh worker: a new sync object, same booking.
    again = await HubSpotBookingSync(connect(emulator)).on_created(booking)

    assert again.external_id == first.external_id
    assert len(emulator.objects("meetings", include_archived=True)) == 1
    assert len(emulator.requests_to("POST", MEETINGS)) == 1
    assert len(emulator.requests_to("POST", "/crm/v3/properties/meetings")) == 1  # key property made once
    search = emulator.requests_to("POST", MEETINGS + "/search")[-1]
    (flt,) = search.body["filterGroups"][0]["filters"]
    assert (flt["propertyName"], flt["operator"], flt["values"]) == ("bookflow_booking_uid", "IN", [booking.uid])


async def test_retry_after_a_failure_midway_converges_on_one_complete_meeting(emulator: HubSpotEmulator) -> None:
    ids = _crm_of_ada(emulator)
    emulator.inject_fault("POST", "/crm/v4/associations/meetings/companies/batch/create", 500)
    sync = HubSpotBookingSync(connect(emulator))

    with pytest.raises(HubSpotError) as caught:
        await sync.on_created(make_booking())
    assert caught.value.retryable and caught.value.status == 500
    assert caught.value.error.code == "INTERNAL_ERROR"

    result = await sync.on_created(make_booking())

    meeting = _only_meeting(emulator)
    assert result.external_id == meeting["id"]
    assert _linked(emulator, meeting["id"], "contacts") == {ids["contact"]}
    assert _linked(emulator, meeting["id"], "companies") == {ids["primary"]}


async def test_a_429_is_raised_at_once_with_its_retry_after_and_the_retry_converges(
    emulator: HubSpotEmulator,
) -> None:
    emulator.inject_fault("POST", MEETINGS, 429, times=1, retry_after="120")
    sync = HubSpotBookingSync(connect(emulator))

    clock = time.monotonic()
    with pytest.raises(HubSpotError) as caught:
        await sync.on_created(make_booking())

    # Not waited in place: the wait travels with the error to the activity's retry policy.
    assert time.monotonic() - clock < 60
    assert caught.value.retryable and caught.value.retry_after == 120.0
    assert caught.value.error.code == "RATE_LIMITS"
    assert len(emulator.requests_to("POST", MEETINGS)) == 1

    result = await sync.on_created(make_booking())  # what Temporal's retry runs

    refused, accepted = emulator.requests_to("POST", MEETINGS)
    assert refused.body == accepted.body
    assert _only_meeting(emulator)["id"] == result.external_id


async def test_a_spent_request_budget_is_raised_with_the_wait_not_slept(emulator: HubSpotEmulator) -> None:
    connection = connect(emulator, max_requests_per_10s=2)
    _crm_of_ada(emulator)

    with pytest.raises(HubSpotError) as caught:
        await HubSpotBookingSync(connection).on_created(make_booking())

    assert caught.value.retryable and caught.value.error.code == "RATE_LIMITS"
    assert caught.value.retry_after is not None and 0 < caught.value.retry_after <= 10
    assert len(emulator.requests) == 2  # the budget, and not one request more


async def test_the_activity_hands_hubspots_retry_after_to_temporal(emulator: HubSpotEmulator, sqlite_db) -> None:
    emulator.inject_fault("POST", MEETINGS, 429, times=1, retry_after="42")
    activities = CrmActivities(sqlite_db, "hubspot", HubSpotClient(connect(emulator)))
    request = CrmSyncRequest(step_id="s-1", provider="hubspot", action=CrmAction.CREATED, booking=make_booking())

    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(activities.sync_booking, request)

    assert caught.value.type == "CrmUnavailable" and not caught.value.non_retryable
    assert caught.value.next_retry_delay == timedelta(seconds=42)
    outcome = await ActivityEnvironment().run(activities.sync_booking, request)
    assert outcome.external_id == _only_meeting(emulator)["id"]


async def test_client_errors_are_raised_not_swallowed(emulator: HubSpotEmulator) -> None:
    emulator.inject_fault("POST", MEETINGS, 403)
    with pytest.raises(HubSpotError) as caught:
        await HubSpotBookingSync(connect(emulator)).on_created(make_booking())
    assert not caught.value.retryable
    assert caught.value.error.provider == "hubspot" and "create meeting" in caught.value.error.message


async def test_meeting_deleted_in_hubspot_is_recreated_and_reported(emulator: HubSpotEmulator) -> None:
    sync = HubSpotBookingSync(connect(emulator))
    first = await sync.on_created(make_booking())
    with emulator._lock:
        emulator.state.objects["meetings"][first.external_id]["archived"] = True

    result = await sync.on_cancelled(make_booking(), first.external_id)

    (meeting,) = emulator.objects("meetings")
    assert result.external_id == meeting["id"] != first.external_id
    assert meeting["properties"]["hs_meeting_outcome"] == "CANCELED"
    assert [e.code for e in result.errors] == ["OBJECT_NOT_FOUND"]


async def test_created_time_is_not_the_timestamp(emulator: HubSpotEmulator) -> None:
    booking = make_booking()
    await HubSpotBookingSync(connect(emulator)).on_created(booking)
    props = _only_meeting(emulator)["properties"]
    assert props["hs_timestamp"] != CREATED.isoformat()
    assert props["hs_timestamp"] != props["createdate"]
