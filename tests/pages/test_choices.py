"""The booking page asks what the event type offers (lengths, places, guests, every booking field type),
an empty month leads to the next month with free times, and a browser gets 429 and 413 as pages."""

import re
from datetime import UTC, datetime
from html import unescape

from store import bookings
from testkit.stack import Stack
from tests.edge.support import edge_api
from tests.pages.support import (
    OPENS,
    carried_of,
    days_of,
    first_free_slot,
    month_after,
    seed_pages,
    times_of,
)

PAGE = "/ada/choices"
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


async def _slot(http, duration: str) -> dict[str, str]:
    """The form fields of the last free time (of ``duration`` minutes) of next month's last free day."""
    month = f"{month_after(datetime.now(UTC).date(), 1):%Y-%m}"
    view = {"tz": "UTC", "month": month, "duration": duration}
    day = days_of((await http.get(PAGE, params=view)).text)[-1]
    start = times_of((await http.get(PAGE, params=view | {"date": day})).text)[-1]
    return view | {"date": day, "start": start.isoformat()}


async def test_the_form_asks_for_length_place_guests_and_every_booking_field(org: Stack):
    async with org.as_(None) as http:
        *_, start = await first_free_slot(http, PAGE, tz="UTC")
        page = await http.get(PAGE, params={"tz": "UTC", "slot": start, "duration": "60"})
        solo = await http.get("/ada/solo", params={"tz": "UTC", "slot": start})
        wrong_length = await http.get(PAGE, params={"duration": "45"})
    html = unescape(page.text)
    assert page.status_code == 200, html
    # Each length is a link carrying it; the chosen one is marked, and every time link keeps it.
    for minutes in (15, 30, 60):
        assert re.search(rf'<a href="[^"]*duration={minutes}[^"]*"[^>]*>{minutes} minutes</a>', html)
    assert re.search(r'duration=60[^"]*" aria-current="true">60 minutes', html)
    assert '<input type="hidden" name="duration" value="60">' in html
    assert all("duration=60" in link for link in re.findall(r'class="(?:day|time)" href="([^"]*)"', html))
    # The places offered, the first picked, and the attendee's own phone for "the host calls you".
    assert html.count('name="location"') == 3 and 'value="0" checked' in html
    assert "Cal Video" in html and "In person: Hauptstraße 1, Berlin" in html
    assert re.search(r'<input type="tel" id="place-2" name="location-2"', html)
    # Booking fields as controls of their types; the hidden one is not asked.
    assert html.count('type="radio" id="bf3-') == 2 and html.count('name="bf-topics"') == 2
    assert html.count('name="bf-tools"') == 2
    assert 'type="tel" id="bf6"' in html and '<textarea id="bf7" name="bf-cc"' in html
    assert 'type="text" id="bf8" name="bf-office"' in html and '<textarea id="bf9" name="bf-agenda"' in html
    assert 'name="bf-secret"' not in html
    # Guests, under the event type's own label for them; none where the event type disables guests.
    assert '<textarea id="guests" name="guests"' in html and "More people" in html
    assert solo.status_code == 200 and 'name="guests"' not in solo.text
    assert wrong_length.status_code == 400
    assert "Duration: 45 is not one of the event type's lengths" in unescape(wrong_length.text)


async def test_the_chosen_length_place_guests_and_answers_reach_the_booking(org: Stack):
    async with org.as_(None) as http:
        slot = await _slot(http, "60")
        answers = {
            "name": "Jo",
            "email": "jo@example.com",
            "location": "2",
            "location-2": "+4930123456",
            "bf-size": "large",
            "bf-topics": ["Pricing", "Security"],
            "bf-cc": "a@example.com, b@example.com",
            "guests": "g1@example.com\ng2@example.com",
        }
        booked = await http.post(PAGE, data=slot | answers)
        assert booked.status_code == 303, booked.text
        uid = booked.headers["location"].removeprefix("/booking/")
        data = (await http.get(f"/v2/bookings/{uid}")).json()["data"]
    start, end = (datetime.fromisoformat(data[k].replace("Z", "+00:00")) for k in ("start", "end"))
    assert (end - start).total_seconds() == 60 * 60
    assert (
        data["bookingFieldsResponses"].items()
        >= {
            "size": "large",
            "topics": ["Pricing", "Security"],
            "cc": ["a@example.com", "b@example.com"],
        }.items()
    )
    assert data["location"] == "+4930123456"
    async with org.db.sessions() as session:
        stored = await bookings.get(session, uid)
    assert stored.guests == ["g1@example.com", "g2@example.com"]


async def test_refusals_are_shown_beside_the_length_place_guests_and_fields(org: Stack):
    async with org.as_(None) as http:
        slot = await _slot(http, "15")
        base = {"name": "Jo", "email": "jo@example.com"}
        no_phone = await http.post(PAGE, data=slot | base | {"location": "2", "bf-size": "small"})
        bad = await http.post(
            PAGE,
            data=slot | base | {"bf-size": "huge", "bf-callback": "12", "guests": "friend@example.com not-an-email"},
        )
        bad_answers = await http.post(PAGE, data=slot | base | {"bf-size": "small", "bf-callback": "12"})
        solo = await http.post(
            "/ada/solo",
            data={"start": slot["start"], "tz": "UTC", "guests": "g@example.com"} | base,
        )
    assert no_phone.status_code == 400
    assert '<p class="error" id="place-2-error">required for the place you picked</p>' in unescape(no_phone.text)
    assert 'value="2" checked' in no_phone.text and "duration=15" in no_phone.text  # the choices stay
    assert bad.status_code == 400 and '<p class="error" id="guests-error">' in bad.text  # the API's model check
    assert bad_answers.status_code == 400
    assert re.search(r'<p class="error" id="bf6-error">must be a phone number', bad_answers.text)
    assert solo.status_code == 400 and "Guests: this event type does not take guests." in solo.text


async def test_an_empty_month_leads_to_the_next_month_with_free_times(org: Stack):
    this_month = f"{datetime.now(UTC):%Y-%m}"
    berlin = {"tz": "Europe/Berlin"}  # the event type's zone, where its bookable range starts on OPENS
    async with org.as_(None) as http:
        first_visit = await http.get("/ada/later", params=berlin)
        asked = await http.get("/ada/later", params=berlin | {"month": this_month})
        never = await http.get("/ada/never", params={"tz": "UTC"})
    opens = f"{OPENS:%B %Y}"
    # A first visit jumps to the first month with free times and says so.
    assert first_visit.status_code == 200
    assert f'<h3 id="month-title">{opens}</h3>' in first_visit.text and days_of(first_visit.text)
    assert f"{OPENS:%B %Y} is the first month with free times" in first_visit.text
    # A month asked for stays shown, with a link to the next one that has free times.
    assert not days_of(asked.text)
    link = re.search(r'class="next-free" href="([^"]+)">([^<]+)</a>', unescape(asked.text))
    assert link and link.group(2) == opens and carried_of(link.group(1))[1]["month"] == f"{OPENS:%Y-%m}"
    # Nothing bookable in the months searched: said, and no link.
    assert never.status_code == 200 and "nor in the 12 months after it" in never.text and "next-free" not in never.text


async def test_a_browser_gets_429_and_413_as_pages_and_an_api_client_json(temporal_env, sqlite_db, task_queue):
    await seed_pages(sqlite_db)
    limits = {"rate_limit_public": "2/minute", "max_body_bytes": 2000}
    async with edge_api(temporal_env.client, sqlite_db, task_queue, client_address="192.0.2.19", **limits) as http:
        assert (await http.get("/ada/intro", headers=BROWSER)).status_code == 200
        assert (await http.get("/ada/intro", headers=BROWSER)).status_code == 200
        page = await http.get("/ada/intro", headers=BROWSER)
        api = await http.get("/v2/slots", params={"eventTypeId": 1}, headers=BROWSER)
        json_client = await http.get("/ada/intro")
    async with edge_api(temporal_env.client, sqlite_db, task_queue, client_address="192.0.2.20", **limits) as http:
        big = {"name": "x" * 3000}
        too_large = await http.post("/ada/intro", data=big, headers=BROWSER)
        too_large_json = await http.post("/ada/intro", data=big)
    assert page.status_code == 429 and page.headers["content-type"].startswith("text/html")
    assert "<h1>Too many requests</h1>" in page.text and "retry in" in page.text and page.headers["Retry-After"]
    assert api.status_code == 429 and api.json()["error"]["code"] == "TOO_MANY_REQUESTS"  # not a page route
    assert json_client.status_code == 429 and json_client.json()["status"] == "error"
    assert too_large.status_code == 413 and too_large.headers["content-type"].startswith("text/html")
    assert "larger than 2000 bytes" in too_large.text
    assert too_large_json.status_code == 413 and too_large_json.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
