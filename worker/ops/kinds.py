"""Which workflow types make up each kind of work, and how a workflow names its booking."""

from enum import StrEnum

from temporalio.client import WorkflowExecution

from domain import search_attributes as search


class Kind(StrEnum):
    BOOKING = "booking"
    ROUTING = "routing"
    DELIVERY = "delivery"


WORKFLOW_TYPES: dict[Kind, tuple[str, ...]] = {
    Kind.BOOKING: ("BookingWorkflow",),
    Kind.ROUTING: ("RoutingResponseWorkflow", "WrongAssignmentWorkflow"),
    Kind.DELIVERY: ("DeliveryWorkflow",),
}


def kind_of(workflow_type: str) -> Kind | None:
    return next((kind for kind, types in WORKFLOW_TYPES.items() if workflow_type in types), None)


def types_clause(kind: Kind | None) -> str:
    """A visibility clause restricting to ``kind`` (or to every Bookflow workflow type)."""
    types = WORKFLOW_TYPES[kind] if kind else tuple(t for ts in WORKFLOW_TYPES.values() for t in ts)
    return "WorkflowType IN (" + ", ".join(f"'{t}'" for t in types) + ")"


def booking_uid_of(execution: WorkflowExecution) -> str | None:
    """The booking a workflow works for: its BookingUid attribute, else what its id says."""
    uid = execution.typed_search_attributes.get(search.BOOKING_UID)
    if uid:
        return uid
    if execution.workflow_type == "BookingWorkflow":
        return execution.id
    if execution.workflow_type == "DeliveryWorkflow" and execution.id.startswith("delivery:"):
        # delivery:{booking uid}:{trigger}:{n}:{subscription}[:series-N] (see domain.webhooks.workflow_id)
        return execution.id.split(":")[1]
    return None
