"""The org the page tests run against: one host, event types with Cal.com's rules, and a routing form
with every field type the engine knows."""

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx

from domain.config import Configuration, EventType, Host, User
from domain.routing_forms import RoutingForm
from store import config
from store.db import Database
from testkit.stack import open_all_week

ADA = User(id=1, name="Ada Organizer", email="ada@example.com", username="ada", time_zone="Europe/Berlin")
INTRO, LOCKED, QUESTIONS, WEEKLY, CHOICES, SOLO, LATER, NEVER = 1, 2, 3, 4, 5, 6, 7, 8
MESSAGE = "Our partner in Tokyo will contact you within a day."
ELSEWHERE = "https://docs.example.com/api"


def _event_type(id: int, slug: str, title: str, **fields: Any) -> EventType:
    # Hosts are open 24/7 (open_all_week) and no notice is needed: any month has free days.
    base = {"length_in_minutes": 30, "hosts": [Host(user_id=ADA.id)], "minimum_booking_notice": 0}
    return EventType(id=id, slug=slug, title=title, **(base | fields))


EVENT_TYPES = [
    _event_type(INTRO, "intro", "Intro Call"),
    _event_type(LOCKED, "locked", "Locked Call", disable_cancelling=True, disable_rescheduling=True),
    _event_type(WEEKLY, "weekly", "Weekly Call", recurrence={"frequency": "weekly", "interval": 1, "occurrences": 2}),
    _event_type(
        QUESTIONS,
        "questions",
        "Call With Questions",
        booking_fields=[
            {"type": "name", "slug": "name", "required": True},
            {"type": "email", "slug": "email", "required": True},
            {"type": "number", "slug": "seats", "label": "Seats", "required": True},
            {"type": "url", "slug": "site", "label": "Website"},
            {"type": "select", "slug": "plan", "label": "Plan", "options": ["Free", "Team"], "required": True},
            {"type": "boolean", "slug": "agree", "label": "I agree to the terms"},
            {"type": "notes", "slug": "notes", "label": "Notes"},
        ],
    ),
]


def month_after(day: date, count: int) -> date:
    """The first day of the month ``count`` months after ``day``'s."""
    index = day.year * 12 + day.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


# Bookable only from the month after next (a fortnight of it): this month and the next have no free time.
OPENS = month_after(datetime.now(UTC).date(), 2)
EVENT_TYPES += [
    _event_type(
        CHOICES,
        "choices",
        "Call With Choices",
        length_in_minutes_options=[15, 30, 60],
        locations=[
            {"type": "integration", "integration": "cal-video"},
            {"type": "address", "address": "Hauptstraße 1, Berlin", "public": True},
            {"type": "attendeePhone"},
        ],
        booking_fields=[
            {"type": "name", "slug": "name", "required": True},
            {"type": "email", "slug": "email", "required": True},
            {
                "type": "radio",
                "slug": "size",
                "label": "Team size",
                "required": True,
                "options": [{"value": "small", "label": "1-10"}, {"value": "large", "label": "11+"}],
            },
            {"type": "checkbox", "slug": "topics", "label": "Topics", "options": ["Pricing", "Security"]},
            {"type": "multiselect", "slug": "tools", "label": "Tools", "options": ["CRM", "ERP"]},
            {"type": "phone", "slug": "callback", "label": "Callback number"},
            {"type": "multiemail", "slug": "cc", "label": "Copy to"},
            {"type": "address", "slug": "office", "label": "Office address"},
            {"type": "textarea", "slug": "agenda", "label": "Agenda"},
            {"type": "text", "slug": "secret", "label": "Internal", "hidden": True},
            {"type": "multiemail", "slug": "guests", "label": "More people"},
        ],
    ),
    _event_type(SOLO, "solo", "Solo Call", disable_guests=True),
    _event_type(
        LATER,
        "later",
        "Later Call",
        period_type="RANGE",
        period_start_date=OPENS,
        period_end_date=OPENS + timedelta(days=14),
    ),
    _event_type(
        NEVER,
        "never",
        "Past Call",
        period_type="RANGE",
        period_start_date=date(2020, 1, 1),
        period_end_date=date(2020, 1, 31),
    ),
]


def carried_of(location: str) -> tuple[str, dict[str, str]]:
    """A page URL's path and its query parameters."""
    path, _, query = location.partition("?")
    return path, {k: v[0] for k, v in parse_qs(query).items()}


def days_of(html: str) -> list[str]:
    """The bookable days a month page links to (ISO dates)."""
    return re.findall(r'class="day" href="[^"]*date=(\d{4}-\d{2}-\d{2})', html)


def times_of(html: str) -> list[datetime]:
    """The free times a day's page links to."""
    return [
        datetime.fromisoformat(parse_qs(f"s={t}")["s"][0])
        for t in re.findall(r'class="time" href="[^"]*slot=([^"&#]+)', html)
    ]


async def first_free_slot(http: httpx.AsyncClient, path: str, tz: str = "Europe/Rome") -> tuple[str, str, str]:
    """(month, date, start) of the last free time of the month's last free day (far from now), next month
    when this one has none left: read from the page, as a visitor would."""
    month = datetime.now(UTC).strftime("%Y-%m")
    path, carried = carried_of(path)
    for _ in range(2):
        page = await http.get(path, params=carried | {"tz": tz, "month": month})
        assert page.status_code == 200, page.text
        if days := days_of(page.text):
            break
        month = (datetime.strptime(month, "%Y-%m") + timedelta(days=32)).strftime("%Y-%m")
    day = days[-1]
    page = await http.get(path, params=carried | {"tz": tz, "month": month, "date": day})
    starts = times_of(page.text)
    assert starts, page.text
    return month, day, starts[-1].isoformat()


def _rule(field: str, option: str) -> dict[str, Any]:
    rule = {"type": "rule", "properties": {"field": field, "operator": "select_equals", "value": [option]}}
    return {"type": "group", "children1": {"r": rule}}


COUNTRY = [
    {"id": "c-de", "label": "Germany"},
    {"id": "c-jp", "label": "Japan"},
    {"id": "c-us", "label": "United States"},
]
FORM = RoutingForm.model_validate(
    {
        "id": "1",
        "name": "Talk to us",
        "userId": ADA.id,
        "fields": [
            {"id": "f-email", "label": "Work email", "identifier": "email", "type": "email", "required": True},
            {"id": "f-name", "label": "Your name", "identifier": "name", "type": "text"},
            {"id": "f-size", "label": "Company size", "identifier": "size", "type": "number"},
            {"id": "f-country", "label": "Country", "identifier": "country", "type": "select", "options": COUNTRY,
             "required": True},
            {"id": "f-products", "label": "Interested in", "identifier": "products", "type": "multiselect",
             "options": [{"id": "p-api", "label": "API"}, {"id": "p-ui", "label": "Dashboard"}]},
            {"id": "f-channel", "label": "Preferred channel", "identifier": "channel", "type": "radio",
             "options": [{"id": "ch-mail", "label": "Email"}, {"id": "ch-call", "label": "Phone call"}]},
            {"id": "f-topics", "label": "Topics", "identifier": "topics", "type": "checkbox",
             "options": [{"id": "t-price", "label": "Pricing"}, {"id": "t-sec", "label": "Security"}]},
            {"id": "f-phone", "label": "Phone", "identifier": "phone", "type": "phone"},
            {"id": "f-about", "label": "Anything else?", "identifier": "about", "type": "textarea"},
            {"id": "f-news", "label": "Send me the newsletter", "identifier": "news", "type": "checkbox"},
        ],
        "routes": [
            {"id": "r-de", "name": "Germany", "queryValue": _rule("f-country", "c-de"),
             "action": {"type": "eventTypeRedirectUrl", "value": "ada/intro", "eventTypeId": INTRO}},
            {"id": "r-jp", "name": "Japan", "queryValue": _rule("f-country", "c-jp"),
             "action": {"type": "customPageMessage", "value": MESSAGE}},
            {"id": "r-us", "name": "United States", "queryValue": _rule("f-country", "c-us"),
             "action": {"type": "externalRedirectUrl", "value": ELSEWHERE}},
            {"id": "r-else", "name": "Everyone else", "isFallback": True,
             "action": {"type": "customPageMessage", "value": "Thank you!"}},
        ],
    }
)  # fmt: skip


async def seed_pages(db: Database) -> None:
    """The org above, in the store."""
    document = Configuration(users=[ADA], schedules=open_all_week([ADA]), event_types=EVENT_TYPES, routing_forms=[FORM])
    async with db.transaction() as session:
        await config.apply_configuration(session, document)
