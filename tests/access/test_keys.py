"""API keys: random, stored only as a peppered hash, refused once revoked or expired, rotated with the secret."""

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from typer.testing import CliRunner

from store import api_keys
from store.api_keys import KEY_PREFIX, ApiKeyRow, Role
from store.db import Database
from store.secrets import SecretKeys
from testkit.access import TEST_SECRET_KEYS
from testkit.stack import ORGANIZER, seed
from worker.cli import app as cli
from worker.cli.keys_cmd import DEV_KEYS_FILE, ensure_dev_keys
from worker.settings.secret_key import generate_secret_key

NEW_SECRET = SecretKeys(current="a-brand-new-secret-key-after-rotation-0001", old=[TEST_SECRET_KEYS.current])


async def _issue(db: Database, role: Role = Role.USER, expires_at: datetime | None = None, name: str = "k") -> str:
    async with db.transaction() as session:
        _, key = await api_keys.create(session, 1, "ada", name, role, datetime.now(UTC), expires_at)
    return key.get_secret_value()


async def _raw_rows(db: Database) -> list[dict]:
    async with db.sessions() as session:
        return [dict(r._mapping) for r in await session.execute(select(ApiKeyRow.__table__))]


async def test_a_key_is_random_prefixed_and_stored_only_as_a_peppered_hash(any_db):
    first, second = await _issue(any_db, name="a"), await _issue(any_db, name="b")
    assert first.startswith(KEY_PREFIX) and first != second
    assert len(first.removeprefix(KEY_PREFIX)) * 6 >= 160  # url-safe base64: 6 bits a character
    rows = await _raw_rows(any_db)
    stored = " ".join(str(v) for row in rows for v in row.values())
    assert first not in stored and second not in stored
    assert rows[0]["prefix"] == first[: len(KEY_PREFIX) + 4]
    # The hash needs the pepper: the same database opened with another secret key finds nothing.
    other = Database(any_db.url, SecretKeys(current="an-entirely-different-secret-key-9876543210"))
    async with other.sessions() as session:
        assert await api_keys.lookup(session, first) is None
    await other.dispose()


async def test_the_api_answers_401_for_no_unknown_revoked_or_expired_keys(stack):
    async with stack.as_(None) as anonymous:
        missing = await anonymous.get("/v2/event-types")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == "Bearer"
    assert missing.json() == {
        "status": "error",
        "error": {"code": "UNAUTHORIZED", "message": missing.json()["error"]["message"]},
    }
    assert "Authorization" in missing.json()["error"]["message"]
    revoked = await _issue(stack.db, name="to-revoke")
    expired = await _issue(stack.db, name="old", expires_at=datetime.now(UTC) - timedelta(seconds=1))
    async with stack.db.transaction() as session:
        (gone,) = await api_keys.revoke(session, datetime.now(UTC), user_id=1, name="to-revoke")
    assert gone.revoked_at is not None
    copied_hash = (await _raw_rows(stack.db))[0]["digest"]
    for key, reason in (
        (revoked, "revoked"),
        (expired, "expired"),
        (KEY_PREFIX + "x" * 40, "not valid"),
        (copied_hash, "not valid"),  # a hash read from a copy of the database opens nothing
    ):
        async with stack.as_(key) as http:
            refused = await http.get("/v2/event-types")
            on_public = await http.get("/v2/bookings/nope")  # a bad key is refused on public routes too
        assert refused.status_code == 401 and reason in refused.json()["error"]["message"], (key, refused.text)
        assert on_public.status_code == 401
    async with stack.as_(None) as anonymous:
        not_bearer = await anonymous.get("/v2/event-types", headers={"Authorization": "Basic YWRhOnB3"})
    assert not_bearer.status_code == 401 and "Bearer" in not_bearer.json()["error"]["message"]


async def test_a_use_is_recorded_as_last_used(stack):
    key = await _issue(stack.db, name="used")
    async with stack.as_(key) as http:
        assert (await http.get("/v2/event-types")).status_code == 200
    async with stack.db.sessions() as session:
        (used,) = [k for k in await api_keys.list_keys(session, 1) if k.name == "used"]
    assert used.last_used_at is not None


async def test_after_rotating_the_secret_key_a_key_still_works_and_moves_to_the_new_pepper(sqlite_db):
    key = await _issue(sqlite_db)
    rotated = Database(sqlite_db.url, NEW_SECRET)
    async with rotated.sessions() as session:
        match = await api_keys.lookup(session, key)
    assert match is not None and match.rehash
    async with rotated.transaction() as session:
        await api_keys.touch(session, match.key.id, key, datetime.now(UTC))
    await rotated.dispose()
    retired = Database(sqlite_db.url, SecretKeys(current=NEW_SECRET.current))  # the old key is gone
    async with retired.sessions() as session:
        again = await api_keys.lookup(session, key)
    await retired.dispose()
    assert again is not None and not again.rehash


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


async def test_the_cli_creates_lists_and_revokes_keys(tmp_path):
    data = ["--data-dir", str(tmp_path)]
    secret = SecretKeys(current=generate_secret_key(tmp_path))  # as `bookflow dev` leaves the data dir
    db = Database(f"sqlite:///{(tmp_path / 'bookflow.db').resolve()}", secret)
    await db.migrate()
    await seed(db)
    code, out = await asyncio.to_thread(_cli, "keys", "create", "--user", ORGANIZER.username, "--name", "laptop", *data)
    assert code == 0, out
    key = out.strip().splitlines()[-1]
    assert key.startswith(KEY_PREFIX)
    async with db.sessions() as session:
        assert (await api_keys.lookup(session, key)).key.refusal(datetime.now(UTC)) is None
    code, listed = await asyncio.to_thread(_cli, "keys", "list", "--user", "ada", "--json", *data)
    assert code == 0, listed
    assert key not in listed and '"name": "laptop"' in listed and '"prefix": "' + key[:12] in listed
    code, out = await asyncio.to_thread(_cli, "keys", "create", "--user", "ada", "--name", "laptop", *data)
    assert code == 2 and "already has an active key named 'laptop'" in out
    code, out = await asyncio.to_thread(_cli, "keys", "create", "--user", "nobody", *data)
    assert code == 2 and "--user: no user 'nobody'" in out
    code, out = await asyncio.to_thread(_cli, "keys", "revoke", "--user", "ada", "--name", "laptop", *data)
    assert code == 0 and "revoked key" in out
    async with db.sessions() as session:
        assert (await api_keys.lookup(session, key)).key.refusal(datetime.now(UTC)) == "the API key was revoked"
    await db.dispose()


async def test_dev_keys_are_made_once_for_the_first_user_and_an_admin(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'bookflow.db'}", TEST_SECRET_KEYS)
    await db.migrate()
    await seed(db)
    path = await ensure_dev_keys(db, tmp_path)
    assert path == tmp_path / DEV_KEYS_FILE and path.stat().st_mode & 0o777 == 0o600
    values = dict(line.split("=", 1) for line in path.read_text().splitlines() if not line.startswith("#"))
    async with db.sessions() as session:
        owner = await api_keys.lookup(session, values["BOOKFLOW_KEY"])
        admin = await api_keys.lookup(session, values["BOOKFLOW_ADMIN_KEY"])
    assert (owner.key.username, owner.key.role, admin.key.role) == (ORGANIZER.username, Role.USER, Role.ADMIN)
    assert await ensure_dev_keys(db, tmp_path) == path  # a second start keeps them
    async with db.sessions() as session:
        assert len(await api_keys.list_keys(session)) == 2
    # Expiry is checked at every request, not only at creation.
    async with db.transaction() as session:
        await session.execute(update(ApiKeyRow).values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    async with db.sessions() as session:
        expired = await api_keys.lookup(session, values["BOOKFLOW_KEY"])
    assert expired.key.refusal(datetime.now(UTC)) == "the API key has expired"
    await db.dispose()
