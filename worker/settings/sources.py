"""Reading flat variables (Cal.com's names, BOOKFLOW_*) into the sections of the settings tree.

pydantic-settings reads nested models from one variable per section (or a delimiter); our variables are
flat and keep their established names, so this source hands each section the variables its fields name.
"""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from pydantic import AliasChoices, BaseModel
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource


def variable_names(field: FieldInfo) -> list[str]:
    """The environment variables a field reads: its alias, or each upper-case choice of its aliases."""
    alias = field.validation_alias or field.alias
    if isinstance(alias, AliasChoices):
        return [choice for choice in alias.choices if isinstance(choice, str) and choice.isupper()]
    return [alias] if isinstance(alias, str) else []


def sections(model: type[BaseModel]) -> Iterator[tuple[str, type[BaseModel]]]:
    """(field name, model) for each field of ``model`` that is itself a section of settings."""
    for name, field in model.model_fields.items():
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            yield name, field.annotation


def read_environment(env_file: Path | str | None) -> dict[str, str]:
    """The process environment over the ``.env`` file, keyed by upper-case name."""
    values: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        values |= {k.upper(): v for k, v in dotenv_values(env_file).items() if v is not None}
    return values | {k.upper(): v for k, v in os.environ.items()}


class FlatSectionSource(PydanticBaseSettingsSource):
    """Each section's fields from the flat variables they name (the process environment over ``.env``)."""

    def __init__(self, settings_cls: type[BaseSettings], env_file: Path | str | None) -> None:
        super().__init__(settings_cls)
        self.environment = read_environment(env_file)

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads whole sections

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name, section in sections(self.settings_cls):
            values = {
                variable: self.environment[variable]
                for field in section.model_fields.values()
                for variable in variable_names(field)
                if variable in self.environment
            }
            if values:
                found[name] = values
        return found
