"""Console (admin only): failed or stuck workflows, with retry and reset, each previewed first.

The list is `bookflow ops failed` (closed badly, running with a failing activity or workflow task past
``stuck after``, and deliveries retrying or ended undelivered); retry is `ops retry` (Temporal's
ResetActivity on every failing pending activity) and reset is `ops reset` (ResetWorkflowExecution, signals
and updates after the point re-applied). The console calls that code through ``ctx.operations``; every
action shows its dry run and is carried out only from it (the reset acts on the very run it previewed).
Every route here takes an admin; an owner gets 403 and never sees the link.
"""

from typing import Annotated, get_args

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse

from api.access import Caller
from api.console.deps import ConsoleAdmin, attempt, operations
from api.console.render import page, temporal_links
from api.context import ApiContext, Ctx
from api.operations import ResetDone, ResetPoint, ResetPreview, RetryItem

router = APIRouter(prefix="/console/failures", include_in_schema=False)
RESET_POINTS: tuple[ResetPoint, ...] = get_args(ResetPoint)


def _workflow_link(ctx: ApiContext, workflow_id: str) -> str:
    return temporal_links(ctx, workflow_id)[0]


def _retry_page(
    request: Request, caller: Caller, workflow_id: str, items: list[RetryItem], refusal: str | None, done: bool
) -> HTMLResponse:
    """The retry page: its dry run (``done`` false) or what the retry did; 409 with the refusal."""
    values = {"workflow_id": workflow_id, "items": items, "refusal": refusal, "done": done}
    title = "Retried" if done else "Retry"
    return page(request, "failures_retry.html", caller, status=409 if refusal else 200, title=title, **values)


def _reset_page(
    request: Request,
    ctx: ApiContext,
    caller: Caller,
    workflow_id: str,
    to: ResetPoint,
    refusal: str | None,
    plan: ResetPreview | None = None,
    done: ResetDone | None = None,
) -> HTMLResponse:
    """The reset page: the point chooser, then the dry run (``plan``) or what the reset did (``done``)."""
    values = {
        "workflow_id": workflow_id,
        "to": to,
        "points": RESET_POINTS,
        "plan": plan,
        "refusal": refusal,
        "done": done,
        "link": _workflow_link(ctx, workflow_id),
        "title": "Reset",
    }
    return page(request, "failures_reset.html", caller, status=409 if refusal else 200, **values)


@router.get("", response_class=HTMLResponse)
async def failures_page(
    request: Request,
    ctx: Ctx,
    caller: ConsoleAdmin,
    stuck_after: Annotated[float, Query(ge=0, le=10080, description="minutes")] = 5,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> HTMLResponse:
    """Every failed or stuck workflow (`ops failed`); 503 with the reason when Temporal cannot be asked."""
    rows, refusal = await attempt(operations(ctx).failed(stuck_after, limit), [])
    links = {row.workflow_id: _workflow_link(ctx, row.workflow_id) for row in rows}
    values = {"rows": rows, "links": links, "stuck_after": stuck_after, "refusal": refusal, "title": "Failures"}
    return page(request, "failures.html", caller, status=503 if refusal else 200, **values)


@router.get("/retry", response_class=HTMLResponse)
async def retry_preview(
    request: Request, ctx: Ctx, caller: ConsoleAdmin, workflow_id: Annotated[str, Query(min_length=1)]
) -> HTMLResponse:
    """Which failing activities a retry would restart now (`ops retry --dry-run`)."""
    items, refusal = await attempt(operations(ctx).plan_retry(workflow_id), [])
    return _retry_page(request, caller, workflow_id, items, refusal, done=False)


@router.post("/retry", response_class=HTMLResponse)
async def retry(
    request: Request, ctx: Ctx, caller: ConsoleAdmin, workflow_id: Annotated[str, Form(min_length=1)]
) -> HTMLResponse:
    """Restart the workflow's failing activities now (`ops retry`)."""
    items, refusal = await attempt(operations(ctx).retry(workflow_id), [])
    return _retry_page(request, caller, workflow_id, items, refusal, done=True)


@router.get("/reset", response_class=HTMLResponse)
async def reset_preview(
    request: Request,
    ctx: Ctx,
    caller: ConsoleAdmin,
    workflow_id: Annotated[str, Query(min_length=1)],
    to: ResetPoint = "last-workflow-task",
) -> HTMLResponse:
    """The run a reset would act on and the event it goes back to (`ops reset --dry-run`)."""
    plan, refusal = await attempt(operations(ctx).plan_reset(workflow_id, to), None)
    return _reset_page(request, ctx, caller, workflow_id, to, refusal, plan=plan)


@router.post("/reset", response_class=HTMLResponse)
async def reset(
    request: Request,
    ctx: Ctx,
    caller: ConsoleAdmin,
    workflow_id: Annotated[str, Form(min_length=1)],
    run_id: Annotated[str, Form(min_length=1)],
    to: Annotated[ResetPoint, Form()],
) -> HTMLResponse:
    """Reset the run the preview showed; refused if another run replaced it meanwhile."""
    done, refusal = await attempt(operations(ctx).reset(workflow_id, to, run_id), None)
    return _reset_page(request, ctx, caller, workflow_id, to, refusal, done=done)
