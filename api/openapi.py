"""The OpenAPI document as the API really behaves.

FastAPI's generated document declares 422 for validation errors; this API answers 400 with Cal.com's
error envelope, and may also answer 401, 403, 404, 409, 413, 429 and 503. Every operation declares the
statuses it can give, each with the envelope as its schema, and the routes that need a key (api/access_rules.py)
carry the bearer security scheme Cal.com's clients use. The Cal.com route families take the
``cal-api-version`` header (and echo the version served), and the bookings routes document their answers
in Cal.com's shapes (api/booking_output.py): one booking, or every occurrence of a recurring booking.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from api import versions
from api.access_rules import RULES, Rule
from api.booking_output import BookingAnswer, OneBookingAnswer

SCHEME = "bearerAuth"
ERROR = "ErrorEnvelope"
MEANINGS = {
    "400": "Invalid request; the message names the field",
    "401": "No API key, or an unknown, revoked or expired one",
    "403": "The API key lacks the right for this route",
    "404": "Not found, or not the caller's to see",
    "409": "Conflicts with the resource's state (a taken slot, an ended booking)",
    "413": "The request body (or a field of it) is too large",
    "429": "Too many requests; retry after Retry-After seconds",
    "503": "The workflow engine is unreachable; nothing was changed",
}
# What every route may answer; keyed routes may also refuse a key without the right.
ANYONE = ("400", "401", "404", "409", "413", "429", "503")
KEYED = (*ANYONE, "403")
RATE_HEADERS = {
    name: {"description": text, "schema": {"type": "integer"}}
    for name, text in (
        ("X-RateLimit-Limit", "Requests allowed in the current window"),
        ("X-RateLimit-Remaining", "Requests left in the current window"),
        ("X-RateLimit-Reset", "When the window resets (Unix time)"),
    )
}

ENVELOPE_SCHEMA = {
    "type": "object",
    "required": ["status", "error"],
    "properties": {
        "status": {"type": "string", "enum": ["error"]},
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        },
    },
}


# The route families versioned by cal-api-version, by path prefix.
VERSIONED = {
    "/v2/bookings": versions.Family.BOOKINGS,
    "/v2/event-types": versions.Family.EVENT_TYPES,
    "/v2/slots": versions.Family.SLOTS,
    "/v2/schedules": versions.Family.SCHEDULES,
}
# The bookings answers in Cal.com's shapes: (path, method) -> the model of the success body.
BOOKING_ANSWERS: dict[tuple[str, str], type[BaseModel]] = {
    ("/v2/bookings", "post"): BookingAnswer,
    ("/v2/bookings/{uid}", "get"): BookingAnswer,
    ("/v2/bookings/{uid}/cancel", "post"): BookingAnswer,
    ("/v2/bookings/{uid}/reschedule", "post"): OneBookingAnswer,
    ("/v2/bookings/{uid}/confirm", "post"): OneBookingAnswer,
    ("/v2/bookings/{uid}/decline", "post"): OneBookingAnswer,
    ("/v2/bookings/{uid}/mark-absent", "post"): OneBookingAnswer,
}


def _family(path: str) -> versions.Family | None:
    return next((f for prefix, f in VERSIONED.items() if path == prefix or path.startswith(prefix + "/")), None)


def _versioned(path: str, operation: dict[str, Any]) -> None:
    """The cal-api-version header a versioned route reads, and its echo on the success answer."""
    family = _family(path)
    if family is None:
        return
    known = versions.KNOWN[family]
    operation.setdefault("parameters", []).append(
        {
            "name": versions.HEADER,
            "in": "header",
            "required": False,
            "schema": {"type": "string", "default": known[-1]},
            "description": f"A date (YYYY-MM-DD): the newest of {', '.join(known)} on or before it is served; "
            "none or a later date gets the newest. Not a date: 400 naming the header.",
        }
    )
    for status, response in operation.get("responses", {}).items():
        if status.startswith("2"):
            response.setdefault("headers", {})[versions.HEADER] = {
                "description": "The version served",
                "schema": {"type": "string", "enum": list(known)},
            }


def _booking_answers(spec: dict[str, Any]) -> None:
    """Document the bookings answers with their models, whose definitions join the components."""
    models = sorted(set(BOOKING_ANSWERS.values()), key=lambda m: m.__name__)
    refs, definitions = models_json_schema(
        [(m, "serialization") for m in models], by_alias=True, ref_template="#/components/schemas/{model}"
    )
    spec.setdefault("components", {}).setdefault("schemas", {}).update(definitions.get("$defs", {}))
    for (path, method), model in BOOKING_ANSWERS.items():
        operation = spec.get("paths", {}).get(path, {}).get(method)
        if operation is None:
            continue
        success = next(s for s in operation["responses"] if s.startswith("2"))
        content = operation["responses"][success].setdefault("content", {}).setdefault("application/json", {})
        content["schema"] = refs[(model, "serialization")]


def _error_response(status: str) -> dict[str, Any]:
    headers = dict(RATE_HEADERS)
    if status == "429":
        headers["Retry-After"] = {"description": "Seconds to wait", "schema": {"type": "integer"}}
    return {
        "description": MEANINGS[status],
        "headers": headers,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR}"}}},
    }


def _operation(path: str, method: str, operation: dict[str, Any]) -> None:
    rule = RULES.get((method.upper(), path), Rule.ADMIN)
    responses = operation.setdefault("responses", {})
    responses.pop("422", None)
    for status in KEYED if rule is not Rule.PUBLIC else ANYONE:
        responses[status] = _error_response(status)
    if rule is not Rule.PUBLIC:
        operation["security"] = [{SCHEME: []}]


def document(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document, corrected as described above."""
    spec = get_openapi(title=app.title, version=app.version, routes=app.routes, description=app.description)
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            _operation(path, method, operation)
            _versioned(path, operation)
    _booking_answers(spec)
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas[ERROR] = ENVELOPE_SCHEMA
    components.setdefault("securitySchemes", {})[SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key (bf_live_…) made with `bookflow keys create`",
    }
    return spec


def install(app: FastAPI) -> None:
    """Serve the corrected document at /openapi.json (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
