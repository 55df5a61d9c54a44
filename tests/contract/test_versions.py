"""`cal-api-version`: each route family serves the newest known version on or before the date sent."""

import pytest

from api.versions import Family, resolve
from testkit.stack import event_type, seed
from tests.contract import calcom


@pytest.mark.parametrize(
    ("family", "sent", "served"),
    [
        (Family.BOOKINGS, "2026-02-25", "2024-08-13"),  # later than we know: the newest
        (Family.BOOKINGS, "2024-08-13", "2024-08-13"),
        (Family.BOOKINGS, "2024-08-12", "2024-04-15"),  # between two versions: the earlier one
        (Family.BOOKINGS, "2023-01-01", "2024-04-15"),  # before the first: the oldest
        (Family.BOOKINGS, None, "2024-08-13"),
        (Family.EVENT_TYPES, "2026-02-25", "2024-06-14"),
        (Family.SLOTS, "2025-01-01", "2024-09-04"),
        (Family.SCHEDULES, "2024-06-11", "2024-06-11"),
    ],
)
def test_a_date_resolves_to_the_version_on_or_before_it(family, sent, served):
    assert resolve(family, sent) == served


@pytest.mark.parametrize(
    ("path", "newest"),
    [("/v2/bookings", "2024-08-13"), ("/v2/event-types", "2024-06-14"), ("/v2/schedules", "2024-06-11")],
)
def test_the_newest_version_served_is_the_one_calcom_documents(path, newest):
    assert calcom.documented_version("GET", path) == newest


async def test_the_version_served_is_echoed_per_route(stack):
    await seed(stack.db, event_type(1))
    nexla = {"cal-api-version": "2026-02-25"}  # what seed 002's Nexla templates send
    bookings = await stack.http.get("/v2/bookings", headers=nexla)
    assert bookings.status_code == 200, bookings.text
    assert bookings.headers["cal-api-version"] == "2024-08-13"
    calcom.check(bookings)
    types = await stack.http.get("/v2/event-types", headers=nexla)
    assert types.status_code == 200 and types.headers["cal-api-version"] == "2024-06-14"
    older = await stack.http.get("/v2/bookings", headers={"cal-api-version": "2024-05-01"})
    assert older.headers["cal-api-version"] == "2024-04-15"
    plain = await stack.http.get("/v2/schedules")
    assert plain.headers["cal-api-version"] == "2024-06-11"


@pytest.mark.parametrize("sent", ["banana", "2024-13-01", "latest"])
async def test_a_value_that_is_not_a_date_is_a_400_naming_the_header(stack, sent):
    response = await stack.http.get("/v2/bookings", headers={"cal-api-version": sent})
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("cal-api-version:")
