"""A seated booking's one CRM meeting follows its seats: a seat's attendee is synced and linked to it when
they take the seat, and unlinked (with the cancellation's writes) when they give it up; the meeting itself is
cancelled only with the booking."""

from store import crm as crm_store
from testkit.hubspot import HubSpotEmulator
from testkit.salesforce import SalesforceEmulator
from testkit.stack import Stack, eventually
from tests.seats.conftest import HS_SEATED, SF_SEATED
from tests.seats.support import give_up, slot, take


async def _steps_done(org: Stack, uid: str, provider: str, count: int) -> None:
    """Wait until ``count`` sync steps of the booking have been recorded."""

    async def steps() -> int:
        async with org.db.sessions() as session:
            return len([s for s in await crm_store.steps_of(session, uid) if s.provider == provider])

    await eventually(steps, lambda n: n >= count, timeout=60)


async def _errors(org: Stack) -> list:
    async with org.db.sessions() as session:
        return await crm_store.list_errors(session)


def _person(salesforce: SalesforceEmulator, email: str) -> str:
    (found,) = [r["Id"] for o in ("Contact", "Lead") for r in salesforce.records(o) if r.get("Email") == email]
    return found


def _related(salesforce: SalesforceEmulator, event_id: str) -> set[str]:
    return {r["RelationId"] for r in salesforce.records("EventRelation") if r["EventId"] == event_id}


async def test_salesforce_seats_join_and_leave_the_one_event(seated_org: Stack, salesforce: SalesforceEmulator):
    start = slot(24 * 60)
    ann = await take(seated_org, start, "ann@acme.com", event_type_id=SF_SEATED)
    await _steps_done(seated_org, ann["uid"], "salesforce", 1)
    await take(seated_org, start, "ben@acme.com", event_type_id=SF_SEATED)
    cat = await take(seated_org, start, "cat@acme.com", event_type_id=SF_SEATED)
    await _steps_done(seated_org, ann["uid"], "salesforce", 3)

    (event,) = salesforce.records("Event")
    ann_id, ben_id, cat_id = (_person(salesforce, f"{n}@acme.com") for n in ("ann", "ben", "cat"))
    assert event["WhoId"] == ann_id and _related(salesforce, event["Id"]) == {ben_id, cat_id}
    assert salesforce.get("Contact", ben_id)["Last_Booked__c"] == start.date().isoformat()

    # Ann, the Event's WhoId, gives up her seat: Ben's person takes her place; Cat's relation goes with her.
    await give_up(seated_org, ann)
    await give_up(seated_org, cat)
    await _steps_done(seated_org, ann["uid"], "salesforce", 5)
    (event,) = salesforce.records("Event")  # the booking goes on: its Event stays
    assert event["WhoId"] == ben_id and _related(salesforce, event["Id"]) == {ben_id}
    assert salesforce.get("Contact", ann_id)["Seat_Cancelled__c"] is True
    assert salesforce.get("Contact", cat_id)["Seat_Cancelled__c"] is True
    assert salesforce.get("Contact", ben_id).get("Seat_Cancelled__c") is None
    assert await _errors(seated_org) == []


async def test_hubspot_seats_join_and_leave_the_one_meeting(seated_org: Stack, hubspot: HubSpotEmulator):
    company = hubspot.add_object("companies", {"name": "Acme", "domain": "acme.com"})
    ben_contact = hubspot.add_object("contacts", {"email": "ben@acme.com", "firstname": "Ben"})
    hubspot.associate("contacts", ben_contact, "companies", company, 1)
    start = slot(24 * 60)
    ann = await take(seated_org, start, "ann@acme.com", event_type_id=HS_SEATED)
    await _steps_done(seated_org, ann["uid"], "hubspot", 1)
    ben = await take(seated_org, start, "ben@acme.com", event_type_id=HS_SEATED)
    await _steps_done(seated_org, ann["uid"], "hubspot", 2)

    (meeting,) = hubspot.objects("meetings")
    contacts = {c["properties"]["email"]: c["id"] for c in hubspot.objects("contacts")}
    linked = {a.to_id for a in hubspot.associations_of("meetings", meeting["id"], "contacts")}
    assert linked == {contacts["ann@acme.com"], ben_contact}  # Ann's contact made, Ben's found
    assert {a.to_id for a in hubspot.associations_of("meetings", meeting["id"], "companies")} == {company}

    await give_up(seated_org, ben)
    await _steps_done(seated_org, ann["uid"], "hubspot", 3)
    (meeting,) = hubspot.objects("meetings", include_archived=True)
    linked = {a.to_id for a in hubspot.associations_of("meetings", meeting["id"], "contacts")}
    assert linked == {contacts["ann@acme.com"]}
    assert {a.to_id for a in hubspot.associations_of("contacts", ben_contact, "meetings")} == set()
    assert meeting["properties"]["hs_meeting_outcome"] == "SCHEDULED" and meeting["archived"] is False
    assert await _errors(seated_org) == []


async def test_a_moved_seat_leaves_one_hubspot_meeting_for_the_other(seated_org: Stack, hubspot: HubSpotEmulator):
    here, there = slot(24 * 60), slot(25 * 60)
    ann = await take(seated_org, here, "ann@acme.com", event_type_id=HS_SEATED)
    ben = await take(seated_org, here, "ben@acme.com", event_type_id=HS_SEATED)
    cat = await take(seated_org, there, "cat@acme.com", event_type_id=HS_SEATED)
    await _steps_done(seated_org, ann["uid"], "hubspot", 2)
    await _steps_done(seated_org, cat["uid"], "hubspot", 1)
    moved = await seated_org.http.post(
        f"/v2/bookings/{ben['uid']}/reschedule", json={"start": there.isoformat(), "seatUid": ben["seatUid"]}
    )
    assert moved.json()["data"]["uid"] == cat["uid"], moved.text
    await _steps_done(seated_org, cat["uid"], "hubspot", 2)

    async with seated_org.db.sessions() as session:
        first = (await crm_store.get_record(session, ann["uid"], "hubspot")).external_id
        second = (await crm_store.get_record(session, cat["uid"], "hubspot")).external_id
    contacts = {c["properties"]["email"]: c["id"] for c in hubspot.objects("contacts")}

    def on(meeting: str) -> set[str]:
        return {a.to_id for a in hubspot.associations_of("meetings", meeting, "contacts")}

    assert on(first) == {contacts["ann@acme.com"]}
    assert on(second) == {contacts["cat@acme.com"], contacts["ben@acme.com"]}
    assert await _errors(seated_org) == []


async def test_a_seat_moved_to_an_empty_slot_leaves_its_meeting_for_a_new_one(
    seated_org: Stack, hubspot: HubSpotEmulator
):
    here, there = slot(24 * 60), slot(26 * 60)
    ann = await take(seated_org, here, "ann@acme.com", event_type_id=HS_SEATED)
    ben = await take(seated_org, here, "ben@acme.com", event_type_id=HS_SEATED)
    await _steps_done(seated_org, ann["uid"], "hubspot", 2)
    moved = await seated_org.http.post(
        f"/v2/bookings/{ben['uid']}/reschedule", json={"start": there.isoformat(), "seatUid": ben["seatUid"]}
    )
    opened = moved.json()["data"]["uid"]
    assert opened != ann["uid"], moved.text  # nobody was there: the seat opened a booking of its own
    await _steps_done(seated_org, opened, "hubspot", 1)

    async with seated_org.db.sessions() as session:
        first = (await crm_store.get_record(session, ann["uid"], "hubspot")).external_id
        second = (await crm_store.get_record(session, opened, "hubspot")).external_id
    contacts = {c["properties"]["email"]: c["id"] for c in hubspot.objects("contacts")}

    def on(meeting: str) -> set[str]:
        return {a.to_id for a in hubspot.associations_of("meetings", meeting, "contacts")}

    assert first != second and len(hubspot.objects("meetings")) == 2
    assert on(first) == {contacts["ann@acme.com"]}  # Ben left the meeting he was in
    assert on(second) == {contacts["ben@acme.com"]}
    assert await _errors(seated_org) == []
