"""A real CalDAV server on loopback: Radicale (from PyPI) over a temporary folder, for tests and `bookflow dev`.

Radicale is a WSGI application, served on a free port of 127.0.0.1 by ``worker.dev_caldav.serve_radicale``
(as `bookflow dev --caldav` serves it). Authentication is ``none`` (any Basic user and password is accepted
and owns ``/<user>/``) unless ``users`` names the accounts and their passwords (htpasswd, so a wrong or
revoked password is refused with 401); ``owner_only`` rights keep users apart. ``make_calendar`` creates a
calendar with a real MKCALENDAR request, as a client would.
"""

import tempfile
from pathlib import Path
from typing import Self
from wsgiref.simple_server import WSGIServer
from xml.etree import ElementTree

import requests

from worker.dev_caldav import MKCALENDAR, serve_radicale


class RadicaleServer:
    """Radicale on ``url`` (``start()``/``stop()``, or a context manager), storing in ``folder``."""

    def __init__(self, folder: Path | None = None, users: dict[str, str] | None = None) -> None:
        self._temporary = None if folder is not None else tempfile.TemporaryDirectory(prefix="radicale-")
        self.folder = folder or Path(self._temporary.name)  # type: ignore[union-attr]
        self.users = dict(users or {})
        self._server: WSGIServer | None = None

    def _auth(self) -> dict[str, str]:
        if not self.users:
            return {"type": "none"}
        self.set_password(*next(iter(self.users.items())))
        return {
            "type": "htpasswd",
            "htpasswd_filename": str(self._htpasswd),
            "htpasswd_encryption": "plain",
        }

    @property
    def _htpasswd(self) -> Path:
        return self.folder / "htpasswd"

    def set_password(self, user: str, password: str) -> None:
        """Give ``user`` this password (or change it: the old one is refused from now on)."""
        self.users[user] = password
        self._htpasswd.write_text("".join(f"{u}:{p}\n" for u, p in self.users.items()))

    def start(self) -> Self:
        """Serve Radicale on a free loopback port in daemon threads."""
        self._server = serve_radicale(self.folder, self._auth())
        return self

    @property
    def url(self) -> str:
        """Where it listens, e.g. ``http://127.0.0.1:51234`` (no trailing slash)."""
        assert self._server is not None, "start() the RadicaleServer first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def make_calendar(self, user: str, name: str, password: str | None = None) -> str:
        """Create ``/<user>/<name>/`` with MKCALENDAR and return its URL."""
        url = f"{self.url}/{user}/{name}/"
        answer = requests.request(
            "MKCALENDAR",
            url,
            data=MKCALENDAR.format(name=name),
            auth=(user, password or self.users.get(user, "secret")),
            timeout=10,
        )
        if answer.status_code not in (201, 405, 409):  # 405, 409: it exists already
            raise RuntimeError(f"MKCALENDAR {url} answered {answer.status_code}: {answer.text[:200]}")
        return url

    def put_event(self, calendar_url: str, uid: str, ics: str, user: str, password: str | None = None) -> None:
        """Store an event (as another calendar client would) at ``<calendar>/<uid>.ics``."""
        answer = requests.put(
            f"{calendar_url}{uid}.ics",
            data=ics.encode(),
            headers={"Content-Type": "text/calendar; charset=utf-8"},
            auth=(user, password or self.users.get(user, "secret")),
            timeout=10,
        )
        answer.raise_for_status()

    def delete_event(self, calendar_url: str, uid: str, user: str, password: str | None = None) -> None:
        requests.delete(
            f"{calendar_url}{uid}.ics", auth=(user, password or self.users.get(user, "secret")), timeout=10
        ).raise_for_status()

    def events(self, calendar_url: str, user: str, password: str | None = None, timeout: float = 10) -> dict[str, str]:
        """Every object in the calendar: href → its iCalendar text (read straight from the server)."""
        body = (
            '<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
            '<D:prop><C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter>'
            "</C:calendar-query>"
        )
        answer = requests.request(
            "REPORT",
            calendar_url,
            data=body,
            headers={"Depth": "1"},
            auth=(user, password or self.users.get(user, "secret")),
            timeout=timeout,
        )
        answer.raise_for_status()

        found: dict[str, str] = {}
        for response in ElementTree.fromstring(answer.content).iter("{DAV:}response"):
            href = response.findtext("{DAV:}href") or ""
            data = response.findtext(".//{urn:ietf:params:xml:ns:caldav}calendar-data")
            if data:
                found[href] = data
        return found

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._temporary is not None:
            self._temporary.cleanup()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
