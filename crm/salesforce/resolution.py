"""Account resolution for an email domain (seed 001 L5464-5473, §6.5-6.6) as a pure function over records.

Steps, first with candidates wins: EXACT Website = domain; NORMALIZED Website after stripping protocol,
www., path, query and port; CONTACT_DOMAIN the Account(s) holding most Contacts at the domain; FUZZY the
same registrable name under any public suffix (only with fuzzy matching on). Each step drops excluded
record types; round-robin keeps only Accounts whose owner is a host (none left → ordinary round-robin);
several candidates go to the tiebreaker waterfall (or, with it off, the first by match order then Id).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from crm.salesforce.records import Account
from crm.salesforce.tiebreak import CountsProvider, TieInput, break_tie
from crm.salesforce.websites import base_name, normalize_website
from domain.crm import TraceStep

MIN_FUZZY_BASE = 3  # "ab.de" ↔ "ab.com" is noise, not a brand


class Step(StrEnum):
    EXACT = "exact"
    NORMALIZED = "normalized"
    CONTACT_DOMAIN = "contact_domain"
    FUZZY = "fuzzy"


@dataclass(frozen=True)
class DomainRecords:
    """What one fetch returns for a domain: rows for the website steps and the contact-domain step."""

    domain: str
    website_rows: Sequence[Account] = ()  # Website = d or LIKE d-ish patterns (steps 1 and 2)
    contact_rows: Sequence[Account] = ()  # Accounts with Contacts at @d, domain_contacts set (step 3)
    fuzzy_rows: Sequence[Account] = ()  # Website LIKE %base% (step 4), empty unless fuzzy is on


@dataclass
class ResolveInput:
    domain: str
    fuzzy: bool = False
    excluded_record_types: frozenset[str] = frozenset()  # case-folded
    round_robin: bool = False
    host_emails: frozenset[str] = frozenset()  # lower-cased
    use_lookup_field: bool = False
    tiebreaker_enabled: bool = True
    tie: TieInput = field(default_factory=lambda: TieInput(rules=()))


@dataclass
class AccountResolution:
    account: Account | None
    step: Step | None
    trace: list[TraceStep]
    fallback_round_robin: bool = False
    decisive_rule: str | None = None


def owner_of(a: Account, inp: ResolveInput) -> str | None:
    """The Account's routing owner: the configured lookup field's user, else the Account owner."""
    email = a.lookup_user_email if inp.use_lookup_field else a.owner_email
    return email.lower() if email else None


def step_candidates(records: DomainRecords, step: Step, inp: ResolveInput) -> list[Account]:
    """The Accounts one step matches, in match order (contacts at the domain, then Id)."""
    d = inp.domain
    if step is Step.EXACT:
        found = [a for a in records.website_rows if (a.website or "").strip().lower() == d]
    elif step is Step.NORMALIZED:
        found = [a for a in records.website_rows if normalize_website(a.website) == d]
    elif step is Step.CONTACT_DOMAIN:
        found = list(records.contact_rows)
    else:
        base = base_name(d)
        found = [a for a in records.fuzzy_rows if base and base_name(normalize_website(a.website)) == base]
    unique = {a.id: a for a in found}.values()
    return sorted(unique, key=lambda a: (-a.domain_contacts, a.id))


def fuzzy_applies(inp: ResolveInput) -> bool:
    """Fuzzy runs only when enabled and the domain has a usable registrable name."""
    base = base_name(inp.domain)
    return inp.fuzzy and base is not None and len(base) >= MIN_FUZZY_BASE


def _steps(inp: ResolveInput) -> list[Step]:
    steps = [Step.EXACT, Step.NORMALIZED, Step.CONTACT_DOMAIN]
    return [*steps, Step.FUZZY] if fuzzy_applies(inp) else steps


def resolve_account(records: DomainRecords, inp: ResolveInput, counts: CountsProvider) -> AccountResolution:
    """Resolve the domain's Account; ``counts`` fetches related-record counts if a count rule runs."""
    trace: list[TraceStep] = []
    if not fuzzy_applies(inp):
        why = "off for this credential" if not inp.fuzzy else "domain has no usable base name"
        trace.append(TraceStep(step="fuzzy_matching", outcome="disabled", reason=why))
    for step in _steps(inp):
        found = step_candidates(records, step, inp)
        kept = [a for a in found if (a.record_type or "").casefold() not in inp.excluded_record_types]
        if len(kept) < len(found):
            dropped = ", ".join(f"{a.id} ({a.record_type})" for a in found if a not in kept)
            trace.append(
                TraceStep(
                    step=f"{step.value}_record_type_excluded",
                    outcome=f"{len(found) - len(kept)} dropped",
                    reason=dropped,
                )
            )
        if step is Step.CONTACT_DOMAIN and kept:
            top = kept[0].domain_contacts
            if len(kept) > 1:
                trace.append(
                    TraceStep(
                        step="contact_domain_dominant",
                        outcome=f"{top} contacts",
                        reason=f"Accounts by Contacts at @{inp.domain}: "
                        + ", ".join(f"{a.id}={a.domain_contacts}" for a in kept),
                    )
                )
            kept = [a for a in kept if a.domain_contacts == top]
        if not kept:
            trace.append(TraceStep(step=f"{step.value}_match", outcome="none", reason=_step_reason(step, inp)))
            continue
        trace.append(
            TraceStep(
                step=f"{step.value}_match",
                outcome=f"{len(kept)} found",
                reason=f"{_step_reason(step, inp)}: {', '.join(a.id for a in kept)}",
            )
        )
        return _decide(step, kept, inp, counts, trace)
    trace.append(TraceStep(step="no_account_found", outcome="none", reason=f"no Account for @{inp.domain}"))
    return AccountResolution(account=None, step=None, trace=trace)


def _step_reason(step: Step, inp: ResolveInput) -> str:
    return {
        Step.EXACT: f"Account.Website equals {inp.domain}",
        Step.NORMALIZED: f"Account.Website normalizes to {inp.domain}",
        Step.CONTACT_DOMAIN: f"most Contacts with email @{inp.domain}",
        Step.FUZZY: f"Account.Website has base name {base_name(inp.domain)!r} under any suffix",
    }[step]


def _decide(
    step: Step, cands: list[Account], inp: ResolveInput, counts: CountsProvider, trace: list[TraceStep]
) -> AccountResolution:
    if inp.round_robin:
        hosts = [a for a in cands if owner_of(a, inp) in inp.host_emails]
        trace.append(
            TraceStep(
                step="host_filter",
                outcome=f"{len(cands)} → {len(hosts)}",
                reason="round-robin keeps Accounts whose owner hosts the event type",
            )
        )
        if not hosts:
            trace.append(
                TraceStep(
                    step="fallback_round_robin",
                    outcome="no owner is a host",
                    reason="owners "
                    + ", ".join(sorted({owner_of(a, inp) or "-" for a in cands}))
                    + " are not hosts: ordinary round-robin",
                )
            )
            return AccountResolution(account=None, step=step, trace=trace, fallback_round_robin=True)
        cands = hosts
    if len(cands) == 1:
        return AccountResolution(account=cands[0], step=step, trace=trace, decisive_rule="single_candidate")
    if not inp.tiebreaker_enabled or not inp.tie.rules:
        first = cands[0]
        trace.append(
            TraceStep(
                step="tiebreaker_off",
                outcome=first.id,
                reason="tiebreaker disabled or no rules: first match (match order, then Id)",
            )
        )
        return AccountResolution(account=first, step=step, trace=trace, decisive_rule="first_match")
    tie = break_tie(cands, inp.tie, counts)
    trace.extend(tie.trace)
    return AccountResolution(account=tie.winner, step=step, trace=trace, decisive_rule=tie.decisive_rule)
