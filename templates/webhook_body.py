"""Custom webhook payload templates (Cal.com's ``payloadTemplate``), rendered in Jinja2's sandbox.

Cal.com's templates use ``{{var}}`` with dotted and indexed paths (``{{attendees.0.name}}``), which
Jinja2 reads the same way. The variables are the payload's fields plus ``triggerEvent`` and
``createdAt``. Missing variables render empty, objects and lists render as JSON, as Cal.com's do.

A template that is JSON itself has each of its strings rendered separately, so a value containing a
quote cannot break the JSON; any other template is rendered as text, sent as JSON when the result
parses, otherwise form-encoded (Cal.com's rule for non-JSON templates).
"""

import json
from typing import Any

from jinja2 import ChainableUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"


def _finalize(value: Any) -> Any:
    """Render values as JavaScript would: objects as JSON, booleans lower-case, null as nothing."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


_ENV = SandboxedEnvironment(undefined=ChainableUndefined, autoescape=False, finalize=_finalize)


class TemplateInvalid(ValueError):
    """The template does not compile; the message names the line."""


def check_template(template: str) -> None:
    """Raise TemplateInvalid unless every part of ``template`` compiles."""
    try:
        for text in _strings(template):
            _ENV.from_string(text)
    except TemplateError as error:
        line = getattr(error, "lineno", None)
        raise TemplateInvalid(f"{error}" + (f" (line {line})" if line else "")) from None


def _strings(template: str) -> list[str]:
    structured = _as_json(template)
    if structured is None:
        return [template]
    found: list[str] = []
    _walk(structured, found.append)
    return found


def _walk(value: Any, visit: Any) -> Any:
    """Apply ``visit`` to every string (keys included) of a JSON value and return the result."""
    if isinstance(value, str):
        return visit(value)
    if isinstance(value, dict):
        return {_walk(k, visit): _walk(v, visit) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, visit) for v in value]
    return value


def _as_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def compact_json(value: Any) -> bytes:
    """JSON as JavaScript's ``JSON.stringify`` writes it (no spaces), UTF-8 encoded."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def variables(body: dict[str, Any]) -> dict[str, Any]:
    """What a template may use: the payload's fields, triggerEvent and createdAt."""
    payload = body.get("payload")
    fields = payload if isinstance(payload, dict) else {k: v for k, v in body.items() if k != "payload"}
    return fields | {"triggerEvent": body.get("triggerEvent"), "createdAt": body.get("createdAt")}


def render_body(template: str, body: dict[str, Any]) -> tuple[bytes, str]:
    """The bytes to send and their content type for ``body`` through ``template``."""
    context = variables(body)
    try:
        structured = _as_json(template)
        if structured is not None:
            rendered = _walk(structured, lambda text: _ENV.from_string(text).render(context))
            return compact_json(rendered), JSON_TYPE
        text = _ENV.from_string(template).render(context)
    except TemplateError as error:
        raise TemplateInvalid(str(error)) from None
    parsed = _as_json(text)
    if parsed is not None and isinstance(parsed, dict | list):
        return compact_json(parsed), JSON_TYPE
    return text.encode(), FORM_TYPE
