"""Owner routing through a routing-form submission: the Salesforce Account owner, chosen by the
booker's country from the request headers, is picked only when that owner hosts the event type."""

from store import crm as crm_store
from testkit.stack import Stack
from tests.crm_integration.support import BOB, HAL, routing_form


async def _submit(org: Stack, email: str, headers: dict[str, str]) -> dict:
    response = await org.http.post("/v2/routing-forms/crm-form/responses", json={"email": email}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["data"]["routing"]


async def _trace(org: Stack, response_id: int) -> dict:
    got = await org.http.get(f"/v2/routing-forms/crm-form/responses/{response_id}")
    return got.json()["data"]["trace"]


async def test_the_account_owner_in_the_bookers_country_is_picked_when_a_host(org: Stack, salesforce):
    assert (await org.http.post("/v2/routing-forms", json=routing_form())).status_code == 201

    german = await _submit(org, "kim@globex.com", {"CF-IPCountry": "DE", "Cookie": "session=secret"})
    american = await _submit(org, "lee@globex.com", {"x-vercel-ip-country": "US"})
    unknown = await _submit(org, "max@globex.com", {})

    assert german["teamMemberEmail"] == BOB.email and german["crmAppSlug"] == "salesforce"
    assert american["teamMemberEmail"] == HAL.email
    # Geo unknown: P1 is skipped and the lowest Id (Globex GmbH, 001...GDE) wins the tie.
    assert unknown["teamMemberEmail"] == BOB.email
    trace = await _trace(org, german["responseId"])
    assert "P1_COUNTRY" in str(trace) and "Globex GmbH" in str(trace)
    async with org.db.sessions() as session:
        assert await crm_store.request_geo(session, german["responseId"]) == {"cf-ipcountry": "DE"}  # no cookie kept


async def test_an_owner_who_hosts_nothing_is_not_picked(org: Stack, salesforce):
    assert (await org.http.post("/v2/routing-forms", json=routing_form())).status_code == 201
    routed = await _submit(org, "ann@initech.com", {"CF-IPCountry": "US"})
    assert routed["teamMemberEmail"] is None
    trace = str(await _trace(org, routed["responseId"]))
    assert "fallback_round_robin" in trace or "not a host" in trace
