"""Account resolution against the Salesforce emulator with 50 ms round trips, for 1, 5 and 50 candidates.

Prints {"calls_per_resolution", "p50_ms"}, each the worst over the fixtures. The cache is off (TTL 0), so
every resolution pays its full price; the call budget is 2.
"""

import argparse
import json
import statistics
import time

from crm.salesforce.connection import SalesforceConnection
from crm.salesforce.owner import SalesforceOwnerLookup
from crm.salesforce.settings import SalesforceCredential, SalesforceSettings
from domain.crm import OwnerQuery
from testkit.salesforce import SalesforceEmulator

HOSTS = ["alice@bookflow.io", "bob@bookflow.io"]


def fixture(n: int) -> dict:
    """``n`` Accounts on one domain, owners alternating, with opportunities so the metrics must decide."""
    users = [{"Id": f"005B0000000000{i}AAA", "Email": e, "IsActive": True} for i, e in enumerate(HOSTS)]
    accounts = [
        {
            "Id": f"001B{i:011d}AAA",
            "Name": f"Wide {i}",
            "Website": "https://www.wide.com",
            "BillingCountry": "United States" if i % 4 else "Germany",
            "OwnerId": users[i % 2]["Id"],
            "CreatedDate": "2020-01-01T00:00:00.000+0000",
        }
        for i in range(n)
    ]
    opps = [{"Name": f"o{i}", "AccountId": a["Id"]} for i, a in enumerate(accounts) for _ in range(i % 3)]
    return {"User": users, "Account": accounts, "Opportunity": opps}


def run(n: int, resolutions: int, latency_ms: float) -> tuple[float, float]:
    """(worst calls per resolution, p50 ms) for one fixture."""
    with SalesforceEmulator(fixture(n), latency_ms=latency_ms) as emu:
        cred = SalesforceCredential(
            username=emu.username,
            password=emu.password,
            security_token=emu.security_token,
            domain="test",
            cache_ttl_seconds=0,
        )
        conn = SalesforceConnection(cred, session=emu.requests_session())
        lookup = SalesforceOwnerLookup(conn, SalesforceSettings(owner_record="account"))
        conn.client()  # the login is not part of a resolution
        calls, times = [], []
        for i in range(resolutions):
            query = OwnerQuery(
                attendee_email=f"p{i}@wide.com",
                host_emails=HOSTS,
                crm_app_slug="salesforce",
                round_robin=True,
                country="US",
            )
            emu.reset_counts()
            t0 = time.perf_counter()
            decision = lookup.find_owner_sync(query)
            times.append((time.perf_counter() - t0) * 1000)
            calls.append(emu.calls)
            assert decision.owner_email in HOSTS, decision.trace
        return max(calls), statistics.median(times)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench salesforce")
    p.add_argument("--resolutions", type=int, default=20)
    p.add_argument("--latency-ms", type=float, default=50.0)
    args = p.parse_args(argv)
    results = [run(n, args.resolutions, args.latency_ms) for n in (1, 5, 50)]
    print(
        json.dumps({"calls_per_resolution": max(c for c, _ in results), "p50_ms": round(max(t for _, t in results), 1)})
    )
    return 0
