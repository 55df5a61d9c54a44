"""Bounded input: oversized bodies, out-of-range integers, long strings and far-off starts are 4xx."""

from datetime import UTC, datetime, timedelta

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from testkit.stack import event_type, seed, soon
from tests.edge.support import booking_body, edge_api, stored_uids

BIG = 2**69


@pytest.fixture
async def api(temporal_env, sqlite_db, task_queue):
    await seed(sqlite_db, event_type(1))
    async with edge_api(temporal_env.client, sqlite_db, task_queue) as http:
        yield http


def _error(response) -> str:
    body = response.json()
    assert body["status"] == "error", body
    return body["error"]["message"]


async def test_a_body_over_the_limit_is_413_before_parsing(api, sqlite_db):
    padded = booking_body(soon(3600), bookingFieldsResponses={"notes": "x" * 3_000_000})
    response = await api.post("/v2/bookings", json=padded)
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    # 20 MB of a field the API ignores is refused just the same, and so is a body that is not JSON.
    ignored = booking_body(soon(3600), ignoredField="y" * 20_000_000)
    assert (await api.post("/v2/bookings", json=ignored)).status_code == 413
    assert (await api.post("/v2/bookings", content=b"{" * 2_000_000)).status_code == 413
    assert await stored_uids(sqlite_db) == []


async def test_a_chunked_body_is_counted_as_it_arrives(api):
    async def chunks():
        for _ in range(40):
            yield b"z" * 65_536  # 2.5 MiB in all, without a Content-Length

    response = await api.post("/v2/bookings", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413, response.text


async def test_a_body_under_the_limit_still_books(api):
    response = await api.post(
        "/v2/bookings", json=booking_body(soon(3600), bookingFieldsResponses={"n": "x" * 500_000})
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("GET", f"/v2/event-types/{BIG}", "event_type_id"),
        ("GET", f"/v2/bookings?eventTypeId={BIG}", "eventTypeId"),
        ("GET", f"/v2/bookings?take=10&skip={-BIG}", "skip"),
        ("GET", f"/v2/routing-forms/1/responses/{BIG}", "response_id"),
        ("GET", f"/v2/bookings?eventTypeId={'9' * 5000}", "eventTypeId"),
    ],
)
async def test_integers_beyond_int64_in_paths_and_queries_are_400_naming_the_field(api, method, path, field):
    response = await api.request(method, path)
    assert response.status_code == 400, response.text
    assert _error(response).startswith(f"{field}: integer out of range")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"eventTypeId": BIG}, "eventTypeId"),
        ({"routing": {"responseId": -BIG}}, "routing.responseId"),
        ({"bookingFieldsResponses": {"guests": [1, BIG]}}, "bookingFieldsResponses.guests[1]"),
    ],
)
async def test_integers_beyond_int64_in_bodies_are_400_naming_the_field(api, sqlite_db, changes, field):
    response = await api.post("/v2/bookings", json=booking_body(soon(3600), **changes))
    assert response.status_code == 400, response.text
    assert _error(response).startswith(f"{field}: integer out of range")
    assert await stored_uids(sqlite_db) == []


@pytest.mark.parametrize(
    ("attendee", "field"),
    [
        ({"name": "n" * 256, "email": "bo@example.com", "timeZone": "UTC"}, "attendee.name"),
        ({"name": "Bo", "email": "bo@example.com", "timeZone": "U" * 65}, "attendee.timeZone"),
    ],
)
async def test_strings_have_maximum_lengths(api, attendee, field):
    response = await api.post("/v2/bookings", json=booking_body(soon(3600), attendee=attendee))
    assert response.status_code == 400, response.text
    assert field in _error(response)


@pytest.mark.parametrize(
    "start",
    [
        "9999-12-31T23:59:00Z",
        (datetime.now(UTC) + timedelta(days=731)).isoformat(),
        (datetime.now(UTC) + timedelta(days=365 * 100)).isoformat(),
        (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
    ],
)
async def test_starts_before_now_or_beyond_the_horizon_are_400_naming_start(api, sqlite_db, start):
    response = await api.post("/v2/bookings", json=booking_body(soon(0)) | {"start": start})
    assert response.status_code == 400, response.text
    assert _error(response).startswith("start: ")
    assert await stored_uids(sqlite_db) == []


async def test_the_horizon_is_configurable_and_applies_to_reschedules(temporal_env, sqlite_db, task_queue):
    await seed(sqlite_db, event_type(1))
    async with edge_api(temporal_env.client, sqlite_db, task_queue, horizon_days=7) as http:
        beyond = await http.post("/v2/bookings", json=booking_body(datetime.now(UTC) + timedelta(days=8)))
        assert beyond.status_code == 400 and _error(beyond).startswith("start: "), beyond.text
        inside = await http.post("/v2/bookings", json=booking_body(datetime.now(UTC) + timedelta(days=6)))
        assert inside.status_code == 201, inside.text
        uid = inside.json()["data"]["uid"]
        moved = await http.post(f"/v2/bookings/{uid}/reschedule", json={"start": "9999-12-31T23:59:00Z"})
        assert moved.status_code == 400 and _error(moved).startswith("start: "), moved.text


async def test_a_temporal_payload_refusal_is_413_naming_the_largest_field(temporal_env, sqlite_db, task_queue):
    await seed(sqlite_db, event_type(1))
    start = soon(3600)
    # A body limit raised past Temporal's 2 MB blob limit: the refusal comes from Temporal itself.
    async with edge_api(temporal_env.client, sqlite_db, task_queue, max_body_bytes=8_000_000) as http:
        huge = booking_body(start, bookingFieldsResponses={"notes": "x" * 2_500_000, "short": "y"})
        response = await http.post("/v2/bookings", json=huge)
        assert response.status_code == 413, response.text
        assert _error(response).startswith("bookingFieldsResponses.notes: ")
        assert await stored_uids(sqlite_db) == []
        # Nothing was kept: the same slot books at once.
        assert (await http.post("/v2/bookings", json=booking_body(start))).status_code == 201


async def test_503_only_when_temporal_is_unreachable(sqlite_db, task_queue):
    await seed(sqlite_db, event_type(1))
    down = await Client.connect("127.0.0.1:1", lazy=True, data_converter=pydantic_data_converter)
    async with edge_api(down, sqlite_db, task_queue) as http:
        response = await http.post("/v2/bookings", json=booking_body(soon(3600)))
    assert response.status_code == 503, response.text
    assert await stored_uids(sqlite_db) == []
