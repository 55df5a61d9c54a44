"""Rendering one reminder step for one recipient: subject, plain text, HTML and the optional invite."""

import html as html_lib
import re
from dataclasses import dataclass
from datetime import datetime

from jinja2 import Template

from domain.booking import Attendee, Booking, BookingStatus
from domain.reminder_plan import Recipient, SeatChange, attendee_at
from domain.reminders import Channel, ReminderStep, TemplateKind
from templates.calcom import TemplateProblem
from templates.ics import calendar_invite
from templates.sample import KNOWN
from templates.sandbox import compile_user_template, default_template, render
from templates.variables import Links, context_for

# The default templates of a notice to the organizer that a seat was taken, moved or given up.
SEAT_NOTICE = "seat"
# Twilio refuses bodies over 1,600 characters.
SMS_LIMIT = 1600


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str | None = None
    ics: str | None = None
    ics_method: str = "REQUEST"


def _default_kind(step: ReminderStep) -> str:
    return TemplateKind.REMINDER.value if step.template is TemplateKind.CUSTOM else step.template.value


def html_to_text(markup: str) -> str:
    """A readable plain-text part for an HTML-only custom body (links keep their targets)."""
    text = re.sub(r"(?is)<(script|style)\b.*?</\1>", "", markup)
    text = re.sub(r'(?is)<a\b[^>]*href="([^"]*)"[^>]*>(.*?)</a>', r"\2 (\1)", text)
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>|</h\d>", "\n", text)
    text = html_lib.unescape(re.sub(r"<[^>]+>", "", text))
    return "\n".join(line.strip() for line in text.splitlines()).strip() + "\n"


@dataclass(frozen=True)
class StepTemplates:
    """The compiled templates of one step (user parts where given, defaults otherwise)."""

    subject: Template
    text: Template | None
    html: Template | None

    @classmethod
    def of(cls, step: ReminderStep, kind: str | None = None) -> "StepTemplates":
        """``step``'s templates; ``kind`` replaces its default templates (the parts it writes itself stay)."""
        kind = kind or _default_kind(step)
        message = step.message
        subject = (
            compile_user_template(message.subject, False, KNOWN)
            if message.subject
            else default_template(f"{kind}.subject.j2", False)
        )
        if step.action.channel is Channel.SMS:
            text = compile_user_template(message.text, False, KNOWN) if message.text else None
            return cls(subject, text or default_template(f"{kind}.sms.j2", False), None)
        html = compile_user_template(message.html, True, KNOWN) if message.html else None
        text = compile_user_template(message.text, False, KNOWN) if message.text else None
        if html is None:
            html = default_template(f"{kind}.html.j2", True)
            text = text or default_template(f"{kind}.txt.j2", False)
        return cls(subject, text, html)


def _invite(booking: Booking, recipient: Recipient, seat: SeatChange | None) -> tuple[list[Attendee] | None, bool]:
    """Who the recipient's invite lists, and whether it cancels the meeting for them.

    The organizer sees everyone. On a seated booking whose event type hides attendees, a seat holder sees
    only themselves (Cal.com's ``seatsShowAttendees`` off); a seat given up is a CANCEL for its holder alone.
    """
    cancelled = booking.status in (BookingStatus.CANCELLED, BookingStatus.REJECTED)
    if recipient.role != "attendee":
        return None, cancelled
    if seat is not None and seat.change == "cancelled":
        return [seat.attendee], True
    seats = booking.event_type.seats
    if seats is not None and not seats.show_attendee_info:
        own = seat.attendee if seat is not None else attendee_at(booking, recipient)
        return [own] if own is not None else [], cancelled
    return None, cancelled


def render_step(
    step: ReminderStep,
    booking: Booking,
    recipient: Recipient,
    links: Links,
    now: datetime,
    seat: SeatChange | None = None,
) -> RenderedMessage:
    """The message ``step`` sends to ``recipient`` about ``booking`` (about one of its seats when ``seat`` is
    given); TemplateProblem if it cannot render."""
    # The organizer (or a fixed address) hears of a seat's change in a notice of its own, unless the step
    # words its message itself; the seat's holder gets the step's message as for a booking of their own.
    notice = seat is not None and recipient.role != "attendee"
    templates = StepTemplates.of(step, SEAT_NOTICE if notice else None)
    context = context_for(booking, recipient, links, seat)
    subject = " ".join(render(templates.subject, context).split())
    html = render(templates.html, context) if templates.html else None
    text = render(templates.text, context) if templates.text else html_to_text(html or "")
    if step.action.channel is Channel.SMS:
        text = text.strip()
        if len(text) > SMS_LIMIT:
            raise TemplateProblem(f"the SMS is {len(text)} characters; the limit is {SMS_LIMIT}", 1)
    attendees, cancelled = _invite(booking, recipient, seat)
    ics = calendar_invite(booking, now, attendees, cancelled) if step.include_calendar_event else None
    method = "CANCEL" if cancelled else "REQUEST"
    return RenderedMessage(subject=subject, text=text, html=html, ics=ics, ics_method=method)
