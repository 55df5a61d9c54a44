"""Bring a store to the moment before one migration: what data-migration tests start from."""

from alembic import command
from alembic.script import ScriptDirectory

from store.db import alembic_config


def upgrade_every_head_but(url: str, revision: str) -> None:
    """The store as it was before ``revision``: every other migration branch at its head."""
    cfg = alembic_config(url)
    for head in ScriptDirectory.from_config(cfg).get_heads():
        if head != revision:
            command.upgrade(cfg, head)
