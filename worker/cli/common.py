"""Helpers every command shares: settings from options, and running async code."""

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from store.db import Database
from worker.settings import Settings

T = TypeVar("T")

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Where the dev stack keeps its state (env BOOKFLOW_DATA_DIR).", show_default=False),
]


def settings(data_dir: Path | None = None) -> Settings:
    if data_dir is not None:
        os.environ["BOOKFLOW_DATA_DIR"] = str(data_dir)
    return Settings()


def with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work`` against the migrated database and dispose of it afterwards."""

    async def run() -> T:
        db = Database(settings.database)
        try:
            await db.migrate()
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(run())


def fail(message: str) -> typer.Exit:
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(code=2)
