"""Cal.com's API v2 contract: its OpenAPI subset (../shared/conformance/calcom-api-v2/) and a checker.

``check(response)`` finds the documented operation for the request's method and path, takes the schema
of the answer's status code, and validates the body with openapi-schema-validator (OAS 3.0), resolving
``#/components/schemas/...`` against the same document.
"""

import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from openapi_schema_validator import OAS30Validator

SPEC = Path(
    os.environ.get("BOOKFLOW_CALCOM_OPENAPI")
    or Path(__file__).resolve().parents[3] / "shared" / "conformance" / "calcom-api-v2" / "openapi-subset.json"
)


# Where Cal.com's generated document contradicts its own examples and service, the service wins
# (``_corrected`` lists each case): webhook outputs list trigger names (strings, as its examples and
# its input DTOs), not objects, and
# GET /v2/slots answers {"status", "data": {date: [{"start", "end"?}]}} (see the subset's README).
SLOT = {"type": "object", "required": ["start"], "properties": {"start": {"type": "string"}, "end": {"type": "string"}}}
SLOTS_ANSWER = {
    "type": "object",
    "required": ["status", "data"],
    "properties": {
        "status": {"type": "string", "enum": ["success"]},
        "data": {"type": "object", "additionalProperties": {"type": "array", "items": SLOT}},
    },
}


ONLY_TYPE = re.compile(r"only allowed value for type is `([^`]+)`", re.IGNORECASE)


def _corrected(spec: dict[str, Any]) -> dict[str, Any]:
    schemas = spec["components"]["schemas"]
    # Location and booking-field variants state their `type` (or slug) in prose only, so an object matches
    # several variants and each oneOf fails; the prose becomes the enum it describes. isDefault is
    # documented as an object with the example true/false: the service sends that boolean.
    # Default booking fields are told apart by slug (and isDefault true), custom ones by isDefault false.
    for name, schema in schemas.items():
        for prop in schema.get("properties", {}).values():
            if (match := ONLY_TYPE.search(prop.get("description", ""))) and "enum" not in prop:
                prop["enum"] = [match.group(1)]
        if name.endswith("FieldOutput_2024_06_14") and "isDefault" in schema.get("properties", {}):
            default = "DefaultFieldOutput" in name
            schema["properties"]["isDefault"] = {"type": "boolean", "enum": [default]}
            if default:
                slug = schema["properties"]["slug"]
                slug.setdefault("enum", [slug.get("default", slug.get("example"))])
    # OAS 3.0 ignores `nullable` beside a lone allOf/$ref; Cal.com sends null there (recurrence and the like).
    for schema in schemas.values():
        for name, prop in schema.get("properties", {}).items():
            if prop.get("nullable") and "allOf" in prop and "type" not in prop:
                schema["properties"][name] = {"anyOf": [*prop["allOf"], {"nullable": True, "enum": [None]}]}
    # Schedules: `days` carries its items' enum on the array itself, and times name their pattern
    # (TIME_FORMAT_HH_MM) instead of stating it; the service takes and returns "HH:MM".
    for schema in schemas.values():
        for name, prop in schema.get("properties", {}).items():
            if name == "days" and prop.get("type") == "array":
                prop.pop("enum", None)
            if prop.get("pattern") == "TIME_FORMAT_HH_MM":
                prop["pattern"] = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
    # Booking answers list their variants under oneOf, but the variants are open objects: an occurrence of a
    # recurring booking (RecurringBookingOutput) also has every field BookingOutput requires. Any one suffices.
    # The same holds for a list's items, and a seated booking also has every field BookingOutput requires.
    for schema in schemas.values():
        data = schema.get("properties", {}).get("data", {})
        for choice in (data, data.get("items", {})):
            variants = json.dumps(choice.get("oneOf", []))
            if "/BookingOutput_2024_08_13" in variants and "/RecurringBookingOutput_2024_08_13" in variants:
                choice["anyOf"] = choice.pop("oneOf")
    # slotInterval is documented as an object with the example 60: the service returns minutes.
    schemas["EventTypeOutput_2024_06_14"]["properties"]["slotInterval"] = {"type": "number", "nullable": True}
    for name in ("UserWebhookOutputDto", "EventTypeWebhookOutputDto"):
        schemas[name]["properties"]["triggers"]["items"] = {"type": "string"}
    slots = spec["paths"]["/v2/slots"]["get"]["responses"]["200"]["content"]["application/json"]
    slots["schema"] = SLOTS_ANSWER
    return spec


@cache
def document() -> dict[str, Any]:
    """Cal.com's OpenAPI subset, with its two known self-contradictions corrected (see ``_corrected``)."""
    return _corrected(json.loads(SPEC.read_text()))


def _template_pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")


def operation(method: str, path: str) -> tuple[str, dict[str, Any]]:
    """The documented path template matching ``path`` (literal segments beat parameters) and its operation."""
    candidates = [t for t in document()["paths"] if _template_pattern(t).match(path)]
    candidates = [t for t in candidates if method.lower() in document()["paths"][t]]
    if not candidates:
        raise AssertionError(f"{method} {path} is not a route of Cal.com's API v2 document")
    template = min(candidates, key=lambda t: t.count("{"))
    return template, document()["paths"][template][method.lower()]


def response_schema(method: str, path: str, status: int) -> dict[str, Any]:
    """The JSON schema Cal.com documents for the answer ``status`` to ``method path``."""
    template, op = operation(method, path)
    responses = op["responses"]
    if str(status) not in responses:
        raise AssertionError(f"{method} {template}: Cal.com documents {sorted(responses)}, not {status}")
    content = responses[str(status)].get("content", {}).get("application/json", {})
    return content.get("schema", {})


def documented_version(method: str, path: str) -> str | None:
    """The ``cal-api-version`` default Cal.com's document gives this operation, if it takes the header."""
    _, op = operation(method, path)
    for parameter in op.get("parameters", []):
        if parameter.get("in") == "header" and parameter["name"] == "cal-api-version":
            return parameter.get("schema", {}).get("default")
    return None


def problems(schema: dict[str, Any], body: Any) -> list[str]:
    """Every way ``body`` breaks ``schema`` (empty when it conforms)."""
    rooted = {**schema, "components": document()["components"]}
    validator = OAS30Validator(rooted)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in validator.iter_errors(body)]


def check(response: httpx.Response) -> Any:
    """Assert ``response`` conforms to Cal.com's documented answer for its request; return its body."""
    request = response.request
    body = response.json()
    try:
        schema = response_schema(request.method, request.url.path, response.status_code)
    except AssertionError as undocumented:
        raise AssertionError(f"{undocumented}: {response.text[:500]}") from None
    found = problems(schema, body)
    assert not found, f"{request.method} {request.url.path} → {response.status_code}: " + "; ".join(found[:10])
    return body
