"""Signing in to the console: by key and by password, the cookie's flags, CSRF, idle timeout, sign-out."""

import dataclasses
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import httpx

from api.app import create_app
from api.config import ApiConfig
from api.console.config import ConsoleConfig
from store import api_keys
from store import console as console_store
from store.api_keys import Role
from testkit.stack import ORGANIZER, api_context, eventually, seed
from tests.console.helpers import console_client, csrf, login, signed_in

PASSWORD = "correct horse battery staple"
BOOKFLOW = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "bookflow"


async def test_a_page_without_a_session_redirects_to_the_login_page(stack):
    async with console_client(stack.transport) as http:
        response = await http.get("/console/routing-forms?x=1")
        assert response.status_code == 303
        assert response.headers["location"] == "/console/login?next=%2Fconsole%2Frouting-forms%3Fx%3D1"
        assert (await http.get(response.headers["location"])).status_code == 200
        # A POST without a session is sent to sign in too, and changes nothing.
        assert (await http.post("/console/logout")).status_code == 303


async def test_sign_in_with_a_key_sets_a_private_cookie_and_shows_the_user(stack):
    async with console_client(stack.transport) as http:
        response = await login(http, api_key=stack.keys.owner, next="/console/routing-forms")
        assert response.status_code == 303
        assert response.headers["location"] == "/console/routing-forms"
        cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("bookflow_console="))
        flags = {part.strip().lower() for part in cookie.split(";")}
        assert "httponly" in flags and "samesite=lax" in flags and "path=/console" in flags
        assert "secure" not in flags  # plain http (a local dev stack): a Secure cookie would never come back
        home = await http.get("/console")
        assert home.status_code == 200
        assert "ada · owner" in home.text
        assert home.headers["cache-control"] == "no-store"


async def test_over_https_the_cookie_is_secure(stack):
    async with console_client(stack.transport, https=True) as http:
        response = await login(http, api_key=stack.keys.admin)
        cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("bookflow_console="))
        assert "secure" in {part.strip().lower() for part in cookie.split(";")}
        assert "admin · admin" in (await http.get("/console")).text


async def test_a_wrong_key_is_refused_and_no_session_is_made(stack):
    async with console_client(stack.transport) as http:
        response = await login(http, api_key="bf_live_not-a-key")
        assert response.status_code == 200  # the form again, with the error (a 4xx page is a console error)
        assert "api_key: this API key is not valid" in response.text
        assert "bookflow_console" not in http.cookies
        assert (await http.get("/console")).status_code == 303


async def test_an_open_redirect_after_sign_in_is_not_possible(stack):
    async with console_client(stack.transport) as http:
        response = await login(http, api_key=stack.keys.owner, next="https://evil.example/console")
        assert response.headers["location"] == "/console"


async def test_sign_in_needs_the_login_form_token(stack):
    async with console_client(stack.transport) as http:
        # A form posted from another site has no token from our login page (login CSRF).
        response = await http.post("/console/login", data={"api_key": stack.keys.owner, "login_token": "forged"})
        assert response.status_code == 403
        assert "login_token" in response.json()["error"]["message"]


async def test_sign_in_with_a_password_set_by_the_cli(stack, tmp_path):
    await seed(stack.db, users=[ORGANIZER])
    env = {"BOOKFLOW_DATABASE_URL": stack.db.url, "BOOKFLOW_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [str(BOOKFLOW), "users", "set-password", "ada", "--password-stdin"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    async with stack.db.sessions() as session:
        stored = await session.get(console_store.ConsoleAccountRow, ORGANIZER.id)
    assert stored is not None and stored.password_hash.startswith("scrypt$") and PASSWORD not in stored.password_hash
    async with console_client(stack.transport) as http:
        wrong = await login(http, username="ada", password="not the password")
        assert wrong.status_code == 200 and "bookflow_console" not in http.cookies
        assert "password: the username or password is wrong" in wrong.text
        unknown = await login(http, username="nobody", password=PASSWORD)
        assert unknown.status_code == 200 and "password: the username or password is wrong" in unknown.text
        right = await login(http, username="ada", password=PASSWORD)
        assert right.status_code == 303
        assert "ada · owner" in (await http.get("/console")).text


async def test_a_post_without_the_csrf_token_is_refused(stack):
    async with signed_in(stack, stack.keys.owner) as http:
        assert (await http.post("/console/logout", data={})).status_code == 403
        assert (await http.post("/console/logout", data={"csrf_token": "0" * 64})).status_code == 403
        assert (await http.get("/console")).status_code == 200  # still signed in
        token = await csrf(http)
        assert (await http.post("/console/logout", data={"csrf_token": token})).status_code == 303
        assert (await http.get("/console")).status_code == 303  # signed out: the session is gone


async def test_a_session_ends_when_its_key_is_revoked(stack):
    async with signed_in(stack, stack.keys.owner) as http:
        assert (await http.get("/console")).status_code == 200
        async with stack.db.transaction() as session:
            match = await api_keys.lookup(session, stack.keys.owner)
            await api_keys.revoke(session, datetime.now(UTC), key_id=match.key.id)
        assert (await http.get("/console")).status_code == 303


async def test_an_idle_session_ends_after_the_configured_minutes(stack):
    short = ApiConfig(console=ConsoleConfig(idle_minutes=0.02))  # 1.2 seconds
    ctx = dataclasses.replace(api_context(stack.client, stack.db, stack.task_queue), config=short)
    transport = httpx.ASGITransport(app=create_app(ctx))
    async with signed_in(stack, stack.keys.owner, transport) as http:
        assert (await http.get("/console")).status_code == 200
        signed_at = datetime.now(UTC)

        async def idle_for() -> float:  # the clock, not the page: every page view would keep the session alive
            return (datetime.now(UTC) - signed_at).total_seconds()

        await eventually(idle_for, lambda seconds: seconds > 1.5, timeout=10)
        ended = await http.get("/console")
        assert ended.status_code == 303
        assert "expired=1" in ended.headers["location"]
        assert "Your session ended" in (await http.get(ended.headers["location"])).text


async def test_a_password_session_acts_with_the_role_set_for_it(stack):
    await seed(stack.db, users=[ORGANIZER])
    async with stack.db.transaction() as session:
        await console_store.set_password(session, ORGANIZER.id, "ada", Role.ADMIN, PASSWORD, datetime.now(UTC))
    async with console_client(stack.transport) as http:
        assert (await login(http, username="ada", password=PASSWORD)).status_code == 303
        assert "ada · admin" in (await http.get("/console")).text


async def test_passwords_and_sessions_are_stored_hashed_on_both_databases(any_db):
    now = datetime.now(UTC)
    async with any_db.transaction() as session:
        await console_store.set_password(session, 7, "kim", Role.USER, PASSWORD, now)
        token = await console_store.open_session(session, 7, "kim", Role.USER, None, now)
    async with any_db.sessions() as session:
        assert await console_store.verify_login(session, "kim", PASSWORD) is not None
        assert await console_store.verify_login(session, "kim", PASSWORD + "!") is None
        found = await console_store.find_session(session, token)
        assert found is not None and found.username == "kim" and found.last_seen_at == now
        assert await session.get(console_store.ConsoleSessionRow, token) is None  # only its hash is a key
    async with any_db.transaction() as session:  # a new password ends the user's sessions
        await console_store.set_password(session, 7, "kim", Role.ADMIN, "another long password", now)
    async with any_db.sessions() as session:
        assert await console_store.find_session(session, token) is None
