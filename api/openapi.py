"""The OpenAPI document as the API really behaves.

FastAPI's generated document declares 422 for validation errors; this API answers 400 with Cal.com's
error envelope, and may also answer 401, 403, 404, 409, 413, 429 and 503. Every operation declares the
statuses it can give, each with the envelope as its schema, and the routes that need a key (api/access_rules.py)
carry the bearer security scheme Cal.com's clients use.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.access_rules import RULES, Rule

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
