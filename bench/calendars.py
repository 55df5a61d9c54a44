"""`python -m bench calendars`: calendar sync against a real CalDAV server (Radicale) and slots with calendars on.

10 hosts x 3 calendars x 500 events (a tenth weekly series) spread over a year around today, as a calendar's
history and future are. Prints one JSON line:
the initial sync of every connection (seconds, the sync activity as the workflow runs it), an incremental
sync of 10 changed events (ms), provider calls per calendar when nothing changed (goal 1: the ctag probe),
and slots p50 over 30 days for 10 round-robin hosts with the calendars selected and for 10 identical hosts
without calendars, measured alternately (goal: within 20%), as wall time and as this process's CPU time (the
figure a loaded machine does not inflate), and the engine's part of that CPU time (store read excluded).
"""

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from activities.calendars import CalendarActivities, SyncRequest, calendar_policy
from availability.engine import slots
from availability.inputs import Query
from bench.slots import _configuration
from domain.calendars import CalendarRef
from domain.config import EventType
from store import availability, config
from store import calendars as store
from store.db import Database
from store.secrets import SecretKeys
from testkit.radicale import RadicaleServer

KEYS = SecretKeys(current="bench-calendars-secret-key-0123456789abcdef")
PASSWORD = "bench"
SPREAD_DAYS = 182  # events lie within half a year before and after today


def _event(uid: str, start: datetime, recurring: bool) -> str:
    rule = "RRULE:FREQ=WEEKLY\r\n" if recurring else ""
    end = start + timedelta(minutes=30)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start:%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{end:%Y%m%dT%H%M%SZ}\r\n{rule}SUMMARY:busy\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def _fill(radicale: RadicaleServer, hosts: int, calendars: int, events: int, start: datetime) -> list[list[str]]:
    """Each host's calendar URLs, their events written straight into Radicale's storage (fast to set up)."""
    rng = random.Random(13)
    urls = []
    for host in range(1, hosts + 1):
        mine = []
        for c in range(calendars):
            url = radicale.make_calendar(f"host{host}", f"cal{c}")
            folder = radicale.folder / "collection-root" / f"host{host}" / f"cal{c}"
            for i in range(events):
                at = start + timedelta(days=rng.randrange(-SPREAD_DAYS, SPREAD_DAYS), hours=7 + rng.randrange(24) / 2)
                uid = f"h{host}c{c}e{i}"
                (folder / f"{uid}.ics").write_text(_event(uid, at, recurring=i % 10 == 0))
            radicale.events(url, f"host{host}", PASSWORD, timeout=600)  # Radicale builds its item cache
            mine.append(url)
        urls.append(mine)
    return urls


def _p50(samples: list[float]) -> float:
    return round(statistics.median(samples), 2)


async def _bench(hosts: int, calendars: int, events: int, rounds: int) -> dict:
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    with tempfile.TemporaryDirectory() as folder, RadicaleServer() as radicale:
        urls = _fill(radicale, hosts, calendars, events, start)
        db = Database(f"sqlite:///{Path(folder) / 'bench.db'}", KEYS)
        await db.migrate()
        document, event_type = _configuration(2 * hosts)
        with_hosts = event_type.hosts[:hosts]
        calendar_type = event_type.model_copy(update={"hosts": with_hosts})
        plain_type = event_type.model_copy(update={"id": 2, "slug": "plain", "hosts": event_type.hosts[hosts:]})
        now = datetime.now(UTC)
        connection_ids = []
        async with db.transaction() as session:
            await config.apply_configuration(session, document)
            for host in range(1, hosts + 1):
                credentials = {"username": f"host{host}", "password": PASSWORD}
                connection = await store.add_connection(
                    session, host, "caldav_calendar", radicale.url + "/", credentials, now
                )
                connection_ids.append(connection.id)
                for url in urls[host - 1]:
                    ref = CalendarRef(integration="caldav_calendar", external_id=url, credential_id=connection.id)
                    await store.select_calendar(session, host, ref)
        activities = CalendarActivities(db, calendar_policy(allow_private=True))

        async def sync_all(listing: bool) -> list:
            return [
                await activities.sync_connection(SyncRequest(connection_id=c, list_calendars=listing))
                for c in connection_ids
            ]

        began = time.perf_counter()
        initial = await sync_all(listing=True)
        initial_seconds = time.perf_counter() - began
        assert all(r.ok for r in initial), initial
        async with db.sessions() as session:
            stored = sum([c.event_count for i in connection_ids for c in await store.calendars_of(session, i)])

        idle = await sync_all(listing=False)
        calls_when_unchanged = sum(r.provider_calls for r in idle) / (hosts * calendars)

        rng = random.Random(7)
        for i in range(10):  # 10 changes on host 1's calendars, through the server as a client would
            c = i % calendars
            at = start + timedelta(days=rng.randrange(30), hours=8)
            radicale.put_event(urls[0][c], f"h1c{c}e{i + 1}", _event(f"h1c{c}e{i + 1}", at, False), "host1", PASSWORD)
        began = time.perf_counter()
        changed = await activities.sync_connection(SyncRequest(connection_id=connection_ids[0]))
        incremental_ms = (time.perf_counter() - began) * 1000
        assert changed.changed == 10, changed

        end = start + timedelta(days=30)

        async def slots_ms(kind: EventType) -> tuple[float, float, float]:
            """(wall, CPU, engine CPU) milliseconds of one slots request: the CPU time is what other processes
            on a loaded machine do not inflate (the database thread counts: it is this process's); the
            engine's share tells the store read's cost from the engine's."""
            began, cpu = time.perf_counter(), time.process_time()
            moment = datetime.now(UTC)
            host_ids = [h.user_id for h in kind.hosts]
            async with db.sessions() as session:
                loaded = await availability.load_hosts(session, kind, host_ids, start, end, moment)
            engine_cpu = time.process_time()
            slots(Query(kind, loaded, start, end, moment, viewer_zone="Europe/Rome"))
            done = time.process_time()
            return (time.perf_counter() - began) * 1000, (done - cpu) * 1000, (done - engine_cpu) * 1000

        with_samples, without_samples = [], []
        for _ in range(rounds + 1):  # alternately, so load on the machine hits both alike
            with_samples.append(await slots_ms(calendar_type))
            without_samples.append(await slots_ms(plain_type))
        with_calendars, without_calendars = (
            _p50([w for w, _, _ in with_samples[1:]]),
            _p50([w for w, _, _ in without_samples[1:]]),
        )
        with_cpu, without_cpu = _p50([c for _, c, _ in with_samples[1:]]), _p50([c for _, c, _ in without_samples[1:]])
        engine_with, engine_without = (
            _p50([e for *_, e in with_samples[1:]]),
            _p50([e for *_, e in without_samples[1:]]),
        )
        await db.dispose()
    return {
        "hosts": hosts,
        "calendars_per_host": calendars,
        "events_per_calendar": events,
        "stored_events": stored,
        "initial_sync_s": round(initial_seconds, 2),
        "incremental_sync_10_changes_ms": round(incremental_ms, 1),
        "provider_calls_per_calendar_unchanged": calls_when_unchanged,
        "slots_p50_ms_with_calendars": with_calendars,
        "slots_p50_ms_without_calendars": without_calendars,
        "slots_overhead_pct": round(100 * (with_calendars / without_calendars - 1), 1),
        "slots_cpu_p50_ms_with_calendars": with_cpu,
        "slots_cpu_p50_ms_without_calendars": without_cpu,
        "slots_cpu_overhead_pct": round(100 * (with_cpu / without_cpu - 1), 1),
        "engine_cpu_p50_ms_with_calendars": engine_with,
        "engine_cpu_p50_ms_without_calendars": engine_without,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench calendars")
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--calendars", type=int, default=3, help="calendars per host")
    parser.add_argument("--events", type=int, default=500, help="events per calendar (a tenth weekly series)")
    parser.add_argument("--rounds", type=int, default=30, help="slots requests timed per configuration")
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(_bench(args.hosts, args.calendars, args.events, args.rounds))))
    return 0
