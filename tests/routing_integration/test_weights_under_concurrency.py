"""Weighted host choice holds when submissions arrive together: the choice is made under the route's
host counters' lock and counts the assignments not yet booked, so 100 concurrent submissions to a
70/30 route split 70/30 (within 5): in one process, through two stores, and through two `bookflow api`
and two `bookflow worker` processes on PostgreSQL."""

import asyncio
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from activities.routing import RoutingActivities
from domain.routing_config import ConfiguredAttribute
from domain.routing_forms import RoutingForm
from domain.routing_responses import RoutingResponseInput
from store import routing as routing_store
from store.db import Database
from testkit.cluster import running_cluster
from tests.conftest import TEST_SECRET_KEYS
from tests.routing_integration.support import ROUND_ROBIN, group, rule, seed_org
from tests.routing_integration.test_submissions import submit, with_form

NOW = datetime.now(UTC)
WEIGHTS = ConfiguredAttribute.model_validate(
    {
        "id": "a-share",
        "name": "Enterprise share",
        "type": "SINGLE_SELECT",
        "options": [{"id": "opt-us", "value": "Enterprise US"}],
        "isWeightsEnabled": True,
        "assignments": [
            {"userId": 1, "optionId": "opt-us", "weight": 70},
            {"userId": 2, "optionId": "opt-us", "weight": 30},
        ],
    }
)

FORM = {
    "id": "enterprise-us",
    "name": "Enterprise US",
    "fields": [{"id": "f-email", "label": "Email", "identifier": "email", "type": "email", "required": True}],
    "routes": [
        {
            "id": "r-us",
            "name": "Enterprise US",
            "queryValue": group(rule("f-email", "is_not_empty")),
            "action": {"type": "eventTypeRedirectUrl", "value": "team/sales/sales", "eventTypeId": ROUND_ROBIN},
            "attributesQueryValue": group(rule("a-share", "select_equals", "opt-us")),
            "attributeIdForWeights": "a-share",
        },
        {
            "id": "r-else",
            "isFallback": True,
            "action": {"type": "customPageMessage", "value": "Thanks"},
        },
    ],
}


@pytest.fixture(autouse=True)
def generous_rate_limit(monkeypatch) -> None:
    """100 submissions from one test client in a second: above the default public rate limit."""
    monkeypatch.setenv("BOOKFLOW_RATE_LIMIT_PUBLIC", "100000/minute")


async def test_100_concurrent_submissions_to_a_70_30_route_split_70_30(org):
    async with org.db.transaction() as session:
        await routing_store.save_configured_attribute(session, WEIGHTS)
    await with_form(org, FORM)
    answers = await asyncio.gather(
        *(submit(org, {"email": f"lead{i}@us.example.com"}, "enterprise-us") for i in range(100))
    )
    hosts = Counter()
    async with org.db.sessions() as session:
        for answer in answers:
            assert answer["eventTypeId"] == ROUND_ROBIN
            record = await routing_store.get_response(session, answer["routing"]["responseId"])
            hosts[record.decision.host_user_id] += 1
        counters = await routing_store.host_counters(session, "enterprise-us", "r-us")
    assert abs(hosts[1] - 70) <= 5 and abs(hosts[2] - 30) <= 5, hosts
    assert counters == dict(hosts)  # every decision counted once, under the lock


async def test_two_processes_deciding_100_responses_together_keep_70_30(any_db):
    """Two stores (two processes' engines) decide 100 stored responses at once: row locks on
    PostgreSQL, the write lock on SQLite, serialize each choice."""
    await seed_org(any_db)
    form = RoutingForm.model_validate(FORM)
    async with any_db.transaction() as session:
        await routing_store.save_configured_attribute(session, WEIGHTS)
        await routing_store.save_form(session, form)
        stored = [
            (await routing_store.add_response(session, form, {}, {"f-email": f"l{i}@us.example.com"}, None, NOW))[0]
            for i in range(100)
        ]
    other = Database(any_db.url, TEST_SECRET_KEYS)
    try:
        deciders = [RoutingActivities(any_db), RoutingActivities(other)]
        decided = await asyncio.gather(
            *(
                deciders[i % 2].decide_response(RoutingResponseInput(response_id=s.id, form_filler_id=s.form_filler_id))
                for i, s in enumerate(stored)
            )
        )
    finally:
        await other.dispose()
    hosts = Counter(d.decision.host_user_id for d in decided)
    assert abs(hosts[1] - 70) <= 5 and abs(hosts[2] - 30) <= 5, hosts
    async with any_db.sessions() as session:
        assert await routing_store.host_counters(session, "enterprise-us", "r-us") == dict(hosts)


async def test_100_submissions_through_two_api_processes_on_postgresql_keep_70_30(
    temporal_env, pg_db: Database, task_queue: str, tmp_path: Path
):
    """Two `bookflow api` and two `bookflow worker` processes: the submissions spread over both APIs,
    the decisions over both workers, and PostgreSQL's row locks on the host counters keep the weights."""
    await seed_org(pg_db)
    async with pg_db.transaction() as session:
        await routing_store.save_configured_attribute(session, WEIGHTS)
        await routing_store.save_form(session, RoutingForm.model_validate(FORM))
    async with (
        running_cluster(temporal_env.client, pg_db, task_queue, tmp_path, apis=2, workers=2) as cluster,
        httpx.AsyncClient(timeout=120) as http,
    ):
        answers = await asyncio.gather(
            *(
                http.post(
                    cluster.next_api() + "/v2/routing-forms/enterprise-us/responses",
                    json={"email": f"lead{i}@us.example.com"},
                )
                for i in range(100)
            )
        )
        for process in [*cluster.apis, *cluster.workers]:
            assert process.process.returncode is None, process.name
    assert [a.status_code for a in answers] == [201] * 100, [a.text for a in answers if a.status_code != 201][:3]
    hosts = Counter()
    async with pg_db.sessions() as session:
        for answer in answers:
            record = await routing_store.get_response(session, answer.json()["data"]["routing"]["responseId"])
            hosts[record.decision.host_user_id] += 1
        counters = await routing_store.host_counters(session, "enterprise-us", "r-us")
    assert abs(hosts[1] - 70) <= 5 and abs(hosts[2] - 30) <= 5, hosts
    assert counters == dict(hosts)
