"""The console's operations (api/operations.py) bound to the code the CLI runs.

Redelivery and pings are WebhookDispatcher's (`bookflow webhooks redeliver|ping`); failures, retry and
reset are worker/ops (`bookflow ops failed|retry|reset`); CRM describe and mapping checks are what
`bookflow crm validate` does, with the same credentials. Nothing is reimplemented here: each method
calls that code and converts its answer to the boundary's models.
"""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, get_args

from temporalio.client import Client
from temporalio.service import RPCError

from activities.redelivery import SeriesStillRunning, SubscriptionInactive
from activities.webhooks import WebhookDispatcher
from api.operations import (
    CrmField,
    CrmObjectFields,
    CrmProvider,
    FailedRow,
    MappingProblem,
    RedeliveryDone,
    RedeliveryPreview,
    Refused,
    ResetDone,
    ResetPoint,
    ResetPreview,
    RetryItem,
)
from crm.config import CrmConfig, CrmEventTypeSettings
from crm.hubspot.describe import describe_object
from crm.mappings import (
    FieldMappings,
    FieldType,
    MappingIssue,
    MappingMoment,
    MappingObject,
    ObjectDescribe,
    WhenToWrite,
    validate_mappings,
)
from crm.salesforce.settings import SalesforceSettings
from crm.salesforce.validate import object_describe, person_objects
from store import config as config_store
from store import crm as crm_store
from store.db import Database
from worker.crm import hubspot_connection, salesforce_connection
from worker.crm_config import parse_crm
from worker.crm_org_checks import hubspot_org_issues, salesforce_org_issues
from worker.ops import repair
from worker.ops.failures import FailedQuery, find_failed
from worker.ops.history import NoResetPoint
from worker.settings import Settings


@contextmanager
def refusing(subject: str) -> Iterator[None]:
    """Turn the CLI code's refusals (inactive subscription, series still running, no reset point, Temporal
    answering NOT_FOUND or unreachable) into ``Refused`` with the sentence the CLI would print."""
    try:
        yield
    except (SubscriptionInactive, SeriesStillRunning, NoResetPoint) as refused:
        raise Refused(str(refused)) from None
    except RPCError as refused:
        status = refused.status.name if refused.status else "an error"
        raise Refused(f"{subject}: Temporal answered {status}: {refused.message}") from None


def _problems(issues: list[MappingIssue]) -> list[MappingProblem]:
    return [MappingProblem.model_validate(issue.model_dump()) for issue in issues]


def _fields(kind: str, describe: ObjectDescribe) -> CrmObjectFields:
    return CrmObjectFields(
        object=kind,
        name=describe.name,
        fields=[
            CrmField(name=f.name, type=f.type, writable=f.createable or f.updateable, picklist_values=f.picklist_values)
            for f in describe.fields
        ],
    )


class WorkerConsoleOperations:
    """ConsoleOperations over one store, one Temporal client and the process's settings."""

    def __init__(self, db: Database, client: Client, settings: Settings) -> None:
        self._db, self._client, self._settings = db, client, settings
        self._dispatcher = WebhookDispatcher(db, client, settings.task_queue, settings.webhooks)
        self.temporal_ui_url = settings.temporal_ui_url.rstrip("/")
        self.webhook_schedule = list(settings.webhooks.schedule)

    # -- webhooks ----------------------------------------------------------------------------------------

    async def plan_redelivery(self, delivery_id: str) -> RedeliveryPreview:
        with refusing(delivery_id):
            plan = await self._dispatcher.plan_redelivery(delivery_id)
        return RedeliveryPreview.model_validate(plan.model_dump())

    async def redeliver(self, delivery_id: str) -> RedeliveryDone:
        with refusing(delivery_id):
            done = await self._dispatcher.redeliver(delivery_id)
        return RedeliveryDone.model_validate(done.model_dump())

    async def ping(self, subscription_id: str) -> str:
        with refusing(subscription_id):
            return await self._dispatcher.ping(subscription_id)

    # -- failed workflows -----------------------------------------------------------------------------

    async def failed(self, stuck_after_minutes: float, limit: int) -> list[FailedRow]:
        query = FailedQuery(stuck_after=timedelta(minutes=stuck_after_minutes), limit=limit)
        with refusing("the failed-workflow search"):
            return await find_failed(self._client, query, self._db, self._settings.webhooks.schedule)

    async def plan_retry(self, workflow_id: str) -> list[RetryItem]:
        return await self._retry(workflow_id, dry_run=True)

    async def retry(self, workflow_id: str) -> list[RetryItem]:
        return await self._retry(workflow_id, dry_run=False)

    async def _retry(self, workflow_id: str, dry_run: bool) -> list[RetryItem]:
        with refusing(workflow_id):
            found = await repair.retry_now(self._client, workflow_id, dry_run=dry_run)
        return [RetryItem(activity_id=r.activity_id, activity_type=r.activity_type, attempt=r.attempt) for r in found]

    async def plan_reset(self, workflow_id: str, to: ResetPoint) -> ResetPreview:
        with refusing(workflow_id):
            plan = await repair.plan_reset(self._client, workflow_id, repair.ResetTo(to))
        return ResetPreview(workflow_id=plan.workflow_id, run_id=plan.run_id, event_id=plan.event_id)

    async def reset(self, workflow_id: str, to: ResetPoint, run_id: str) -> ResetDone:
        # The preview named a run; if another run replaced it meanwhile, refuse rather than reset that one.
        current = await self.plan_reset(workflow_id, to)
        if current.run_id != run_id:
            raise Refused(f"{workflow_id}: run {run_id} is no longer the latest ({current.run_id}); preview again")
        with refusing(workflow_id):
            done = await repair.reset(self._client, workflow_id, repair.ResetTo(to), run_id, "bookflow console reset")
        return ResetDone(
            workflow_id=done.workflow_id, old_run_id=done.old_run_id, new_run_id=done.new_run_id, event_id=done.event_id
        )

    # -- CRM field mappings --------------------------------------------------------------------------------

    def crm_choices(self) -> dict[str, list[str]]:
        literals = {"on": MappingMoment, "object": MappingObject, "type": FieldType, "when": WhenToWrite}
        return {name: list(get_args(literal)) for name, literal in literals.items()}

    def crm_connected(self) -> list[CrmProvider]:
        connected: list[CrmProvider] = []
        if self._settings.crm.salesforce_credential() is not None:
            connected.append("salesforce")
        if self._settings.hubspot.configured:
            connected.append("hubspot")
        return connected

    async def _section(self) -> CrmConfig:
        async with self._db.sessions() as session:
            return parse_crm(await crm_store.get_config(session))

    async def crm_fields(self, provider: CrmProvider, event_type_id: int) -> list[CrmObjectFields] | None:
        if provider == "salesforce":
            connection = salesforce_connection(self._settings.crm)
            if connection is None:
                return None
            objects = [("event", "Event")] + [
                ("person", name) for name in person_objects((await self._section()).salesforce_for(event_type_id))
            ]
            # simple-salesforce is blocking: off the event loop.
            described = await asyncio.to_thread(lambda: [(k, connection.describe(o)) for k, o in objects])
            return [_fields(kind, object_describe(d)) for kind, d in described]
        connection = hubspot_connection(self._settings.hubspot)
        if connection is None:
            return None
        pairs = [("event", "meetings"), ("person", "contacts")]
        described = await asyncio.to_thread(lambda: [(k, describe_object(connection, o)) for k, o in pairs])
        return [_fields(kind, d) for kind, d in described]

    async def crm_mapping_problems(
        self, provider: CrmProvider, event_type_id: int, mappings: list[dict[str, Any]]
    ) -> list[MappingProblem]:
        document = {"mappings": mappings}
        issues = validate_mappings(document)  # the save-time rules first, as `crm validate` does
        if issues:
            return _problems(issues)
        parsed = FieldMappings.model_validate(document)
        if provider == "salesforce":
            settings = (await self._section()).salesforce_for(event_type_id)
            found = await asyncio.to_thread(salesforce_org_issues, self._settings, settings, parsed)
        else:
            found = await asyncio.to_thread(hubspot_org_issues, self._settings, parsed)
        return _problems(found or [])

    async def save_crm_mappings(
        self, provider: CrmProvider, event_type_id: int, mappings: list[dict[str, Any]]
    ) -> list[MappingProblem]:
        if problems := await self.crm_mapping_problems(provider, event_type_id, mappings):
            return problems
        async with self._db.transaction() as session:
            if await config_store.get_event_type(session, event_type_id) is None:
                return [MappingProblem(mapping="*", field="*", problem="no such event type", fix="pick another")]
            section = await crm_store.get_config(session)
            crm = _with_mappings(parse_crm(section), provider, event_type_id, FieldMappings(mappings=mappings))
            await crm_store.save_config(session, crm.stored())
        return []


def _with_mappings(crm: CrmConfig, provider: CrmProvider, event_type_id: int, mappings: FieldMappings) -> CrmConfig:
    """``crm`` with one event type's mappings for ``provider`` replaced (an entry made when it has none)."""
    entries = list(crm.event_types)
    index = next((i for i, e in enumerate(entries) if e.event_type_id == event_type_id), None)
    entry = entries[index] if index is not None else None
    if entry is None:
        entry = CrmEventTypeSettings(event_type_id=event_type_id)
    if provider == "salesforce":
        salesforce = (entry.salesforce or SalesforceSettings()).model_copy(update={"field_mappings": mappings})
        entry = entry.model_copy(update={"salesforce": salesforce})
    else:
        hubspot = crm.hubspot_for(event_type_id)
        hubspot = hubspot.model_copy(update={"sync": hubspot.sync.model_copy(update={"mappings": mappings})})
        entry = entry.model_copy(update={"hubspot": hubspot})
    if index is None:
        entries.append(entry)
    else:
        entries[index] = entry
    return crm.model_copy(update={"event_types": entries})
