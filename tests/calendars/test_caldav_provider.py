"""The CalDAV adapter against a real Radicale: idempotent writes, in-place updates, incremental sync."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from calendars.caldav_provider import CalDavProvider
from calendars.model import Attendee, CredentialRejected, EventContent
from testkit.radicale import RadicaleServer
from tests.calendars.conftest import PASSWORD

START = datetime(2026, 12, 10, 10, tzinfo=UTC)


def content(uid: str, sequence: int = 0, start: datetime = START) -> EventContent:
    return EventContent(
        uid=uid,
        sequence=sequence,
        title="Intro",
        start=start,
        end=start + timedelta(minutes=30),
        organizer=Attendee(name="Ada", email="ada@example.com"),
        attendees=[Attendee(name="Bo", email="bo@example.com")],
        stamp=datetime.now(UTC),
    )


@pytest.fixture
def calendar(radicale: RadicaleServer) -> str:
    return radicale.make_calendar("ada", f"cal-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def provider(radicale: RadicaleServer) -> CalDavProvider:
    return CalDavProvider(radicale.url + "/", "ada", PASSWORD)


def test_lists_the_accounts_calendars(provider: CalDavProvider, calendar: str):
    assert calendar in [c.external_id for c in provider.list_calendars()]


def test_a_repeated_create_makes_one_event(radicale: RadicaleServer, provider: CalDavProvider, calendar: str):
    first = provider.put_event(calendar, content("m1@bookflow"))
    again = provider.put_event(calendar, content("m1@bookflow"))  # a retried activity
    assert first.created and not again.created
    assert first.event_id == again.event_id
    stored = radicale.events(calendar, "ada")
    assert len(stored) == 1
    assert "UID:m1@bookflow" in next(iter(stored.values()))


def test_a_higher_sequence_moves_the_same_event_and_a_stale_one_does_not(
    radicale: RadicaleServer, provider: CalDavProvider, calendar: str
):
    provider.put_event(calendar, content("m2@bookflow"))
    later = START + timedelta(hours=3)
    moved = provider.put_event(calendar, content("m2@bookflow", sequence=1, start=later))
    assert not moved.created
    [text] = radicale.events(calendar, "ada").values()
    assert "DTSTART:20261210T130000Z" in text and "SEQUENCE:1" in text
    provider.put_event(calendar, content("m2@bookflow", sequence=0))  # an old write arriving late
    [text] = radicale.events(calendar, "ada").values()
    assert "DTSTART:20261210T130000Z" in text


def test_delete_is_idempotent(radicale: RadicaleServer, provider: CalDavProvider, calendar: str):
    written = provider.put_event(calendar, content("m3@bookflow"))
    provider.delete_event(calendar, written.event_id)
    provider.delete_event(calendar, written.event_id)  # gone already: done
    assert radicale.events(calendar, "ada") == {}


def test_sync_is_incremental_and_the_ctag_tells_when_nothing_changed(
    radicale: RadicaleServer, provider: CalDavProvider, calendar: str
):
    first = provider.put_event(calendar, content("s1@bookflow"))
    full = provider.sync(calendar, None)
    assert full.full and [e.event_id for e in full.changed] == [first.event_id]
    marker = provider.change_marker(calendar)
    assert provider.change_marker(calendar) == marker
    second = provider.put_event(calendar, content("s2@bookflow"))
    provider.delete_event(calendar, first.event_id)
    assert provider.change_marker(calendar) != marker
    delta = provider.sync(calendar, full.token)
    assert not delta.full
    assert [e.event_id for e in delta.changed] == [second.event_id]
    assert delta.deleted == [first.event_id]


def test_a_wrong_password_is_a_rejected_credential(radicale: RadicaleServer, calendar: str):
    wrong = CalDavProvider(radicale.url + "/", "ada", "not-the-password")
    with pytest.raises(CredentialRejected):
        wrong.list_calendars()
    with pytest.raises(CredentialRejected):
        wrong.put_event(calendar, content("x@bookflow"))
