"""429 and 413 on a page route as a page (ASGI middleware, outermost): a browser gets HTML, an API client JSON.

The rate limiter and the body limit answer before any route runs, in the API's JSON envelope. On a route of
this package, when the request accepts ``text/html``, that answer is redrawn as the error page with the same
status, message and headers (``Retry-After`` stays); everything else passes through untouched.
"""

import json

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.pages.render import error_page
from api.route_match import matched_route

REDRAWN = frozenset({413, 429})


def _wants_page(scope: Scope) -> bool:
    """A browser (``Accept`` names text/html) asking for one of the pages' routes."""
    if "text/html" not in Headers(scope=scope).get("accept", ""):
        return False
    found = matched_route(scope)
    endpoint = found[0].endpoint if found is not None else None
    return endpoint is not None and endpoint.__module__.startswith(f"{__package__}.")


class HtmlErrors:
    """Redraws the API's 413 and 429 envelopes as pages for browsers on page routes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _wants_page(scope):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body: list[bytes] = []

        async def redraw(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start" and message["status"] in REDRAWN:
                start = message  # held until the envelope's body is read
                return
            if start is None:
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await _send_page(start, b"".join(body), scope, receive, send)

        await self.app(scope, receive, redraw)


async def _send_page(start: Message, envelope: bytes, scope: Scope, receive: Receive, send: Send) -> None:
    status = start["status"]
    try:
        message = str(json.loads(envelope)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        message = "the request was refused"
    page = error_page(status, message)
    kept = MutableHeaders(raw=list(start["headers"]))
    for name in ("content-type", "content-length"):
        del kept[name]
    page.headers.update({k: v for k, v in kept.items() if k not in page.headers})
    await page(scope, receive, send)
