"""Which first path segments the catch-all booking page ``/{username}/{eventSlug}`` never takes.

The page routes are included last, and the ``username`` segment is matched by a path convertor that
refuses the API's and the console's first segments: ``POST /v2/slots`` stays a 405 and ``/v2/nowhere``
a 404 from the API, never a booking page.
"""

import re

from starlette.convertors import CONVERTOR_TYPES, StringConvertor

# Every first segment another part of the app serves (tests/pages checks the app has no other), and the
# pages' own literal ones.
RESERVED = frozenset(
    {
        "v2",
        "health",
        "ready",
        "metrics",
        "docs",
        "redoc",
        "openapi.json",
        "console",
        "forms",
        "booking",
        "reschedule",
        "pages",
        "api",
        "static",
    }
)


class PageUsername(StringConvertor):
    """A path segment that is not one of ``RESERVED``."""

    regex = "(?!(?:" + "|".join(re.escape(r) for r in sorted(RESERVED)) + ")/)[^/]+"


# Registered by name; the booking page's path says it.
CONVERTOR_TYPES["page_username"] = PageUsername()
BOOKING_PAGE = "/{username:page_username}/{event_slug}"
