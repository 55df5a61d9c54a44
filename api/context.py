"""What every route needs: the store, a Temporal client and a few settings, held on the app."""

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from temporalio.client import Client

from api.checks import ConfigChecks
from api.config import ApiConfig
from api.console.workbench import RoutingWorkbench
from api.operations import ConsoleOperations
from store.db import Database


@dataclass(frozen=True)
class ApiContext:
    db: Database
    temporal: Client
    task_queue: str
    keep_open_minutes: float
    checks: ConfigChecks
    config: ApiConfig = field(default_factory=ApiConfig)
    # The console's redelivery, failure and CRM operations (worker/console_ops.py); None: not offered.
    operations: ConsoleOperations | None = None
    # The routing-form screens' simulator, replay and diff (worker/console_workbench.py); None: not offered.
    workbench: RoutingWorkbench | None = None


def context(request: Request) -> ApiContext:
    return request.app.state.context


# The application context as a route parameter.
Ctx = Annotated[ApiContext, Depends(context)]
