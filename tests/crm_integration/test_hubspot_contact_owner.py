"""Owner routing's choice reaches HubSpot: the booker's contact gets the routed owner when it has none,
and a contact another owner holds keeps its owner."""

from store import config as config_store
from testkit.hubspot import HubSpotEmulator
from testkit.stack import Stack, eventually, soon
from tests.crm_integration.support import BOB, HAL, ROUTED, event_types, routing_form


async def _submit(org: Stack, email: str, country: str) -> dict:
    answer = await org.http.post(
        "/v2/routing-forms/crm-form/responses", json={"email": email}, headers={"CF-IPCountry": country}
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]["routing"]


async def _book(org: Stack, routed: dict, email: str, days: int) -> dict:
    body = {
        "start": soon(days * 86400).replace(microsecond=0).isoformat(),
        "eventTypeId": ROUTED,
        "attendee": {"name": "Lee Lead", "email": email, "timeZone": "UTC"},
        "routing": {"responseId": routed["responseId"], "bookingToken": routed["bookingToken"]},
    }
    answer = await org.http.post("/v2/bookings", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]


async def test_the_routed_owner_becomes_the_new_contacts_owner(org: Stack, salesforce, hubspot: HubSpotEmulator):
    hal_owner, bob_owner = hubspot.add_owner(HAL.email), hubspot.add_owner(BOB.email)
    someone = hubspot.add_owner("someone@else.io")
    held = hubspot.add_object("contacts", {"email": "kim@globex.com", "hubspot_owner_id": someone})
    mirrored = next(e for e in event_types() if e.id == ROUTED).model_copy(update={"crm_sync": ["hubspot"]})
    async with org.db.transaction() as session:  # the routed event type's bookings also go to HubSpot
        await config_store.upsert_event_type(session, mirrored)
    assert (await org.http.post("/v2/routing-forms", json=routing_form())).status_code == 201

    lee = await _submit(org, "lee@globex.com", "US")  # Globex Inc: Hal owns the account
    kim = await _submit(org, "kim@globex.com", "DE")  # Globex GmbH: Bob owns the account
    assert (lee["teamMemberEmail"], kim["teamMemberEmail"]) == (HAL.email, BOB.email)
    await _book(org, lee, "lee@globex.com", 1)
    await _book(org, kim, "kim@globex.com", 2)

    async def contacts() -> dict[str, dict]:
        return {c["properties"]["email"]: c for c in hubspot.objects("contacts")}

    async def meetings() -> list[dict]:
        return hubspot.objects("meetings")

    found = await eventually(
        contacts, lambda cs: cs.get("lee@globex.com", {}).get("properties", {}).get("hubspot_owner_id")
    )
    assert found["lee@globex.com"]["properties"]["hubspot_owner_id"] == hal_owner  # created, then given Hal
    owned = await eventually(meetings, lambda ms: len(ms) == 2)
    assert sorted(m["properties"]["hubspot_owner_id"] for m in owned) == sorted([hal_owner, bob_owner])
    after = await contacts()
    assert after["kim@globex.com"]["id"] == held
    assert after["kim@globex.com"]["properties"]["hubspot_owner_id"] == someone  # not taken from its owner
