"""Resources owned by the test owner (user 1), and a valid request for every route, to walk the rule table.

``World`` holds one of each resource a path can name; ``fresh`` makes a new set for routes that use
theirs up (DELETE). ``REQUESTS`` gives each route a body that passes validation, so what a caller gets
is decided by access alone: a route missing here is still walked, with an empty body, for the statuses
that do not depend on the body (401 without a key, 403 for a non-admin on an admin route).
"""

import dataclasses
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from domain.config import User
from store.routing import ResponseRow
from testkit.access import ADMIN_ID, OTHER_ID, OWNER_ID
from testkit.stack import ORGANIZER, Stack, event_type, seed, soon

OTHER = User(id=OTHER_ID, name="Bob Other", email="bob@example.com", username="bob", time_zone="UTC")
ADMIN = User(id=ADMIN_ID, name="Root Admin", email="root@example.com", username="admin", time_zone="UTC")
HOOK_URL = "http://127.0.0.1:9/hook"  # never called: only stored (the test app allows private URLs)

_numbers = itertools.count(100)


def form_document(form_id: str, user_id: int | None) -> dict[str, Any]:
    """A minimal routing form: one email field, a fallback route showing a message."""
    return {
        "id": form_id,
        "name": f"Form {form_id}",
        "userId": user_id,
        "fields": [{"id": "f-email", "label": "Email", "identifier": "email", "type": "email", "required": True}],
        "routes": [
            {
                "id": "r-fallback",
                "name": "Everyone",
                "isFallback": True,
                "queryValue": {"id": "root", "type": "group"},
                "action": {"type": "customPageMessage", "value": "Thanks"},
            }
        ],
    }


def attribute_document(attribute_id: str) -> dict[str, Any]:
    return {
        "id": attribute_id,
        "name": f"Attribute {attribute_id}",
        "type": "SINGLE_SELECT",
        "options": [{"id": f"{attribute_id}-a", "value": "A"}, {"id": f"{attribute_id}-b", "value": "B"}],
    }


def reminder_rule() -> dict[str, Any]:
    return {
        "name": "reminder",
        "trigger": {"type": "beforeEvent", "offset": {"value": 60, "unit": "minute"}},
        "steps": [{"stepNumber": 1, "action": "email_attendee"}],
    }


def booking_body(user_id: int = OWNER_ID) -> dict[str, Any]:
    return {
        "start": soon(3600 * next(_numbers)).isoformat(),
        "eventTypeId": 1,
        "attendee": {"name": "Bo Booker", "email": "bo@example.com", "timeZone": "Europe/Rome"},
    }


@dataclass(frozen=True)
class World:
    """Path parameters naming resources of the owner (user 1)."""

    uid: str
    event_type_id: int
    workflow_id: int
    webhook_id: str  # user scope
    event_type_webhook_id: str
    form_id: str
    response_id: int
    attribute_id: str
    user_id: int = OWNER_ID

    def path(self, template: str) -> str:
        params = dataclasses.asdict(self)
        if "/event-types/{event_type_id}/webhooks/{webhook_id}" in template:
            params["webhook_id"] = self.event_type_webhook_id
        return template.format(**params)


async def _created(stack: Stack, path: str, body: dict[str, Any], key: str) -> dict[str, Any]:
    async with stack.as_(key) as http:
        response = await http.post(path, json=body)
    assert response.status_code == 201, (path, response.text)
    return response.json()["data"]


async def build_world(stack: Stack, with_booking: bool = True) -> World:
    """A set of resources owned by user 1 (an event type, its rule and webhook, a webhook, a form, …)."""
    owner, admin = stack.keys.owner, stack.keys.admin
    n = next(_numbers)
    event_type_id = (await _created(stack, "/v2/event-types", _event_type_body(n, OWNER_ID), owner))["id"]
    workflow = await _created(stack, f"/v2/event-types/{event_type_id}/workflows", reminder_rule(), owner)
    hook = {"subscriberUrl": HOOK_URL, "triggers": ["BOOKING_CREATED"]}
    webhook = await _created(stack, "/v2/webhooks", hook, owner)
    event_type_webhook = await _created(stack, f"/v2/event-types/{event_type_id}/webhooks", hook, owner)
    form = await _created(stack, "/v2/routing-forms", form_document(f"form-{n}", OWNER_ID), owner)
    async with stack.as_(None) as anonymous:
        submitted = await anonymous.post(f"/v2/routing-forms/{form['id']}/responses", json={"email": "kim@x.com"})
    assert submitted.status_code == 201, submitted.text
    attribute = await _created(stack, "/v2/attributes", attribute_document(f"attr-{n}"), admin)
    uid = (await stack.book(1, soon(3600 * next(_numbers))))["uid"] if with_booking else "none"
    return World(
        uid=uid,
        event_type_id=event_type_id,
        workflow_id=workflow["id"],
        webhook_id=webhook["id"],
        event_type_webhook_id=event_type_webhook["id"],
        form_id=form["id"],
        response_id=await _last_response_id(stack),
        attribute_id=attribute["id"],
    )


async def _last_response_id(stack: Stack) -> int:
    async with stack.db.sessions() as session:
        # Response ids are random: the newest response is the last one submitted.
        newest = select(ResponseRow.id).order_by(ResponseRow.created_at.desc()).limit(1)
        return int(await session.scalar(newest))


def _event_type_body(n: int, user_id: int) -> dict[str, Any]:
    return {"slug": f"walk-{n}", "title": f"Walk {n}", "lengthInMinutes": 30, "hosts": [{"userId": user_id}]}


async def seed_people(stack: Stack) -> None:
    """The owner (user 1) with event type 1, another user and the admin's user."""
    await seed(stack.db, event_type(1, length_in_minutes=30), users=(ORGANIZER, OTHER, ADMIN))


Body = Callable[[World, int], Any]

# A valid body for each route that takes one, given the world and the caller's user id.
REQUESTS: dict[tuple[str, str], Body] = {
    ("POST", "/v2/bookings"): lambda w, u: booking_body(),
    ("POST", "/v2/bookings/{uid}/cancel"): lambda w, u: {},
    ("POST", "/v2/bookings/{uid}/reschedule"): lambda w, u: {"start": soon(3600 * next(_numbers)).isoformat()},
    ("POST", "/v2/bookings/{uid}/confirm"): lambda w, u: None,
    ("POST", "/v2/bookings/{uid}/decline"): lambda w, u: {},
    ("POST", "/v2/bookings/{uid}/mark-absent"): lambda w, u: {"host": True},
    ("POST", "/v2/bookings/{uid}/payments"): lambda w, u: {"paymentEventId": f"evt_{next(_numbers)}"},
    ("POST", "/v2/bookings/{uid}/participants"): lambda w, u: {"email": "bo@example.com"},
    ("POST", "/v2/bookings/{uid}/wrong-assignment"): lambda w, u: {"reportedBy": {"email": "ada@example.com"}},
    ("POST", "/v2/event-types"): lambda w, u: _event_type_body(next(_numbers), u),
    ("PATCH", "/v2/event-types/{event_type_id}"): lambda w, u: {"title": "Renamed"},
    ("POST", "/v2/event-types/{event_type_id}/workflows"): lambda w, u: reminder_rule(),
    ("PATCH", "/v2/event-types/{event_type_id}/workflows/{workflow_id}"): lambda w, u: {"name": "renamed"},
    ("POST", "/v2/event-types/{event_type_id}/webhooks"): lambda w, u: {
        "subscriberUrl": HOOK_URL,
        "triggers": ["BOOKING_CREATED"],
    },
    ("PATCH", "/v2/event-types/{event_type_id}/webhooks/{webhook_id}"): lambda w, u: {"active": False},
    ("POST", "/v2/webhooks"): lambda w, u: {"subscriberUrl": HOOK_URL, "triggers": ["BOOKING_CREATED"]},
    ("PATCH", "/v2/webhooks/{webhook_id}"): lambda w, u: {"active": False},
    ("POST", "/v2/routing-forms"): lambda w, u: form_document(f"form-{next(_numbers)}", u),
    ("PATCH", "/v2/routing-forms/{form_id}"): lambda w, u: {"name": "Renamed"},
    ("POST", "/v2/routing-forms/{form_id}/responses"): lambda w, u: {"email": "kim@example.com"},
    ("POST", "/v2/attributes"): lambda w, u: attribute_document(f"attr-{next(_numbers)}"),
    ("PATCH", "/v2/attributes/{attribute_id}"): lambda w, u: {"name": "Renamed"},
    ("POST", "/v2/attributes/options/{user_id}"): lambda w, u: {
        "attributeId": w.attribute_id,
        "attributeOptionId": f"{w.attribute_id}-a",
    },
    ("POST", "/v2/messaging/twilio/inbound"): lambda w, u: None,
}
