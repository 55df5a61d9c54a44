"""The attendee's person record (Contact or Lead), looked up or created per seed table §6.1.

Contacts and Leads with the attendee's email are looked up together (one Composite call), so a person
who exists as either is never created as the other: never a Contact and a Lead for the same attendee.
Excluded record types are ignored (case-insensitively). DUPLICATES_DETECTED is answered with the match.
"""

from dataclasses import dataclass
from typing import Any

from crm.salesforce.accounts import AccountFetcher
from crm.salesforce.connection import SalesforceApiError, SalesforceConnection
from crm.salesforce.owner import person_query
from crm.salesforce.resolution import ResolveInput, resolve_account
from crm.salesforce.settings import AttendeeRecord, SalesforceSettings
from crm.salesforce.tiebreak import TieInput
from crm.salesforce.websites import email_domain
from domain.booking import Attendee, Booking


@dataclass(frozen=True)
class Person:
    id: str
    obj: str  # "Contact" or "Lead"
    created: bool = False


def split_name(name: str) -> tuple[str, str]:
    """First name and last name split on the first space; Salesforce requires a last name ("-")."""
    first, _, last = name.strip().partition(" ")
    return (first, last) if last else ("", first or "-")


def find_people(
    conn: SalesforceConnection, email: str, settings: SalesforceSettings
) -> dict[str, list[dict[str, Any]]]:
    """Contacts and Leads with this email, excluded record types removed."""
    rt = bool(settings.excluded)
    res = conn.composite([(o, person_query(o, email, rt)) for o in ("Contact", "Lead")])
    return {
        o: [r for r in rows if ((r.get("RecordType") or {}).get("Name") or "").casefold() not in settings.excluded]
        for o, rows in res.items()
    }


def _create(conn: SalesforceConnection, obj: str, values: dict[str, Any]) -> Person:
    try:
        return Person(conn.create(obj, values), obj, created=True)
    except SalesforceApiError as e:
        if e.code != "DUPLICATES_DETECTED":
            raise
        match = e.body[0]["duplicateResult"]["matchResults"][0]["matchRecords"][0]["record"]
        return Person(match["Id"], obj)


def ensure_person(
    conn: SalesforceConnection,
    fetcher: AccountFetcher,
    booking: Booking,
    attendee: Attendee,
    settings: SalesforceSettings,
    owner_id: str | None,
    fuzzy: bool,
) -> Person | None:
    """The attendee's Contact or Lead, created if the settings allow; None if none may be created."""
    found = find_people(conn, str(attendee.email), settings)
    order = (
        ("Lead", "Contact")
        if settings.record is AttendeeRecord.LEAD and not settings.check_for_existing_contact
        else ("Contact", "Lead")
    )
    for obj in order:
        if found.get(obj):
            return Person(found[obj][0]["Id"], obj)
    first, last = split_name(attendee.name)
    base = {"FirstName": first, "LastName": last, "Email": str(attendee.email)}
    if owner_id:
        base["OwnerId"] = owner_id
    if settings.record is AttendeeRecord.LEAD:
        return _create(conn, "Lead", {**base, "Company": _company(booking, str(attendee.email))})
    if settings.record is AttendeeRecord.CONTACT and settings.skip_contact_creation:
        return None
    account_id = None
    if settings.record is AttendeeRecord.ACCOUNT or settings.create_contact_under_account:
        account_id = _account_for(
            fetcher, str(attendee.email), settings, fuzzy and settings.record is AttendeeRecord.ACCOUNT
        )
        if account_id is None and settings.record is AttendeeRecord.ACCOUNT:
            if settings.create_lead_if_no_account:
                return _create(conn, "Lead", {**base, "Company": _company(booking, str(attendee.email))})
            return None  # Contact under Account with no Account: no record, no Event (REF)
    return _create(conn, "Contact", {**base, **({"AccountId": account_id} if account_id else {})})


def _company(booking: Booking, email: str) -> str:
    company = booking.booking_fields_responses.get("company") or booking.booking_fields_responses.get("Company")
    return str(company) if company else (email_domain(email).split(".")[0] or "-")


def _account_for(fetcher: AccountFetcher, email: str, settings: SalesforceSettings, fuzzy: bool) -> str | None:
    inp = ResolveInput(
        domain=email_domain(email),
        fuzzy=fuzzy,
        excluded_record_types=settings.excluded,
        tiebreaker_enabled=settings.tiebreaker_enabled,
        tie=TieInput(rules=settings.tiebreaker_rules, subregion_field=settings.subregion_field),
    )
    res = resolve_account(fetcher.domain_records(inp, settings.subregion_field, None), inp, fetcher.counts)
    return res.account.id if res.account else None
