"""The pure engine: schedules, overrides, buffers, notice, windows, limits and several hosts."""

import dataclasses
from datetime import date, timedelta

from availability.engine import Refusal, check, slot_starts, slots
from availability.inputs import Booked, Busy
from domain.schedules import DateOverride, OutOfOffice
from tests.availability.support import at, event_type, host, query, schedule


def _iso(found: dict) -> dict[str, list[str]]:
    return {d.isoformat(): [s.isoformat() for s in v] for d, v in found.items()}


def test_calcom_fixture_rome_week_gives_eight_slots_a_day():
    # Cal.com's e2e fixture: Europe/Rome Mon-Fri 09-17, 60-min type, 2050-09-05..09 → 5 dates x 8 slots.
    found = slots(query(event_type(), [host(schedule("Europe/Rome"))], at(2050, 9, 5), days=5))
    assert len(found) == 5 and all(len(v) == 8 for v in found.values())
    assert found[date(2050, 9, 5)][0].isoformat() == "2050-09-05T07:00:00+00:00"
    assert found[date(2050, 9, 5)][-1].isoformat() == "2050-09-05T14:00:00+00:00"


def test_window_clips_slots_and_weekend_is_empty():
    found = slots(query(event_type(), [host(schedule("UTC"))], at(2050, 9, 5, 9), days=0.125))  # 09:00-12:00
    assert [s.hour for s in found[date(2050, 9, 5)]] == [9, 10, 11]
    assert slots(query(event_type(), [host(schedule("UTC"))], at(2050, 9, 3), days=2)) == {}  # Sat, Sun


def test_viewer_zone_changes_keys_and_offsets_only():
    et, hosts = event_type(), [host(schedule("Europe/Rome"))]
    utc = slots(query(et, hosts, at(2050, 9, 5), days=1))
    tokyo = slots(query(et, hosts, at(2050, 9, 5), days=1, viewer_zone="Asia/Tokyo"))
    assert [s for v in utc.values() for s in v] == [s for v in tokyo.values() for s in v]
    assert next(iter(tokyo)) == date(2050, 9, 5)
    assert tokyo[date(2050, 9, 5)][0].isoformat() == "2050-09-05T16:00:00+09:00"


def test_override_replaces_a_date_and_start_equal_end_blocks_it():
    sched = schedule(
        "UTC",
        overrides=[
            DateOverride(date=date(2050, 9, 5), start_time="13:00", end_time="15:00"),
            DateOverride(date=date(2050, 9, 6), start_time="00:00", end_time="00:00"),
        ],
    )
    found = slots(query(event_type(), [host(sched)], at(2050, 9, 5), days=3))
    assert [s.hour for s in found[date(2050, 9, 5)]] == [13, 14]
    assert date(2050, 9, 6) not in found and len(found[date(2050, 9, 7)]) == 8


def test_buffers_widen_busy_time_and_holds_block():
    busy = [Busy.between(at(2050, 9, 5, 11), at(2050, 9, 5, 12), "hold", "b1")]
    et = event_type(before_event_buffer=30, after_event_buffer=30)
    hours = [s.hour for s in slots(query(et, [host(schedule("UTC"), busy)], at(2050, 9, 5)))[date(2050, 9, 5)]]
    assert hours == [9, 13, 14, 15, 16]  # 10:00 would end inside the after-buffer gap, 12:00 in the before one


def test_out_of_office_and_calendar_busy_are_just_more_sources():
    ooo = Busy.between(at(2050, 9, 5), at(2050, 9, 6), "out_of_office")
    calendar = Busy.between(at(2050, 9, 6, 9, 30), at(2050, 9, 6, 10), "calendar")
    found = slots(query(event_type(), [host(schedule("UTC"), [ooo, calendar])], at(2050, 9, 5), days=2))
    assert date(2050, 9, 5) not in found
    assert [s.hour for s in found[date(2050, 9, 6)]][:2] == [10, 11]


def test_slot_interval_and_alignment():
    sched = schedule("UTC", start="09:10", end="11:00")
    found = slots(query(event_type(30, slot_interval=20), [host(sched)], at(2050, 9, 5)))
    assert [s.strftime("%H:%M") for s in found[date(2050, 9, 5)]] == ["09:20", "09:40", "10:00", "10:20"]


def test_notice_and_only_first_slot():
    now = at(2050, 9, 5, 10, 5)
    et = event_type(minimum_booking_notice=120, only_show_first_available_slot=True)
    found = slots(query(et, [host(schedule("UTC"))], at(2050, 9, 5), days=2, now=now))
    assert [s.strftime("%H:%M") for s in found[date(2050, 9, 5)]] == ["13:00"]
    assert [s.strftime("%H:%M") for s in found[date(2050, 9, 6)]] == ["09:00"]


def test_rolling_window_counts_bookable_days_only():
    """ROLLING_WINDOW (Cal.com; API ``bookingWindow.rolling: true``): N days that have slots, from today."""
    friday = at(2050, 9, 9, 0)
    tuesday_off = Busy.between(at(2050, 9, 13), at(2050, 9, 14), "out_of_office")
    hosts = [host(schedule("UTC"), [tuesday_off])]
    window = event_type(period_type="ROLLING_WINDOW", period_days=3)
    assert sorted(slots(query(window, hosts, friday, days=10, now=friday))) == [
        date(2050, 9, 9),
        date(2050, 9, 12),
        date(2050, 9, 14),  # the weekend and the day off do not count
    ]
    rolling = event_type(period_type="ROLLING", period_days=3)  # calendar days, bookable or not
    assert sorted(slots(query(rolling, hosts, friday, days=10, now=friday))) == [date(2050, 9, 9), date(2050, 9, 12)]
    business = event_type(bookingWindow={"type": "businessDays", "value": 2, "rolling": True})
    assert business.period_type == "ROLLING_WINDOW" and not business.period_count_calendar_days
    assert sorted(slots(query(business, hosts, friday, days=10, now=friday))) == [date(2050, 9, 9), date(2050, 9, 12)]
    # A later window is judged from today too: the days before it count.
    assert sorted(slots(query(window, hosts, at(2050, 9, 14), days=3, now=friday))) == [date(2050, 9, 14)]
    # The booking-time check applies the same window.
    inside = query(window, hosts, at(2050, 9, 14, 10), now=friday, length=60)
    assert check(inside).ok
    outside = query(window, hosts, at(2050, 9, 15, 10), now=friday, length=60)
    assert check(outside).refusal is Refusal.OUT_OF_BOUNDS


def test_rolling_and_range_windows():
    now = at(2050, 9, 5, 0)
    rolling = event_type(period_type="ROLLING", period_days=2)
    days = slots(query(rolling, [host(schedule("UTC"))], now, days=10, now=now))
    assert sorted(days) == [date(2050, 9, 5), date(2050, 9, 6), date(2050, 9, 7)]
    business = event_type(bookingWindow={"type": "businessDays", "value": 1})
    friday = at(2050, 9, 9, 0)
    assert sorted(slots(query(business, [host(schedule("UTC"))], friday, days=7, now=friday))) == [
        date(2050, 9, 9),
        date(2050, 9, 12),
    ]
    ranged = event_type(bookingWindow={"type": "range", "value": ["2050-09-06", "2050-09-07"]})
    assert sorted(slots(query(ranged, [host(schedule("UTC"))], now, days=10, now=now))) == [
        date(2050, 9, 6),
        date(2050, 9, 7),
    ]


def test_count_and_duration_limits_close_the_period():
    booked = [Booked(at(2050, 9, 5, 9), at(2050, 9, 5, 10), 1), Booked(at(2050, 9, 5, 10), at(2050, 9, 5, 11), 1)]
    busy = [Busy.between(b.start, b.end, "hold") for b in booked]
    counted = event_type(booking_limits_count={"day": 2})
    found = slots(query(counted, [host(schedule("UTC"), busy, booked)], at(2050, 9, 5), days=2))
    assert date(2050, 9, 5) not in found and date(2050, 9, 6) in found
    other_type = [dataclasses.replace(b, event_type_id=2) for b in booked]
    assert date(2050, 9, 5) in slots(query(counted, [host(schedule("UTC"), busy, other_type)], at(2050, 9, 5)))
    timed = event_type(booking_limits_duration={"day": 150})
    assert slots(query(timed, [host(schedule("UTC"), busy, booked)], at(2050, 9, 5))) == {}  # 120 + 60 > 150
    user_limited = host(schedule("UTC"), busy, other_type, booking_limits={"perDay": 2})
    assert slots(query(event_type(), [user_limited], at(2050, 9, 5))) == {}


def test_round_robin_any_free_host_collective_all():
    alice = host(schedule("UTC", start="09:00", end="12:00", owner=1))
    bob = host(schedule("UTC", start="11:00", end="14:00", owner=2))
    rr = event_type(hosts=(1, 2), scheduling_type="roundRobin")
    hours = [s.hour for s in slots(query(rr, [alice, bob], at(2050, 9, 5)))[date(2050, 9, 5)]]
    assert hours == [9, 10, 11, 12, 13]
    collective = event_type(hosts=(1, 2), scheduling_type="collective")
    assert [s.hour for s in slots(query(collective, [alice, bob], at(2050, 9, 5)))[date(2050, 9, 5)]] == [11]
    verdict = check(query(rr, [alice, bob], at(2050, 9, 5, 9, 30)))
    assert verdict.ok and verdict.free_host_ids == [1]
    assert check(query(collective, [alice, bob], at(2050, 9, 5, 10))).refusal is Refusal.UNAVAILABLE


def test_check_recomputes_for_exactly_the_requested_time():
    et, hosts = event_type(minimum_booking_notice=60), [host(schedule("UTC"))]
    now = at(2050, 9, 5, 8)
    assert check(query(et, hosts, at(2050, 9, 5, 9, 17), now=now)).ok  # off the grid but free
    assert check(query(et, hosts, at(2050, 9, 5, 16, 30), now=now)).refusal is Refusal.UNAVAILABLE  # past 17:00
    assert check(query(et, hosts, at(2050, 9, 5, 8, 30), now=now)).refusal is Refusal.OUT_OF_BOUNDS  # notice
    assert check(query(et, hosts, at(2050, 9, 5, 7), now=now)).refusal is Refusal.PAST
    assert check(query(et, hosts, at(2050, 9, 6, 3), now=now)).refusal is Refusal.UNAVAILABLE  # night


def test_slots_and_check_agree():
    busy = [Busy.between(at(2050, 9, 5, 10, 15), at(2050, 9, 5, 11, 5), "calendar")]
    et, hosts = event_type(30, slot_interval=15), [host(schedule("America/New_York"), busy)]
    q = query(et, hosts, at(2050, 9, 5), days=2)
    offered = set(slot_starts(q))
    for minute in range(0, 2 * 24 * 60, 15):
        start = q.start + timedelta(minutes=minute)
        assert check(dataclasses.replace(q, start=start)).ok == (int(start.timestamp()) in offered), start


def test_out_of_office_model_refuses_end_before_start():
    try:
        OutOfOffice(id=1, user_id=1, start=at(2050, 9, 6), end=at(2050, 9, 5))
    except ValueError as error:
        assert "end:" in str(error)
    else:
        raise AssertionError("accepted an entry ending before it starts")
