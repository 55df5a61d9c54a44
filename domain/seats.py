"""Seated bookings: one booking per time slot, a seat (``seatUid``) per attendee, as Cal.com's BookingSeat.

The first booker of a slot creates the booking; later bookers of the same slot are added to it as seats
until ``seatsPerTimeSlot`` is reached. The booking's workflow adds and removes seats, one change at a
time, so two bookers never both take its last seat.
"""

from datetime import datetime

from domain.base import CamelModel
from domain.booking import Attendee, Booking, PreviousSlot
from domain.lifecycle import OPEN_STATUSES, TransitionRefused


class AddSeatInput(CamelModel):
    """A booker taking a seat in the slot's booking; ``attendee.seat_uid`` is the new seat's uid."""

    attendee: Attendee
    # A seat moved here from another slot's booking (a seat reschedule): where it was, so the seat's event is
    # BOOKING_RESCHEDULED naming it, as Cal.com sends for a moved seat (None: a new booker, BOOKING_CREATED).
    previous: PreviousSlot | None = None


class CancelSeatInput(CamelModel):
    """An attendee giving up their seat (Cal.com's CancelSeatedBookingInput_2024_08_13)."""

    seat_uid: str
    cancellation_reason: str | None = None
    # The seat moved to another slot's booking (a seat reschedule): it leaves this one without a cancellation.
    moved: bool = False


class SeatsFull(TransitionRefused):
    """Every seat of the slot's booking is taken."""


def capacity(booking: Booking) -> int:
    """The booking's number of seats (1 for a booking of an event type without seats)."""
    seats = booking.event_type.seats
    return seats.seats_per_time_slot if seats is not None else 1


def full_message(booking: Booking) -> str:
    """Why a booker cannot have a seat: names the booking, its slot and its capacity."""
    stamp = booking.start.isoformat().replace("+00:00", "Z")
    return (
        f"start: booking {booking.uid} of event type {booking.event_type.id} at {stamp} has no more seats left "
        f"({capacity(booking)} of {capacity(booking)} taken)"
    )


def check_add_seat(booking: Booking, now: datetime) -> None:
    """A seat can be added to a live, future seated booking that has one left."""
    if booking.event_type.seats is None:
        raise TransitionRefused("seats: this booking's event type has no seats")
    if booking.status not in OPEN_STATUSES:
        raise TransitionRefused(f"the booking is {booking.status.api}; its seats can no longer be taken")
    if booking.start <= now:
        raise TransitionRefused("the booking has started; its seats can no longer be taken")
    if len(booking.attendees) >= capacity(booking):
        raise SeatsFull(full_message(booking))


def seat(booking: Booking, seat_uid: str) -> Attendee | None:
    """The attendee holding seat ``seat_uid`` of ``booking``, if any."""
    return next((a for a in booking.attendees if a.seat_uid == seat_uid), None)


def check_cancel_seat(booking: Booking, seat_uid: str) -> None:
    """A seat can be given up while its booking is live; an unknown seat is named."""
    if booking.event_type.seats is None:
        raise TransitionRefused("seatUid: this booking's event type has no seats")
    if booking.event_type.disable_cancelling:
        raise TransitionRefused("cancelling is disabled for this event type")
    if booking.status not in OPEN_STATUSES:
        raise TransitionRefused(f"the booking is already {booking.status.api}")
    if seat(booking, seat_uid) is None:
        raise TransitionRefused(f"seatUid: booking {booking.uid} has no seat {seat_uid}")
