"""A HubSpot meeting is owned by its host: ``hubspot_owner_id`` is the owner whose email is the host's."""

from testkit.hubspot import HubSpotEmulator
from testkit.stack import Stack, eventually, soon
from tests.crm_integration.support import BOOKER, HAL, HS


async def test_the_meeting_carries_the_hosts_owner_id_matched_by_email(org: Stack, hubspot: HubSpotEmulator):
    owner_id = hubspot.add_owner(HAL.email.upper(), "Hal", "Host")  # matched case-insensitively
    hubspot.add_owner("someone@else.io")

    async def meetings() -> list[dict]:
        return hubspot.objects("meetings")

    await org.book(HS, soon(86400).replace(microsecond=0), email=BOOKER)
    await eventually(meetings, lambda ms: len(ms) == 1)
    await org.book(HS, soon(2 * 86400).replace(microsecond=0), email="second@acme.com")
    found = await eventually(meetings, lambda ms: len(ms) == 2)
    assert [m["properties"].get("hubspot_owner_id") for m in found] == [owner_id, owner_id]
    lookups = [r for r in hubspot.requests if r.method == "GET" and r.path.rstrip("/") == "/crm/v3/owners"]
    assert len(lookups) == 1  # the second meeting's owner came from the cache
