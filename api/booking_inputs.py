"""Cal.com's booking inputs (API 2024-08-13) that need more than a plain field: locations and metadata."""

import json
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from domain.base import CamelModel
from domain.event_type_calcom import CAL_VIDEO

Text = Annotated[str, Field(min_length=1, max_length=1000)]


class AddressLocation(CamelModel):
    type: Literal["address", "attendeeAddress"]
    address: Text | None = None  # an event type's address needs none from the booker


class DefinedLocation(CamelModel):
    type: Literal["attendeeDefined"]
    location: Text


class PhoneLocation(CamelModel):
    type: Literal["phone", "attendeePhone"]
    phone: Annotated[str, Field(min_length=1, max_length=50)] | None = None


class IntegrationLocation(CamelModel):
    type: Literal["integration"]
    integration: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z0-9-]+$")]


class LinkLocation(CamelModel):
    type: Literal["link"]
    link: Annotated[str, Field(min_length=1, max_length=2048)] | None = None


class DefaultAppLocation(CamelModel):
    type: Literal["organizersDefaultApp"]


BookingLocation = Annotated[
    AddressLocation | DefinedLocation | PhoneLocation | IntegrationLocation | LinkLocation | DefaultAppLocation,
    Field(discriminator="type"),
]


def location_text(location: BookingLocation) -> str | None:
    """The place a booking's payloads, emails and calendar events show for a location object; None when
    the object names only a kind (e.g. ``address`` without one) and the event type's own place applies."""
    match location:
        case IntegrationLocation(integration="cal-video"):
            return CAL_VIDEO
        case IntegrationLocation(integration=name):
            return f"integrations:{name}"
        case (
            AddressLocation(address=str() as text)
            | PhoneLocation(phone=str() as text)
            | LinkLocation(link=str() as text)
            | DefinedLocation(location=text)
        ):
            return text
    return None


def _metadata_limits(metadata: dict[str, Any]) -> dict[str, Any]:
    """Cal.com's limits: 50 keys, keys of 40 characters, values of 500 (a non-string value as JSON)."""
    if len(metadata) > 50:
        raise ValueError("at most 50 keys")
    for key, value in metadata.items():
        if len(key) > 40:
            raise ValueError(f"key {key[:40]!r}… is longer than 40 characters")
        text = value if isinstance(value, str) else json.dumps(value)
        if len(text) > 500:
            raise ValueError(f"the value of {key!r} is longer than 500 characters")
    return metadata


Metadata = Annotated[dict[str, Any], AfterValidator(_metadata_limits)]
