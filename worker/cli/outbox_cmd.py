"""`bookflow outbox`: messages kept in the store (no provider configured), and any booking's message log."""

from typing import Annotated

import typer

from store import messages
from store.db import Database
from store.messages import Message
from worker.cli.common import DataDir, settings, with_database


def _show(message: Message, full: bool) -> None:
    when = (message.sent_at or message.created_at).isoformat(timespec="seconds")
    typer.echo(
        f"{when}  {message.status.value:<8} {message.channel:<5} {message.provider:<8} "
        f"{message.recipient:<32} {message.subject or '-'}"
    )
    if message.detail:
        typer.echo(f"    why: {message.detail}")
    if full:
        typer.echo("    " + message.body.rstrip().replace("\n", "\n    "))


def register(app: typer.Typer) -> None:
    @app.command("outbox")
    def outbox(
        booking: Annotated[str | None, typer.Option("--booking", help="Only this booking's messages.")] = None,
        all_providers: Annotated[
            bool, typer.Option("--all", help="Every provider's messages (the message log), not only the outbox.")
        ] = False,
        limit: Annotated[int, typer.Option("--limit", "-n", help="How many, newest first.")] = 50,
        full: Annotated[bool, typer.Option("--full", help="Print each message's text too.")] = False,
        data_dir: DataDir = None,
    ) -> None:
        """Show reminder emails and SMS held in the outbox (newest first), with the reason for any skip."""

        async def read(db: Database) -> list[Message]:
            async with db.sessions() as session:
                provider = None if all_providers else "outbox"
                return await messages.recent(session, provider=provider, booking_uid=booking, limit=limit)

        found = with_database(settings(data_dir), read)
        if not found:
            typer.echo("the outbox is empty" if not all_providers else "no messages")
            return
        for message in found:
            _show(message, full)
