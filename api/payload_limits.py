"""Telling Temporal's refusal of an oversized payload apart from Temporal being unreachable."""

import json
from typing import Any

from temporalio.service import RPCError, RPCStatusCode

from domain.base import CamelModel


def payload_refused(error: BaseException) -> bool:
    """True when Temporal (or gRPC in front of it) refused a request because its payload is too large."""
    if not isinstance(error, RPCError):
        return False
    message = error.message.lower()
    if error.status is RPCStatusCode.INVALID_ARGUMENT:
        return "size exceeds" in message or "too large" in message
    return error.status is RPCStatusCode.RESOURCE_EXHAUSTED and "larger than max" in message


def _size(value: Any) -> int:
    return len(json.dumps(value, default=str))


def largest_field(request: CamelModel) -> str:
    """The API name of the request's largest field, one level into it when it is an object."""
    fields = request.model_dump(mode="json", by_alias=True)
    name, value = max(fields.items(), key=lambda item: _size(item[1]))
    if isinstance(value, dict) and value:
        inner, _ = max(value.items(), key=lambda item: _size(item[1]))
        return f"{name}.{inner}"
    return name
