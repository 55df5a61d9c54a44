"""Booking inputs checked as Cal.com checks them against the event type; each refusal a 400 naming the field."""

import pytest

from domain.reminder_plan import recipients
from domain.reminders import ReminderStep
from store import bookings
from testkit.stack import event_type, seed, soon
from tests.contract.calcom import check

PHONE_ONLY_FIELDS = [
    {"type": "email", "label": "Email", "placeholder": "", "required": False, "hidden": True},
    {"type": "phone", "slug": "attendeePhoneNumber", "label": "Phone", "required": True, "hidden": False},
]
CUSTOM_FIELDS = [
    {"type": "text", "slug": "company", "label": "Company", "required": True, "hidden": False},
    {"type": "number", "slug": "seats", "label": "Seats", "required": False, "hidden": False},
    {"type": "boolean", "slug": "nda", "label": "NDA", "required": False, "hidden": False},
    {"type": "select", "slug": "plan", "label": "Plan", "required": False, "options": ["basic", "pro"],
     "hidden": False},
    {"type": "multiselect", "slug": "topics", "label": "Topics", "required": False, "options": ["a", "b"],
     "hidden": False},
    {"type": "url", "slug": "site", "label": "Site", "required": False, "hidden": False},
    {"type": "multiemail", "slug": "cc", "label": "Cc", "required": False, "hidden": False},
    {"type": "text", "slug": "internal", "label": "Internal", "required": True, "hidden": True},
    {"slug": "notes", "required": True},
]  # fmt: skip
NEXLA = {"cal-api-version": "2026-02-25"}


def _body(attendee: dict | None = None, **fields) -> dict:
    person = {"name": "Bo Booker", "email": "bo@example.com", "timeZone": "Europe/Rome"} | (attendee or {})
    return {"start": soon(3600).isoformat(), "eventTypeId": 1, "attendee": {k: v for k, v in person.items() if v}} | (
        fields
    )


async def test_a_phone_only_attendee_books_where_the_event_type_allows_it(stack):
    await seed(stack.db, event_type(1, booking_fields=PHONE_ONLY_FIELDS))
    body = _body({"email": None, "phoneNumber": "+14155550123"})
    response = await stack.http.post("/v2/bookings", json=body, headers=NEXLA)
    created = check(response)["data"]
    # Cal.com's address for a phone-only attendee: the number's digits at sms.cal.com.
    assert created["attendees"][0]["email"] == "14155550123@sms.cal.com"
    assert created["attendees"][0]["phoneNumber"] == "+14155550123"
    async with stack.db.sessions() as session:
        stored = await bookings.get(session, created["uid"])
    assert stored.attendees[0].phone_number == "+14155550123"


async def test_a_phone_only_attendee_gets_texts_and_no_email(stack):
    await seed(stack.db, event_type(1, booking_fields=PHONE_ONLY_FIELDS))
    body = _body({"email": None, "phoneNumber": "+14155550123"}, guests=["g@example.com"])
    created = check(await stack.http.post("/v2/bookings", json=body))["data"]
    async with stack.db.sessions() as session:
        stored = await bookings.get(session, created["uid"])
    email = ReminderStep.model_validate({"stepNumber": 1, "action": "email_attendee"})
    sms = ReminderStep.model_validate({"stepNumber": 1, "action": "sms_attendee"})
    assert [r.address for r in recipients(stored, email)] == ["g@example.com"]  # the guest only
    assert [r.address for r in recipients(stored, sms)] == ["+14155550123"]


async def test_the_phone_may_come_as_the_attendeePhoneNumber_answer(stack):
    await seed(stack.db, event_type(1, booking_fields=PHONE_ONLY_FIELDS))
    body = _body({"email": None}, bookingFieldsResponses={"attendeePhoneNumber": "+442079460958"})
    created = check(await stack.http.post("/v2/bookings", json=body))["data"]
    assert created["attendees"][0]["email"] == "442079460958@sms.cal.com"


async def test_custom_fields_answered_as_asked_are_kept(stack):
    await seed(stack.db, event_type(1, booking_fields=CUSTOM_FIELDS))
    answers = {"company": "Acme", "seats": 3, "nda": True, "plan": "pro", "topics": ["a", "b"],
               "site": "https://acme.example", "cc": ["x@example.com"], "notes": "hi", "extra": {"k": 1}}  # fmt: skip
    created = check(await stack.http.post("/v2/bookings", json=_body(bookingFieldsResponses=answers)))["data"]
    assert created["bookingFieldsResponses"] == answers


async def test_a_language_from_cal_coms_list_is_kept(stack):
    await seed(stack.db, event_type(1))
    created = check(await stack.http.post("/v2/bookings", json=_body({"language": "pt-BR"})))["data"]
    assert created["attendees"][0]["language"] == "pt-BR"


ANSWERED = {"company": "Acme", "notes": "hi"}


@pytest.mark.parametrize(
    ("fields", "booking", "named"),
    [
        ([], _body({"email": None, "phoneNumber": "+14155550123"}), "attendee.email"),
        (PHONE_ONLY_FIELDS, _body({"email": None}), "attendee.phoneNumber"),
        (PHONE_ONLY_FIELDS, _body({"phoneNumber": None}), "attendee.phoneNumber"),
        (PHONE_ONLY_FIELDS, _body({"email": None}, bookingFieldsResponses={"attendeePhoneNumber": "12"}),
         "bookingFieldsResponses.attendeePhoneNumber"),
        ([], _body({"language": "klingon"}), "attendee.language"),
        ([{"slug": "guests", "hidden": True}], _body(guests=["g@example.com"]), "guests"),
        ([], _body(guests=["not-an-email"]), "guests"),
        (CUSTOM_FIELDS, _body(bookingFieldsResponses={"notes": "hi"}), "bookingFieldsResponses.company"),
        (CUSTOM_FIELDS, _body(bookingFieldsResponses={"company": "Acme"}), "bookingFieldsResponses.notes"),
        (CUSTOM_FIELDS, _body(bookingFieldsResponses=ANSWERED | {"seats": "three"}), "bookingFieldsResponses.seats"),
        (CUSTOM_FIELDS, _body(bookingFieldsResponses=ANSWERED | {"nda": "yes"}), "bookingFieldsResponses.nda"),
        (CUSTOM_FIELDS, _body(bookingFieldsResponses=ANSWERED | {"plan": "gold"}), "bookingFieldsResponses.plan"),
        (CUSTOM_FIELDS, _body(bookingFieldsResponses=ANSWERED | {"topics": ["a", "z"]}),
         "bookingFieldsResponses.topics"),
        (CUSTOM_FIELDS, _body(bookingFieldsResponses=ANSWERED | {"site": "acme"}), "bookingFieldsResponses.site"),
        (CUSTOM_FIELDS, _body(bookingFieldsResponses=ANSWERED | {"cc": ["nope"]}), "bookingFieldsResponses.cc"),
        ([], _body(lengthInMinutes=45), "lengthInMinutes"),
    ],
)  # fmt: skip
async def test_a_refusal_is_a_400_naming_the_field(stack, fields, booking, named):
    await seed(stack.db, event_type(1, booking_fields=fields))
    response = await stack.http.post("/v2/bookings", json=booking)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"].startswith(named), response.text
    listed = await stack.http.get("/v2/bookings")
    assert listed.json()["data"] == []  # nothing was booked


async def test_guests_are_refused_where_the_event_type_disables_them(stack):
    await seed(stack.db, event_type(1, disable_guests=True))
    response = await stack.http.post("/v2/bookings", json=_body(guests=["g@example.com"]))
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"].startswith("guests")
