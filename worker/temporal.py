"""Connecting to Temporal, and the worker that runs Bookflow's workflows and activities."""

import compileall
import logging
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import TLSConfig
from temporalio.worker import PollerBehaviorSimpleMaximum, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.bookings import BookingActivities, EventDispatcher
from activities.calendar_dispatch import CalendarDispatcher
from activities.calendars import CalendarActivities, calendar_policy
from activities.routing import RoutingActivities
from activities.webhooks import WebhookActivities, WebhookDispatcher
from domain.crm import CrmOwnerLookup
from domain.webhooks import WebhookSettings
from store.db import Database
from worker.crm import CrmRuntime
from worker.messaging import WorkerGroup, messaging_activities, provider_workers
from worker.settings import MessagingSettings, Settings, load_settings
from worker.telemetry import tracing_interceptors
from workflows.booking import BookingWorkflow
from workflows.calendar_events import DestinationEventWorkflow
from workflows.calendar_sync import CalendarSyncWorkflow
from workflows.delivery import DeliveryWorkflow
from workflows.routing_response import RoutingResponseWorkflow
from workflows.wrong_assignment import WrongAssignmentWorkflow

WORKFLOWS: list[type] = [
    BookingWorkflow,
    DeliveryWorkflow,
    RoutingResponseWorkflow,
    WrongAssignmentWorkflow,
    CalendarSyncWorkflow,
    DestinationEventWorkflow,
]

# Libraries our pydantic types use that are deterministic and safe to share with the sandbox; passing
# them through avoids re-importing them per workflow run (and the warnings when they import lazily).
PASSTHROUGH = ("pydantic", "pydantic_core", "email_validator", "idna", "dns", "phonenumbers", "annotated_types")
# A workflow task waits this long on the sticky queue of the worker that ran the workflow last before any
# worker may take it: a killed worker's workflows move on after 1 s instead of the SDK's 10 s (issue 14).
STICKY_QUEUE_TIMEOUT = timedelta(seconds=1)
# Workflow tasks are pure CPU under one GIL, so more at once only makes each take longer: a worker takes
# this many and leaves the rest queued in Temporal, where any worker (or a killed one's survivor) takes them.
WORKFLOW_TASK_SLOTS = 10
# Polls for workflow tasks: one per slot, half of them on the shared queue. The SDK's default (5 polls, one on
# the shared queue) starves the shared queue when a worker dies: its workflows' tasks land there after
# STICKY_QUEUE_TIMEOUT while the survivor's four sticky polls keep serving its own cached workflows first.
WORKFLOW_TASK_POLLS = PollerBehaviorSimpleMaximum(maximum=WORKFLOW_TASK_SLOTS)
SHARED_QUEUE_POLL_RATIO = 0.5


log = logging.getLogger("bookflow")


def cache_workflow_bytecode(cache_dir: Path) -> None:
    """Compile the workflow packages once, into ``cache_dir``, when Python writes no bytecode of its own.

    The sandbox imports a workflow's module afresh for every workflow it creates, and a worker creates one
    per workflow it takes over from a dead worker (a replay). Without cached bytecode (PYTHONDONTWRITEBYTECODE
    on a source tree) every such import compiles the module again: 8-10 ms, a fifth of a replay (issue 14).
    Called once per worker process, before it polls.
    """
    if not sys.dont_write_bytecode:
        return  # importlib caches bytecode itself (or an installed wheel ships it)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        sys.pycache_prefix = str(cache_dir.resolve())
        for package in {cls.__module__.partition(".")[0] for cls in WORKFLOWS}:
            for directory in sys.modules[package].__path__:
                compileall.compile_dir(directory, quiet=2)
    except OSError as error:  # a read-only data dir: the worker runs, its replays compile
        log.warning("workflow bytecode not cached in %s: %s", cache_dir, error)


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
        interceptors=tracing_interceptors(settings.telemetry.otlp_endpoint, settings.telemetry.service_name),
    )


def activities_for(
    db: Database,
    settings: Settings,
    dispatchers: Sequence[EventDispatcher] = (),
    crm_owners: Mapping[str, CrmOwnerLookup] | None = None,
) -> list[Any]:
    """Every activity the worker registers, bound to its dependencies and its sections of ``settings``.

    ``crm_owners`` maps a CRM app slug ("salesforce", "hubspot") to its owner lookup for routing.
    """
    bookings = BookingActivities(db, list(dispatchers), booker_url=settings.messaging.public_url)
    timing = settings.routing
    routing = RoutingActivities(db, dispatchers, crm_owners, timing.no_event_minutes, timing.recent_booking_minutes)
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
    settings: Settings | None = None,
) -> WorkerGroup:
    """The booking worker plus one rate-limited worker per message provider (``async with`` runs them all).

    ``settings`` is the process's settings tree (loaded here when not given, as in tests); ``messaging``
    ``webhooks`` and ``crm`` replace its sections. The webhook dispatcher is always added, so every event reaches
    its subscribers.
    """
    settings = settings or load_settings()
    webhooks = webhooks or settings.webhooks
    deliveries = WebhookActivities(db, webhooks)
    dispatchers = [
        *dispatchers,
        WebhookDispatcher(db, client, task_queue, webhooks),
        CalendarDispatcher(db, client, task_queue),
    ]
    calendars = CalendarActivities(db, calendar_policy(webhooks.allow_private))
    messaging = messaging or settings.messaging
    reminders = messaging_activities(db, task_queue, messaging)
    # CRMs with credentials (SALESFORCE_*, HUBSPOT_*): their sync workers and routing's owner lookups.
    crm = crm or CrmRuntime.connect(db, settings.crm, settings.hubspot)
    crm_owners = crm.owner_lookups() if crm_owners is None else crm_owners
    # On shutdown (SIGTERM) every worker stops polling and lets in-flight activities finish this long.
    grace = timedelta(seconds=settings.shutdown_grace_seconds)
    main = Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=[
            *activities_for(db, settings, dispatchers, crm_owners),
            reminders.prepare_step,
            deliveries.attempt_delivery,
            deliveries.finish_delivery,
            *calendars.activities(),
        ],
        activity_executor=ThreadPoolExecutor(max_workers=8),
        workflow_runner=workflow_runner(),
        max_concurrent_workflow_tasks=WORKFLOW_TASK_SLOTS,
        sticky_queue_schedule_to_start_timeout=STICKY_QUEUE_TIMEOUT,
        workflow_task_poller_behavior=WORKFLOW_TASK_POLLS,
        nonsticky_to_sticky_poll_ratio=SHARED_QUEUE_POLL_RATIO,
        graceful_shutdown_timeout=grace,
    )
    crm_workers = crm.workers(client, task_queue, grace)
    return WorkerGroup([main, *provider_workers(client, task_queue, reminders, messaging, grace), *crm_workers])
