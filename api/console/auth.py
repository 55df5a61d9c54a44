"""Signing in and out of the console, its home page and its own CSS/JS."""

import hmac
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from api.console import session as console_session
from api.console.deps import CurrentConsoleUser
from api.console.render import page, public_page, see_other
from api.context import ApiContext, Ctx
from api.errors import ApiError
from store import api_keys
from store import console as console_store
from store.api_keys import Role

router = APIRouter(prefix="/console", include_in_schema=False)

STATIC = Path(__file__).parent / "static"
ASSETS = {"console.css": "text/css", "console.js": "text/javascript", "favicon.svg": "image/svg+xml"}


def _safe_next(target: str | None) -> str:
    """Only a path inside the console (no open redirect to another site)."""
    if not target:
        return "/console"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/console") or target.startswith("//"):
        return "/console"
    return target


def _login_form(request: Request, error: str | None = None, next_path: str = "") -> HTMLResponse:
    token = console_session.new_login_token()
    expired = request.query_params.get("expired") == "1"
    response = public_page(
        "login.html",
        title="Sign in · Bookflow console",
        login_token=token,
        error=error,
        expired=expired and error is None,
        next_path=next_path or _safe_next(request.query_params.get("next")),
    )
    console_session.set_cookie(response, request, console_session.LOGIN_COOKIE, token)
    return response


@router.get("/login")
async def login_page(request: Request) -> HTMLResponse:
    """The sign-in form: paste an API key, or a username and password (bookflow users set-password)."""
    return _login_form(request)


async def _by_key(ctx: ApiContext, key: str, now: datetime) -> tuple[int, str, Role, int] | None:
    async with ctx.db.sessions() as session:
        match = await api_keys.lookup(session, key.strip())
    if match is None or match.key.refusal(now) is not None:
        return None
    return match.key.user_id, match.key.username, match.key.role, match.key.id


async def _by_password(ctx: ApiContext, username: str, password: str) -> tuple[int, str, Role, None] | None:
    async with ctx.db.sessions() as session:
        account = await console_store.verify_login(session, username.strip(), password)
    return (account.user_id, account.username, Role(account.role), None) if account else None


@router.post("/login", response_model=None)
async def login(
    request: Request,
    ctx: Ctx,
    login_token: Annotated[str, Form(max_length=100)] = "",
    api_key: Annotated[str, Form(max_length=200)] = "",
    username: Annotated[str, Form(max_length=255)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next_path: Annotated[str, Form(alias="next", max_length=2000)] = "",
) -> HTMLResponse | RedirectResponse:
    """Check the key or the password; on success open a session and go to ``next``."""
    expected = request.cookies.get(console_session.LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, login_token):
        raise ApiError(403, "login_token: missing or wrong; reload the sign-in page and try again")
    now = datetime.now(UTC)
    if api_key.strip():
        who = await _by_key(ctx, api_key, now)
        error = "api_key: this API key is not valid (unknown, revoked or expired)"
    elif username.strip() and password:
        who = await _by_password(ctx, username, password)
        error = "password: the username or password is wrong"
    else:
        who, error = None, "api_key: paste an API key, or give a username and password"
    if who is None:  # shown with 200: a browser logs a 4xx page as a console error; the message is on the page
        return _login_form(request, error, next_path=_safe_next(next_path))
    user_id, name, role, key_id = who
    async with ctx.db.transaction() as session:
        await console_store.close_idle(session, now - timedelta(minutes=ctx.config.console.idle_minutes))
        token = await console_store.open_session(session, user_id, name, role, key_id, now)
    response = see_other(_safe_next(next_path))
    console_session.set_cookie(response, request, console_session.COOKIE, token)
    console_session.clear_cookie(response, request, console_session.LOGIN_COOKIE)
    return response


@router.post("/logout")
async def logout(request: Request, ctx: Ctx, caller: CurrentConsoleUser) -> RedirectResponse:
    """End the session (its row is deleted: the cookie opens nothing any more)."""
    async with ctx.db.transaction() as session:
        await console_store.close_session(session, request.cookies.get(console_session.COOKIE, ""))
    response = see_other(console_session.LOGIN_PATH)
    console_session.clear_cookie(response, request, console_session.COOKIE)
    return response


@router.get("")
async def home(request: Request, caller: CurrentConsoleUser) -> HTMLResponse:
    """The console's start page: what the signed-in user may open."""
    return page(request, "home.html", caller, title="Bookflow console")


@router.get("/static/{asset}")
async def static(asset: str) -> FileResponse:
    """The console's own stylesheet and script (no third-party front-end code)."""
    if asset not in ASSETS:
        raise ApiError(404, f"asset {asset!r} not found")
    return FileResponse(STATIC / asset, media_type=ASSETS[asset], headers={"Cache-Control": "max-age=300"})
