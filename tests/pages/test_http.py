"""The public pages over HTTP (no browser): every field type, each decision, the booking's rules, and the
error paths — 404 for what does not exist, 400 with the API's message beside the field, never a 500."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from api.access_rules import app_routes
from api.app import create_app
from api.pages.paths import RESERVED
from domain.reminder_plan import Recipient
from store import bookings, routing
from templates.variables import Links, context_for
from testkit.stack import Stack, api_context, eventually
from tests.pages.support import ELSEWHERE, FORM, INTRO, LOCKED, MESSAGE, first_free_slot
from worker.cli.config_cmd import apply_file

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "config.yaml"


def anonymous(stack: Stack) -> httpx.AsyncClient:
    return stack.as_(None)


def answers(**fields: str | list[str]) -> dict[str, str | list[str]]:
    """The routing form's page fields (named field-<id>)."""
    return {f"field-f-{name}": value for name, value in fields.items()}


async def test_the_form_renders_every_field_type_with_a_label(org: Stack):
    async with anonymous(org) as http:
        page = await http.get("/forms/1")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<html lang="en">' in html and "<main" in html
    for field in FORM.fields:
        assert field.label in html
    assert 'type="email" id="q1" name="field-f-email" required' in html
    assert 'type="number" id="q3"' in html
    assert '<select id="q4" name="field-f-country"' in html
    assert html.count('type="checkbox"') == 2 + 2 + 1  # products, topics, the newsletter box
    assert html.count('type="radio"') == 2
    assert 'type="tel" id="q8"' in html and '<textarea id="q9"' in html


async def test_an_unknown_form_is_a_404_page(org: Stack):
    async with anonymous(org) as http:
        page = await http.get("/forms/nope")
        posted = await http.post("/forms/nope", data={})
    assert page.status_code == posted.status_code == 404
    assert "Routing form nope not found" in page.text and "<h1>Not found</h1>" in page.text


async def test_bad_answers_come_back_with_the_apis_messages_beside_their_fields(org: Stack):
    async with anonymous(org) as http:
        page = await http.post("/forms/1", data=answers(email="not-an-email", size="many"))
        api = await http.post("/v2/routing-forms/1/responses", json={"email": "not-an-email"})
    assert page.status_code == 400
    html = unescape(page.text)
    # Each problem under its own field, tied to it for screen readers, and listed at the top.
    assert re.search(r'aria-describedby="q1-error".*?<p class="error" id="q1-error">\'not-an-email\' should be a '
                     r"valid email</p>", html, re.S)  # fmt: skip
    assert '<p class="error" id="q3-error">\'many\' should be a number</p>' in html
    assert '<p class="error" id="q4-error">is required</p>' in html
    assert 'value="not-an-email"' in html  # what the visitor typed stays
    # The API's own words for the same answer.
    assert api.status_code == 400 and api.json()["error"]["message"] == "email: 'not-an-email' should be a valid email"


async def test_each_decision_is_followed(org: Stack):
    async with anonymous(org) as http:
        message = await http.post("/forms/1", data=answers(email="jo@example.jp", country="c-jp"))
        away = await http.post("/forms/1", data=answers(email="jo@example.com", country="c-us"))
        routed = await http.post(
            "/forms/1",
            data=answers(email="Jo@Example.de", country="c-de", products=["p-api", "p-ui"], news="yes"),
        )
        month, day, start = await first_free_slot(http, routed.headers["location"])
        path, _, query = routed.headers["location"].partition("?")
        carried = {k: v[0] for k, v in parse_qs(query).items()}
        booking_page = await http.get(
            path, params=carried | {"tz": "Europe/Rome", "month": month, "date": day, "slot": start}
        )
    assert message.status_code == 200 and MESSAGE in message.text
    assert away.status_code == 303 and away.headers["location"] == ELSEWHERE
    assert routed.status_code == 303
    target = urlsplit(routed.headers["location"])
    query = parse_qs(target.query)
    assert target.path == "/ada/intro"
    response_id = int(query["cal.routingFormResponseId"][0])
    assert query["cal.routingFormResponseToken"][0]
    async with org.db.sessions() as session:
        stored = await routing.get_response(session, response_id)
    assert stored.values["f-products"] == ["p-api", "p-ui"] and stored.values["f-news"] is True
    assert stored.decision.route_id == "r-de"
    # The booking page knows the visitor: the email the form was answered with is filled in.
    email = re.findall(r'<input type="email"[^>]*>', booking_page.text)
    assert booking_page.status_code == 200 and 'value="jo@example.de"' in email[0], (email, booking_page.url)


async def test_a_routed_visitor_books_cancels_and_the_booking_page_says_so(org: Stack):
    async with anonymous(org) as http:
        routed = await http.post("/forms/1", data=answers(email="jo@example.de", country="c-de"))
        target = urlsplit(routed.headers["location"])
        carried = {k: v[0] for k, v in parse_qs(target.query).items()}
        month, day, start = await first_free_slot(http, target.path + "?" + target.query)
        booked = await http.post(
            target.path,
            data={"start": start, "tz": "Europe/Rome", "month": month, "date": day, "name": "Jo Visitor",
                  "email": "jo@example.de", "bf-notes": "hello"} | carried,
        )  # fmt: skip
        assert booked.status_code == 303, booked.text
        uid = booked.headers["location"].removeprefix("/booking/")
        shown = await http.get(f"/booking/{uid}")
        api = (await http.get(f"/v2/bookings/{uid}")).json()["data"]
        cancelled = await http.post(f"/booking/{uid}/cancel", data={"cancellationReason": "plans changed"})
        after = await http.get(f"/booking/{uid}")
    assert shown.status_code == 200 and "This meeting is scheduled" in shown.text
    assert api["status"] == "accepted" and api["attendees"][0]["timeZone"] == "Europe/Rome"
    assert datetime.fromisoformat(api["start"].replace("Z", "+00:00")) == datetime.fromisoformat(start)
    async with org.db.sessions() as session:
        stored = await routing.get_response(session, int(carried["cal.routingFormResponseId"]))
    assert stored.booking_uid == uid  # the booking is the routed one
    assert cancelled.status_code == 303
    assert "This booking is cancelled" in after.text and "plans changed" in after.text
    assert await eventually(lambda: org.triggers(uid), lambda t: "BOOKING_CANCELLED" in t)


async def test_a_booking_without_the_routing_token_is_refused_with_the_apis_message(org: Stack):
    async with anonymous(org) as http:
        routed = await http.post("/forms/1", data=answers(email="jo@example.de", country="c-de"))
        carried = {k: v[0] for k, v in parse_qs(urlsplit(routed.headers["location"]).query).items()}
        month, day, start = await first_free_slot(http, "/ada/intro")
        refused = await http.post(
            "/ada/intro",
            data={"start": start, "tz": "Europe/Rome", "month": month, "date": day, "name": "Jo",
                  "email": "someone-else@example.com"} | carried,
        )  # fmt: skip
    assert refused.status_code == 403 or refused.status_code == 400
    assert "was submitted with another email" in refused.text


async def test_booking_fields_are_checked_by_the_api_and_shown_beside_each_field(org: Stack):
    async with anonymous(org) as http:
        month, day, start = await first_free_slot(http, "/ada/questions")
        form = {"start": start, "tz": "Europe/Rome", "month": month, "date": day}
        missing = await http.post("/ada/questions", data=form | {"name": "Jo", "email": "jo@example.com"})
        bad_email = await http.post("/ada/questions", data=form | {"name": "Jo", "email": "nope"})
        answered = {"name": "Jo", "email": "jo@example.com", "bf-seats": "12", "bf-plan": "Team", "bf-agree": "y"}
        ok = await http.post("/ada/questions", data=form | answered)
    assert missing.status_code == 400
    assert "required by this event type" in missing.text and 'id="bf3-error"' in missing.text  # seats
    assert bad_email.status_code == 400
    assert '<p class="error" id="email-error">' in bad_email.text and "value is not a valid email" in bad_email.text
    assert ok.status_code == 303, ok.text
    async with anonymous(org) as http:
        data = (await http.get(ok.headers["location"].replace("/booking/", "/v2/bookings/"))).json()["data"]
    assert data["bookingFieldsResponses"].items() >= {"seats": 12, "plan": "Team", "agree": True}.items()


async def test_a_recurring_event_type_books_every_occurrence_and_shows_the_first(org: Stack):
    async with anonymous(org) as http:
        month, day, start = await first_free_slot(http, "/ada/weekly")
        booked = await http.post(
            "/ada/weekly",
            data={"start": start, "tz": "Europe/Rome", "month": month, "date": day, "name": "Jo", "email": "j@x.io"},
        )
        assert booked.status_code == 303, booked.text
        first = (await http.get(booked.headers["location"].replace("/booking/", "/v2/bookings/"))).json()["data"]
    assert datetime.fromisoformat(first["start"].replace("Z", "+00:00")) == datetime.fromisoformat(start)
    assert first["recurringBookingUid"]


async def test_disabled_cancelling_and_rescheduling_are_respected(org: Stack):
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    booking = await org.book(LOCKED, start)
    async with anonymous(org) as http:
        page = await http.get(f"/booking/{booking['uid']}?cancel=true")
        cancel = await http.post(f"/booking/{booking['uid']}/cancel", data={})
        moved = await http.post(f"/booking/{booking['uid']}/reschedule", data={"start": start.isoformat()})
    assert page.status_code == 200
    assert "Cancelling is disabled for this event type." in page.text
    assert "Rescheduling is disabled for this event type." in page.text
    assert "/cancel" not in page.text and "reschedule=true" not in page.text
    assert cancel.status_code == 409 and "cancelling is disabled for this event type" in cancel.text.lower()
    assert moved.status_code == 409 and "rescheduling is disabled for this event type" in moved.text.lower()


async def test_a_booking_is_rescheduled_from_its_page(org: Stack):
    start = datetime.now(UTC).replace(microsecond=0, second=0, minute=0) + timedelta(hours=2)
    booking = await org.book(INTRO, start)
    uid = booking["uid"]
    async with anonymous(org) as http:
        month, day, new_start = await first_free_slot(http, f"/booking/{uid}?reschedule=true")
        moved = await http.post(
            f"/booking/{uid}/reschedule",
            data={"start": new_start, "tz": "Europe/Rome", "month": month, "date": day, "reschedulingReason": "clash"},
        )
        assert moved.status_code == 303, moved.text
        new_uid = moved.headers["location"].removeprefix("/booking/")
        old_page = await http.get(f"/booking/{uid}")
        new = (await http.get(f"/v2/bookings/{new_uid}")).json()["data"]
    assert new_uid != uid and new["rescheduledFromUid"] == uid
    assert "This booking was moved" in old_page.text and f"/booking/{new_uid}" in old_page.text


async def test_unknown_users_event_types_and_bookings_are_404_pages(org: Stack):
    async with anonymous(org) as http:
        for path in ("/nobody/intro", "/ada/nothing", "/booking/no-such-uid", "/booking/no-such-uid?reschedule=true"):
            page = await http.get(path)
            assert page.status_code == 404, path
            assert page.headers["content-type"].startswith("text/html"), path
        assert (await http.post("/booking/no-such-uid/cancel", data={})).status_code == 404


async def test_the_pages_never_shadow_the_api(org: Stack):
    async with anonymous(org) as http:
        assert (await http.get("/health")).status_code == 200
        assert (await http.get("/docs")).status_code == 200
        nowhere = await http.get("/v2/nowhere")
        assert nowhere.status_code == 404 and nowhere.json()["status"] == "error"
        assert (await http.post("/v2/slots")).status_code == 405
        assert (await http.get("/console/login")).status_code == 200
        assert (await http.get("/pages/static/pages.css")).headers["content-type"].startswith("text/css")
        assert (await http.get("/pages/static/nope.css")).status_code == 404
    # Every first path segment the rest of the app serves is one the booking page never takes.
    app = create_app(api_context(org.client, org.db, org.task_queue))
    firsts = {path.split("/")[1] for _, path, _ in app_routes(app) if not path.startswith("/{")}
    assert firsts <= RESERVED, firsts - RESERVED


ODD_GETS = [
    ("/ada/intro?tz=Mars/Olympus", 400),
    ("/ada/intro?month=13-2026", 400),
    ("/ada/intro?month=0001-01&tz=Asia/Tokyo", 400),
    ("/ada/intro?month=9999-12", 400),
    ("/ada/intro?date=2020-01-01", 400),
    ("/ada/intro?slot=9999-12-31T23:59:59-10:00", 400),
    ("/ada/intro?cal.routingFormResponseId=99999999999999999999&cal.routingFormResponseToken=x", 400),
    ("/ada/intro?cal.routingFormResponseId=12&cal.routingFormResponseToken=x", 403),  # no such response
    ("/ada/intro?duration=abc", 400),
    ("/forms/" + "x" * 5000, 404),
    ("/booking/%00%ff", 404),
    ("/%C3%A9/intro", 404),
]


async def test_odd_requests_get_a_page_and_never_a_500(org: Stack):
    async with anonymous(org) as http:
        for path, status in ODD_GETS:
            page = await http.get(path)
            assert page.status_code == status, (path, page.text[:500])
            assert page.headers["content-type"].startswith("text/html"), path


async def test_odd_posts_never_make_a_500(org: Stack):
    async with anonymous(org) as http:
        for path, data in [
            ("/ada/intro", {}),
            ("/ada/intro", {"start": "9999-12-31T23:59:59-10:00", "name": "x", "email": "a@b.co"}),
            ("/ada/intro", {"start": "2020-01-01T10:00:00+00:00", "name": "x", "email": "a@b.co", "tz": "UTC"}),
            ("/ada/intro", {"start": "2030-01-01T10:00:00+00:00", "tz": "Nowhere/Else"}),
            ("/ada/intro", {"start": "2030-01-01T10:00:00+00:00", "name": "x", "email": "a@b.co",
                            "cal.routingFormResponseId": "abc"}),
            ("/booking/x/reschedule", {"start": "garbage"}),
            ("/forms/1", {"field-f-email": "a@b.co", "field-f-country": "c-xx"}),
        ]:  # fmt: skip
            answer = await http.post(path, data=data)
            assert 400 <= answer.status_code < 500, (path, data, answer.status_code, answer.text[:300])


async def test_the_emails_links_lead_to_the_booking_page(org: Stack):
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
    booking = await org.book(INTRO, start)
    async with org.db.sessions() as session:
        stored = await bookings.get(session, booking["uid"])
    booker = Recipient(role="attendee", name="Bo Booker", address="bo@example.com", time_zone="Europe/Rome")
    values = context_for(stored, booker, Links("https://book.example"))
    base = f"https://book.example/booking/{booking['uid']}"
    assert values["cancel_url"] == base + "?cancel=true"
    assert values["reschedule_url"] == base + "?reschedule=true"
    async with anonymous(org) as http:
        for url in (values["cancel_url"], values["reschedule_url"]):
            page = await http.get(url.removeprefix("https://book.example"))
            assert page.status_code == 200
        assert 'name="cancellationReason"' in (await http.get(f"/booking/{booking['uid']}?cancel=true")).text
        old_link = await http.get(f"/reschedule/{booking['uid']}")
    assert old_link.status_code == 307 and old_link.headers["location"] == f"/booking/{booking['uid']}?reschedule=true"


async def test_the_readme_tour_books_through_form_1_of_the_examples(stack: Stack):
    """`make dev` loads examples/config.yaml: its form 1 routes a demo request to ada's intro call."""
    await apply_file(stack.db, EXAMPLES)
    async with anonymous(stack) as http:
        assert (await http.get("/forms/1")).status_code == 200
        routed = await http.post(
            "/forms/1", data={"field-f-name": "Bo", "field-f-email": "bo@example.com", "field-f-topic": "t-demo"}
        )
        assert routed.status_code == 303 and routed.headers["location"].startswith("/ada/intro-call?")
        *_, start = await first_free_slot(http, routed.headers["location"], tz="Europe/Berlin")
        carried = {k: v[0] for k, v in parse_qs(urlsplit(routed.headers["location"]).query).items()}
        booked = await http.post(
            "/ada/intro-call",
            data=carried | {"start": start, "tz": "Europe/Berlin", "name": "Bo", "email": "bo@example.com"},
        )
        assert booked.status_code == 303, booked.text
        assert "This meeting is scheduled" in (await http.get(booked.headers["location"])).text
