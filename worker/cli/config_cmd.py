"""`bookflow config apply|export`: the configuration file in and out of the store."""

from pathlib import Path
from typing import Annotated

import typer

from domain.config import Configuration
from store import config as config_store
from store.db import Database
from worker import config_file, crm_config, routing_config
from worker.cli.common import DataDir, fail, settings, with_database

app = typer.Typer(help="Apply or export users and event types.", no_args_is_help=True)


async def apply_file(db: Database, path: Path) -> Configuration:
    """Validate ``path`` completely, then upsert it in one transaction (all or nothing)."""
    config = config_file.load(path)
    config_file.check_templates(path, config)
    async with db.transaction() as session:
        known = {u.id for u in await config_store.list_users(session)}
        config_file.check_references(path, config, known)
        await routing_config.check_routing(session, path, config)
        stored_types = {e.id for e in await config_store.list_event_types(session)}
        config = crm_config.check_crm(path, config, stored_types)
        await config_store.apply_configuration(session, config)
    return config


@app.command("apply")
def apply(file: Annotated[Path, typer.Argument(help="A YAML configuration file.")], data_dir: DataDir = None) -> None:
    """Validate FILE and upsert its users and event types; nothing is saved if anything is wrong."""
    try:
        config = with_database(settings(data_dir), lambda db: apply_file(db, file))
    except config_file.ConfigFileError as error:
        raise fail(str(error)) from None
    typer.echo(f"applied {file}: {len(config.users)} users, {len(config.event_types)} event types")


@app.command("export")
def export(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here instead of stdout.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Write the stored users and event types as a configuration file."""

    async def read(db: Database) -> Configuration:
        async with db.sessions() as session:
            return await config_store.export_configuration(session)

    text = config_file.dump(with_database(settings(data_dir), read))
    if out:
        out.write_text(text)
    else:
        typer.echo(text, nl=False)
