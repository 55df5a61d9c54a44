"""The public pages: the hosted routing form, the booking page and a booking's own page (issue 19).

Server-rendered (Jinja2, autoescaped) with one small stylesheet and one small script that only enhances
(time zone detection); every form is a plain HTML form that works without JavaScript. Each page calls the
same functions as the API route it stands for (``POST /v2/routing-forms/{id}/responses``, ``GET
/v2/slots``, ``POST /v2/bookings``, cancel, reschedule), so a page can do nothing the API would refuse.
No cookie or session authorises anything here (a booking's unguessable uid and a routing response's one-time
token in the URL do, as on the API), so a cross-site form can do nothing a holder of the link could not:
plain POST forms need no CSRF token. The router is included last (``routes.py``), and its catch-all
``/{username}/{eventSlug}`` never takes a reserved first segment (``paths.py``).
"""
