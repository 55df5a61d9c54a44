"""`bookflow events --booking UID`: a booking's event log."""

from typing import Annotated

import typer

from domain.booking import BookingEvent
from store import events
from store.db import Database
from worker.cli.common import DataDir, settings, with_database
from worker.cli.output import AsJson, echo_json


def register(app: typer.Typer) -> None:
    @app.command("events")
    def list_events(
        booking: Annotated[str, typer.Option("--booking", help="The booking uid.")],
        as_json: AsJson = False,
        data_dir: DataDir = None,
    ) -> None:
        """List every trigger fired for a booking, oldest first."""

        async def read(db: Database) -> list[BookingEvent]:
            async with db.sessions() as session:
                return await events.for_booking(session, booking)

        found = with_database(settings(data_dir), read)
        if as_json:
            echo_json(found)
            return
        if not found:
            typer.echo(f"no events for booking {booking}")
            return
        for event in found:
            typer.echo(f"{event.created_at.isoformat()}  {event.trigger:<32} {event.event_id}")
