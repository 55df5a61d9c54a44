"""Limits on what may be booked, as a plain model the worker's settings tree fills and passes to the API."""

from pydantic import BaseModel, ConfigDict, Field


class BookingConfig(BaseModel):
    """How far ahead bookings may be made (``BOOKFLOW_BOOKING_HORIZON_DAYS``)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    booking_horizon_days: int = Field(
        default=730,
        gt=0,
        alias="BOOKFLOW_BOOKING_HORIZON_DAYS",
        description="How many days ahead slots are offered and bookings accepted.",
    )
