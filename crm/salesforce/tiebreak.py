"""The tiebreaker waterfall (seed 001 L5474-5514) as a pure function over candidate Accounts.

Rules run in the configured order; each keeps the candidates that are best on its criterion. A rule
that cannot judge (geo unknown, no values, no candidate in the booker's country) is skipped and never
narrows to zero. The first rule that leaves one Account decides; if several remain, the lowest Id wins.
All candidates are ranked, owners are not deduplicated first, so metrics also decide between two
Accounts of one owner (Cal.com keeps an arbitrary one per owner before any metric runs).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from crm.salesforce.geo import Geo, region_code, same_country, same_region
from crm.salesforce.records import Account, Counts
from crm.salesforce.settings import Rule
from domain.crm import TraceStep

CountsProvider = Callable[[Sequence[str]], Mapping[str, Counts]]

_DESCRIPTIONS = {
    Rule.P1_COUNTRY: "BillingCountry matches the booker's country",
    Rule.P2_STATE: "BillingState matches the booker's state or region",
    Rule.P3_SUBREGION: "the sub-region field matches the booker's territory",
    Rule.P5_CHILD_ACCOUNTS: "most child Accounts",
    Rule.P6_OPPORTUNITIES: "most Opportunities",
    Rule.P7_CONTACTS: "most Contacts",
    Rule.P8_LAST_ACTIVITY: "most recent LastActivityDate",
    Rule.P9_CREATED: "earliest CreatedDate",
}
_COUNT_RULES = {
    Rule.P5_CHILD_ACCOUNTS: "child_accounts",
    Rule.P6_OPPORTUNITIES: "opportunities",
    Rule.P7_CONTACTS: "contacts",
}


@dataclass
class TieInput:
    """What the waterfall needs besides the candidates."""

    rules: Sequence[Rule]
    geo: Geo | None = None
    subregion_field: str | None = None
    subregions: Mapping[str, str] = field(default_factory=dict)


@dataclass
class TieResult:
    winner: Account
    decisive_rule: str
    trace: list[TraceStep]


def _ids(accounts: Sequence[Account]) -> str:
    return ", ".join(a.id for a in accounts)


def _territory(tie: TieInput) -> str | None:
    geo = tie.geo
    if geo is None or geo.country is None:
        return None
    if geo.region and f"{geo.country}-{geo.region}" in tie.subregions:
        return tie.subregions[f"{geo.country}-{geo.region}"]
    return tie.subregions.get(geo.country) or geo.region


def _geo_filter(rule: Rule, cands: list[Account], tie: TieInput) -> tuple[list[Account] | None, str]:
    """(kept, reason) for a geo rule; kept is None when the rule cannot judge."""
    geo = tie.geo or Geo()
    if geo.country is None:
        return None, "booker's country unknown: geo rules skipped"
    if rule is Rule.P1_COUNTRY:
        return [a for a in cands if same_country(a.billing_country, geo.country)], f"country {geo.country}"
    if rule is Rule.P2_STATE:
        if not geo.region:
            return None, "booker's region unknown"
        kept = [a for a in cands if same_region(a.billing_state, geo.country, geo.region)]
        return kept, f"region {geo.country}-{geo.region}"
    if not tie.subregion_field:
        return None, "no sub-region field configured"
    territory = _territory(tie)
    if not territory:
        return None, "booker's territory unknown"
    names = {territory.casefold()}
    code = region_code(geo.country, territory)
    if code:
        names.add(code.casefold())
    kept = [a for a in cands if (a.subregion or "").strip().casefold() in names]
    return kept, f"{tie.subregion_field} = {territory}"


def _metric(rule: Rule, a: Account, counts: Mapping[str, Counts]) -> Any:
    if rule in _COUNT_RULES:
        c = counts.get(a.id, Counts())
        return getattr(c, _COUNT_RULES[rule])
    if rule is Rule.P8_LAST_ACTIVITY:
        return a.last_activity
    return a.created


def _extreme_filter(rule: Rule, cands: list[Account], counts: Mapping[str, Counts]) -> tuple[list[Account] | None, str]:
    values = {a.id: _metric(rule, a, counts) for a in cands}
    known = [v for v in values.values() if v is not None]
    if not known:
        return None, "no candidate has a value"
    best = min(known) if rule is Rule.P9_CREATED else max(known)
    kept = [a for a in cands if values[a.id] == best]
    return kept, f"best {_show(best)}"


def _show(v: Any) -> str:
    return v.isoformat() if isinstance(v, date | datetime) else str(v)


def break_tie(cands: Sequence[Account], tie: TieInput, counts: CountsProvider) -> TieResult:
    """Pick one Account from several; ``counts`` is called at most once, only if a count rule runs."""
    remaining = list(cands)
    trace = [TraceStep(step="tiebreaker_started", outcome=f"{len(remaining)} candidates", reason=_ids(remaining))]
    fetched: dict[str, Counts] | None = None
    for rule in tie.rules:
        if rule.is_geo:
            kept, why = _geo_filter(rule, remaining, tie)
        else:
            if rule in _COUNT_RULES and fetched is None:
                fetched = dict(counts([a.id for a in remaining]))
            kept, why = _extreme_filter(rule, remaining, fetched or {})
        if kept is None:
            trace.append(TraceStep(step=f"tiebreaker_{rule.value}", outcome="skipped", reason=why))
            continue
        if not kept:
            reason = f"{_DESCRIPTIONS[rule]}: no candidate matches {why}; not narrowing to zero"
            trace.append(TraceStep(step=f"tiebreaker_{rule.value}", outcome="no match", reason=reason))
            continue
        outcome = f"{len(remaining)} → {len(kept)}"
        trace.append(
            TraceStep(
                step=f"tiebreaker_{rule.value}",
                outcome=outcome,
                reason=f"{_DESCRIPTIONS[rule]} ({why}): kept {_ids(kept)}",
            )
        )
        remaining = kept
        if len(remaining) == 1:
            return _won(remaining[0], rule.value, trace)
    winner = min(remaining, key=lambda a: a.id)
    trace.append(
        TraceStep(
            step="tiebreaker_fallback_id",
            outcome=winner.id,
            reason=f"{len(remaining)} still tied ({_ids(remaining)}): lowest Id wins",
        )
    )
    return _won(winner, "fallback_id_sort", trace)


def _won(a: Account, rule: str, trace: list[TraceStep]) -> TieResult:
    trace.append(
        TraceStep(
            step="tiebreaker_winner",
            outcome=a.id,
            reason=f"{a.name or a.id} (owner {a.owner_email}) decided by {rule}",
        )
    )
    return TieResult(winner=a, decisive_rule=rule, trace=trace)
