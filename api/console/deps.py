"""What a console handler depends on: who is signed in (the same ``Caller`` the API's key check gives),
and the worker-provided operations, whose refusals a page shows instead of failing."""

from collections.abc import Awaitable
from typing import Annotated, TypeVar

from fastapi import Depends, Request

from api.access import Caller, enforce
from api.console.session import LoginRequired
from api.context import ApiContext
from api.errors import ApiError
from api.operations import ConsoleOperations, Refused

T = TypeVar("T")
F = TypeVar("F")


async def _console_user(request: Request, caller: Annotated[Caller | None, Depends(enforce)]) -> Caller:
    if caller is None:  # only on a route whose rule is not CONSOLE (a mistake): never serve it anonymously
        raise LoginRequired(request.url.path)
    return caller


async def _console_admin(caller: Annotated[Caller, Depends(_console_user)]) -> Caller:
    if not caller.admin:
        raise ApiError(403, "this part of the console needs an admin")
    return caller


CurrentConsoleUser = Annotated[Caller, Depends(_console_user)]
ConsoleAdmin = Annotated[Caller, Depends(_console_admin)]


def operations(ctx: ApiContext) -> ConsoleOperations:
    """The worker-provided operations, or a 503 naming why (an app composed without them)."""
    if ctx.operations is None:
        raise ApiError(503, "this API process was started without the console's operations")
    return ctx.operations


async def attempt(action: Awaitable[T], fallback: F) -> tuple[T | F, str | None]:
    """``action``'s result and no refusal; or, when it raises ``Refused``, ``fallback`` and the refusal's
    sentence, which the page shows (Temporal unreachable, no reset point, ...) instead of failing."""
    try:
        return await action, None
    except Refused as refused:
        return fallback, str(refused)
