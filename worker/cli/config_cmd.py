"""`bookflow config apply|export`: the configuration file in and out of the store."""

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from crm.config import CrmConfig
from domain.config import Configuration
from store import config as config_store
from store import routing as routing_store
from store.db import Database
from worker import config_file, crm_config, routing_config
from worker.cli.common import DataDir, fail, settings, with_database
from worker.cli.crm_cmd import section_issues
from worker.cli.operator import operator
from worker.config_diff import config_diff, summary
from worker.settings import Settings

app = typer.Typer(help="Apply or export users and event types.", no_args_is_help=True)


async def _checked(session: AsyncSession, path: Path) -> Configuration:
    """The file's configuration after every check (crm section normalized), or ``ConfigFileError``."""
    config = config_file.load(path)
    config_file.check_templates(path, config)
    known = {u.id for u in await config_store.list_users(session)}
    config_file.check_references(path, config, known)
    await routing_config.check_routing(session, path, config)
    stored_types = {e.id for e in await config_store.list_event_types(session)}
    config = crm_config.check_crm(path, config, stored_types)
    await routing_config.check_form_references(session, path, config)
    return config


async def apply_file(db: Database, path: Path, author: str | None = None) -> Configuration:
    """Validate ``path`` completely, then upsert it in one transaction (all or nothing)."""
    async with db.transaction() as session:
        config = await _checked(session, path)
        for form in config.routing_forms:  # first, so each new version records its author
            await routing_store.save_form(session, form, author=author)
        await config_store.apply_configuration(session, config)
    return config


async def plan_file(db: Database, path: Path) -> tuple[Configuration, list[str]]:
    """Validate ``path`` completely and say what applying it would change; saves nothing."""
    async with db.sessions() as session:
        config = await _checked(session, path)
        current = await config_store.export_configuration(session)
    return config, config_diff(current, config)


def _org_problems(s: Settings, config: Configuration) -> list[str]:
    """The crm section's mappings checked against the connected orgs' describe (none without credentials)."""
    if not config.crm:
        return []
    problems, _ = section_issues(s, CrmConfig.model_validate(config.crm), offline=False)
    return problems


@app.command("apply")
def apply(
    file: Annotated[Path, typer.Argument(help="A YAML configuration file.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would change (a diff per object); save nothing.")
    ] = False,
    offline: Annotated[
        bool, typer.Option("--offline", help="Do not check CRM mappings against the org, even with credentials.")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Validate FILE and upsert everything in it; nothing is saved if anything is wrong.

    With CRM credentials in the environment, field mappings are also checked against the org's describe.
    """
    s = settings(data_dir)
    try:
        config, changes = with_database(s, lambda db: plan_file(db, file))
        if not offline and (problems := _org_problems(s, config)):
            raise config_file.ConfigFileError("\n".join(f"{file}: {p}" for p in problems))
        if not dry_run:
            config = with_database(s, lambda db: apply_file(db, file, operator()))
    except config_file.ConfigFileError as error:
        raise fail(str(error)) from None
    if dry_run:
        typer.echo("".join(changes) if changes else "no changes", nl=not changes)
        typer.echo(f"dry run of {file}: would apply {summary(config)}; nothing was saved")
        return
    typer.echo(f"applied {file}: {summary(config)}")


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
