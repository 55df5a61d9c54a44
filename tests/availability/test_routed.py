"""Routed bookings choose only among free hosts, and the routing trace names the hosts dropped as busy."""

from datetime import timedelta

from domain.schedules import OutOfOffice
from store import availability
from store import routing as routing_store
from testkit.stack import soon
from tests.routing_integration.conftest import crm, org, short_waits  # noqa: F401  (the routed org's fixtures)
from tests.routing_integration.test_booking_from_responses import FRANCE, book, setup
from tests.routing_integration.test_submissions import submit


async def test_a_busy_routed_host_is_dropped_for_a_free_team_member(org):  # noqa: F811
    await setup(org)
    routed = (await submit(org, {"email": "kim@bigcorp.com"} | FRANCE))["routing"]
    assert routed["teamMemberIds"] == [1, 2]
    async with org.db.sessions() as session:
        chosen = (await routing_store.get_response(session, routed["responseId"])).decision.host_user_id
    assert chosen in (1, 2)
    start = soon(3600 * 5).replace(microsecond=0)
    away = OutOfOffice(id=1, user_id=chosen, start=start - timedelta(hours=1), end=start + timedelta(hours=2))
    async with org.db.transaction() as session:  # the routed host is away at the booked time
        await availability.save_out_of_office(session, None, chosen, away)
    booking = (await book(org, routed, 5, "kim@bigcorp.com"))["data"]
    other = ({1, 2} - {chosen}).pop()
    assert booking["hosts"][0]["id"] == other  # the free one of the routed team; Cy (not routed) never
    async with org.db.sessions() as session:
        record = await routing_store.get_response(session, routed["responseId"])
    assert any("dropped as busy" in note and f"user {chosen}" in note for note in record.decision.trace.notes)
