"""Instant meetings (issue 16 item 7): AWAITING_HOST, INSTANT_MEETING with a one-time connect-and-join link,
the first host to accept becomes the organizer (INSTANT_MEETING_ACCEPTED once), expiry cancels, and an
awaiting meeting cannot be rescheduled."""

import asyncio
import json
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from icalendar import Calendar
from sqlalchemy import select

from domain.config import Host, User
from store import api_keys
from store import webhooks as webhook_store
from store.api_keys import Role
from store.availability import HoldRow
from store.instant import InstantTokenRow
from testkit.radicale import RadicaleServer
from testkit.receiver import receiving
from testkit.stack import ORGANIZER, event_type, eventually, running_stack, seed, soon
from tests.bookings_calcom.test_own_openapi import _problems as _own_problems
from tests.calendars.conftest import PASSWORD
from tests.console.helpers import csrf_of, signed_in
from tests.contract.calcom import check, problems
from tests.reminders.support import message_log, reminder_stack, rule, settings, settled_log
from worker.settings import load_settings

BOOKINGS = {"cal-api-version": "2024-08-13"}
BEA = User(id=2, name="Bea Host", email="bea@example.com", username="bea", time_zone="UTC")
CY = User(id=3, name="Cy Outsider", email="cy@example.com", username="cy", time_zone="UTC")
TEAM = [Host(user_id=1), Host(user_id=2)]


def _instant_type(id: int = 1, expiry: int = 600, **fields):
    fields = {"hosts": TEAM, "is_instant_event": True, "instant_meeting_expiry_time_offset_in_seconds": expiry} | fields
    return event_type(id, **fields)


async def _seed(stack, *event_types) -> None:
    await seed(stack.db, *event_types, users=[ORGANIZER, BEA, CY])


async def _ring(stack, event_type_id: int = 1):
    body = {
        "start": soon(120).replace(microsecond=0).isoformat(),
        "eventTypeId": event_type_id,
        "instant": True,
        "attendee": {"name": "John Doe", "email": "john@example.com", "timeZone": "America/New_York"},
    }
    return await stack.http.post("/v2/bookings", json=body, headers=BOOKINGS)


async def _key(stack, user: User) -> str:
    """An API key of ``user`` (the kit issues keys for users 1 and 2 only)."""
    async with stack.db.transaction() as session:
        _, plaintext = await api_keys.create(session, user.id, user.username, "test", Role.USER, datetime.now(UTC))
    return plaintext.get_secret_value()


async def _events(stack, uid: str, trigger: str) -> list[dict]:
    return [e.body for e in await stack.events(uid) if e.trigger == trigger]


async def _link(stack, uid: str) -> str:
    sent = await eventually(lambda: _events(stack, uid, "INSTANT_MEETING"), lambda found: len(found) == 1)
    return sent[0]["payload"]["connectAndJoinUrl"]


def _token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


async def _accept(stack, key: str, uid: str):
    async with stack.as_(key) as http:
        return await http.post(f"/v2/bookings/{uid}/instant/accept", headers=BOOKINGS)


@pytest.fixture
async def pg_stack(temporal_env, pg_db, task_queue):
    """The stack over PostgreSQL, where the holds' exclusion constraint guards the accepting host's time."""
    async with running_stack(temporal_env.client, pg_db, task_queue) as running:
        yield running


async def _holds(stack, uid: str) -> list[tuple[int, bool]]:
    async with stack.db.sessions() as session:
        rows = await session.scalars(select(HoldRow).where(HoldRow.uid == uid))
        return [(row.host_id, row.active) for row in rows]


async def test_the_first_host_to_accept_becomes_the_organizer_and_later_ones_get_409(stack):
    await _first_host_wins(stack)


async def test_the_first_host_wins_on_postgresql(pg_stack):
    await _first_host_wins(pg_stack)


async def _first_host_wins(stack) -> None:
    await _seed(stack, _instant_type())
    created = await _ring(stack)
    assert created.status_code == 201, created.text
    booking = created.json()["data"]
    assert booking["status"] == "awaiting_host"  # as Cal.com answers it (its enum leaves it out: spec C11)
    uid = booking["uid"]

    assert await _holds(stack, uid) == [(ORGANIZER.id, False)]  # ringing holds nobody's time
    url = await _link(stack, uid)
    public = load_settings().messaging.public_url.rstrip("/")
    assert url.startswith(f"{public}/console/connect-and-join?token=")
    token = _token(url)
    assert len(token) >= 40
    async with stack.db.sessions() as session:
        stored = list(await session.scalars(select(InstantTokenRow)))
    assert [row.booking_uid for row in stored] == [uid] and token not in {row.digest for row in stored}

    outsider = await _accept(stack, await _key(stack, CY), uid)
    assert outsider.status_code == 404, outsider.text  # another user's booking: as if it did not exist
    admin = await stack.http.post(f"/v2/bookings/{uid}/instant/accept")
    assert admin.status_code == 403 and "host" in admin.json()["error"]["message"], admin.text

    first = await _accept(stack, stack.keys.other, uid)  # Bea, the second host, is first to accept
    assert first.status_code == 200, first.text
    assert problems({"$ref": "#/components/schemas/GetBookingOutput_2024_08_13"}, first.json()) == []
    accepted = first.json()["data"]
    assert accepted["status"] == "accepted" and [h["email"] for h in accepted["hosts"]] == ["bea@example.com"]
    late = await _accept(stack, stack.keys.owner, uid)
    assert late.status_code == 409 and "already accepted by bea" in late.json()["error"]["message"], late.text

    read = check(await stack.http.get(f"/v2/bookings/{uid}", headers=BOOKINGS))["data"]
    assert read["status"] == "accepted" and read["hosts"][0]["id"] == BEA.id
    assert await _holds(stack, uid) == [(BEA.id, True)]  # now the meeting takes Bea's time
    sent = await eventually(lambda: _events(stack, uid, "INSTANT_MEETING_ACCEPTED"), lambda found: len(found) == 1)
    payload = sent[0]["payload"]
    assert payload["status"] == "ACCEPTED" and payload["bookingUid"] == uid
    assert payload["organizer"]["email"] == "bea@example.com"
    assert await stack.triggers(uid) == ["INSTANT_MEETING", "INSTANT_MEETING_ACCEPTED"]  # once, nothing for Ada
    async with stack.as_(stack.keys.other) as bea:  # the accepting host's list has it as theirs
        mine = check(await bea.get("/v2/bookings", params={"status": "upcoming"}, headers=BOOKINGS))["data"]
    assert [b["uid"] for b in mine] == [uid]


async def test_a_meeting_nobody_accepts_is_cancelled_when_it_expires(stack):
    await _seed(stack, _instant_type(expiry=2))
    uid = (await _ring(stack)).json()["data"]["uid"]

    async def status() -> dict:
        return (await stack.http.get(f"/v2/bookings/{uid}", headers=BOOKINGS)).json()["data"]

    cancelled = await eventually(status, lambda b: b["status"] == "cancelled")
    assert "No host accepted the instant meeting within 2 seconds" in cancelled["cancellationReason"]
    sent = await eventually(lambda: _events(stack, uid, "BOOKING_CANCELLED"), lambda found: len(found) == 1)
    assert "No host accepted" in sent[0]["payload"]["cancellationReason"]
    too_late = await _accept(stack, stack.keys.owner, uid)
    assert too_late.status_code == 409, too_late.text
    assert "INSTANT_MEETING_ACCEPTED" not in await stack.triggers(uid)


async def test_instant_is_refused_on_event_types_that_cannot_ring_several_hosts(stack):
    await _seed(
        stack,
        event_type(1, hosts=TEAM),  # several hosts, not instant-enabled
        _instant_type(2, hosts=[Host(user_id=1)]),  # instant-enabled, one host
    )
    for event_type_id, why in ((1, "isInstantEvent"), (2, "one host")):
        refused = await _ring(stack, event_type_id)
        assert refused.status_code == 400, refused.text
        message = refused.json()["error"]["message"]
        assert message.startswith("instant:") and why in message
    listed = check(await stack.http.get("/v2/bookings", headers=BOOKINGS))["data"]
    assert listed == []  # nothing was booked


async def test_an_awaiting_meeting_cannot_be_rescheduled_but_can_be_cancelled(stack):
    await _seed(stack, _instant_type())
    uid = (await _ring(stack)).json()["data"]["uid"]
    moved = await stack.http.post(
        f"/v2/bookings/{uid}/reschedule", json={"start": soon(3600).isoformat()}, headers=BOOKINGS
    )
    assert moved.status_code == 400 and "awaiting_host" in moved.json()["error"]["message"], moved.text
    cancelled = check(
        await stack.http.post(f"/v2/bookings/{uid}/cancel", json={"cancellationReason": "solved"}, headers=BOOKINGS)
    )["data"]
    assert cancelled["status"] == "cancelled" and cancelled["cancellationReason"] == "solved"
    await eventually(lambda: stack.triggers(uid), lambda t: t == ["INSTANT_MEETING", "BOOKING_CANCELLED"])
    too_late = await _accept(stack, stack.keys.owner, uid)
    assert too_late.status_code == 409, too_late.text


async def test_a_signed_in_host_accepts_on_the_connect_and_join_page(stack):
    await _seed(stack, _instant_type())
    uid = (await _ring(stack)).json()["data"]["uid"]
    url = await _link(stack, uid)
    token = _token(url)
    async with stack.as_(None) as anonymous:  # not signed in: to the login page, which comes back here
        away = await anonymous.get(urlsplit(url)._replace(scheme="", netloc="").geturl())
    assert away.status_code == 303 and away.headers["location"].startswith("/console/login?next=")

    async with signed_in(stack, stack.keys.other) as bea:
        shown = await bea.get(urlsplit(url)._replace(scheme="", netloc="").geturl())  # the link, as sent
        assert shown.status_code == 200 and "John Doe" in shown.text, shown.text
        forged = await bea.post("/console/connect-and-join", data={"token": token, "csrf_token": "forged"})
        assert forged.status_code == 403
        accepted = await bea.post("/console/connect-and-join", data={"token": token, "csrf_token": csrf_of(shown.text)})
        assert accepted.status_code == 200 and "you are the organizer" in accepted.text, accepted.text
        unknown = await bea.get("/console/connect-and-join", params={"token": "not-a-token"})
        assert unknown.status_code == 404

    async with signed_in(stack, stack.keys.owner) as ada:  # the other host, too late
        shown = await ada.get("/console/connect-and-join", params={"token": token})
        late = await ada.post("/console/connect-and-join", data={"token": token, "csrf_token": csrf_of(shown.text)})
        assert late.status_code == 409 and "already accepted by bea" in late.text
    async with signed_in(stack, await _key(stack, CY)) as cy:  # not a host: the meeting is not theirs to see
        assert (await cy.get("/console/connect-and-join", params={"token": token})).status_code == 404
    assert await stack.triggers(uid) == ["INSTANT_MEETING", "INSTANT_MEETING_ACCEPTED"]


async def test_event_types_take_and_return_the_instant_settings(stack):
    await seed(stack.db, users=[ORGANIZER, BEA])
    body = {"title": "Urgent", "slug": "urgent", "lengthInMinutes": 15, "hosts": [{"userId": 1}, {"userId": 2}]}
    instant = {"isInstantEvent": True, "instantMeetingExpiryTimeOffsetInSeconds": 30}
    async with stack.as_(stack.keys.owner) as http:
        created = check(await http.post("/v2/event-types", json=body | instant))["data"]
        assert created["isInstantEvent"] is True and created["instantMeetingExpiryTimeOffsetInSeconds"] == 30
        plain = check(await http.post("/v2/event-types", json=body | {"slug": "plain"}))["data"]
        assert plain["isInstantEvent"] is False and plain["instantMeetingExpiryTimeOffsetInSeconds"] == 90
        wrong = await http.post(
            "/v2/event-types", json=body | {"slug": "x", "instantMeetingExpiryTimeOffsetInSeconds": 0}
        )
        assert wrong.status_code == 400 and "instantMeetingExpiryTimeOffsetInSeconds" in wrong.text, wrong.text
        off = check(await http.patch(f"/v2/event-types/{created['id']}", json={"isInstantEvent": False}))["data"]
        assert off["isInstantEvent"] is False and off["instantMeetingExpiryTimeOffsetInSeconds"] == 30


async def test_bookflows_own_document_describes_instant_meetings(stack):
    await _seed(stack, _instant_type())
    spec = (await stack.http.get("/openapi.json")).json()
    assert "instant" in spec["components"]["schemas"]["CreateBooking"]["properties"]
    accept = spec["paths"]["/v2/bookings/{uid}/instant/accept"]["post"]
    assert "host" in accept["description"] and "409" in accept["description"]
    ringing = await _ring(stack)
    assert _own_problems(spec, "/v2/bookings", "post", "201", ringing.json()) == []
    uid = ringing.json()["data"]["uid"]
    accepted = await _accept(stack, stack.keys.owner, uid)
    assert _own_problems(spec, "/v2/bookings/{uid}/instant/accept", "post", "200", accepted.json()) == []


async def test_instant_meeting_rings_every_hosts_own_webhooks_once(stack):
    await _seed(stack, _instant_type())
    async with receiving() as receiver:
        for name, key in (("ada", stack.keys.owner), ("bea", stack.keys.other), ("cy", await _key(stack, CY))):
            hook = {"subscriberUrl": receiver.url_for("127.0.0.1", f"/{name}"), "triggers": ["INSTANT_MEETING"]}
            async with stack.as_(key) as http:
                assert (await http.post("/v2/webhooks", json=hook | {"active": True})).status_code == 201
        uid = (await _ring(stack)).json()["data"]["uid"]
        requests = await receiver.wait_for(2)
        (ringing,) = await _events(stack, uid, "INSTANT_MEETING")
        async with stack.db.sessions() as session:
            deliveries = await webhook_store.deliveries_of_events(session, [f"{uid}:INSTANT_MEETING:0"])
    # Ada (the placeholder organizer) and Bea (the other host) each hear it once; Cy, no host, does not.
    assert sorted(r.path for r in requests) == ["/ada", "/bea"]
    assert len({d.subscription_id for d in deliveries}) == len(deliveries) == 2
    assert {json.loads(r.body)["payload"]["connectAndJoinUrl"] for r in requests} == {
        ringing["payload"]["connectAndJoinUrl"]
    }


async def _destination(stack, key: str, server: RadicaleServer, account: str, calendar_url: str) -> None:
    """Connect ``account``'s CalDAV calendar for the user of ``key`` and make it their destination calendar."""
    async with stack.as_(key) as http:
        login = {"username": account, "password": PASSWORD, "url": server.url + "/"}
        connected = await http.post("/v2/calendars/caldav/credentials", json=login)
        assert connected.status_code == 201, connected.text
        target = {"integration": "caldav_calendar", "externalId": calendar_url}
        chosen = await http.put("/v2/destination-calendars", json=target)
        assert chosen.status_code == 200, chosen.text


def _calendar_uids(server: RadicaleServer, calendar_url: str, account: str) -> list[str]:
    return [
        str(event["uid"])
        for text in server.events(calendar_url, account).values()
        for event in Calendar.from_ical(text).walk("VEVENT")
    ]


async def test_the_accepting_host_gets_the_calendar_event_and_the_attendee_the_confirmation(
    temporal_env, sqlite_db, task_queue, smtp, radicale
):
    # Only Bea has a destination calendar (on the CalDAV account "grace"); Ada, the placeholder organizer, none.
    bea_calendar = radicale.make_calendar("grace", f"bea-{uuid.uuid4().hex[:8]}")
    mail = settings(email_server_host="127.0.0.1", email_server_port=smtp.port, email_from="bookflow@example.com")
    async with reminder_stack(temporal_env.client, sqlite_db, task_queue, mail) as stack:
        await _seed(stack, _instant_type(workflows=[rule("newEvent", None, id=1)]))
        await _destination(stack, stack.keys.other, radicale, "grace", bea_calendar)
        uid = (await _ring(stack)).json()["data"]["uid"]
        await _link(stack, uid)
        assert await message_log(sqlite_db, uid) == []  # ringing confirms nothing to anyone

        assert (await _accept(stack, stack.keys.other, uid)).status_code == 200  # Bea accepts
        found = await eventually(
            lambda: asyncio.to_thread(_calendar_uids, radicale, bea_calendar, "grace"), lambda uids: len(uids) == 1
        )
        assert found == [f"{uid}@bookflow"]
        (sent,) = await settled_log(sqlite_db, uid, 1)
        await eventually(lambda: stack.triggers(uid), lambda t: "INSTANT_MEETING_ACCEPTED" in t)
        assert await stack.triggers(uid) == ["INSTANT_MEETING", "INSTANT_MEETING_ACCEPTED"]  # no BOOKING_CREATED
    assert sent.recipient == "john@example.com"
    ((envelope, message),) = smtp.inbox.messages
    assert envelope.rcpt_tos == ["john@example.com"] and "Bea Host" in message.get_body(("plain",)).get_content()
