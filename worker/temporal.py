"""Connecting to Temporal, and the worker that runs Bookflow's workflows and activities."""

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import TLSConfig
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.bookings import BookingActivities, EventDispatcher
from activities.routing import RoutingActivities
from activities.webhooks import WebhookActivities, WebhookDispatcher
from domain.crm import CrmOwnerLookup
from domain.webhooks import WebhookSettings
from store.db import Database
from worker.crm import CrmRuntime
from worker.messaging import WorkerGroup, messaging_activities, provider_workers
from worker.routing_settings import RoutingSettings
from worker.settings import MessagingSettings, Settings
from worker.telemetry import tracing_interceptors
from workflows.booking import BookingWorkflow
from workflows.delivery import DeliveryWorkflow
from workflows.routing_response import RoutingResponseWorkflow
from workflows.wrong_assignment import WrongAssignmentWorkflow

WORKFLOWS: list[type] = [BookingWorkflow, DeliveryWorkflow, RoutingResponseWorkflow, WrongAssignmentWorkflow]

# Libraries our pydantic types use that are deterministic and safe to share with the sandbox; passing
# them through avoids re-importing them per workflow run (and the warnings when they import lazily).
PASSTHROUGH = ("pydantic", "pydantic_core", "email_validator", "idna", "dns", "phonenumbers", "annotated_types")


def workflow_runner() -> SandboxedWorkflowRunner:
    """Temporal's sandbox, kept on, with our deterministic dependencies passed through."""
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH))


async def connect(settings: Settings) -> Client:
    """A Temporal client for the configured cluster (dev server, self-hosted, or Temporal Cloud)."""
    tls: TLSConfig | bool = False
    if settings.temporal_tls_cert or settings.temporal_tls_ca:
        tls = TLSConfig(
            client_cert=settings.temporal_tls_cert.read_bytes() if settings.temporal_tls_cert else None,
            client_private_key=settings.temporal_tls_key.read_bytes() if settings.temporal_tls_key else None,
            server_root_ca_cert=settings.temporal_tls_ca.read_bytes() if settings.temporal_tls_ca else None,
        )
    api_key = settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        api_key=api_key,
        tls=tls if tls else bool(api_key),
        data_converter=pydantic_data_converter,
        interceptors=tracing_interceptors(),
    )


def activities_for(
    db: Database, dispatchers: Sequence[EventDispatcher] = (), crm_owners: Mapping[str, CrmOwnerLookup] | None = None
) -> list[Any]:
    """Every activity the worker registers, bound to its dependencies.

    ``crm_owners`` maps a CRM app slug ("salesforce", "hubspot") to its owner lookup for routing.
    """
    bookings = BookingActivities(db, list(dispatchers), booker_url=MessagingSettings().public_url)
    settings = RoutingSettings()
    routing = RoutingActivities(db, dispatchers, crm_owners, settings.no_event_minutes, settings.recent_booking_minutes)
    return [bookings.reserve_slot, bookings.commit_transition, *routing.activities()]


def build_worker(
    client: Client,
    db: Database,
    task_queue: str,
    dispatchers: Sequence[EventDispatcher] = (),
    messaging: MessagingSettings | None = None,
    webhooks: WebhookSettings | None = None,
    crm_owners: Mapping[str, CrmOwnerLookup] | None = None,
    crm: CrmRuntime | None = None,
) -> WorkerGroup:
    """The booking worker plus one rate-limited worker per message provider (``async with`` runs them all).

    ``messaging`` defaults to the provider settings in the environment, ``webhooks`` likewise; the
    webhook dispatcher is always added, so every event reaches its subscribers.
    """
    webhooks = webhooks or WebhookSettings()
    deliveries = WebhookActivities(db, webhooks)
    dispatchers = [*dispatchers, WebhookDispatcher(db, client, task_queue, webhooks)]
    messaging = messaging or MessagingSettings()
    reminders = messaging_activities(db, task_queue, messaging)
    # CRMs from the environment (SALESFORCE_*, HUBSPOT_*): their sync workers and routing's owner lookups.
    crm = crm or CrmRuntime.from_env(db)
    crm_owners = crm.owner_lookups() if crm_owners is None else crm_owners
    main = Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=[
            *activities_for(db, dispatchers, crm_owners),
            reminders.prepare_step,
            deliveries.attempt_delivery,
            deliveries.finish_delivery,
        ],
        activity_executor=ThreadPoolExecutor(max_workers=8),
        workflow_runner=workflow_runner(),
    )
    crm_workers = crm.workers(client, task_queue)
    return WorkerGroup([main, *provider_workers(client, task_queue, reminders, messaging), *crm_workers])
