"""Salesforce Account rows as the resolution reads them, parsed from REST query JSON."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

ACCOUNT_FIELDS = (
    "Id",
    "Name",
    "Website",
    "OwnerId",
    "Owner.Email",
    "BillingCountry",
    "BillingState",
    "LastActivityDate",
    "CreatedDate",
)


class Account(BaseModel):
    """One candidate Account. Counts are None until fetched (they are fetched only when a rule needs them)."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str = ""
    website: str | None = None
    owner_email: str | None = None
    billing_country: str | None = None
    billing_state: str | None = None
    subregion: str | None = None
    record_type: str | None = None
    lookup_user_email: str | None = None
    last_activity: date | None = None
    created: datetime | None = None
    domain_contacts: int = 0


class Counts(BaseModel):
    """Related-record counts of one Account, from aggregate COUNT() queries (never child rows)."""

    model_config = ConfigDict(frozen=True)

    child_accounts: int = 0
    opportunities: int = 0
    contacts: int = 0


def lookup_relationship(field: str) -> str:
    """The relationship name of a lookup field: ``Sales_Rep__c`` → ``Sales_Rep__r``, ``OwnerId`` → ``Owner``."""
    if field.endswith("__c"):
        return field[:-3] + "__r"
    return field.removesuffix("Id")


def account_fields(subregion_field: str | None, lookup_field: str | None, record_types: bool) -> list[str]:
    """The Account columns one resolution selects (optional ones only when configured)."""
    fields = list(ACCOUNT_FIELDS)
    if subregion_field:
        fields.append(subregion_field)
    if lookup_field:
        rel = lookup_relationship(lookup_field)
        fields += [f"{rel}.Email", f"{rel}.IsActive"]
    if record_types:
        fields.append("RecordType.Name")  # only when excluding: orgs without record types lack the field
    return fields


def _path(record: dict[str, Any], dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def parse_account(record: dict[str, Any], subregion_field: str | None, lookup_field: str | None) -> Account:
    """An ``Account`` from one REST query record (relationships come back as nested objects)."""
    lookup_email = None
    if lookup_field:
        rel = lookup_relationship(lookup_field)
        if _path(record, f"{rel}.IsActive") is not False:
            lookup_email = _path(record, f"{rel}.Email")
    return Account(
        id=record["Id"],
        name=record.get("Name") or "",
        website=record.get("Website"),
        owner_email=_path(record, "Owner.Email"),
        billing_country=record.get("BillingCountry"),
        billing_state=record.get("BillingState"),
        subregion=_path(record, subregion_field) if subregion_field else None,
        record_type=_path(record, "RecordType.Name"),
        lookup_user_email=lookup_email,
        last_activity=record.get("LastActivityDate"),
        created=_parse_sf_datetime(record.get("CreatedDate")),
    )


def _parse_sf_datetime(value: str | None) -> datetime | None:
    """Salesforce writes ``2020-01-01T00:00:00.000+0000``; Python wants the offset with a colon."""
    if not value:
        return None
    if len(value) > 5 and value[-5] in "+-" and value[-3] != ":":
        value = value[:-2] + ":" + value[-2:]
    return datetime.fromisoformat(value)
