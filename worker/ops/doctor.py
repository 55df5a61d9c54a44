"""`bookflow ops doctor`: is every part Bookflow needs there and healthy? One line per check, with the fix.

Read-only throughout: it never migrates, sends or writes anything.
"""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.search_attributes import REGISTERED
from store.db import alembic_config, sync_url
from worker.ops.checks import Check
from worker.ops.orphan_check import orphan_check
from worker.ops.provider_checks import provider_checks
from worker.ops.webhook_checks import webhook_checks
from worker.settings import MessagingSettings, Settings
from worker.temporal import connect

CONNECT_TIMEOUT = 10.0
# Messages not settled this long after falling due are a backlog (a provider is failing or no worker runs).
BACKLOG_AGE = timedelta(minutes=10)


def _type_name(value: int) -> str:
    """INDEXED_VALUE_TYPE_KEYWORD → Keyword, as the CLI spells it."""
    return IndexedValueType.Name(value).removeprefix("INDEXED_VALUE_TYPE_").title().replace("_", "")


async def _temporal(settings: Settings) -> tuple[Check, Client | None]:
    name = "Temporal reachable"
    try:
        client = await asyncio.wait_for(connect(settings), CONNECT_TIMEOUT)
    except (RuntimeError, OSError, TimeoutError) as down:
        detail = (
            f"cannot connect to {settings.temporal_address}: {str(down).splitlines()[0] if str(down) else 'timed out'}"
        )
        fix = "start it (`bookflow dev`), or set TEMPORAL_ADDRESS (and TEMPORAL_API_KEY / TEMPORAL_TLS_* for Cloud)"
        return Check(name, "fail", detail, fix), None
    return Check(name, "pass", f"connected to {settings.temporal_address}"), client


async def _namespace(client: Client) -> Check:
    name = "Temporal namespace"
    try:
        await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=client.namespace))
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:
            fix = f"temporal operator namespace create --namespace {client.namespace} (or set TEMPORAL_NAMESPACE)"
            return Check(name, "fail", f"namespace {client.namespace!r} does not exist", fix)
        return Check(
            name, "fail", f"describing {client.namespace!r} failed: {error.message}", "check the client's permissions"
        )
    return Check(name, "pass", f"namespace {client.namespace!r} exists")


async def _search_attributes(client: Client) -> Check:
    name = "Search attributes"
    try:
        answer = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
    except RPCError as error:
        return Check(
            name, "warn", f"cannot list them ({error.message})", "check them in the Temporal UI or Cloud console"
        )
    have = {key: _type_name(value) for key, value in answer.custom_attributes.items()}
    wrong = {k: t for k, t in REGISTERED.items() if have.get(k) != t}
    if wrong:
        fix = "; ".join(
            f"temporal operator search-attribute create --namespace {client.namespace} --name {k} --type {t}"
            for k, t in wrong.items()
        )
        listed = ", ".join(f"{k} ({have.get(k, 'missing')}, want {t})" for k, t in wrong.items())
        return Check(name, "fail", f"not registered as needed: {listed}", fix)
    return Check(name, "pass", ", ".join(f"{k} {t}" for k, t in REGISTERED.items()))


def _database_sync(url: str) -> list[Check]:
    """Reachable, and at the newest revision of every migration branch; then the feature tables' health."""
    parsed = make_url(sync_url(url))
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
        # Connecting would create an empty file; the doctor changes nothing.
        fix = "start `bookflow dev` or `bookflow worker` once, or set BOOKFLOW_DATA_DIR / BOOKFLOW_DATABASE_URL"
        return [Check("Database reachable", "fail", f"no database file at {parsed.database}", fix)]
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
            heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
            tables = set(inspect(connection).get_table_names())
            checks = [Check("Database reachable", "pass", shown)]
            if current == heads:
                checks.append(Check("Database migrated", "pass", f"at {', '.join(sorted(heads))}"))
            else:
                missing = ", ".join(sorted(heads - current)) or "-"
                detail = f"at {', '.join(sorted(current)) or 'no revision'}; newest {missing} not applied"
                checks.append(
                    Check("Database migrated", "fail", detail, "start `bookflow worker` once (it migrates at start)")
                )
            checks += webhook_checks(connection, tables)
            checks += _backlog(connection, tables)
            return checks
    except SQLAlchemyError as down:
        first = str(down).splitlines()[0]
        return [
            Check(
                "Database reachable",
                "fail",
                f"{shown}: {first}",
                "check BOOKFLOW_DATABASE_URL and that the server runs",
            )
        ]
    finally:
        engine.dispose()


def _backlog(connection, tables: set[str]) -> list[Check]:
    name = "Outbox backlog"
    if "messages" not in tables:
        return [Check(name, "skip", "the messages table does not exist in this database (reminders not migrated)")]
    from store.messages import MessageRow

    cutoff = datetime.now(UTC) - BACKLOG_AGE
    stuck = connection.execute(
        select(MessageRow.provider, func.count())
        .where(MessageRow.status.in_(("sending", "pending")), MessageRow.due <= cutoff)
        .group_by(MessageRow.provider)
    ).all()
    outbox = connection.execute(select(func.count()).where(MessageRow.provider == "outbox")).scalar_one()
    parked = f"; {outbox} message(s) kept in the outbox (no provider configured)" if outbox else ""
    if stuck:
        listed = ", ".join(f"{provider}: {count}" for provider, count in stuck)
        fix = "check the provider lines above, then `bookflow ops failed` and `bookflow ops retry ID`"
        return [Check(name, "fail", f"unsent for over {BACKLOG_AGE} after falling due: {listed}{parked}", fix)]
    return [Check(name, "pass", f"nothing waiting on a provider{parked}")]


async def run_checks(settings: Settings, messaging: MessagingSettings | None = None) -> list[Check]:
    """Every check, in order; Temporal's dependants are skipped (saying so) when it is unreachable."""
    reached, client = await _temporal(settings)
    results = [reached]
    if client is None:
        results += [
            Check("Temporal namespace", "skip", "Temporal is unreachable"),
            Check("Search attributes", "skip", "Temporal is unreachable"),
        ]
    else:
        results += [await _namespace(client), await _search_attributes(client)]
    results += await asyncio.to_thread(_database_sync, settings.database)
    results.append(await orphan_check(settings.database, client))
    results += await provider_checks(messaging or settings.messaging, settings.crm, settings.hubspot)
    return results
