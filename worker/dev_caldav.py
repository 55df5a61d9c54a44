"""`bookflow dev --caldav`: a real CalDAV server (Radicale) with a calendar for each user, selected and set
as the user's destination, so a newcomer sees bookings appear in a real calendar.

Radicale is a development dependency (the ``dev`` extra), imported only when asked for. It serves its WSGI
application on 127.0.0.1 from a threaded wsgiref server (Radicale's own server refuses port 0); the test
kit's ``testkit.radicale`` serves it the same way.
"""

import threading
from datetime import UTC, datetime
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx

from domain.calendars import CalendarRef, ConnectedCalendar
from store import calendars as store
from store import config
from store.db import Database

CALENDAR = "bookings"
# Radicale here accepts any password (auth "none"): it listens on loopback only.
DEV_PASSWORD = "dev"
MKCALENDAR = """<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop><D:displayname>{name}</D:displayname>
    <C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
  </D:prop></D:set>
</C:mkcalendar>"""


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *_args: object) -> None:  # the calendars are the interesting part, not the access log
        pass


def serve_radicale(folder: Path, auth: dict[str, str], port: int = 0) -> WSGIServer:
    """Radicale storing in ``folder`` on 127.0.0.1:``port`` (0: a free one), served by daemon threads."""
    try:
        from radicale import Application
        from radicale import config as radicale_config
    except ImportError:
        raise RuntimeError("Radicale is not installed: pip install 'bookflow[dev]' (or pip install radicale)") from None
    folder.mkdir(parents=True, exist_ok=True)
    settings: Any = radicale_config.load()
    settings.update(
        {
            # delay 0: Radicale slows every refused attempt by a second, and clients try without credentials first.
            "auth": {"delay": "0", **auth},
            "rights": {"type": "owner_only"},
            # No fsync: a development or test server, where a lost write after a power cut costs nothing.
            "storage": {"filesystem_folder": str(folder), "_filesystem_fsync": "False"},
            "logging": {"level": "warning"},
        },
        "bookflow",
        privileged=True,
    )
    server = make_server(
        "127.0.0.1", port, Application(settings), server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    threading.Thread(target=server.serve_forever, args=(0.05,), name="radicale", daemon=True).start()
    return server


async def make_calendar(base_url: str, user: str, name: str, password: str) -> str:
    """Create ``<base>/<user>/<name>/`` with MKCALENDAR (an existing one is kept); its URL."""
    url = f"{base_url}/{user}/{name}/"
    async with httpx.AsyncClient(auth=(user, password), timeout=30) as http:
        answer = await http.request("MKCALENDAR", url, content=MKCALENDAR.format(name=name))
    if answer.status_code not in (201, 405, 409):  # 405, 409: it exists already
        raise RuntimeError(f"MKCALENDAR {url} answered {answer.status_code}")
    return url


async def connect_users(db: Database, base_url: str) -> list[str]:
    """A ``bookings`` calendar per user, connected, selected and made their destination; the calendar URLs."""
    async with db.sessions() as session:
        users = await config.list_users(session)
        connected = {c.user_id for c in await store.list_connections(session) if c.url == base_url + "/"}
    urls = []
    for user in users:
        url = await make_calendar(base_url, user.username, CALENDAR, DEV_PASSWORD)
        urls.append(url)
        if user.id in connected:
            continue
        now = datetime.now(UTC)
        credentials = {"username": user.username, "password": DEV_PASSWORD}
        async with db.transaction() as session:
            connection = await store.add_connection(
                session, user.id, "caldav_calendar", base_url + "/", credentials, now
            )
            found = ConnectedCalendar(connection_id=connection.id, external_id=url, name=CALENDAR, primary=True)
            await store.save_calendars(session, connection.id, [found])
            ref = CalendarRef(integration="caldav_calendar", external_id=url, credential_id=connection.id)
            await store.select_calendar(session, user.id, ref)
            await store.set_destination(session, ref, user_id=user.id)
            await store.record_success(session, connection.id, now)
    return urls
