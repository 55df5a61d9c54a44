"""Console sign-in: a session cookie (HttpOnly, SameSite=Lax, Secure over https), CSRF tokens, idle timeout.

The cookie holds a random session token; the store keeps its hash (store/console.py). A session made
by pasting an API key remembers the key and stops working the moment the key is revoked or expires.
Every POST must carry the session's CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``),
derived from the session token, so a page on another site cannot forge one. The login form, before any
session exists, uses a double-submit cookie instead.

This module does not import ``api.access`` (which calls ``console_session`` for CONSOLE routes).
"""

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from api.context import ApiContext
from api.errors import ApiError
from store import api_keys
from store import console as console_store
from store.console import ConsoleSession

COOKIE = "bookflow_console"
LOGIN_COOKIE = "bookflow_console_login"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
LOGIN_PATH = "/console/login"
# Writing last-seen on every page view would make each a write; this is precise enough for an idle timeout.
TOUCH_EVERY = timedelta(seconds=15)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    """No valid console session: the browser is sent to the login page (and back to ``next`` after)."""

    def __init__(self, next_path: str, reason: str = "") -> None:
        super().__init__(reason or "sign in to the console")
        self.next_path, self.reason = next_path, reason


def csrf_token(session_token: str) -> str:
    """The CSRF token of a session: only the holder of the session cookie can know it."""
    return hmac.new(session_token.encode(), b"bookflow-console-csrf", hashlib.sha256).hexdigest()


def is_https(request: Request) -> bool:
    """Whether the browser reached us over https (then cookies are Secure)."""
    return request.url.scheme == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, path: str = "/console") -> None:
    """A console cookie: HttpOnly (no script reads it), SameSite=Lax, Secure when served over https."""
    response.set_cookie(name, value, path=path, httponly=True, samesite="lax", secure=is_https(request))


def clear_cookie(response: Response, request: Request, name: str) -> None:
    """Delete a console cookie (with the attributes it was set with, so the browser matches it)."""
    response.delete_cookie(name, path="/console", httponly=True, samesite="lax", secure=is_https(request))


async def sent_csrf(request: Request) -> str | None:
    """The CSRF token a POST carries, from its header or its form."""
    if token := request.headers.get(CSRF_HEADER):
        return token
    if request.headers.get("content-type", "").startswith(("application/x-www-form-urlencoded", "multipart/")):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


async def _key_still_valid(ctx: ApiContext, found: ConsoleSession, now: datetime) -> bool:
    if found.key_id is None:
        return True
    async with ctx.db.sessions() as session:
        keys = await api_keys.list_keys(session, found.user_id)
    key = next((k for k in keys if k.id == found.key_id), None)
    return key is not None and key.refusal(now) is None


def _next_path(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


async def console_session(request: Request) -> ConsoleSession:
    """The signed-in console user of this request; else ``LoginRequired``; a POST without its CSRF token → 403."""
    ctx: ApiContext = request.app.state.context
    token = request.cookies.get(COOKIE)
    if not token:
        raise LoginRequired(_next_path(request))
    now = datetime.now(UTC)
    async with ctx.db.sessions() as session:
        found = await console_store.find_session(session, token)
    idle = timedelta(minutes=ctx.config.console.idle_minutes)
    if found is None or now - found.last_seen_at > idle or not await _key_still_valid(ctx, found, now):
        if found is not None:
            async with ctx.db.transaction() as session:
                await console_store.close_session(session, token)
        raise LoginRequired(_next_path(request), "your session ended; sign in again")
    if request.method not in SAFE_METHODS:
        sent = await sent_csrf(request)
        if sent is None or not hmac.compare_digest(sent, csrf_token(token)):
            raise ApiError(403, f"{CSRF_FIELD}: missing or wrong; reload the page and try again")
    if now - found.last_seen_at >= min(TOUCH_EVERY, idle / 4):
        async with ctx.db.transaction() as session:
            await console_store.touch_session(session, token, now)
    request.state.console_csrf = csrf_token(token)
    return found


def login_redirect(error: LoginRequired) -> RedirectResponse:
    """Where ``LoginRequired`` sends the browser: the login page, which comes back to the page asked for."""
    target = f"{LOGIN_PATH}?next={quote(error.next_path, safe='')}"
    if error.reason:
        target += "&expired=1"
    return RedirectResponse(target, status_code=303)


def new_login_token() -> str:
    """A fresh token for the login form's double-submit cookie."""
    return secrets.token_urlsafe(24)
