"""Machine-readable output shared by the listing commands: `--json` prints one JSON array (or one
object) of camelCase fields, the same names the API uses."""

import json
from collections.abc import Sequence
from typing import Annotated

import typer
from pydantic import BaseModel

AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON array (camelCase fields) instead of a table.")]


def _plain(model: BaseModel) -> dict:
    return model.model_dump(mode="json", by_alias=True)


def echo_json(items: Sequence[BaseModel] | BaseModel) -> None:
    """Print ``items`` as one JSON array, or one model as one JSON object."""
    data = _plain(items) if isinstance(items, BaseModel) else [_plain(item) for item in items]
    typer.echo(json.dumps(data, indent=2))
