"""Cal.com's ``{VARIABLE}`` reminder syntax, translated to Jinja2 before compiling.

Cal.com replaces upper-case placeholders by string substitution and leaves unknown ones verbatim; we
translate each to a Jinja2 expression and refuse unknown ones with their line and column, so a typo is
caught when the rule is saved instead of reaching a customer as ``{EVENT_NAEM}``.
"""

import json
import re

# Plain variables: Cal.com name -> Jinja2 expression.
PLAIN = {
    "EVENT_NAME": "event_name",
    "EVENT_DATE": "event_date",
    "EVENT_TIME": "event_time",
    "START_TIME": "event_time",
    "EVENT_END_TIME": "event_end_time",
    "TIMEZONE": "timezone",
    "LOCATION": "location",
    "ORGANIZER": "organizer_name",
    "ORGANIZER_NAME": "organizer_name",
    "ORGANIZER_EMAIL": "organizer_email",
    "ATTENDEE": "attendee_name",
    "ATTENDEE_NAME": "attendee_name",
    "ATTENDEE_FIRST_NAME": "attendee_first_name",
    "ATTENDEE_LAST_NAME": "attendee_last_name",
    "ATTENDEE_EMAIL": "attendee_email",
    "ADDITIONAL_NOTES": "additional_notes",
    "MEETING_URL": "meeting_url",
    "CANCEL_URL": "cancel_url",
    "RESCHEDULE_URL": "reschedule_url",
    "RATING_URL": "rating_url",
    "NO_SHOW_URL": "no_show_url",
    "CANCELLATION_REASON": "cancellation_reason",
    "CONFIRMATION_REASON": "confirmation_reason",  # Bookflow's: the reason given when the organizer confirmed
    "RESCHEDULE_REASON": "reschedule_reason",
    "ATTENDEE_TIMEZONE": "attendee_timezone",
    "EVENT_START_TIME_IN_ATTENDEE_TIMEZONE": "event_start_time_in_attendee_timezone",
    "EVENT_END_TIME_IN_ATTENDEE_TIMEZONE": "event_end_time_in_attendee_timezone",
}

# Variables that take a dayjs format suffix ({EVENT_DATE_ddd, MMM D}): name -> the datetime formatted.
FORMATTED = {
    "EVENT_DATE": "event_start",
    "EVENT_TIME": "event_start",
    "START_TIME": "event_start",
    "EVENT_END_TIME": "event_end",
    "EVENT_START_TIME_IN_ATTENDEE_TIMEZONE": "event_start_in_attendee_timezone",
    "EVENT_END_TIME_IN_ATTENDEE_TIMEZONE": "event_end_in_attendee_timezone",
}

# A single-brace placeholder: not part of Jinja2's {{ }} / {% %} / {# #}.
PLACEHOLDER = re.compile(r"(?<![{%#])\{(?![{%#])([^{}\n]*)\}(?!\})")
UPPER_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


class TemplateProblem(Exception):
    """A template that cannot be used; ``line``/``column`` are 1-based positions in the source."""

    def __init__(self, message: str, line: int, column: int | None = None) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


def _position(source: str, offset: int) -> tuple[int, int]:
    line = source.count("\n", 0, offset) + 1
    return line, offset - (source.rfind("\n", 0, offset) + 1) + 1


def _expression(inner: str) -> str | None:
    """The Jinja2 expression for a placeholder body, or None if it names no known variable."""
    name = inner.removesuffix("_VARIABLE")
    if name in PLAIN:
        return PLAIN[name]
    # Longest prefix first: EVENT_END_TIME_… must not be read as EVENT_… with a format.
    for prefix in sorted(FORMATTED, key=len, reverse=True):
        if inner.startswith(prefix + "_") and len(inner) > len(prefix) + 1:
            return f"{FORMATTED[prefix]}|dayjs({json.dumps(inner[len(prefix) + 1 :])})"
    return None


def translate(source: str) -> str:
    """``source`` with every Cal.com placeholder turned into ``{{ … }}``; Jinja2 syntax passes through.

    Braces that do not start with an upper-case name (CSS in an HTML body, say) are left alone.
    Raises TemplateProblem for an upper-case placeholder that names no variable.
    """

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1)
        if not UPPER_NAME.match(inner):
            return match.group(0)
        expression = _expression(inner)
        if expression is None:
            line, column = _position(source, match.start())
            raise TemplateProblem(f"unknown variable {{{inner}}}", line, column)
        return "{{ " + expression + " }}"

    return PLACEHOLDER.sub(replace, source)
