"""Owner routing through Salesforce: the routing hook ``domain.crm.CrmOwnerLookup`` (seed §5.2, §6.7).

The owner is the attendee's Contact or Lead owner, or the owner (or a configured lookup-field user) of the
Account resolved for the attendee's domain, and is used only if that person hosts the event type. Every
step lands in the trace with its reason. Outages raise (the activity retries, nothing is lost); a
configuration error (a field Salesforce refuses) is answered with no owner and the error in the trace.
"""

import asyncio
from collections.abc import Callable

from simple_salesforce import format_soql

from crm.salesforce.accounts import AccountFetcher
from crm.salesforce.connection import SalesforceApiError, SalesforceConnection
from crm.salesforce.geo import Geo, country_code, region_code
from crm.salesforce.resolution import ResolveInput, owner_of, resolve_account
from crm.salesforce.settings import AttendeeRecord, SalesforceSettings
from crm.salesforce.tiebreak import TieInput
from crm.salesforce.websites import email_domain
from domain.crm import OwnerDecision, OwnerQuery, TraceStep

SettingsSource = SalesforceSettings | Callable[[int | None], SalesforceSettings]


def person_query(obj: str, email: str, record_types: bool) -> str:
    """SOQL for the Contacts or Leads with this email (oldest first); the email is quoted by format_soql."""
    extra = ", RecordType.Name" if record_types else ""
    return format_soql(
        "SELECT Id, Email, OwnerId, Owner.Email{x:literal} FROM {o:literal} WHERE Email = {e} "
        "ORDER BY CreatedDate LIMIT 10",
        x=extra,
        o=obj,
        e=email,
    )


class SalesforceOwnerLookup:
    """``CrmOwnerLookup`` for Salesforce. ``settings`` is one event type's settings or a function of its id."""

    def __init__(
        self, connection: SalesforceConnection, settings: SettingsSource, fetcher: AccountFetcher | None = None
    ) -> None:
        self.connection = connection
        self._settings = settings
        self.fetcher = fetcher or AccountFetcher(connection)

    def settings_for(self, event_type_id: int | None) -> SalesforceSettings:
        s = self._settings
        return s if isinstance(s, SalesforceSettings) else s(event_type_id)

    async def find_owner(self, query: OwnerQuery) -> OwnerDecision:
        """The attendee's Salesforce owner if they host the event type, with the trace of why."""
        return await asyncio.to_thread(self.find_owner_sync, query)

    def find_owner_sync(self, query: OwnerQuery) -> OwnerDecision:
        settings = self.settings_for(query.event_type_id)
        record = _record_kind(query.record_type, settings.owner_record)
        trace = [
            TraceStep(
                step="salesforce_lookup",
                outcome=record.value,
                reason=f"looking up the {record.value} owner of {query.attendee_email}",
            )
        ]
        try:
            if record is AttendeeRecord.ACCOUNT:
                owner, kind, record_id = self._account_owner(query, settings, trace)
            else:
                owner, kind, record_id = self._person_owner(query, settings, record, trace)
        except SalesforceApiError as e:
            if e.retryable:
                raise
            trace.append(TraceStep(step="salesforce_error", outcome=e.code, reason=e.message))
            return OwnerDecision(trace=trace)
        return _decide(owner, kind, record_id, query, trace)

    def _person_owner(
        self, query: OwnerQuery, settings: SalesforceSettings, record: AttendeeRecord, trace: list[TraceStep]
    ) -> tuple[str | None, str, str | None]:
        objects = ["Lead"] if record is AttendeeRecord.LEAD else ["Contact"]
        if record is AttendeeRecord.CONTACT and settings.fallback_to_lead_owner:
            objects.append("Lead")
        rt = bool(settings.excluded)
        res = self.connection.composite([(o, person_query(o, query.attendee_email, rt)) for o in objects])
        for obj in objects:  # Contact before Lead
            rows = res.get(obj, [])
            kept = [
                r for r in rows if ((r.get("RecordType") or {}).get("Name") or "").casefold() not in settings.excluded
            ]
            if len(kept) < len(rows):
                trace.append(
                    TraceStep(
                        step=f"{obj.lower()}_record_type_excluded",
                        outcome=f"{len(rows) - len(kept)}",
                        reason="record types excluded: " + ", ".join(settings.excluded_record_types),
                    )
                )
            if kept:
                r = kept[0]
                email = (r.get("Owner") or {}).get("Email")
                trace.append(
                    TraceStep(
                        step=f"{obj.lower()}_owner_lookup",
                        outcome=email or "no owner email",
                        reason=f"{obj} {r['Id']} is owned by {email}",
                    )
                )
                return email, obj.lower(), r["Id"]
            trace.append(
                TraceStep(
                    step=f"{obj.lower()}_owner_lookup",
                    outcome="none",
                    reason=f"no {obj} with email {query.attendee_email}",
                )
            )
        return None, objects[-1].lower(), None

    def _account_owner(
        self, query: OwnerQuery, settings: SalesforceSettings, trace: list[TraceStep]
    ) -> tuple[str | None, str, str | None]:
        inp = resolve_input(query, settings, self.connection.credential.fuzzy_domain_matching)
        records = self.fetcher.domain_records(inp, settings.subregion_field, settings.account_lookup_field)
        res = resolve_account(records, inp, self.fetcher.counts)
        trace.extend(res.trace)
        if res.account is None:
            return None, "account", None
        owner = owner_of(res.account, inp)
        via = f"lookup field {settings.account_lookup_field}" if inp.use_lookup_field else "Account owner"
        trace.append(
            TraceStep(
                step="account_owner_lookup",
                outcome=owner or "no owner email",
                reason=f"{via} of {res.account.name or res.account.id} ({res.account.id}), "
                f"matched at step {res.step}, decided by {res.decisive_rule}",
            )
        )
        return owner, "account", res.account.id


def resolve_input(query: OwnerQuery, settings: SalesforceSettings, fuzzy: bool) -> ResolveInput:
    """The pure resolution's input from a routing query and the event type's settings."""
    country = country_code(query.country)
    geo = Geo(country=country, region=region_code(country, query.region) or query.region) if country else None
    return ResolveInput(
        domain=email_domain(query.attendee_email),
        fuzzy=fuzzy,
        excluded_record_types=settings.excluded,
        round_robin=query.round_robin,
        host_emails=frozenset(e.lower() for e in query.host_emails),
        use_lookup_field=settings.account_lookup_field is not None,
        tiebreaker_enabled=settings.tiebreaker_enabled,
        tie=TieInput(
            rules=settings.tiebreaker_rules,
            geo=geo,
            subregion_field=settings.subregion_field,
            subregions=settings.subregions,
        ),
    )


def _record_kind(asked: str | None, default: AttendeeRecord) -> AttendeeRecord:
    if not asked:
        return default
    try:
        return AttendeeRecord(asked.lower())
    except ValueError:
        return default


def _decide(
    owner: str | None, kind: str, record_id: str | None, query: OwnerQuery, trace: list[TraceStep]
) -> OwnerDecision:
    hosts = {h.lower() for h in query.host_emails}
    if owner is None:
        trace.append(TraceStep(step="owner_validated", outcome="no owner", reason="no Salesforce owner: round-robin"))
        return OwnerDecision(record_type=kind, record_id=record_id, trace=trace)
    if owner.lower() not in hosts:
        trace.append(
            TraceStep(
                step="owner_validated",
                outcome="not a host",
                reason=f"{owner} does not host this event type: round-robin",
            )
        )
        return OwnerDecision(record_type=kind, record_id=record_id, trace=trace)
    trace.append(
        TraceStep(
            step="salesforce_assignment",
            outcome=owner.lower(),
            reason=f"Salesforce {kind} owner: {owner} ({kind.capitalize()} ID: {record_id})",
        )
    )
    return OwnerDecision(owner_email=owner.lower(), record_type=kind, record_id=record_id, trace=trace)
