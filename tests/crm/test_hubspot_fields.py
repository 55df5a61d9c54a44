"""Configured property writes on HubSpot meetings and contacts: values, validation, refusals."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from pydantic import ValidationError

from crm.hubspot.sync import HubSpotBookingSync, HubSpotSyncOptions
from crm.mappings import FieldMappings
from testkit.hubspot import HubSpotEmulator, PropertyDef
from tests.crm.hubspot_support import START, TOKEN, connect, make_booking

MEETINGS = "/crm/v3/objects/meetings"


@pytest.fixture
def emulator() -> Iterator[HubSpotEmulator]:
    with HubSpotEmulator(access_token=TOKEN) as emu:
        emu.add_property("meetings", PropertyDef("last_booking_status"))
        emu.add_property("meetings", PropertyDef("booked_for", "datetime", "date"))
        emu.add_property("meetings", PropertyDef("booked_day", "date", "date"))
        emu.add_property("meetings", PropertyDef("cancelled_on", "date", "date"))
        emu.add_property("meetings", PropertyDef("first_source"))
        emu.add_property("meetings", PropertyDef("team_size", "enumeration", "select", ("1-50", "51-200", "200+")))
        emu.add_property("contacts", PropertyDef("last_booking_status"))
        yield emu


def _options(*mappings: dict) -> HubSpotSyncOptions:
    return HubSpotSyncOptions(mappings=FieldMappings.model_validate({"mappings": list(mappings)}))


def _event(field: str, type_: str, value: str | bool, on: str = "booking", when: str = "every_booking") -> dict:
    return {"on": on, "object": "event", "field": field, "type": type_, "value": value, "when": when}


async def test_mapped_values_are_written_with_the_meeting(emulator: HubSpotEmulator) -> None:
    options = _options(
        _event("last_booking_status", "text", "Booked"),
        _event("booked_for", "datetime", "booking_start_date"),
        _event("booked_day", "date", "booking_created_date"),
        _event("team_size", "picklist", "{company_size}"),
        _event("first_source", "text", "{utm:source}"),  # no utm on the booking: skipped, not blank
        {"on": "booking", "object": "person", "field": "last_booking_status", "type": "text", "value": "Booked"},
    )

    result = await HubSpotBookingSync(connect(emulator), options).on_created(make_booking())

    assert result.errors == []
    (sent,) = emulator.requests_to("POST", MEETINGS)
    props = sent.body["properties"]
    assert props["last_booking_status"] == "Booked"
    assert props["booked_for"] == "2030-03-04T15:30:00.000Z"  # the booking's start
    assert props["booked_day"] == "2030-02-01"  # its creation day, as a HubSpot date
    assert props["team_size"] == "51-200"  # a booking answer
    assert "first_source" not in props
    (contact,) = emulator.objects("contacts")
    assert contact["properties"]["last_booking_status"] == "Booked"


def test_a_mapping_breaking_the_save_time_rules_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        _options(_event("meeting_done", "checkbox", "yes"))
    assert "meeting_done" in str(caught.value) and "boolean" in str(caught.value)

    with pytest.raises(ValidationError) as caught:
        _options(_event("booked_for", "date", "tomorrow"))
    assert "booked_for" in str(caught.value) and "booking_start_date" in str(caught.value)


async def test_mappings_hubspot_cannot_take_are_dropped_and_reported(emulator: HubSpotEmulator) -> None:
    options = _options(
        _event("last_booking_status", "text", "Booked"),
        _event("hs_not_a_property", "text", "x"),
        _event("hs_createdate", "datetime", "booking_start_date"),  # read-only in HubSpot
        _event("team_size", "picklist", "huge"),  # not an option of the property
    )

    result = await HubSpotBookingSync(connect(emulator), options).on_created(make_booking())

    (error,) = result.errors
    assert error.provider == "hubspot" and error.code == "INVALID_FIELD_MAPPING"
    assert error.dropped_fields == ["hs_createdate", "hs_not_a_property", "team_size"]
    assert "read-only" in error.message and "200+" in error.message
    (sent,) = emulator.requests_to("POST", MEETINGS)
    assert set(sent.body["properties"]) & set(error.dropped_fields) == set()
    meeting = emulator.objects("meetings")[0]
    assert meeting["properties"]["last_booking_status"] == "Booked"  # the valid one still written


async def test_a_value_hubspot_refuses_at_write_time_drops_the_mapped_fields(emulator: HubSpotEmulator) -> None:
    # A reference passes the save-time checks; HubSpot refuses the resolved value (not an option).
    options = _options(_event("team_size", "picklist", "{company_size}"))
    booking = make_booking(booking_fields_responses={"company_size": "a few"})

    result = await HubSpotBookingSync(connect(emulator), options).on_created(booking)

    (error,) = result.errors
    assert error.code == "VALIDATION_ERROR" and "INVALID_OPTION" in error.message
    assert error.dropped_fields == ["team_size"]
    refused, written = emulator.requests_to("POST", MEETINGS)
    assert refused.body["properties"]["team_size"] == "a few"
    assert "team_size" not in written.body["properties"]
    assert emulator.objects("meetings")[0]["id"] == result.external_id


async def test_field_empty_keeps_a_value_and_cancellation_writes_the_cancel_date(emulator: HubSpotEmulator) -> None:
    options = _options(
        _event("first_source", "text", "{source}", when="field_empty"),
        _event("cancelled_on", "date", "booking_cancel_date", on="cancellation"),
    )
    sync = HubSpotBookingSync(connect(emulator), options)
    created = await sync.on_created(make_booking(booking_fields_responses={"source": "webinar"}))

    moved = make_booking(booking_fields_responses={"source": "newsletter"}, start=START + timedelta(days=1))
    await sync.on_rescheduled(moved, created.external_id)
    await sync.on_cancelled(moved, created.external_id)

    props = emulator.objects("meetings")[0]["properties"]
    assert props["first_source"] == "webinar"
    assert props["cancelled_on"]  # written at cancellation, and only then
    assert "cancelled_on" not in emulator.requests_to("POST", MEETINGS)[0].body["properties"]
    assert props["hs_meeting_outcome"] == "CANCELED"
