"""What every route needs: the store, a Temporal client and a few settings, held on the app."""

from dataclasses import dataclass, field

from fastapi import Request
from temporalio.client import Client

from api.checks import ConfigChecks
from api.config import ApiConfig
from store.db import Database


@dataclass(frozen=True)
class ApiContext:
    db: Database
    temporal: Client
    task_queue: str
    keep_open_minutes: float
    checks: ConfigChecks
    config: ApiConfig = field(default_factory=ApiConfig)


def context(request: Request) -> ApiContext:
    return request.app.state.context
