"""Ids Cal.com keeps in rows we do not have, derived from stable keys so a rebuilt body is the same."""

import hashlib
import uuid

from domain.booking import Booking

# The namespace of the UUIDs Cal.com keeps per booking (conference request id, one-time password):
# derived from the booking uid so a retried or replayed build produces the same body.
_NAMESPACE = uuid.UUID("5b1e7c1e-8f2a-4c55-9a57-6f0e4d2b8a10")


def derived_uuid(booking: Booking, purpose: str) -> str:
    """A UUID that is the same every time for this booking and ``purpose``."""
    return str(uuid.uuid5(_NAMESPACE, f"{booking.uid}:{purpose}"))


def derived_number(text: str) -> int:
    """A stable positive id below 2**48 (safe in JavaScript) for records we key by strings."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16)
