"""Read-only ICS feeds: saved through Cal.com's route, fetched from a loopback HTTP server by the real worker,
synced into the busy store (slots lose the busy hours), re-fetched on check, URL-checked, read-only."""

from typing import Any

from store import calendars
from testkit.server import LoopbackServer, Reply, Request
from testkit.stack import Stack, event_type, eventually, seed
from tests.calendars.test_end_to_end import at, slot_hours


def feed(*events: tuple[str, int, int]) -> bytes:
    body = "".join(
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{at(start):%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{at(end):%Y%m%dT%H%M%SZ}\r\nSUMMARY:{uid}\r\nEND:VEVENT\r\n"
        for uid, start, end in events
    )
    text = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//feed//EN\r\nX-WR-CALNAME:Holidays\r\n{body}END:VCALENDAR\r\n"
    return text.encode()


class Feed:
    """A feed server whose content the test changes; it answers 304 to the ETag it last served."""

    def __init__(self, content: bytes) -> None:
        self.content, self.version, self.requests = content, 1, []  # type: ignore[var-annotated]
        self.server = LoopbackServer(self.answer)

    def answer(self, request: Request) -> Reply:
        self.requests.append(request)
        etag = f'"v{self.version}"'
        if request.headers.get("If-None-Match") == etag:
            return Reply(304, b"", {"ETag": etag})
        return Reply(200, self.content, {"Content-Type": "text/calendar", "ETag": etag})

    def change(self, content: bytes) -> None:
        self.content, self.version = content, self.version + 1


async def test_an_ics_feed_blocks_its_busy_time_and_follows_changes(stack: Stack):
    source = Feed(feed(("offsite", 10, 12)))
    try:
        await seed(stack.db, event_type(1, length_in_minutes=30))
        url = f"{source.server.url}/holidays.ics"
        async with stack.as_(stack.keys.owner) as http:
            saved = await http.post("/v2/calendars/ics-feed/save", json={"urls": [url]})
            assert saved.status_code == 201, saved.text
            data = saved.json()["data"]
            assert data["type"] == "ics-feed_calendar" and data["appId"] == "ics-feed" and data["invalid"] is False
            [connection] = (await http.get("/v2/calendars")).json()["data"]["connectedCalendars"]
            [calendar] = connection["calendars"]
            assert calendar["externalId"] == url and calendar["readOnly"] and calendar["isSelected"]
            assert calendar["name"] == "Holidays" and calendar["eventCount"] == 1
            destination = {"integration": "ics-feed_calendar", "externalId": url}
            refused = await http.put("/v2/destination-calendars", json=destination)
            assert refused.status_code == 400 and "read-only" in refused.json()["error"]["message"]
        hours = await slot_hours(stack)
        assert (9, 30) in hours and (10, 0) not in hours and (11, 30) not in hours and (12, 0) in hours

        source.change(feed(("offsite", 15, 16)))
        async with stack.as_(stack.keys.owner) as http:
            assert (await http.get("/v2/calendars/ics-feed/check")).status_code == 200
        hours = await slot_hours(stack)
        assert (10, 0) in hours and (15, 0) not in hours
        before = len(source.requests)
        async with stack.as_(stack.keys.owner) as http:
            assert (await http.get("/v2/calendars/ics-feed/check")).status_code == 200
        # Unchanged: the conditional GET answered 304 (one request per listing and one per sync).
        assert [r.headers.get("If-None-Match") for r in source.requests[before:]][-1] == '"v2"'

        async def listed() -> dict[str, Any]:
            async with stack.as_(stack.keys.owner) as http:
                return (await http.get("/v2/calendars")).json()["data"]["connectedCalendars"][0]

        source.change(b"not a calendar")
        async with stack.as_(stack.keys.owner) as http:
            broken = await http.get("/v2/calendars/ics-feed/check")
            assert broken.status_code == 400 and "credentialId" in broken.json()["error"]["message"]
        failing = await eventually(listed, lambda c: c["syncErrorCount"] >= 1)
        assert "not an iCalendar file" in failing["error"]
        async with stack.as_(stack.keys.owner) as http:
            gone = await http.post("/v2/calendars/ics-feed/disconnect", json={"id": failing["credentialId"]})
            assert gone.status_code == 200, gone.text
            assert (await http.get("/v2/calendars")).json()["data"]["connectedCalendars"] == []
    finally:
        source.server.close()


async def test_feed_urls_are_checked_and_feeds_are_read_only(stack: Stack):
    async with stack.as_(stack.keys.owner) as http:
        metadata = await http.post("/v2/calendars/ics-feed/save", json={"urls": ["http://169.254.169.254/x.ics"]})
        assert metadata.status_code == 400 and metadata.json()["error"]["message"].startswith("urls[0]: ")
        writable = await http.post(
            "/v2/calendars/ics-feed/save", json={"urls": ["https://a.example/x.ics"], "readOnly": False}
        )
        assert writable.status_code == 400 and "readOnly" in writable.json()["error"]["message"]
        empty = await http.post("/v2/calendars/ics-feed/save", json={"urls": []})
        assert empty.status_code == 400 and "urls" in empty.text
        missing = LoopbackServer(lambda _request: Reply(404))
        try:
            gone = await http.post("/v2/calendars/ics-feed/save", json={"urls": [missing.url + "/nope.ics"]})
            assert gone.status_code == 400 and "404" in gone.json()["error"]["message"]
        finally:
            missing.close()
        assert (await http.get("/v2/calendars")).json()["data"]["connectedCalendars"] == []
        assert (await http.get("/v2/calendars/ics-feed/check")).status_code == 400
    async with stack.as_(None) as anonymous:
        assert (
            await anonymous.post("/v2/calendars/ics-feed/save", json={"urls": ["https://a.example"]})
        ).status_code == 401
    async with stack.db.sessions() as session:
        assert await calendars.list_connections(session) == []
