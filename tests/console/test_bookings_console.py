"""Console bookings: a booking's timeline from what the store records (events, webhook deliveries and their
attempts, messages, CRM writes and errors, calendar writes) with a link to the Temporal UI; an owner sees
their own bookings only (another's timeline is a 404), an admin every booking."""

from datetime import UTC, datetime

import pytest

from domain.calendars import BookingReference
from domain.webhooks import DeliveryStatus
from store import calendars as calendar_store
from store import crm as crm_store
from store import messages as message_store
from store import webhooks as webhook_store
from store.crm import CrmRecord, CrmSyncErrorRecord
from testkit.receiver import receiving
from testkit.stack import event_type, eventually, running_stack, soon
from tests.console.helpers import signed_in
from tests.console.seeds import seed_owners
from tests.ops.support import confirmation_rule


@pytest.fixture(autouse=True)
def loopback_receivers(monkeypatch):
    monkeypatch.setenv("BOOKFLOW_WEBHOOKS_ALLOW_PRIVATE", "true")


async def _delivered(stack) -> list:
    async with stack.db.sessions() as session:
        return await webhook_store.list_deliveries(session)


async def _messages(stack, uid: str) -> list:
    async with stack.db.sessions() as session:
        return await message_store.for_booking(session, uid)


async def _record_crm_and_calendar(stack, uid: str) -> None:
    """What the CRM and calendar activities store for a booking: a write step, a sync error, an event reference."""
    now = datetime.now(UTC)
    dropped = CrmSyncErrorRecord(
        booking_uid=uid,
        provider="salesforce",
        event_type_id=81,
        action="create",
        code="INVALID_FIELD",
        message="No such column 'Gone__c' on sobject of type Event",
        dropped_fields=["Gone__c"],
        at=now,
    )
    record = CrmRecord(booking_uid=uid, provider="salesforce", external_id="00U000000000001")
    async with stack.db.transaction() as session:
        await crm_store.record_step(session, f"{uid}:salesforce:create", "create", record, [dropped], uid, "salesforce")
        reference = BookingReference(
            booking_uid=uid,
            type="caldav_calendar",
            uid=f"{uid}.ics",
            ical_uid=uid,
            external_calendar_id="/ada/work/",
            credential_id=1,
        )
        await calendar_store.save_reference(session, reference, now)


async def test_an_owner_reads_their_bookings_timeline_and_another_owner_gets_a_404(stack):
    await seed_owners(stack.db, event_type(81, workflows=[confirmation_rule()]))
    async with receiving((200, {})) as rx, stack.as_(stack.keys.owner) as owner_api:
        response = await owner_api.post("/v2/webhooks", json={"subscriberUrl": rx.url, "triggers": ["BOOKING_CREATED"]})
        assert response.status_code == 201, response.text
        uid = (await stack.book(81, soon(3600)))["uid"]
        await rx.wait_for(1)
        await eventually(lambda: _delivered(stack), lambda ds: ds and ds[0].status is DeliveryStatus.DELIVERED)
        await eventually(lambda: _messages(stack, uid), lambda found: len(found) == 1 and found[0].status.final)
        await _record_crm_and_calendar(stack, uid)

        async with signed_in(stack, stack.keys.owner) as http:
            listed = await http.get("/console/bookings")
            assert listed.status_code == 200 and uid in listed.text
            page = await http.get(f"/console/bookings/{uid}")
            assert page.status_code == 200
            text = page.text
            for kind in ("booking", "event", "delivery", "attempt", "message", "crm", "calendar"):
                assert f'data-kind="{kind}"' in text, kind
            assert "BOOKING_CREATED" in text
            assert "attempt 1.1: delivered" in text and "HTTP 200" in text
            assert "email to bo@example.com" in text
            assert "salesforce create" in text and "00U000000000001" in text
            assert "INVALID_FIELD" in text and "dropped Gone__c" in text
            assert "caldav_calendar event written" in text
            namespace = stack.client.namespace
            assert f'href="http://127.0.0.1:8233/namespaces/{namespace}/workflows/{uid}"' in text
            assert "BookingUid%3D%22" + uid in text  # every workflow of the booking, by its search attribute
            # Oldest first: the request comes before its event, which comes before the meeting's start.
            assert text.index("requested") < text.index("BOOKING_CREATED") < text.index("meeting starts")

        async with signed_in(stack, stack.keys.other) as http:
            assert (await http.get(f"/console/bookings/{uid}")).status_code == 404
            assert uid not in (await http.get("/console/bookings")).text
            assert (await http.get("/console/bookings/no-such-booking")).status_code == 404
        async with signed_in(stack, stack.keys.admin) as http:
            assert (await http.get(f"/console/bookings/{uid}")).status_code == 200
            assert uid in (await http.get("/console/bookings")).text


async def test_the_temporal_link_follows_the_setting(temporal_env, sqlite_db, task_queue, monkeypatch):
    monkeypatch.setenv("TEMPORAL_UI_URL", "https://temporal.example.com/ui/")
    await seed_owners(sqlite_db, 82)
    async with running_stack(temporal_env.client, sqlite_db, task_queue) as stack:
        uid = (await stack.book(82, soon(3600)))["uid"]
        async with signed_in(stack, stack.keys.owner) as http:
            page = await http.get(f"/console/bookings/{uid}")
        namespace = temporal_env.client.namespace
        assert f'href="https://temporal.example.com/ui/namespaces/{namespace}/workflows/{uid}"' in page.text
