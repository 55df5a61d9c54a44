"""Fetching what account resolution needs, on a budget: one Composite call for candidates, one for counts.

Call 1 holds up to 5 queries (website matches, Accounts with Contacts at the domain, their per-Account
contact counts, and the fuzzy base-name match). Call 2, only when a count rule is reached, holds three
aggregate ``COUNT(Id) ... GROUP BY`` queries bounded by the candidate Ids: no child rows are fetched.
Both are cached per domain (and per Account for counts) for the credential's TTL. All SOQL goes through
``format_soql``, so quotes in a domain stay data.
"""

import threading
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from simple_salesforce import format_soql

from crm.salesforce.connection import SalesforceConnection
from crm.salesforce.records import Account, Counts, account_fields, parse_account
from crm.salesforce.resolution import DomainRecords, ResolveInput, fuzzy_applies
from crm.salesforce.websites import base_name

ROW_LIMIT = 200
V = TypeVar("V")


class TtlCache(Generic[V]):
    """A small thread-safe cache whose entries expire ``ttl`` seconds after they were stored."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self._clock = ttl, clock
        self._data: dict[Hashable, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            hit = self._data.get(key)
            if hit is None or hit[0] <= self._clock():
                self._data.pop(key, None)
                return None
            return hit[1]

    def put(self, key: Hashable, value: V) -> None:
        if self.ttl > 0:
            with self._lock:
                self._data[key] = (self._clock() + self.ttl, value)


def domain_queries(domain: str, fields: Sequence[str], fuzzy: bool) -> list[tuple[str, str]]:
    """The (referenceId, SOQL) pairs of call 1."""
    cols = ", ".join(fields)
    website = format_soql(
        "SELECT {cols:literal} FROM Account WHERE Website = {d} OR Website LIKE '{d:like}%' "
        "OR Website LIKE '%/{d:like}%' OR Website LIKE '%.{d:like}%' ORDER BY Id LIMIT {n:literal}",
        cols=cols,
        d=domain,
        n=str(ROW_LIMIT),
    )
    at_domain = format_soql("Email LIKE '%@{d:like}'", d=domain)
    contacts = format_soql(
        "SELECT {cols:literal} FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE {w:literal}) "
        "ORDER BY Id LIMIT {n:literal}",
        cols=cols,
        w=at_domain,
        n=str(ROW_LIMIT),
    )
    counts = format_soql(
        "SELECT AccountId, COUNT(Id) n FROM Contact WHERE {w:literal} AND AccountId != null GROUP BY AccountId "
        "LIMIT {n:literal}",
        w=at_domain,
        n=str(ROW_LIMIT),
    )
    out = [("website", website), ("contactAccounts", contacts), ("contactCounts", counts)]
    base = base_name(domain)
    if fuzzy and base:
        out.append(
            (
                "fuzzy",
                format_soql(
                    "SELECT {cols:literal} FROM Account WHERE Website LIKE '%{b:like}%' ORDER BY Id LIMIT {n:literal}",
                    cols=cols,
                    b=base,
                    n=str(ROW_LIMIT),
                ),
            )
        )
    return out


def count_queries(ids: Sequence[str]) -> list[tuple[str, str]]:
    """The (referenceId, SOQL) pairs of call 2: aggregates bounded by the candidate Ids."""
    return [
        (
            "children",
            format_soql("SELECT ParentId, COUNT(Id) n FROM Account WHERE ParentId IN {} GROUP BY ParentId", list(ids)),
        ),
        (
            "opportunities",
            format_soql(
                "SELECT AccountId, COUNT(Id) n FROM Opportunity WHERE AccountId IN {} GROUP BY AccountId", list(ids)
            ),
        ),
        (
            "contacts",
            format_soql(
                "SELECT AccountId, COUNT(Id) n FROM Contact WHERE AccountId IN {} GROUP BY AccountId", list(ids)
            ),
        ),
    ]


class AccountFetcher:
    """Fetches and caches the records of account resolution for one connection."""

    def __init__(self, connection: SalesforceConnection, ttl: float | None = None) -> None:
        self.connection = connection
        ttl = connection.credential.cache_ttl_seconds if ttl is None else ttl
        self._domains: TtlCache[DomainRecords] = TtlCache(ttl)
        self._counts: TtlCache[Counts] = TtlCache(ttl)

    def domain_records(self, inp: ResolveInput, subregion_field: str | None, lookup_field: str | None) -> DomainRecords:
        """Call 1 (or the cache): every candidate of every step for ``inp.domain``."""
        fields = account_fields(subregion_field, lookup_field, bool(inp.excluded_record_types))
        fuzzy = fuzzy_applies(inp)
        key = (inp.domain, fuzzy, tuple(fields))
        cached = self._domains.get(key)
        if cached is not None:
            return cached
        res = self.connection.composite(domain_queries(inp.domain, fields, fuzzy))

        def parse(rows: list[dict[str, Any]], contacts: Mapping[str, int] | None = None) -> tuple[Account, ...]:
            accounts = (parse_account(r, subregion_field, lookup_field) for r in rows)
            if contacts is None:
                return tuple(accounts)
            return tuple(a.model_copy(update={"domain_contacts": contacts.get(a.id, 0)}) for a in accounts)

        per_account = {r["AccountId"]: int(r["n"]) for r in res.get("contactCounts", [])}
        records = DomainRecords(
            domain=inp.domain,
            website_rows=parse(res.get("website", [])),
            contact_rows=parse(res.get("contactAccounts", []), per_account),
            fuzzy_rows=parse(res.get("fuzzy", [])),
        )
        self._domains.put(key, records)
        return records

    def counts(self, ids: Sequence[str]) -> dict[str, Counts]:
        """Call 2 (or the cache): child-Account, Opportunity and Contact counts of the candidates."""
        out = {i: c for i in ids if (c := self._counts.get(i)) is not None}
        missing = [i for i in ids if i not in out]
        if not missing:
            return out
        res = self.connection.composite(count_queries(missing))
        tallies: dict[str, dict[str, int]] = {i: {} for i in missing}
        for ref, key, col in (
            ("children", "child_accounts", "ParentId"),
            ("opportunities", "opportunities", "AccountId"),
            ("contacts", "contacts", "AccountId"),
        ):
            for row in res.get(ref, []):
                if row.get(col) in tallies:
                    tallies[row[col]][key] = int(row["n"])
        for i, t in tallies.items():
            out[i] = Counts(**t)
            self._counts.put(i, out[i])
        return out
