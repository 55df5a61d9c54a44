"""Rendering console pages: one Jinja2 environment (autoescape on), the layout's nav, the signed-in user,
and links into the Temporal Web UI."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.access import Caller
from api.context import ApiContext
from api.html import template_environment

TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_TEMPORAL_UI = "http://127.0.0.1:8233"

ENV = template_environment(TEMPLATES)


@dataclass(frozen=True)
class NavItem:
    """A link in the console's navigation; ``admin_only`` links are hidden from owners (and refused)."""

    path: str
    label: str
    admin_only: bool = False


# One line per screen; a screen's routes still check access themselves (hiding a link is not refusing).
NAV: list[NavItem] = [
    NavItem("/console/routing-forms", "Routing forms"),
    NavItem("/console/webhooks", "Webhooks"),
    NavItem("/console/bookings", "Bookings"),
    NavItem("/console/failures", "Failures", admin_only=True),
    NavItem("/console/crm", "CRM", admin_only=True),
]


def nav_for(caller: Caller) -> list[NavItem]:
    """The links ``caller`` sees (an owner: none of the admin-only ones)."""
    return [item for item in NAV if caller.admin or not item.admin_only]


def page(request: Request, template: str, caller: Caller, status: int = 200, **values: Any) -> HTMLResponse:
    """A console page: ``template`` (extending layout.html) with the user, nav and CSRF token."""
    context = {
        "user": caller,
        "nav": nav_for(caller),
        "csrf_token": getattr(request.state, "console_csrf", ""),
        "current_path": request.url.path,
        "title": values.pop("title", "Bookflow console"),
    }
    html = ENV.get_template(template).render(context | values)
    return HTMLResponse(html, status_code=status, headers=NO_STORE)


def public_page(template: str, status: int = 200, **values: Any) -> HTMLResponse:
    """A page shown before sign-in (the login form)."""
    html = ENV.get_template(template).render({"user": None, "nav": [], "csrf_token": "", "current_path": ""} | values)
    return HTMLResponse(html, status_code=status, headers=NO_STORE)


def see_other(path: str) -> RedirectResponse:
    """After a successful POST: go to ``path`` (303, so a reload does not post again)."""
    return RedirectResponse(path, status_code=303, headers=NO_STORE)


def temporal_links(ctx: ApiContext, uid: str) -> tuple[str, str]:
    """Links to workflow ``uid`` (a booking's workflow id is its uid) and to every workflow of that booking,
    in the configured Temporal Web UI."""
    base = ctx.operations.temporal_ui_url if ctx.operations else DEFAULT_TEMPORAL_UI
    namespace = quote(ctx.temporal.namespace, safe="")
    search = quote(f'BookingUid="{uid}"', safe="")
    workflow = f"{base}/namespaces/{namespace}/workflows/{quote(uid, safe='')}"
    return workflow, f"{base}/namespaces/{namespace}/workflows?query={search}"


# Console pages show private data: never cached, never framed by another site.
NO_STORE = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "Referrer-Policy": "same-origin",
}
