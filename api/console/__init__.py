"""The admin console at ``/console``: server-rendered pages (Jinja2, autoescaped) over the API's own rules.

How to add a screen (e.g. webhooks):

1. A module ``api/console/<screen>.py`` with ``router = APIRouter(prefix="/console/<screen>",
   include_in_schema=False)``; include it in ``api/console/routes.py`` (``router.include_router(...)``).
2. Every route gets a rule in ``api/access_rules.py``: ``CONSOLE`` (needs a signed-in session; POSTs need
   the CSRF token). Without a session a page redirects to ``/console/login?next=…``; a POST with a
   missing or wrong CSRF token gets 403.
3. Handlers take ``caller: CurrentConsoleUser`` (``api.console.deps``) — the same ``api.access.Caller``
   a key gives (role owner or admin) — or ``ConsoleAdmin`` for admin-only parts (403 for an owner).
   Scope exactly as the API does: reuse the API's own functions (``owns_*``, ``booking_party``, the
   router functions themselves) so an owner sees only their own and another's resource is a 404.
   The worker's operations are ``deps.operations(ctx)``; ``deps.attempt(...)`` turns their ``Refused`` into
   a sentence the page shows.
4. Render with ``api.console.render.page(request, "<screen>.html", caller, title=..., **values)``;
   templates live in ``api/console/templates/`` and start with ``{% extends "layout.html" %}`` and
   ``{% block content %}``. Every ``<form method="post">`` carries
   ``<input type="hidden" name="csrf_token" value="{{ csrf_token }}">``; ``fetch`` calls send the token as
   the ``X-CSRF-Token`` header (``document.querySelector('meta[name=csrf-token]')`` is not used: read it
   from a form's hidden field). After a successful POST answer ``render.see_other(path)`` (303).
5. Add the screen's link to ``render.NAV`` (``NavItem(path, label, admin_only=True)`` hides it from
   owners — and the routes must still refuse them, via ``ConsoleAdmin``).
6. CSS and JS are our own, in ``api/console/static/`` (``console.css``, ``console.js``, served at
   ``/console/static/<name>``; list a new file in ``auth.ASSETS``). The pages' Content-Security-Policy
   allows no inline script or style: pass data to scripts in ``<script type="application/json">``.

Sign-in (``session.py``): paste an API key (the session ends when the key is revoked) or a username and
password set with ``bookflow users set-password``; the cookie is HttpOnly, SameSite=Lax, Secure over https;
sessions end after ``BOOKFLOW_CONSOLE_IDLE_MINUTES`` without a request (``ApiConfig.console``).

Tests: ``tests/console/helpers.py`` signs in over HTTP (``signed_in(stack, key)``) and reads the CSRF token.
"""
