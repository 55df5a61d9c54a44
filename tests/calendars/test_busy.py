"""Which calendar events block time: recurrences expanded; transparent, cancelled, declined and (by default)
tentative events free; all-day events in the calendar's zone; Bookflow's own events left to their holds."""

from datetime import UTC, datetime

from calendars.busy import busy_intervals
from calendars.model import SyncedEvent

WINDOW = (datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 15, tzinfo=UTC))


def ics(*lines: str, uid: str = "e1") -> SyncedEvent:
    body = "\r\n".join(["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20200101T000000Z", *lines, "END:VEVENT"])
    text = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\n{body}\r\nEND:VCALENDAR\r\n"
    return SyncedEvent(event_id=f"/ada/work/{uid}.ics", ics=text)


def spans(event: SyncedEvent, **options) -> list[tuple[datetime, datetime]]:
    return [(b.start, b.end) for b in busy_intervals(event, WINDOW, **options)]


def test_a_plain_event_blocks_its_time():
    event = ics("DTSTART:20261210T100000Z", "DTEND:20261210T110000Z")
    assert spans(event) == [(datetime(2026, 12, 10, 10, tzinfo=UTC), datetime(2026, 12, 10, 11, tzinfo=UTC))]


def test_a_weekly_series_from_2020_is_expanded_into_the_window_with_its_exceptions():
    series = ics(
        "DTSTART:20200107T090000Z", "DTEND:20200107T093000Z", "RRULE:FREQ=WEEKLY;BYDAY=TU", "EXDATE:20261208T090000Z"
    )
    starts = [s for s, _ in spans(series)]
    assert starts == [datetime(2026, 12, 1, 9, tzinfo=UTC)]  # 8 Dec excluded, 15 Dec outside the window


def test_events_that_do_not_block():
    assert spans(ics("DTSTART:20261210T100000Z", "DTEND:20261210T110000Z", "TRANSP:TRANSPARENT")) == []
    assert spans(ics("DTSTART:20261210T100000Z", "DTEND:20261210T110000Z", "STATUS:CANCELLED")) == []
    declined = ics(
        "DTSTART:20261210T100000Z", "DTEND:20261210T110000Z", "ATTENDEE;PARTSTAT=DECLINED:mailto:ada@example.com"
    )
    assert spans(declined, owner_email="ada@example.com") == []
    assert spans(declined, owner_email="bob@example.com") != []
    assert spans(ics("DTSTART:20261210T100000Z", "DTEND:20261210T110000Z", uid="b1@bookflow")) == []


def test_tentative_events_block_only_when_the_connection_says_so():
    tentative = ics("DTSTART:20261210T100000Z", "DTEND:20261210T110000Z", "STATUS:TENTATIVE")
    assert spans(tentative) == []
    assert len(spans(tentative, tentative_blocks=True)) == 1


def test_an_all_day_event_blocks_its_day_in_the_calendars_zone():
    all_day = ics("DTSTART;VALUE=DATE:20261210", "DTEND;VALUE=DATE:20261211")
    assert spans(all_day, zone="Europe/Berlin") == [
        (datetime(2026, 12, 9, 23, tzinfo=UTC), datetime(2026, 12, 10, 23, tzinfo=UTC))
    ]
