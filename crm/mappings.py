"""Field mappings for CRM admins: what to write where, and the checks that refuse a bad one before saving.

A mapping names the moment (``on``: booking or cancellation), the CRM object (``object``: the meeting
record ``event`` or the attendee's ``person`` record, a Contact or Lead), the field's API name, its type,
the value and when to write it. Two layers of checks, each naming the mapping, the field and the fix:

- save-time rules (seed 001 L5428-5433, L5527-5533), enforced by the model itself, so a configuration
  holding an invalid mapping cannot even be parsed;
- checks against the org's describe (``validate_mappings(..., describes=...)``): the field exists with that
  exact case, is writable, its type fits and a static picklist value is active.

Provider-neutral: ``FieldDescribe.type`` uses the neutral names of ``TYPE_FITS``; each adapter maps its
CRM's types onto them.
"""

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from domain.base import CamelModel

FieldType = Literal["text", "date", "datetime", "phone", "checkbox", "picklist", "textarea", "custom"]
MappingObject = Literal["event", "person"]
MappingMoment = Literal["booking", "cancellation"]
WhenToWrite = Literal["every_booking", "field_empty"]

DYNAMIC_DATES = ("booking_start_date", "booking_created_date", "booking_cancel_date")
# A value in braces is a reference: {form:<identifier>}, {utm:<param>}, {assignmentReason}, {<bookingField>}.
REFERENCE = re.compile(r"^\{(?:form:[^{}\s]+|utm:[A-Za-z0-9_]+|assignmentReason|[A-Za-z0-9_-]+)\}$")
API_NAME = r"^[A-Za-z][A-Za-z0-9_]*$"

# Which CRM field types (neutral names) a mapping type may write to. "custom" writes anywhere.
TYPE_FITS: dict[str, frozenset[str]] = {
    "text": frozenset({"string", "textarea", "email", "url", "phone", "combobox"}),
    "textarea": frozenset({"textarea", "string"}),
    "phone": frozenset({"phone", "string"}),
    "date": frozenset({"date", "datetime"}),
    "datetime": frozenset({"datetime"}),
    "checkbox": frozenset({"boolean"}),
    "picklist": frozenset({"picklist", "multipicklist", "combobox"}),
}

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "docs" / "crm-field-mappings.schema.json"


class MappingIssue(CamelModel):
    """One problem with one mapping: which mapping, which field, what is wrong and how to fix it."""

    mapping: str
    field: str
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"mapping {self.mapping}: field {self.field!r}: {self.problem}; fix: {self.fix}"


class MappingValidationError(ValueError):
    """Raised when mappings are refused; ``issues`` lists every problem found, not just the first."""

    def __init__(self, issues: Sequence[MappingIssue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


class FieldMapping(CamelModel):
    """Write ``value`` to ``field`` on the ``object`` record at the ``on`` moment of a booking."""

    on: MappingMoment = Field(description="booking: when the booking is created; cancellation: when cancelled.")
    object: MappingObject = Field(description="event: the CRM meeting record; person: the Contact or Lead.")
    field: str = Field(pattern=API_NAME, description="The field's API name, exact case (Last_Booking_Status__c).")
    type: FieldType
    value: str | bool = Field(
        description=(
            "A static value; true/false for checkbox; for date and datetime one of booking_start_date, "
            "booking_created_date, booking_cancel_date; or a reference {bookingField}, {form:identifier}, "
            "{utm:param}, {assignmentReason}."
        )
    )
    when: WhenToWrite = Field(
        default="every_booking", description="every_booking, or field_empty: only if the field is empty."
    )

    @property
    def name(self) -> str:
        """The mapping's name in messages: moment.object.field."""
        return f"{self.on}.{self.object}.{self.field}"

    @model_validator(mode="after")
    def _save_time_rules(self) -> "FieldMapping":
        issues = save_time_issues(self)
        if issues:
            raise MappingValidationError(issues)
        return self


class FieldMappings(CamelModel):
    """The document CRM admins edit: every field write of one event type's CRM integration."""

    mappings: list[FieldMapping] = []

    @model_validator(mode="after")
    def _unique(self) -> "FieldMappings":
        seen: set[str] = set()
        for m in self.mappings:
            if m.name.lower() in seen:
                issue = MappingIssue(
                    mapping=m.name,
                    field=m.field,
                    problem="written twice at the same moment",
                    fix="keep one mapping per field, object and moment",
                )
                raise MappingValidationError([issue])
            seen.add(m.name.lower())
        return self

    def select(self, on: MappingMoment, obj: MappingObject) -> list[FieldMapping]:
        """The mappings of one moment and object, in configured order."""
        return [m for m in self.mappings if m.on == on and m.object == obj]


class FieldDescribe(CamelModel):
    """What a CRM says about one field (a neutral subset of Salesforce's describe)."""

    name: str
    type: str = Field(description="Neutral type name: string, textarea, phone, date, boolean, picklist, ...")
    createable: bool = True
    updateable: bool = True
    picklist_values: list[str] = Field(default=[], description="Active picklist values only.")
    length: int | None = None


class ObjectDescribe(CamelModel):
    """What a CRM says about one object: its API name and fields."""

    name: str
    fields: list[FieldDescribe]


def _issue(m: FieldMapping, problem: str, fix: str) -> MappingIssue:
    return MappingIssue(mapping=m.name, field=m.field, problem=problem, fix=fix)


def save_time_issues(m: FieldMapping) -> list[MappingIssue]:
    """The seed's save-time rules for one mapping, with our choices for its conflicts (docs/salesforce.md)."""
    v = m.value
    if m.type == "checkbox":
        if not isinstance(v, bool):
            return [_issue(m, f"checkbox needs a boolean, got {v!r}", "set the value to true or false")]
        return []
    if isinstance(v, bool):
        return [_issue(m, f"a {m.type} field needs text, got {v!r}", "quote the value or use type checkbox")]
    if m.type in ("date", "datetime"):
        if v not in DYNAMIC_DATES:
            return [_issue(m, f"{m.type} value {v!r} is not a date source", f"use one of {', '.join(DYNAMIC_DATES)}")]
        if v == "booking_cancel_date" and m.on == "booking":
            return [
                _issue(
                    m,
                    "booking_cancel_date has no value when a booking is made",
                    "use booking_start_date or booking_created_date, or move it to on: cancellation",
                )
            ]
        return []
    if m.type == "custom":  # C1: the table (L5533) wins: custom values pass through as they are
        return []
    if not v.strip():
        return [_issue(m, f"a {m.type} field needs a non-empty value", "enter a value or remove the mapping")]
    if v.startswith("{") and not REFERENCE.match(v):
        return [
            _issue(
                m,
                f"{v!r} is not a valid reference",
                "use {bookingField}, {form:identifier}, {utm:param} or {assignmentReason}",
            )
        ]
    return []


def _needs(m: FieldMapping) -> Literal["createable", "updateable"]:
    # The meeting record is created with the booking's event fields; everything else is an update.
    return "createable" if (m.on == "booking" and m.object == "event") else "updateable"


def describe_issues(m: FieldMapping, obj: ObjectDescribe) -> list[MappingIssue]:
    """Check one mapping against one object's describe: exists (exact case), writable, type, picklist."""
    exact = {f.name: f for f in obj.fields}
    folded = {f.name.lower(): f for f in obj.fields}
    f = exact.get(m.field)
    if f is None:
        near = folded.get(m.field.lower())
        if near is not None:
            return [_issue(m, f"{obj.name} has no field {m.field!r} (names are case-sensitive)", f"use {near.name}")]
        return [_issue(m, f"{obj.name} has no field {m.field!r}", f"create the field on {obj.name} or fix the name")]
    need = _needs(m)
    if not getattr(f, need):
        return [
            _issue(
                m,
                f"{obj.name}.{f.name} is read-only (not {need})",
                "grant the integration user edit access to the field or choose another field",
            )
        ]
    fits = TYPE_FITS.get(m.type)
    if fits is not None and f.type not in fits:
        want = " or ".join(sorted(fits))
        return [
            _issue(
                m,
                f"type {m.type} does not fit {obj.name}.{f.name} of type {f.type}",
                f"pick a {want} field, or set the mapping type to match",
            )
        ]
    static = isinstance(m.value, str) and not m.value.startswith("{")
    if m.type == "picklist" and static and m.value not in f.picklist_values:
        first = ", ".join(f.picklist_values[:5]) or "none"
        return [
            _issue(
                m,
                f"{m.value!r} is not an active value of {obj.name}.{f.name}",
                f"use an active value such as: {first}",
            )
        ]
    return []


def validate_mappings(
    data: FieldMappings | Mapping[str, Any] | str,
    describes: Mapping[MappingObject, Sequence[ObjectDescribe]] | None = None,
) -> list[MappingIssue]:
    """Every problem with a mappings document, or []. Entry point of ``bookflow crm validate``.

    ``data`` is a parsed model, a dict (camelCase or snake_case) or JSON/YAML text. ``describes`` maps each
    mapping object to the CRM objects it may land on (``person`` → Contact and Lead in Salesforce);
    without it only the save-time rules run.
    """
    try:
        doc = data if isinstance(data, FieldMappings) else parse_mappings(data)
    except MappingValidationError as e:
        return e.issues
    issues: list[MappingIssue] = []
    for m in doc.mappings:
        for obj in (describes or {}).get(m.object, ()):
            issues.extend(describe_issues(m, obj))
    return issues


def parse_mappings(data: Mapping[str, Any] | str) -> FieldMappings:
    """Parse a mappings document, raising ``MappingValidationError`` that names each bad mapping."""
    if isinstance(data, str):
        from domain.yaml_text import load_yaml  # YAML 1.2 is a superset of JSON: one parser for both

        data = load_yaml(data) or {}
    try:
        return FieldMappings.model_validate(data)
    except ValidationError as e:
        raise MappingValidationError([i for err in e.errors() for i in _from_pydantic(err, data)]) from None


def _from_pydantic(err: Any, data: Any) -> list[MappingIssue]:
    """Turn one pydantic error into issues naming the mapping (by index and field) and a fix."""
    own = (err.get("ctx") or {}).get("error")
    if isinstance(own, MappingValidationError):  # our own rules already name mapping, field and fix
        return own.issues
    loc = [str(p) for p in err["loc"]]
    mapping, field = "document", "*"
    if len(loc) >= 2 and loc[0] == "mappings" and loc[1].isdigit():
        i = int(loc[1])
        raw = (data.get("mappings") or [])[i] if isinstance(data, Mapping) else {}
        field = str(raw.get("field", "*")) if isinstance(raw, Mapping) else "*"
        mapping = f"#{i + 1}" + (f" ({raw.get('on')}.{raw.get('object')}.{field})" if field != "*" else "")
        loc = loc[2:]
    where = ".".join(loc) or "mapping"
    fix = f"correct {where} (see docs/crm-field-mappings.schema.json)"
    return [MappingIssue(mapping=mapping, field=field, problem=f"{where}: {err['msg']}", fix=fix)]


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the mappings document, as published under docs/ for editors."""
    schema = FieldMappings.model_json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://bookflow.dev/schemas/crm-field-mappings.schema.json",
        **schema,
    }


def render_json_schema() -> str:
    """The published schema file's exact text."""
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":  # regenerate: python -m crm.mappings
    SCHEMA_PATH.write_text(render_json_schema())
