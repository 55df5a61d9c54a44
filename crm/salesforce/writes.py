"""Writing mapped fields so that one bad field never loses the others (seed 001 L5434-5439).

When Salesforce refuses a write because of a field (deleted after configuration, no edit permission, a
wrong type), the offending fields are dropped, the rest is written, and a ``SyncError`` tells which.
Outages are not handled here: they raise, and the activity retries.
"""

import re
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from crm.base import SyncError
from crm.salesforce.connection import SalesforceApiError, SalesforceConnection

FIELD_ERRORS = {
    "INVALID_FIELD",
    "INVALID_FIELD_FOR_INSERT_UPDATE",
    "INVALID_TYPE_ON_FIELD_IN_RECORD",
    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
    "STRING_TOO_LONG",
    "FIELD_INTEGRITY_EXCEPTION",
    "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY",
    "JSON_PARSER_ERROR",
}
_NAMED = re.compile(r"'([A-Za-z][A-Za-z0-9_]*)'|fields?: ([A-Za-z0-9_, ]+)")


def offending_fields(err: SalesforceApiError, optional: Collection[str]) -> list[str]:
    """The mapped fields an error blames; all of them if it names none we know."""
    named = set(err.fields)
    for quoted, listed in _NAMED.findall(err.message):
        named.update([quoted] if quoted else [f.strip() for f in listed.split(",")])
    hit = [f for f in optional if f in named]
    return hit or list(optional)


def write(
    conn: SalesforceConnection,
    obj: str,
    record_id: str | None,
    required: dict[str, Any],
    optional: dict[str, Any],
    errors: list[SyncError],
) -> str:
    """Create (``record_id`` None) or update a record; drop refused ``optional`` fields and retry.

    ``required`` fields are ours (times, subject, who): an error on them is raised, not dropped.
    """
    optional = dict(optional)
    while True:
        values = {**required, **optional}
        try:
            if record_id is None:
                return conn.create(obj, values)
            if values:
                conn.update(obj, record_id, values)
            return record_id
        except SalesforceApiError as e:
            if e.code not in FIELD_ERRORS or not optional:
                raise
            dropped = offending_fields(e, optional)
            for f in dropped:
                optional.pop(f)
            errors.append(
                SyncError(
                    provider="salesforce",
                    code=e.code,
                    message=e.message,
                    dropped_fields=[f"{obj}.{f}" for f in dropped],
                    at=datetime.now(UTC),
                )
            )
