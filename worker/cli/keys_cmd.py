"""`bookflow keys create|list|revoke`: API keys, shown once when created, stored only as keyed hashes.

Also the dev stack's first-start keys: one for the first user and an admin key, written to
``<data dir>/dev-keys`` (readable by its owner only) for the README's tour.
"""

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from pydantic import SecretStr

from domain.config import User
from store import api_keys
from store import config as config_store
from store.api_keys import ApiKey, KeyNameTaken, Role
from store.db import Database
from worker.cli.common import DataDir, fail, settings, with_database

app = typer.Typer(help="API keys: create (the key is shown once), list, revoke.", no_args_is_help=True)

DEV_KEYS_FILE = "dev-keys"

UserOption = Annotated[str, typer.Option("--user", help="The username the key acts as.")]


async def _user(db: Database, username: str) -> User:
    async with db.sessions() as session:
        users = await config_store.list_users(session)
    found = next((u for u in users if u.username == username), None)
    if found is None:
        known = ", ".join(u.username for u in users) or "none yet (bookflow config apply)"
        raise fail(f"--user: no user {username!r}; known users: {known}")
    return found


async def issue(
    db: Database, user: User, name: str, role: Role, expires_days: int | None = None
) -> tuple[ApiKey, SecretStr]:
    """A new key for ``user``; the plaintext comes back once and is stored nowhere."""
    now = datetime.now(UTC)
    expires_at = now + timedelta(days=expires_days) if expires_days else None
    async with db.transaction() as session:
        return await api_keys.create(session, user.id, user.username, name, role, now, expires_at)


HEADER = ("id", "name", "prefix", "user", "role", "created", "last used", "expires", "state")


def _cells(key: ApiKey) -> tuple[str, ...]:
    def when(moment: datetime | None) -> str:
        return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"

    state = "revoked" if key.revoked_at else "expired" if key.refusal(datetime.now(UTC)) else "active"
    cells = (str(key.id), key.name, key.prefix + "…", key.username, key.role.value, when(key.created_at))
    return (*cells, when(key.last_used_at), when(key.expires_at), state)


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


@app.command("create")
def create(
    user: UserOption,
    name: Annotated[str | None, typer.Option("--name", help="A label to list and revoke it by.")] = None,
    expires_days: Annotated[int | None, typer.Option("--expires-days", min=1, help="Expire after N days.")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="An admin key: every admin route, every user's data.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Create a key for USER and print it once, as the last line."""
    s = settings(data_dir)
    if s.secret_keys() is None:
        raise fail("BOOKFLOW_SECRET_KEY is not set: keys are hashed with a pepper derived from it")

    async def work(db: Database) -> tuple[ApiKey, SecretStr]:
        owner = await _user(db, user)
        label = name or f"key-{datetime.now(UTC):%Y%m%d-%H%M%S}"
        try:
            return await issue(db, owner, label, Role.ADMIN if admin else Role.USER, expires_days)
        except KeyNameTaken as taken:
            raise fail(f"--{taken}") from None

    record, key = with_database(s, work)
    expiry = record.expires_at.isoformat() if record.expires_at else "never"
    typer.echo(f"created key {record.id} {record.name!r} for {record.username} ({record.role.value}), expires {expiry}")
    typer.echo("It is shown only now; send it as 'Authorization: Bearer <key>':")
    typer.echo(key.get_secret_value())


@app.command("list")
def list_keys(
    user: Annotated[str | None, typer.Option("--user", help="Only this user's keys.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Every key: id, name, prefix, user, role, created, last used, expiry — never the key itself."""

    async def work(db: Database) -> list[ApiKey]:
        user_id = (await _user(db, user)).id if user else None
        async with db.sessions() as session:
            return await api_keys.list_keys(session, user_id)

    keys = with_database(settings(data_dir), work)
    if as_json:
        typer.echo(json.dumps([k.model_dump(mode="json", by_alias=True) for k in keys], indent=2))
        return
    typer.echo(_table([HEADER, *(_cells(k) for k in keys)]))


@app.command("revoke")
def revoke(
    user: Annotated[str | None, typer.Option("--user", help="With --name: the user's key of that name.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="The key's name.")] = None,
    key_id: Annotated[int | None, typer.Option("--id", help="The key's id (bookflow keys list).")] = None,
    data_dir: DataDir = None,
) -> None:
    """Revoke a key (by --user and --name, or by --id); the next request with it gets 401."""
    if (key_id is None) == (user is None or name is None):
        raise fail("give either --id ID, or --user USERNAME and --name NAME")

    async def work(db: Database) -> list[ApiKey]:
        user_id = (await _user(db, user)).id if user else None
        async with db.transaction() as session:
            return await api_keys.revoke(session, datetime.now(UTC), key_id=key_id, user_id=user_id, name=name)

    revoked = with_database(settings(data_dir), work)
    if not revoked:
        raise fail("no active key matches; see bookflow keys list")
    for key in revoked:
        typer.echo(f"revoked key {key.id} {key.name!r} of {key.username}")


async def ensure_dev_keys(db: Database, data_dir: Path) -> Path | None:
    """On the dev stack's first start: a key for the first user and an admin key, in ``<data dir>/dev-keys``.

    Returns the file (None when there is no user yet); an existing file is kept as it is.
    """
    path = data_dir / DEV_KEYS_FILE
    if path.exists():
        return path
    async with db.sessions() as session:
        users = await config_store.list_users(session)
    if not users:
        return None
    first = users[0]
    _, owner = await issue(db, first, "dev", Role.USER)
    _, admin = await issue(db, first, "dev-admin", Role.ADMIN)
    lines = (
        "# Bookflow dev API keys. Load them with:  . " + str(path),
        f"# BOOKFLOW_KEY acts as {first.username}; BOOKFLOW_ADMIN_KEY is an admin key.",
        f"BOOKFLOW_KEY={owner.get_secret_value()}",
        f"BOOKFLOW_ADMIN_KEY={admin.get_secret_value()}",
    )
    # O_EXCL and 0600: private from the first byte, never overwriting a file another start just wrote.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("\n".join(lines) + "\n")
    return path
