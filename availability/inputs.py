"""What the engine computes from: the event type, its hosts' availability, the window and the clock."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.busy import Booked, Busy, BusySource, HostAvailability
from domain.config import EventType

__all__ = ["Booked", "Busy", "BusySource", "HostAvailability", "Query"]


@dataclass(frozen=True)
class Query:
    """Slots of ``event_type`` for ``length`` minutes starting within ``[start, end]``, as seen at ``now``."""

    event_type: EventType
    hosts: Sequence[HostAvailability]
    start: datetime
    end: datetime
    now: datetime
    length: int | None = None
    viewer_zone: str = "UTC"

    @property
    def minutes(self) -> int:
        return self.length or self.event_type.length_in_minutes
