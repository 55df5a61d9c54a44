"""An accepted instant meeting is synced to the CRM as any accepted booking is, its accepting host the meeting's
owner; while it rings nobody has accepted it, so nothing is synced."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from domain.config import Configuration, EventType, Host
from store import config as config_store
from testkit.hubspot import HubSpotEmulator
from testkit.stack import Stack, eventually, open_all_week, running_stack, soon
from tests.crm_integration.conftest import crm_env, hubspot, salesforce  # noqa: F401 (fixtures)
from tests.crm_integration.support import BOB, BOOKER, USERS
from worker.crm_config import check_crm

INSTANT_HS = 41


@pytest.fixture
async def instant_org(temporal_env, sqlite_db, task_queue, crm_env) -> AsyncIterator[Stack]:  # noqa: F811
    """A running stack whose instant event type (Hal and Bob host it) syncs with HubSpot."""
    ringing = EventType(
        id=INSTANT_HS,
        slug="urgent",
        title="Urgent call",
        length_in_minutes=15,
        hosts=[Host(user_id=1), Host(user_id=2)],
        minimum_booking_notice=0,
        is_instant_event=True,
        instant_meeting_expiry_time_offset_in_seconds=600,
        crm_sync=["hubspot"],
    )
    crm = {"eventTypes": [{"eventTypeId": INSTANT_HS, "hubspot": {"sync": {"associateCompany": True}}}]}
    configuration = Configuration(users=USERS, schedules=open_all_week(USERS), event_types=[ringing], crm=crm)
    document = check_crm(Path("test.yaml"), configuration, set())
    async with sqlite_db.transaction() as session:
        await config_store.apply_configuration(session, document)
    async with running_stack(temporal_env.client, sqlite_db, task_queue) as stack:
        yield stack


async def test_the_accepted_meeting_is_synced_with_its_accepting_host_as_owner(
    instant_org: Stack,
    hubspot: HubSpotEmulator,  # noqa: F811
):
    bob_owner = hubspot.add_owner(BOB.email, "Bob", "Rep")
    booked = await instant_org.book(INSTANT_HS, soon(120).replace(microsecond=0), email=BOOKER, instant=True)
    uid = booked["uid"]
    assert booked["status"] == "awaiting_host"
    await eventually(lambda: instant_org.triggers(uid), lambda t: t == ["INSTANT_MEETING"])
    assert hubspot.objects("meetings") == []  # ringing: no meeting to sync yet

    async with instant_org.as_(instant_org.keys.other) as bob:
        assert (await bob.post(f"/v2/bookings/{uid}/instant/accept")).status_code == 200

    async def meetings() -> list[dict]:
        return hubspot.objects("meetings")

    (meeting,) = await eventually(meetings, lambda found: len(found) == 1)
    assert meeting["properties"].get("hubspot_owner_id") == bob_owner
    assert [c["properties"]["email"] for c in hubspot.objects("contacts")] == [BOOKER]
