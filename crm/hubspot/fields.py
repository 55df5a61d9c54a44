"""Configured field writes (``crm.mappings``) onto HubSpot meetings and contacts.

Mappings are checked against the portal's property definitions before anything is written: a
mapping HubSpot would refuse (unknown, read-only, wrong type, inactive option) is dropped and
reported as a ``SyncError`` naming the field, never silently skipped.
"""

from collections.abc import Mapping
from datetime import UTC, datetime

from crm.base import SyncError
from crm.hubspot.connection import HubSpotConnection
from crm.hubspot.describe import describe_object
from crm.hubspot.errors import HubSpotError
from crm.hubspot.meeting import hubspot_datetime
from crm.hubspot.records import HubSpotRecords
from crm.mapping_values import resolve_value as resolve_mapping_value
from crm.mappings import FieldMapping, FieldMappings, MappingMoment, MappingObject, ObjectDescribe, describe_issues
from domain.booking import Booking

_HUBSPOT_OBJECT: dict[MappingObject, str] = {"event": "meetings", "person": "contacts"}


class FieldWriter:
    """Resolves, validates and converts one event type's mappings for HubSpot."""

    def __init__(self, connection: HubSpotConnection, mappings: FieldMappings) -> None:
        self._connection = connection
        self._mappings = mappings
        self._describes: dict[MappingObject, ObjectDescribe] = {}

    def event_fields(self) -> list[str]:
        """Meeting properties any mapping writes (read first, for ``field_empty``)."""
        return [m.field for m in self._mappings.mappings if m.object == "event"]

    def event_writes(
        self, booking: Booking, moment: MappingMoment, current: Mapping[str, str]
    ) -> tuple[dict[str, str], list[SyncError]]:
        """The meeting properties to write at ``moment``, and the errors of those dropped."""
        return self._writes(booking, moment, "event", current)

    def write_person(
        self, records: HubSpotRecords, booking: Booking, moment: MappingMoment, contacts: Mapping[str, str]
    ) -> list[SyncError]:
        """Write the ``person`` mappings of ``moment`` to every attendee contact (``{email: id}``)."""
        selected = self._mappings.select(moment, "person")
        if not selected or not contacts:
            return []
        fields = [m.field for m in selected]
        current = records.find_contacts(list(contacts), properties=fields)
        errors: list[SyncError] = []
        updates: dict[str, dict[str, str]] = {}
        for email, contact_id in contacts.items():
            writes, write_errors = self._writes(booking, moment, "person", current.get(email, {}))
            errors += [e for e in write_errors if e not in errors]
            updates[contact_id] = writes
        try:
            records.update_contacts(updates)
        except HubSpotError as error:
            if error.status != 400:
                raise
            dropped = sorted({f for props in updates.values() for f in props})
            errors.append(error.error.model_copy(update={"dropped_fields": dropped}))
        return errors

    def _writes(
        self, booking: Booking, moment: MappingMoment, obj: MappingObject, current: Mapping[str, str]
    ) -> tuple[dict[str, str], list[SyncError]]:
        selected = self._mappings.select(moment, obj)
        if not selected:
            return {}, []
        describe = self._describe(obj)
        writes: dict[str, str] = {}
        issues = []
        now = datetime.now(UTC)
        for mapping in selected:
            found = describe_issues(mapping, describe)
            if found:
                issues += found
                continue
            if mapping.when == "field_empty" and current.get(mapping.field):
                continue
            value = _hubspot_value(mapping, resolve_mapping_value(mapping, booking, now), describe)
            if value is not None:  # an unresolved reference skips the field, as in Cal.com
                writes[mapping.field] = value
        if not issues:
            return writes, []
        error = SyncError(
            provider="hubspot",
            code="INVALID_FIELD_MAPPING",
            message="; ".join(str(i) for i in issues),
            dropped_fields=sorted({i.field for i in issues}),
        )
        return writes, [error]

    def _describe(self, obj: MappingObject) -> ObjectDescribe:
        # Property definitions change rarely; one read per writer (per event type) is enough.
        if obj not in self._describes:
            self._describes[obj] = describe_object(self._connection, _HUBSPOT_OBJECT[obj])
        return self._describes[obj]


def _hubspot_value(mapping: FieldMapping, value: object, describe: ObjectDescribe) -> str | None:
    """A resolved value in HubSpot's text form: booleans as true/false, dates as HubSpot stores them."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        field = next(f for f in describe.fields if f.name == mapping.field)
        # A HubSpot date property holds midnight UTC of the day; a datetime holds the instant.
        return value.astimezone(UTC).date().isoformat() if field.type == "date" else hubspot_datetime(value)
    return str(value)
