"""Field mappings checked against the connected org's describe (``bookflow crm validate`` when connected)."""

from typing import Any

from crm.mappings import FieldDescribe, FieldMappings, MappingIssue, MappingObject, ObjectDescribe, validate_mappings
from crm.salesforce.connection import SalesforceApiError, SalesforceConnection
from crm.salesforce.settings import AttendeeRecord, SalesforceSettings

# Salesforce field types → the neutral names of crm.mappings.TYPE_FITS.
_TYPES = {
    "string": "string",
    "textarea": "textarea",
    "phone": "phone",
    "email": "email",
    "url": "url",
    "date": "date",
    "datetime": "datetime",
    "boolean": "boolean",
    "picklist": "picklist",
    "multipicklist": "multipicklist",
    "combobox": "combobox",
    "encryptedstring": "string",
}


def object_describe(describe: dict[str, Any]) -> ObjectDescribe:
    """Salesforce's sObject describe JSON → the neutral ``ObjectDescribe`` (active picklist values only)."""
    return ObjectDescribe(
        name=describe["name"],
        fields=[
            FieldDescribe(
                name=f["name"],
                type=_TYPES.get(f["type"], f["type"]),
                createable=bool(f.get("createable")),
                updateable=bool(f.get("updateable")),
                length=f.get("length"),
                picklist_values=[p["value"] for p in f.get("picklistValues") or [] if p.get("active")],
            )
            for f in describe["fields"]
        ],
    )


def person_objects(settings: SalesforceSettings) -> list[str]:
    """The objects a ``person`` mapping may land on under these settings."""
    if settings.record is AttendeeRecord.LEAD:
        return ["Lead", "Contact"] if settings.check_for_existing_contact else ["Lead"]
    if settings.record is AttendeeRecord.ACCOUNT and settings.create_lead_if_no_account:
        return ["Contact", "Lead"]
    return ["Contact"]


def validate_salesforce_mappings(
    conn: SalesforceConnection, settings: SalesforceSettings, mappings: FieldMappings | None = None
) -> list[MappingIssue]:
    """Save-time rules plus the org's describe: field exists (exact case), writable, type fits, picklist."""
    doc = mappings or settings.field_mappings
    wanted: dict[MappingObject, list[str]] = {"event": ["Event"], "person": person_objects(settings)}
    try:
        describes = {k: [object_describe(conn.describe(o)) for o in objs] for k, objs in wanted.items()}
    except SalesforceApiError as e:
        return [
            MappingIssue(
                mapping="*",
                field="*",
                problem=f"unable to validate fields: {e.code} {e.message}",
                fix="check the connection and the integration user's access to Event/Contact/Lead",
            )
        ]
    issues = validate_mappings(doc, describes)
    if settings.no_show_field:
        event = describes["event"][0]
        f = next((x for x in event.fields if x.name == settings.no_show_field), None)
        if f is None or f.type != "boolean" or not f.updateable:
            issues.append(
                MappingIssue(
                    mapping="noShowField",
                    field=settings.no_show_field,
                    problem="must be an existing, writable boolean field on Event",
                    fix="create a Checkbox field on Event or pick another",
                )
            )
    return issues
