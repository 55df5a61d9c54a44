"""`bookflow users set-password`: a password for signing in to the admin console (/console).

The password is read from a prompt (typed twice, not echoed) or, for scripts, from standard input
(``--password-stdin``), never from the command line where `ps` and shell history would keep it.
"""

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from store import config as config_store
from store import console as console_store
from store.api_keys import Role
from store.db import Database
from worker.cli.common import DataDir, fail, settings, with_database

app = typer.Typer(help="Console users: set a password for /console.", no_args_is_help=True)

MIN_PASSWORD_LENGTH = 12


@app.command("set-password")
def set_password(
    username: Annotated[str, typer.Argument(metavar="USERNAME", help="The user (bookflow config) to sign in as.")],
    admin: Annotated[
        bool, typer.Option("--admin", help="Sign in as an admin: every user's resources and admin screens.")
    ] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input (first line).")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Set USERNAME's console password (and role); their open console sessions end."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise fail(f"password: use at least {MIN_PASSWORD_LENGTH} characters")
    role = Role.ADMIN if admin else Role.USER

    async def work(db: Database) -> None:
        async with db.sessions() as session:
            users = await config_store.list_users(session)
        user = next((u for u in users if u.username == username), None)
        if user is None:
            known = ", ".join(u.username for u in users) or "none yet (bookflow config apply)"
            raise fail(f"USERNAME: no user {username!r}; known users: {known}")
        async with db.transaction() as session:
            await console_store.set_password(session, user.id, user.username, role, password, datetime.now(UTC))

    with_database(settings(data_dir), work)
    typer.echo(f"console password set for {username} ({'admin' if admin else 'owner'}); sign in at /console/login")
