"""Schedules and out-of-office entries in `bookflow config apply`, and `/v2/me`."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from domain.config import Configuration
from store import availability, config
from testkit.stack import ORGANIZER, event_type, seed

DOCUMENT = {
    "users": [ORGANIZER.wire()],
    "schedules": [
        {
            "id": 7,
            "userId": 1,
            "name": "Mornings",
            "timeZone": "Europe/Berlin",
            "isDefault": True,
            "availability": [{"days": ["Monday"], "startTime": "08:00", "endTime": "12:00"}],
        },
    ],
    "outOfOffice": [
        {"id": 3, "userId": 1, "start": "2030-01-01T00:00:00Z", "end": "2030-01-08T00:00:00Z", "reason": "vacation"}
    ],
    "eventTypes": [event_type(1, schedule_id=7).wire()],
}


async def test_config_apply_stores_schedules_and_out_of_office_and_export_returns_them(sqlite_db):
    async with sqlite_db.transaction() as session:
        await config.apply_configuration(session, Configuration.model_validate(DOCUMENT))
    async with sqlite_db.sessions() as session:
        exported = await config.export_configuration(session)
        user = await config.get_user(session, 1)
        loaded = await availability.load_hosts(
            session,
            exported.event_types[0],
            [1],
            datetime(2030, 1, 1, tzinfo=UTC),
            datetime(2030, 1, 9, tzinfo=UTC),
            datetime(2029, 1, 1, tzinfo=UTC),
        )
    assert user is not None and user.default_schedule_id == 7
    assert [s.name for s in exported.schedules] == ["Mornings"] and exported.schedules[0].is_default
    assert exported.out_of_office[0].reason == "vacation"
    assert loaded[0].schedule.id == 7 and [b.source for b in loaded[0].busy] == ["out_of_office"]


def test_an_event_type_cannot_use_another_users_schedule():
    document = {**DOCUMENT, "eventTypes": [event_type(1, schedule_id=7, hosts=[{"userId": 2}]).wire()]}
    with pytest.raises(ValidationError, match="scheduleId"):
        Configuration.model_validate(document)


async def test_me_reads_and_changes_the_profile(stack):
    await seed(stack.db, event_type(1))
    async with stack.as_(stack.keys.owner) as http:
        me = (await http.get("/v2/me")).json()["data"]
        assert (me["id"], me["username"], me["timeZone"]) == (1, "ada", "Europe/Berlin")
        other = await http.post("/v2/schedules", json={"name": "Evenings", "timeZone": "Europe/Berlin"})
        changed = await http.patch(
            "/v2/me", json={"timeZone": "America/New_York", "defaultScheduleId": other.json()["data"]["id"]}
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["data"]["timeZone"] == "America/New_York"
        default = (await http.get("/v2/schedules/default")).json()["data"]
        assert default["name"] == "Evenings"
        bad = await http.patch("/v2/me", json={"timeZone": "Mars/Olympus"})
        assert bad.status_code == 400 and bad.json()["error"]["message"].startswith("timeZone")
        limits = await http.patch("/v2/me/booking-limits", json={"perDay": 2})
        assert limits.json()["data"]["perDay"] == 2
    async with stack.as_(None) as http:
        assert (await http.get("/v2/me")).status_code == 401
