"""``/{username}/{eventSlug}``: pick a day and a time in your time zone, answer the booking fields, book.

The month's slots come from ``api.slots`` (as ``GET /v2/slots``), the booking is made by
``api.bookings.create_booking`` (the handler of ``POST /v2/bookings``). A routed visitor arrives with
``cal.routingFormResponseId`` and ``cal.routingFormResponseToken`` (the routing form's redirect); both are
carried to the booking, which then takes its host from the stored routing decision; the page offers only
the free times of the hosts that decision lets the booking go to (``routing_bookings.routed_host_ids``), and
a link the booking would refuse whatever the time (forged, spent, for another event type) is a page saying so.
The form asks what the event type offers: its lengths (``duration``, carried by every link), its places,
guests unless disabled, and its booking fields, each refusal beside the field it names.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from api import bookings, slots
from api.booking_fields import ANSWERED_ELSEWHERE, PHONE_FIELD, allows_phone_only
from api.context import ApiContext, Ctx
from api.errors import ApiError, describe
from api.pages.calendar import Link, month_view, parse_start, time_zones, zone_param
from api.pages.paths import BOOKING_PAGE
from api.pages.render import Question, error_page, page, place, posted_values, see_other
from api.routing_bookings import routed_host_ids
from api.schemas import CreateBooking
from domain.config import EventType, User
from domain.event_type_calcom import Location
from store import config, routing

router = APIRouter(include_in_schema=False)

RESPONSE_ID, RESPONSE_TOKEN = "cal.routingFormResponseId", "cal.routingFormResponseToken"
# Cal.com's booking field types as the page asks them.
KINDS = {"address": "text", "title": "text", "notes": "textarea", "multiemail": "textarea", "checkbox": "multi",
         "multiselect": "multi"}  # fmt: skip
NOT_ASKED = ANSWERED_ELSEWHERE | {"rescheduleReason"}  # the attendee's own inputs; a reason only when moving
PHONE_KEY = f"bf-{PHONE_FIELD}"


def _options(field: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    raw = field.get("options") or []
    return tuple(
        (o, o) if isinstance(o, str) else (str(o.get("value")), str(o.get("label") or o.get("value")))
        for o in raw
        if isinstance(o, str | dict)
    )


def questions(event_type: EventType) -> list[tuple[str, Question]]:
    """(Cal.com field type, question) for everything the page asks: the attendee's name, email (and phone
    where the event type asks for it), then the event type's own shown booking fields."""
    asked = [
        ("name", Question("name", "name", "text", "Your name", required=True, autocomplete="name")),
        (
            "email",
            Question(
                "email", "email", "email", "Email address", required=not allows_phone_only(event_type),
                autocomplete="email",
            ),
        ),
    ]  # fmt: skip
    fields = [f for f in event_type.booking_fields if isinstance(f.get("slug"), str) and not f.get("hidden")]
    for number, field in enumerate(fields, start=1):
        slug, kind = field["slug"], str(field.get("type") or "text")
        if slug in NOT_ASKED and slug != PHONE_FIELD:
            continue
        label = str(field.get("label") or ("Phone number" if slug == PHONE_FIELD else slug))
        question = Question(
            key=f"bf-{slug}",
            html_id=f"bf{number}",
            kind=KINDS.get(kind, kind),
            label=label,
            required=field.get("required") is True,
            options=_options(field),
            placeholder=str(field.get("placeholder") or ""),
            autocomplete="tel" if slug == PHONE_FIELD else "",
        )
        asked.append((kind, question))
    if not event_type.booking_fields:  # Cal.com's default questions end with an optional note
        asked.append(("textarea", Question("bf-notes", "bf-notes", "textarea", "Additional notes")))
    asked += [("location", q) for q in _location_questions(event_type)]
    if takes_guests(event_type):
        label = str(_booking_field(event_type, "guests").get("label") or "Additional guests")
        hint = f"{label} (one email per line)"
        asked.append(("guests", Question(GUESTS, "guests", "textarea", hint, autocomplete="off")))
    return asked


GUESTS, LOCATION = "guests", "location"
# Where the booker says the place: the key of a location object's own value, by location type.
ATTENDEE_GIVES = {"attendeeAddress": "address", "attendeePhone": "phone", "attendeeDefined": "location"}
ATTENDEE_ASKS = {"attendeeAddress": "Your address", "attendeePhone": "Your phone number",
                 "attendeeDefined": "Where to meet"}  # fmt: skip


def _booking_field(event_type: EventType, slug: str) -> dict[str, Any]:
    return next((f for f in event_type.booking_fields if f.get("slug") == slug), {})


def takes_guests(event_type: EventType) -> bool:
    """Whether the booker may add guests (the API refuses them otherwise: ``booking_fields.check_guests``)."""
    return not event_type.disable_guests and not _booking_field(event_type, "guests").get("hidden")


def _location_label(location: Location) -> str:
    """How a choice of place reads to the booker (a private address or number only once booked)."""
    kind = location.type
    if kind in ATTENDEE_ASKS:
        return {"attendeeAddress": "In person, at your address", "attendeePhone": "By phone: the host calls you",
                "attendeeDefined": "Somewhere you choose"}[kind]  # fmt: skip
    if kind == "integration":
        name = getattr(location, "integration", "")
        return "Cal Video" if name == "cal-video" else name.replace("-", " ").title()
    if kind == "organizersDefaultApp":
        return "The host's video app"
    public = getattr(location, "public", False)
    value = str(getattr(location, kind, "") or "")
    generic = {"address": "In person", "link": "Online (link)", "phone": "By phone: you call the host"}[kind]
    return f"{generic}: {value}" if public and value else generic


def _location_questions(event_type: EventType) -> list[Question]:
    """A choice of place when the event type offers several, and the booker's own value for each kind of
    place the booker gives (their address, phone, a place of their choosing)."""
    locations = event_type.locations or []
    asked = []
    if len(locations) > 1:
        options = tuple((str(i), _location_label(loc)) for i, loc in enumerate(locations))
        asked.append(Question(LOCATION, "location", "radio", "Location", required=True, options=options))
    for i, loc in enumerate(locations):
        if loc.type in ATTENDEE_ASKS:
            kind = "phone" if loc.type == "attendeePhone" else "text"
            label = ATTENDEE_ASKS[loc.type] + (f" (if you pick “{_location_label(loc)}”)" if len(locations) > 1 else "")
            # ids apart from the choice's own radios (location-1, location-2, …)
            asked.append(Question(f"location-{i}", f"place-{i}", kind, label, required=len(locations) == 1))
    return asked


def _location(event_type: EventType, posted: FormData) -> dict[str, Any] | None:
    """The chosen place as the API's location object (None: the event type's own), else a 400 naming the
    page's field: a choice that is not offered, or a place the booker must give and did not."""
    locations = event_type.locations or []
    if not locations:
        return None
    raw = str(posted.get(LOCATION) or "0") if len(locations) > 1 else "0"
    if not raw.isdigit() or int(raw) >= len(locations):
        raise ApiError(400, f"{LOCATION}: pick one of the places offered")
    index = int(raw)
    chosen = locations[index]
    if chosen.type not in ATTENDEE_GIVES:
        if len(locations) == 1:
            return None  # the event type's one place: the booking takes it already
        return chosen.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"public", "credential_id"})
    given = str(posted.get(f"location-{index}") or "").strip()
    if not given:
        raise ApiError(400, f"location-{index}: required for the place you picked")
    return {"type": chosen.type, ATTENDEE_GIVES[chosen.type]: given}


def _guests(posted: FormData) -> list[str]:
    return [g for g in re.split(r"[\s,;]+", str(posted.get(GUESTS) or "")) if g]


def _aliases(asked: list[tuple[str, Question]]) -> dict[str, str]:
    """The API's field names → the page's questions (to place its messages)."""
    aliases = {"attendee.name": "name", "attendee.email": "email", "attendee.phoneNumber": PHONE_KEY}
    if any(q.key == GUESTS for _, q in asked):  # else the API's refusal of guests is shown at the top
        aliases |= {GUESTS: GUESTS} | {f"{GUESTS}.{i}": GUESTS for i in range(30)}  # CreateBooking takes 30
    aliases |= {q.key: q.key for kind, q in asked if kind == "location"}  # the page's own checks
    return aliases | {f"bookingFieldsResponses.{q.key.removeprefix('bf-')}": q.key for _, q in asked}


def _answer(kind: str, question: Question, posted: FormData) -> Any:
    """One booking field's answer as the API takes it (a number as a number, a box as true, …)."""
    if question.kind == "multi":
        return [str(v) for v in posted.getlist(question.key)] or None
    raw = posted.get(question.key)
    if question.kind == "boolean":
        return True if raw is not None else None
    if not isinstance(raw, str) or not raw.strip():
        return None
    if kind == "number":
        try:
            number = float(raw)
        except ValueError:
            return raw  # the API names the field: "must be a number"
        return int(number) if number.is_integer() else number
    if kind == "multiemail":
        return [e for e in re.split(r"[\s,;]+", raw) if e]
    return raw.strip()


def _routing(params: Mapping[str, Any]) -> dict[str, str]:
    """The routing parameters carried from the form's redirect (as sent: the booking checks them)."""
    return {k: str(params.get(k)) for k in (RESPONSE_ID, RESPONSE_TOKEN) if params.get(k)}


@dataclass(frozen=True)
class Routed:
    """A routed visitor's response, as far as the page needs it."""

    email: str  # the email the form was answered with (the booking must use it), or ""
    host_ids: list[int] | None  # whose free time the page offers (None: every host's, as the booking needs)


INVALID_LINK = "this booking link does not come from a routing form answer; please fill in the form again"


async def _routed(ctx: ApiContext, carried: dict[str, str], event_type: EventType) -> Routed | None:
    """The response a routed visitor's link carries (None without one), or a 4xx when the booking would
    refuse it whatever time is picked: unknown, another token, routed elsewhere, already booked."""
    if not carried:
        return None
    response_id = carried.get(RESPONSE_ID, "")
    if not response_id.isdigit() or len(response_id) > 18:
        raise ApiError(400, f"{RESPONSE_ID}: {INVALID_LINK}")
    async with ctx.db.sessions() as session:
        stored = await routing.get_response(session, int(response_id))
    if stored is None or not stored.token_matches(carried.get(RESPONSE_TOKEN)):
        raise ApiError(403, f"{RESPONSE_TOKEN}: {INVALID_LINK}")
    decision = stored.decision
    if decision is None or decision.action.event_type_id != event_type.id:
        raise ApiError(400, f"{RESPONSE_ID}: this booking link is for another event type")
    if stored.booking_uid is not None:
        raise ApiError(409, f"{RESPONSE_ID}: this booking link was already used to book (booking {stored.booking_uid})")
    return Routed(stored.email or "", routed_host_ids(decision, event_type))


async def _event_type(ctx: ApiContext, username: str, slug: str) -> tuple[EventType, User]:
    """The event type and its owner, or a 404 in the API's words."""
    event_type = await slots.event_type_for(ctx, None, slug, username)
    async with ctx.db.sessions() as session:
        owner = await config.get_user(session, event_type.hosts[0].user_id)
    if owner is None:
        raise ApiError(404, "Event Type not found")
    return event_type, owner


async def _render(
    ctx: ApiContext,
    event_type: EventType,
    owner: User,
    path: str,
    params: Mapping[str, Any],
    status: int = 200,
    values: dict[str, Any] | None = None,
    problems: dict[str, str] | None = None,
) -> HTMLResponse:
    carried = _routing(params)
    routed = await _routed(ctx, carried, event_type)
    only = routed.host_ids if routed else None
    view = await month_view(ctx, event_type, params, owner.time_zone, only_hosts=only)
    chosen = parse_start(params.get("slot"), view.zone) if params.get("slot") else None
    if values is None:
        values = {"email": routed.email} if routed else {}
        values |= {LOCATION: "0"}  # the first place offered, as on Cal.com
    # A variable-length event type carries the chosen length in every link and form.
    length = {"duration": str(view.minutes)} if event_type.length_in_minutes_options else {}
    return page(
        "booker.html",
        status=status,
        title=f"{event_type.title} · {owner.name}",
        event_type=event_type,
        owner=owner,
        view=view,
        link=Link(path, {"tz": view.zone, **carried, **length}),
        path=path,
        zones=time_zones(),
        carried=carried | length,
        zone_hidden=carried
        | length
        | {"month": f"{view.month:%Y-%m}", "date": view.chosen.isoformat() if view.chosen else ""},
        lengths=event_type.length_in_minutes_options or [],
        chosen=chosen,
        chosen_end=chosen + timedelta(minutes=view.minutes) if chosen else None,
        questions=[q for _, q in questions(event_type)],
        values=values,
        problems=problems or {},
    )


@router.get(BOOKING_PAGE)
async def booking_page(username: str, event_slug: str, ctx: Ctx, request: Request) -> HTMLResponse:
    """The month with its bookable days; with ``date`` that day's times; with ``slot`` the booking form."""
    try:
        event_type, owner = await _event_type(ctx, username, event_slug)
        return await _render(ctx, event_type, owner, request.url.path, request.query_params)
    except ApiError as refused:
        return error_page(refused.status, refused.message)


@router.post(BOOKING_PAGE)
async def book(username: str, event_slug: str, ctx: Ctx, request: Request) -> Response:
    """Book the chosen slot (``start``) with the answers; then the booking's own page."""
    posted = await request.form()
    names = ("tz", "month", "date", "start", "duration", RESPONSE_ID, RESPONSE_TOKEN)
    params = {k: str(posted.get(k) or "") for k in names}
    try:
        event_type, owner = await _event_type(ctx, username, event_slug)
        zone = zone_param(params["tz"], owner.time_zone)
        start = parse_start(params["start"], zone)
    except ApiError as refused:
        return error_page(refused.status, refused.message)
    asked = questions(event_type)
    answers = {q.key.removeprefix("bf-"): _answer(kind, q, posted) for kind, q in asked if q.key.startswith("bf-")}
    carried = _routing(params)
    body: dict[str, Any] = {
        "start": start.isoformat(),
        "eventTypeId": event_type.id,
        "attendee": {"name": str(posted.get("name") or "").strip(), "timeZone": zone},
        "bookingFieldsResponses": {k: v for k, v in answers.items() if v is not None},
    }
    if email := str(posted.get("email") or "").strip():
        body["attendee"]["email"] = email
    if carried:
        body["routing"] = {"responseId": carried.get(RESPONSE_ID), "bookingToken": carried.get(RESPONSE_TOKEN)}
    if params["duration"] and event_type.length_in_minutes_options:
        body["lengthInMinutes"] = int(params["duration"]) if params["duration"].isdigit() else params["duration"]
    if guests := _guests(posted):
        body["guests"] = guests
    try:
        if (place_chosen := _location(event_type, posted)) is not None:
            body["location"] = place_chosen
        created = await bookings.create_booking(
            request=CreateBooking.model_validate(body), ctx=ctx, idempotency_key=None
        )
    except ValidationError as invalid:
        refusal = ApiError(400, describe(invalid.errors()))
    except ApiError as refused:
        refusal = refused
    else:  # a recurring event type books every occurrence: the page of the first
        booked = created.data[0] if isinstance(created.data, list) else created.data
        return see_other(f"/booking/{booked['uid']}")
    if refusal.status not in (400, 403, 409):
        return error_page(refusal.status, refusal.message)
    problems = place(refusal.message, _aliases(asked))
    values = posted_values([q for _, q in asked], posted)
    again = {**carried, "tz": zone, "month": params["month"], "date": params["date"], "slot": params["start"]}
    again |= {"duration": params["duration"]} if event_type.length_in_minutes_options else {}
    try:
        return await _render(ctx, event_type, owner, request.url.path, again, refusal.status, values, problems)
    except ApiError as refused:  # the posted month or day itself was refused
        return error_page(refused.status, refused.message)
