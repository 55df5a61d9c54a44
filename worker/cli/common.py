"""Helpers every command shares: the settings tree (validated) from options, and running async code."""

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from store.db import Database
from worker.settings import Settings, SettingsError, load_settings

T = TypeVar("T")

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Where the dev stack keeps its state (env BOOKFLOW_DATA_DIR).", show_default=False),
]


def settings(data_dir: Path | None = None) -> Settings:
    """The settings tree, ``--data-dir`` over BOOKFLOW_DATA_DIR; invalid settings exit with one line each."""
    try:
        return load_settings(**({"data_dir": data_dir} if data_dir is not None else {}))
    except SettingsError as invalid:
        raise fail("\n".join(invalid.lines)) from None


def with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work`` against the migrated database and dispose of it afterwards."""

    async def run() -> T:
        db = Database(settings.database, settings.secret_keys())
        try:
            await db.migrate()
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(run())


def fail(message: str) -> typer.Exit:
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(code=2)
