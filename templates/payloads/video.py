"""The video-conferencing fields of a booking whose location is a conferencing app."""

from typing import Any

from domain.booking import Booking
from templates.payloads.ids import derived_uuid


def _video_app(booking: Booking) -> str | None:
    """The conferencing app of an ``integrations:<app>`` location (Cal Video is ``daily``)."""
    location = booking.location or ""
    return location.removeprefix("integrations:").split(":")[0] if location.startswith("integrations:") else None


def _video_url(booking: Booking, booker_url: str) -> str:
    return booking.metadata.get("videoCallUrl") or f"{booker_url}/video/{booking.uid}"


def video_fields(booking: Booking, booker_url: str) -> dict[str, Any]:
    """``conferenceData``, ``videoCallData`` and ``appsStatus``; empty when no conferencing app is used."""
    app = _video_app(booking)
    if app is None:
        return {}
    kind = f"{app}_video"
    return {
        "conferenceData": {"createRequest": {"requestId": derived_uuid(booking, "conference")}},
        "videoCallData": {"type": kind, "id": booking.uid, "password": "", "url": _video_url(booking, booker_url)},
        "appsStatus": [_app_status(kind, app)],
    }


def _app_status(kind: str, app: str) -> dict[str, Any]:
    return {"appName": "Cal Video" if app == "daily" else app, "type": kind, "success": 1, "failures": 0, "errors": []}


def video_metadata(booking: Booking, booker_url: str) -> dict[str, Any]:
    """The booking's metadata, with the ``videoCallUrl`` when a conferencing app is used."""
    if _video_app(booking) is None:
        return dict(booking.metadata)
    return dict(booking.metadata) | {"videoCallUrl": _video_url(booking, booker_url)}
