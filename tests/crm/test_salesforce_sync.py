"""Booking sync through simple-salesforce against the emulator: Event, people, field writes, cancel, no-show."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from crm.salesforce.settings import SalesforceSettings
from crm.salesforce.sync import SalesforceBookingSync
from domain.booking import Attendee, Booking, BookingStatus
from domain.config import EventType, Host, User
from testkit.salesforce import SalesforceEmulator
from tests.crm.sf_support import WATERFALL, connect

START = datetime(2030, 3, 4, 15, 0, tzinfo=UTC)


def booking(email: str = "new.person@acme.com", name: str = "Ada Lovelace", **kw: object) -> Booking:
    organizer = User(id=1, name="Alice", email="alice@bookflow.io", username="alice")
    et = EventType(id=7, slug="intro", title="Intro", length_in_minutes=30, hosts=[Host(user_id=1)])
    return Booking(
        id=1,
        uid=f"uid-{email}",
        event_type=et,
        organizer=organizer,
        attendees=[Attendee(name=name, email=email, time_zone="Europe/Berlin")],
        start=START,
        end=START + timedelta(minutes=30),
        status=BookingStatus.ACCEPTED,
        created_at=START - timedelta(days=2),
        title="Intro between Alice and Ada",
        description="Talk about engines",
        location="https://meet.example/1",
        booking_fields_responses={"company": "Acme Ltd"},
        **kw,
    )


MAPPINGS = {
    "mappings": [
        {"on": "booking", "object": "event", "field": "Booking_Source__c", "type": "text", "value": "bookflow"},
        {"on": "booking", "object": "person", "field": "Last_Booking_Status__c", "type": "text", "value": "Booked"},
        {
            "on": "booking",
            "object": "person",
            "field": "First_Booking__c",
            "type": "date",
            "value": "booking_start_date",
            "when": "field_empty",
        },
        {"on": "cancellation", "object": "event", "field": "Cancelled__c", "type": "checkbox", "value": True},
        {
            "on": "cancellation",
            "object": "person",
            "field": "Last_Booking_Status__c",
            "type": "text",
            "value": "Cancelled",
        },
        {
            "on": "cancellation",
            "object": "person",
            "field": "Last_Cancel_Date__c",
            "type": "date",
            "value": "booking_cancel_date",
        },
    ]
}


@pytest.fixture
def emu() -> Iterator[SalesforceEmulator]:
    with SalesforceEmulator(WATERFALL) as e:
        yield e


def sync(emu: SalesforceEmulator, **settings: object) -> SalesforceBookingSync:
    cfg = SalesforceSettings.model_validate({"field_mappings": MAPPINGS, "no_show_field": "No_Show__c", **settings})
    return SalesforceBookingSync(connect(emu), cfg)


async def test_created_makes_contact_event_and_writes(emu: SalesforceEmulator) -> None:
    res = await sync(emu).on_created(booking())
    assert res.errors == []
    event = emu.get("Event", res.external_id or "")
    assert event is not None
    assert event["Subject"] == "Intro between Alice and Ada"
    assert event["StartDateTime"].startswith("2030-03-04T15:00:00")
    assert "Invitee timezone: Europe/Berlin" in event["Description"]
    assert event["Location"] == "https://meet.example/1"
    assert event["OwnerId"] == "005A00000000001AAA" and event["Booking_Source__c"] == "bookflow"
    contact = emu.get("Contact", event["WhoId"])
    assert contact is not None
    assert (contact["FirstName"], contact["LastName"], contact["Email"]) == ("Ada", "Lovelace", "new.person@acme.com")
    assert contact["Last_Booking_Status__c"] == "Booked" and contact["First_Booking__c"] == "2030-03-04"


async def test_retried_create_makes_no_second_event(emu: SalesforceEmulator) -> None:
    s = sync(emu)
    first = await s.on_created(booking())
    again = await s.on_created(booking())
    assert again.external_id == first.external_id
    assert (
        len(emu.records("Event")) == 1
        and len([c for c in emu.records("Contact") if c["Email"] == "new.person@acme.com"]) == 1
    )


async def test_field_empty_keeps_an_existing_value(emu: SalesforceEmulator) -> None:
    s = sync(emu)
    res = await s.on_created(booking())
    emu.data["Contact"][res.person_ids[0]]["First_Booking__c"] = "2001-01-01"
    later = booking().model_copy(
        update={"start": START + timedelta(days=9), "end": START + timedelta(days=9, minutes=30)}
    )
    await s.on_created(later)
    assert emu.get("Contact", res.person_ids[0])["First_Booking__c"] == "2001-01-01"  # type: ignore[index]


async def test_reschedule_updates_the_event(emu: SalesforceEmulator) -> None:
    s = sync(emu)
    res = await s.on_created(booking())
    moved = booking().model_copy(update={"start": START + timedelta(days=1), "end": START + timedelta(days=1, hours=1)})
    await s.on_rescheduled(moved, res.external_id or "")
    assert emu.get("Event", res.external_id or "")["StartDateTime"].startswith("2030-03-05T15:00")  # type: ignore[index]


async def test_cancel_deletes_by_default_and_writes_person_via_whoid(emu: SalesforceEmulator) -> None:
    s = sync(emu)
    res = await s.on_created(booking())
    out = await s.on_cancelled(booking(), res.external_id or "")
    assert out.deleted and emu.get("Event", res.external_id or "") is None
    person = emu.get("Contact", res.person_ids[0])
    assert person is not None and person["Last_Booking_Status__c"] == "Cancelled"
    assert person["Last_Cancel_Date__c"] == datetime.now(UTC).date().isoformat()


async def test_cancel_writes_instead_when_configured(emu: SalesforceEmulator) -> None:
    s = sync(emu, cancel_action="write")
    res = await s.on_created(booking())
    out = await s.on_cancelled(booking(), res.external_id or "")
    event = emu.get("Event", res.external_id or "")
    assert not out.deleted and event is not None and event["Cancelled__c"] is True


async def test_no_show_written_to_boolean_field(emu: SalesforceEmulator) -> None:
    s = sync(emu)
    res = await s.on_created(booking())
    absent = booking()
    absent.attendees[0].absent = True
    await s.on_no_show(absent, res.external_id or "")
    assert emu.get("Event", res.external_id or "")["No_Show__c"] is True  # type: ignore[index]


async def test_existing_lead_is_used_never_a_contact_too(emu: SalesforceEmulator) -> None:
    res = await sync(emu, record="contact").on_created(booking(email="lead@lambda.com"))
    assert res.person_ids[0].startswith("00Q")
    assert not [c for c in emu.records("Contact") if c["Email"] == "lead@lambda.com"]


async def test_lead_mode_creates_a_lead_with_company(emu: SalesforceEmulator) -> None:
    res = await sync(emu, record="lead").on_created(booking(email="fresh@nowhere.org"))
    lead = emu.get("Lead", res.person_ids[0])
    assert lead is not None and lead["Company"] == "Acme Ltd"


async def test_contact_under_account(emu: SalesforceEmulator) -> None:
    res = await sync(emu, record="account").on_created(booking(email="new@beta.io"))
    contact = emu.get("Contact", res.person_ids[0])
    assert contact is not None and contact["AccountId"] == "001A00000000003AAA"  # Beta, by normalized website
    none = await sync(emu, record="account").on_created(booking(email="x@no-account-here.com"))
    assert none.external_id is None  # no Account and no lead fallback: no Event (REF)


async def test_skip_contact_creation(emu: SalesforceEmulator) -> None:
    res = await sync(emu, skip_contact_creation=True).on_created(booking(email="ghost@nowhere.org"))
    assert res.external_id is None and not emu.records("Event")


async def test_duplicates_detected_uses_the_match(emu: SalesforceEmulator) -> None:
    emu.duplicate_rules.add("Contact")
    hidden = {
        "LastName": "Old",
        "Email": "dup@acme.com",
        "RecordTypeId": "012A00000000001AAA",
        "Id": "003Z00000000001AAA",
    }
    emu.data["Contact"][hidden["Id"]] = hidden  # excluded type: invisible to the lookup, found by the rule
    res = await sync(emu, excluded_record_types=["partner account"]).on_created(booking(email="dup@acme.com"))
    assert res.person_ids == ["003Z00000000001AAA"]


async def test_sync_error_drops_fields_and_writes_the_rest(emu: SalesforceEmulator) -> None:
    emu.delete_field("Contact", "Last_Booking_Status__c")  # deleted in Salesforce after configuration
    emu.make_read_only("Event", "Booking_Source__c")  # permission lost
    res = await sync(emu).on_created(booking())
    codes = {e.code: e for e in res.errors}
    assert codes["INVALID_FIELD"].dropped_fields == ["Contact.Last_Booking_Status__c"]
    assert codes["INVALID_FIELD_FOR_INSERT_UPDATE"].dropped_fields == ["Event.Booking_Source__c"]
    assert all(e.provider == "salesforce" and e.message and e.at for e in res.errors)
    event = emu.get("Event", res.external_id or "")
    assert event is not None and "Booking_Source__c" not in event
    assert emu.get("Contact", res.person_ids[0])["First_Booking__c"] == "2030-03-04"  # type: ignore[index]


async def test_outage_raises_so_the_activity_retries(emu: SalesforceEmulator) -> None:
    from crm.salesforce.connection import SalesforceApiError

    emu.fail_next("sobjects/Event", status=503, code="SERVER_UNAVAILABLE", message="maintenance")
    with pytest.raises(SalesforceApiError) as err:
        await sync(emu).on_created(booking())
    assert err.value.retryable
    res = await sync(emu).on_created(booking())  # the retry completes, with one Event
    assert res.external_id and len(emu.records("Event")) == 1
