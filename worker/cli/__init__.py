"""The `bookflow` command line."""

import typer

from worker.cli import (
    calendars_cmd,
    config_cmd,
    crm_cmd,
    events_cmd,
    keys_cmd,
    ops_cmd,
    outbox_cmd,
    route_cmd,
    stack,
    users_cmd,
    webhooks_cmd,
)

app = typer.Typer(help="Bookflow: a durable workflow and rules engine for meeting bookings.", no_args_is_help=True)
stack.register(app)
app.add_typer(calendars_cmd.app, name="calendars")
app.add_typer(config_cmd.app, name="config")
app.add_typer(crm_cmd.app, name="crm")
app.add_typer(keys_cmd.app, name="keys")
app.add_typer(ops_cmd.app, name="ops")
app.add_typer(users_cmd.app, name="users")
events_cmd.register(app)
outbox_cmd.register(app)
route_cmd.register(app)
webhooks_cmd.register(app)


def main() -> None:
    app()
