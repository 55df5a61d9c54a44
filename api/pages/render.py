"""Rendering the public pages: one Jinja2 environment (autoescape on), the error page, field messages."""

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import FormData

from api.html import template_environment

TEMPLATES = Path(__file__).parent / "templates"
ENV = template_environment(TEMPLATES)


def _day(moment: date) -> str:
    """'Thursday, 3 December 2026'."""
    return f"{moment:%A}, {moment.day} {moment:%B %Y}"


def _clock(moment: datetime) -> str:
    """'09:30' (24-hour: no locale guess)."""
    return f"{moment:%H:%M}"


def _picked(value: Any, option: str) -> bool:
    """Whether an answer (one value or a list) holds ``option``: for checked boxes and selected options."""
    return option in value if isinstance(value, list) else value == option


def _sentence(text: str) -> str:
    """A message from the rules ('cancelling is disabled …') as a sentence."""
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


ENV.filters.update(day=_day, clock=_clock, sentence=_sentence)
ENV.globals.update(picked=_picked, weekdays=[calendar.day_name[i] for i in range(7)])
# Pages show one visitor's data (a booking, a form's answers): never kept by a shared cache.
NO_STORE = {"Cache-Control": "no-store"}
TITLES = {
    400: "Please check your answers",
    403: "Not allowed",
    404: "Not found",
    409: "That did not work",
    413: "That is too much to send",
    429: "Too many requests",
    503: "Please try again",
}


def page(template: str, status: int = 200, **values: Any) -> HTMLResponse:
    """``template`` (extending layout.html) rendered with ``values``."""
    return HTMLResponse(ENV.get_template(template).render(values), status_code=status, headers=NO_STORE)


def error_page(status: int, message: str) -> HTMLResponse:
    """A page saying what went wrong, with the status the API gives for the same thing."""
    title = TITLES.get(status, "Something went wrong")
    return page("error.html", status=status, title=title, message=message)


def see_other(url: str) -> RedirectResponse:
    """After a POST: go to ``url`` with a GET (a reload does not post twice)."""
    return RedirectResponse(url, status_code=303)


@dataclass(frozen=True)
class Question:
    """One labelled control of a page's form (templates/_fields.html draws it).

    ``key`` names its value and its problem in the page's dicts and is the control's ``name``; ``kind`` is
    text, textarea, email, phone, number, url, select, radio, multi (a box per option) or boolean (one box).
    """

    key: str
    html_id: str
    kind: str
    label: str
    required: bool = False
    options: tuple[tuple[str, str], ...] = ()  # (value, label)
    placeholder: str = ""
    autocomplete: str = ""

    @property
    def anchor(self) -> str:
        """The id of its first focusable control (what the summary of problems links to)."""
        return f"{self.html_id}-1" if self.kind in ("radio", "multi") else self.html_id


def posted_values(questions: list[Question], posted: FormData) -> dict[str, Any]:
    """What the visitor sent, by question, to show it again beside the problems."""
    return {q.key: posted.getlist(q.key) if q.kind == "multi" else posted.get(q.key) for q in questions}


_FIELD = re.compile(r"^[\w.\[\]-]+$")


def place(message: str, aliases: Mapping[str, str]) -> dict[str, str]:
    """An API message ('attendee.email: not valid; start: in the past') split by the field it names and
    placed on the question ``aliases`` maps that field to; what names no question goes under ``""``."""
    problems: dict[str, str] = {}
    general: list[str] = []
    for part in message.split("; "):
        name, sep, text = part.partition(": ")
        if sep and _FIELD.match(name) and name in aliases:
            problems.setdefault(aliases[name], text)
        else:
            general.append(part)
    return problems | ({"": "; ".join(general)} if general else {})
