"""A booking's life mirrored into Salesforce through the API, the workflow and simple-salesforce."""

from datetime import timedelta

from store import crm as crm_store
from testkit.salesforce import SalesforceEmulator
from testkit.stack import Stack, eventually, soon
from tests.crm_integration.support import BOOKER, SF_DELETE, SF_WRITE, parse_time


async def _events(salesforce: SalesforceEmulator) -> list[dict]:
    return salesforce.records("Event")


async def _record(org: Stack, uid: str):
    async with org.db.sessions() as session:
        return await crm_store.get_record(session, uid, "salesforce")


async def test_create_reschedule_no_show_and_cancel_leave_one_event_then_delete_it(org, salesforce):
    # The first write after the Event was created fails (an outage): the retried activity must find
    # the Event it made instead of creating a second one.
    salesforce.fail_next("/sobjects/Contact/", status=503, code="SERVER_UNAVAILABLE", message="maintenance")
    start = soon(86400).replace(microsecond=0)
    booking = await org.book(SF_DELETE, start, email=BOOKER)

    (event,) = await eventually(lambda: _events(salesforce), lambda rows: len(rows) == 1, timeout=30)
    assert parse_time(event["StartDateTime"]) == start
    assert event["WhoId"] == "003000000000BOO" and event["OwnerId"] == "005000000000HAL"
    assert event["Booking_Source__c"] == "bookflow"
    record = await eventually(lambda: _record(org, booking["uid"]), lambda r: r is not None, timeout=30)
    assert record.external_id == event["Id"]
    assert salesforce.failures == []  # the outage was met, and retried past
    assert salesforce.get("Contact", "003000000000BOO")["Last_Booked__c"] == start.date().isoformat()
    assert len(await _events(salesforce)) == 1

    later = start + timedelta(hours=2)
    moved = await org.http.post(f"/v2/bookings/{booking['uid']}/reschedule", json={"start": later.isoformat()})
    assert moved.status_code == 201, moved.text
    new_uid = moved.json()["data"]["uid"]
    await eventually(lambda: _record(org, new_uid), lambda r: r is not None, timeout=30)
    (event,) = await _events(salesforce)
    assert parse_time(event["StartDateTime"]) == later and event["Id"] == record.external_id

    absent = {"attendees": [{"email": BOOKER, "absent": True}]}
    assert (await org.http.post(f"/v2/bookings/{new_uid}/mark-absent", json=absent)).status_code == 200
    await eventually(lambda: _events(salesforce), lambda rows: rows[0].get("No_Show__c") is True, timeout=30)

    assert (await org.http.post(f"/v2/bookings/{new_uid}/cancel", json={})).status_code == 200
    await eventually(lambda: _events(salesforce), lambda rows: rows == [], timeout=30)
    assert (await _record(org, new_uid)).deleted is True


async def test_cancel_writes_the_cancellation_fields_when_configured(org, salesforce):
    booking = await org.book(SF_WRITE, soon(2 * 86400).replace(microsecond=0), email=BOOKER)
    await eventually(lambda: _record(org, booking["uid"]), lambda r: r is not None, timeout=30)
    assert (await org.http.post(f"/v2/bookings/{booking['uid']}/cancel", json={})).status_code == 200
    (event,) = await eventually(
        lambda: _events(salesforce), lambda rows: rows and rows[0].get("Cancelled__c") is True, timeout=30
    )
    assert event["Subject"]  # kept, not deleted
