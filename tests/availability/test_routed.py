"""Routed bookings choose only among free hosts, and the routing trace names the hosts dropped as busy."""

from store import routing as routing_store
from testkit.stack import soon
from tests.routing_integration.conftest import crm, org, short_waits  # noqa: F401  (the routed org's fixtures)
from tests.routing_integration.support import ROUND_ROBIN
from tests.routing_integration.test_booking_from_responses import FRANCE, book, setup
from tests.routing_integration.test_submissions import submit


async def test_a_busy_routed_host_is_dropped_for_a_free_team_member(org):  # noqa: F811
    await setup(org)
    routed = (await submit(org, {"email": "kim@bigcorp.com"} | FRANCE))["routing"]
    assert routed["teamMemberIds"] == [1, 2]
    start = soon(3600 * 5).replace(microsecond=0)
    ada_busy = await org.book(ROUND_ROBIN, start, email="earlier@example.com")  # Ada hosts it, first in order
    assert ada_busy["hosts"][0]["id"] == 1
    booking = (await book(org, routed, 5, "kim@bigcorp.com"))["data"]
    assert booking["hosts"][0]["id"] == 2  # Bob, the free one of the routed team
    async with org.db.sessions() as session:
        record = await routing_store.get_response(session, routed["responseId"])
    assert any("dropped as busy" in note and "user 1" in note for note in record.decision.trace.notes)
