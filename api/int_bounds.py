"""Integers the store cannot hold (outside signed 64-bit) are refused with a 400 naming the field.

Checked once for every route, before validation: path parameters (by their route's names), query
parameters and JSON bodies. Sits inside BodyLimit, so the body it reads is already bounded.
"""

import json
import re
from collections.abc import Iterator
from typing import Any, get_args
from urllib.parse import parse_qsl

from fastapi import params
from fastapi.dependencies.utils import get_flat_params
from starlette.types import ASGIApp, Receive, Scope, Send

from api.body_limit import replay
from api.errors import envelope
from api.route_match import matched_route

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_INTEGER = re.compile(r"[+-]?\d+")


def _out_of_range(value: str) -> bool:
    # Long digit strings are compared by length first, so a million digits costs nothing to refuse.
    digits = value.lstrip("+-")
    if len(digits) > 25:
        return True
    number = int(value)
    return not INT64_MIN <= number <= INT64_MAX


def _json_ints(value: Any) -> Iterator[str]:
    """The paths of every integer in a parsed JSON value that is outside int64 (iterative: any depth)."""
    pending: list[tuple[Any, str]] = [(value, "")]
    while pending:
        item, path = pending.pop()
        if isinstance(item, bool):
            continue
        if isinstance(item, int):
            if not INT64_MIN <= item <= INT64_MAX:
                yield path
        elif isinstance(item, dict):
            pending.extend((v, f"{path}.{k}" if path else str(k)) for k, v in reversed(list(item.items())))
        elif isinstance(item, list):
            pending.extend((v, f"{path}[{i}]") for i, v in reversed(list(enumerate(item))))


def _message(field: str) -> str:
    return f"{field}: integer out of range (must be between {INT64_MIN} and {INT64_MAX})"


class IntegerBounds:
    """Answer 400 for the first out-of-range integer in the path, the query or the JSON body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        field = _in_route(scope)
        if field is None and scope["method"] in ("POST", "PUT", "PATCH"):
            body, receive = await _buffer(receive)
            field = _in_body(body)
        if field is not None:
            await envelope(400, _message(field))(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _is_int(annotation: Any) -> bool:
    return annotation is int or int in get_args(annotation)


def _in_route(scope: Scope) -> str | None:
    """The first integer path or query parameter of the matching route that is out of range."""
    found = matched_route(scope)
    if found is None or getattr(found[0], "dependant", None) is None:
        return None
    route, path = found
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
    for param in get_flat_params(route.dependant):
        values = path if isinstance(param.field_info, params.Path) else query
        value = str(values.get(param.alias, "")).strip()
        if _is_int(param.field_info.annotation) and _INTEGER.fullmatch(value) and _out_of_range(value):
            return param.alias
    return None


async def _buffer(receive: Receive) -> tuple[bytes, Receive]:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    body = b"".join(chunks)
    return body, replay(body, receive)


def _in_body(body: bytes) -> str | None:
    if body.lstrip()[:1] not in (b"{", b"["):
        return None
    try:
        # Digit strings this long are out of range whatever they say; Python would refuse them anyway.
        parsed = json.loads(body, parse_int=lambda s: INT64_MAX + 1 if len(s) > 25 else int(s))
    except (ValueError, RecursionError):
        return None  # not JSON (or nested past any sense): the route's own body parsing answers 400
    return next(_json_ints(parsed), None)
