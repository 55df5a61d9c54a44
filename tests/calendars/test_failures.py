"""When a calendar cannot be trusted: a revoked login makes its host busy (fail closed) and shows why; a
retried write makes no second event; calendar URLs obey the outbound URL rules; owners only."""

import uuid
from datetime import UTC, datetime

from activities.calendars import CalendarActivities, calendar_policy
from testkit.radicale import RadicaleServer
from testkit.stack import Stack, event_type, eventually, seed
from tests.calendars.conftest import PASSWORD
from tests.calendars.test_end_to_end import DAY, at, connect, our_events, ours, slot_hours, try_booking


async def test_a_revoked_login_makes_the_host_busy_and_shows_the_error(stack: Stack):
    with RadicaleServer(users={"ada": PASSWORD}) as radicale:
        calendar_url = radicale.make_calendar("ada", "work")
        await seed(stack.db, event_type(1, length_in_minutes=30))
        credential = await connect(stack, radicale, calendar_url)
        assert (9, 0) in await slot_hours(stack)

        radicale.set_password("ada", "revoked-" + uuid.uuid4().hex)
        async with stack.as_(stack.keys.owner) as http:
            checked = await http.get("/v2/calendars/caldav/check")
            assert checked.status_code == 400
            assert f"credentialId {credential}" in checked.json()["error"]["message"]
            [connection] = (await http.get("/v2/calendars")).json()["data"]["connectedCalendars"]
        assert connection["status"] == "token_expired"
        assert connection["syncErrorCount"] >= 1 and connection["syncErrorAt"] is not None
        assert "refused the credentials" in connection["error"]
        assert PASSWORD not in str(connection)
        assert await slot_hours(stack) == []  # fail closed: nothing bookable while the calendar is unreadable
        refused = await try_booking(stack, at(9))
        assert refused.status_code == 400

        radicale.set_password("ada", PASSWORD)  # the account works again
        async with stack.as_(stack.keys.owner) as http:
            assert (await http.get("/v2/calendars/caldav/check")).status_code == 200
            [connection] = (await http.get("/v2/calendars")).json()["data"]["connectedCalendars"]
        assert connection["status"] == "ok" and connection["syncErrorCount"] == 0
        assert (9, 0) in await slot_hours(stack)


async def test_a_retried_write_makes_no_second_event(stack: Stack, radicale: RadicaleServer):
    calendar_url = radicale.make_calendar("ada", f"work-{uuid.uuid4().hex[:8]}")
    await seed(stack.db, event_type(1, length_in_minutes=30))
    await connect(stack, radicale, calendar_url)
    booked = await stack.book(1, at(16))
    await eventually(lambda: our_events(radicale, calendar_url), lambda found: len(found) == 1)
    # The activity again, as after a crash between the provider's answer and Temporal's record of it.
    activities = CalendarActivities(stack.db, calendar_policy(allow_private=True))
    for _ in range(2):
        again = await activities.write_booking_event(booked["uid"])
        assert again.action == "updated"
    [event] = ours(radicale, calendar_url)
    assert str(event["uid"]) == f"{booked['uid']}@bookflow"
    async with stack.db.sessions() as session:
        from store import calendars

        [reference] = await calendars.references_of(session, booked["uid"])
    assert reference.uid.endswith(f"{booked['uid']}%40bookflow.ics") and not reference.deleted


async def test_a_calendar_url_must_be_allowed(stack: Stack):
    async with stack.as_(stack.keys.owner) as http:
        metadata = await http.post(
            "/v2/calendars/caldav/credentials",
            json={"username": "ada", "password": "x", "url": "http://169.254.169.254/latest/"},
        )
        assert metadata.status_code == 400
        assert metadata.json()["error"]["message"].startswith("url: ")
        missing = await http.post("/v2/calendars/caldav/credentials", json={"username": "ada", "password": "x"})
        assert missing.status_code == 400 and "url" in missing.json()["error"]["message"]
        unknown = await http.post("/v2/calendars/nextcloud/credentials", json={"username": "a", "password": "b"})
        assert unknown.status_code == 400 and "calendar" in unknown.json()["error"]["message"]
        assert (await http.get("/v2/calendars")).json()["data"]["connectedCalendars"] == []


async def test_a_wrong_password_is_refused_and_nothing_is_saved(stack: Stack, radicale: RadicaleServer):
    async with stack.as_(stack.keys.owner) as http:
        refused = await http.post(
            "/v2/calendars/caldav/credentials",
            json={"username": "ada", "password": "wrong", "url": radicale.url + "/"},
        )
        assert refused.status_code == 400
        assert "Could not add this caldav account" in refused.json()["error"]["message"]
        assert "wrong" not in refused.text
        assert (await http.get("/v2/calendars")).json()["data"]["connectedCalendars"] == []


async def test_only_the_owner_reaches_a_connection_and_disconnect_frees_the_time(
    stack: Stack, radicale: RadicaleServer
):
    calendar_url = radicale.make_calendar("ada", f"work-{uuid.uuid4().hex[:8]}")
    await seed(stack.db, event_type(1, length_in_minutes=30))
    radicale.put_event(calendar_url, "gym", _event("gym", at(12), at(13)), "ada")
    credential = await connect(stack, radicale, calendar_url)
    assert (12, 0) not in await slot_hours(stack)
    selection = {"integration": "caldav_calendar", "externalId": calendar_url, "credentialId": credential}
    async with stack.as_(stack.keys.other) as http:
        assert (await http.post("/v2/selected-calendars", json=selection)).status_code == 404
        assert (await http.post("/v2/calendars/caldav/disconnect", json={"id": credential})).status_code == 404
        busy = await http.get(
            "/v2/calendars/busy-times",
            params={"loggedInUsersTz": "UTC", "credentialId": credential, "externalId": calendar_url},
        )
        assert busy.status_code == 404
        assert (await http.get("/v2/calendars")).json()["data"]["connectedCalendars"] == []
    async with stack.as_(stack.keys.owner) as http:
        gone = await http.post("/v2/calendars/caldav/disconnect", json={"id": credential})
        assert gone.status_code == 200 and gone.json()["data"]["id"] == credential
        assert (await http.get("/v2/calendars")).json()["data"]["connectedCalendars"] == []
    assert (12, 0) in await slot_hours(stack)


async def test_a_recurring_series_and_tentative_events(stack: Stack, radicale: RadicaleServer):
    calendar_url = radicale.make_calendar("ada", f"work-{uuid.uuid4().hex[:8]}")
    await seed(stack.db, event_type(1, length_in_minutes=30))
    # A daily stand-up since 2020 (long before any 365-iteration limit would reach today) and a tentative hold.
    standup = _event("standup", datetime(2020, 1, 1, 8, tzinfo=UTC), datetime(2020, 1, 1, 8, 30, tzinfo=UTC))
    radicale.put_event(calendar_url, "standup", standup.replace("SUMMARY", "RRULE:FREQ=DAILY\r\nSUMMARY"), "ada")
    maybe = _event("maybe", at(17), at(18)).replace("SUMMARY", "STATUS:TENTATIVE\r\nSUMMARY")
    radicale.put_event(calendar_url, "maybe", maybe, "ada")
    await connect(stack, radicale, calendar_url)
    hours = await slot_hours(stack)
    assert (8, 0) not in hours and (8, 30) in hours
    assert (17, 0) in hours  # tentative: "only confirmed events block time"
    assert at(0).date() == DAY


def _event(uid: str, start: datetime, end: datetime) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//someone else//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start:%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{end:%Y%m%dT%H%M%SZ}\r\nSUMMARY:{uid}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
