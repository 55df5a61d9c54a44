"""Routing-form timings."""

from pydantic import BaseModel, ConfigDict, Field


class RoutingSettings(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    # Minutes may be fractional (0.05 is three seconds): Cal.com waits 15 minutes; tests wait seconds.
    no_event_minutes: float = Field(
        default=15,
        ge=0,
        alias="BOOKFLOW_FORM_NO_EVENT_MINUTES",
        description="Minutes after a routing-form response without a booking before FORM_SUBMITTED_NO_EVENT.",
    )
    recent_booking_minutes: float = Field(
        default=60,
        ge=0,
        alias="BOOKFLOW_FORM_RECENT_BOOKING_MINUTES",
        description="A booking this recent by the same person counts as the response's booking.",
    )
