"""Operations the console runs whose code lives beyond the API's arrows, as an interface.

Redelivery and pings start workflows through activities/webhooks.py's WebhookDispatcher; finding,
retrying and resetting failed workflows is worker/ops (what `bookflow ops failed|retry|reset` run);
a CRM org's describe goes through crm/'s adapters with the worker's credentials (what `bookflow crm
validate` uses). The API may import none of those (tests/test_architecture.py), so, as with
api/checks.py, the worker hands an implementation to the app (worker/console_ops.py) and the console
calls the very functions the CLI calls. The models here are the boundary's shapes.
"""

from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import ConfigDict

from domain.base import CamelModel
from domain.webhooks import DeliveryStatus

CrmProvider = Literal["salesforce", "hubspot"]
ResetPoint = Literal["last-workflow-task", "first-failure", "first-workflow-task"]


class Refused(Exception):
    """An operation refused with a sentence for the person (inactive subscription, no reset point, ...)."""


class RedeliveryPreview(CamelModel):
    """What redelivering one delivery would do (the dry run), as `bookflow webhooks redeliver --dry-run`."""

    delivery_id: str
    subscription_id: str
    status: DeliveryStatus
    series: int
    new_workflow_id: str
    stops: str | None = None  # the running series stopped first (None: none runs)


class RedeliveryDone(CamelModel):
    """What a redelivery did: the new series' workflow, or why none started (``note``)."""

    delivery_id: str
    workflow_id: str | None
    stopped: str | None = None
    note: str = ""


class FailedRow(CamelModel):
    """One failed or stuck workflow, as `bookflow ops failed` lists it (one object of its --json array)."""

    model_config = ConfigDict(frozen=True)

    workflow_id: str
    run_id: str | None  # None for a delivery found through the store
    booking_uid: str | None
    kind: str
    # FAILED, TIMED_OUT, TERMINATED, RETRYING (still running, an activity or a delivery keeps failing),
    # or ABANDONED (a delivery whose subscription was switched off)
    state: str
    since: datetime
    attempts: int
    error: str
    activity: str | None = None


class RetryItem(CamelModel):
    """A failing pending activity that `ops retry` makes try again at once."""

    activity_id: str
    activity_type: str
    attempt: int


class ResetPreview(CamelModel):
    """The run a reset acts on and the event it goes back to (`ops reset --dry-run`)."""

    workflow_id: str
    run_id: str
    event_id: int


class ResetDone(CamelModel):
    """What a reset did: the run it went back in, the event it went back to, and the new run."""

    workflow_id: str
    old_run_id: str
    new_run_id: str
    event_id: int


class CrmField(CamelModel):
    """One field of the org's describe, as the mapping editor offers it."""

    name: str
    type: str
    writable: bool
    picklist_values: list[str] = []


class CrmObjectFields(CamelModel):
    """The fields of the object a mapping's ``object`` (event or person) lands on."""

    object: str  # event | person
    name: str  # Event, Contact, meetings, contacts, ...
    fields: list[CrmField]


class MappingProblem(CamelModel):
    """One problem with one field mapping (``mapping`` is its on.object.field name, or #n when unparsed)."""

    mapping: str
    field: str
    problem: str
    fix: str


class ConsoleOperations(Protocol):
    """The console's operations; each raises ``Refused`` with the reason when it cannot act, KeyError for
    an unknown delivery or subscription."""

    temporal_ui_url: str  # the Temporal Web UI's base URL (links to a workflow's history)
    webhook_schedule: list[float]  # the retry schedule, for a retrying delivery's next attempt

    async def plan_redelivery(self, delivery_id: str) -> RedeliveryPreview:
        """What redelivering the delivery would do, doing nothing (`webhooks redeliver --dry-run`)."""
        ...

    async def redeliver(self, delivery_id: str) -> RedeliveryDone:
        """Redeliver as a new attempt series, stopping a series still retrying first (`webhooks redeliver`)."""
        ...

    async def ping(self, subscription_id: str) -> str:
        """Send a test event to one subscription; the new delivery's id."""
        ...

    async def failed(self, stuck_after_minutes: float, limit: int) -> list[FailedRow]:
        """The failed or stuck workflows (`ops failed`)."""
        ...

    async def plan_retry(self, workflow_id: str) -> list[RetryItem]:
        """The failing activities a retry would restart, restarting none (`ops retry --dry-run`)."""
        ...

    async def retry(self, workflow_id: str) -> list[RetryItem]:
        """Restart the workflow's failing activities now (`ops retry`)."""
        ...

    async def plan_reset(self, workflow_id: str, to: ResetPoint) -> ResetPreview:
        """The run a reset would act on and the event it goes back to (`ops reset --dry-run`)."""
        ...

    async def reset(self, workflow_id: str, to: ResetPoint, run_id: str) -> ResetDone:
        """Reset the run the preview showed (``run_id``); Refused if it is no longer the latest."""
        ...

    def crm_choices(self) -> dict[str, list[str]]:
        """The values a mapping's on, object, type and when may take (crm/mappings.py's literals)."""
        ...

    def crm_connected(self) -> list[CrmProvider]:
        """The CRMs whose credentials are set (their describe can be read)."""
        ...

    async def crm_fields(self, provider: CrmProvider, event_type_id: int) -> list[CrmObjectFields] | None:
        """The org's fields for an event type's mappings, or None without that CRM's credentials."""
        ...

    async def crm_mapping_problems(
        self, provider: CrmProvider, event_type_id: int, mappings: list[dict[str, Any]]
    ) -> list[MappingProblem]:
        """Every problem of the mappings (save-time rules, then the org's describe when connected)."""
        ...

    async def save_crm_mappings(
        self, provider: CrmProvider, event_type_id: int, mappings: list[dict[str, Any]]
    ) -> list[MappingProblem]:
        """Validate, then store the event type's mappings in the crm section; the problems (nothing saved if any)."""
        ...
