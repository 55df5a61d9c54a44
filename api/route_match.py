"""Which route a request is for, found before FastAPI routes it (for the ASGI middlewares)."""

from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.routing import Match
from starlette.types import Scope


def matched_route(scope: Scope) -> tuple[Any, dict[str, Any]] | None:
    """The route (a FastAPI route context) that fully matches ``scope``, with its raw path parameters."""
    app = scope.get("app")
    if app is None:
        return None
    routes = getattr(app.state, "route_contexts", None)
    if routes is None:
        routes = app.state.route_contexts = list(iter_route_contexts(app.routes))
    for route in routes:
        match, child = route.matches(scope)
        if match is Match.FULL:
            return route, child.get("path_params", {})
    return None
