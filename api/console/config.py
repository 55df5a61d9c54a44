"""The console's settings, a plain model the worker's settings tree fills (``BOOKFLOW_CONSOLE_*``)."""

from pydantic import BaseModel, ConfigDict, Field


class ConsoleConfig(BaseModel):
    """How long an idle console session lasts."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    idle_minutes: float = Field(
        default=30,
        gt=0,
        alias="BOOKFLOW_CONSOLE_IDLE_MINUTES",
        description="Minutes without a request after which an admin console session ends (sign in again).",
    )
