"""Checking the ``crm`` section of a configuration file with crm/'s models before anything is saved.

Every problem names where it is (``crm.eventTypes.0.salesforce.fieldMappings...``) and, for a field
mapping, the mapping, the field and the fix (crm.mappings' save-time rules).
"""

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from crm.config import CrmConfig
from crm.mappings import MappingValidationError
from domain.config import Configuration
from worker.config_file import ConfigFileError


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in ("crm", *loc))


def _messages(invalid: ValidationError) -> list[str]:
    problems = []
    for error in invalid.errors():
        own = (error.get("ctx") or {}).get("error")
        if isinstance(own, MappingValidationError):
            problems.extend(f"{_location(error['loc'])}: {issue}" for issue in own.issues)
        else:
            problems.append(f"{_location(error['loc'])}: {str(error['msg']).removeprefix('Value error, ')}")
    return problems


def parse_crm(section: dict[str, Any]) -> CrmConfig:
    """The section as crm/'s model; raises MappingValidationError-style messages as ValueError lines."""
    try:
        return CrmConfig.model_validate(section)
    except ValidationError as invalid:
        raise ValueError("\n".join(_messages(invalid))) from None


def check_crm(path: Path, config: Configuration, known_event_type_ids: set[int]) -> Configuration:
    """``config`` with its crm section validated and normalized (every default spelled out).

    Refuses (ConfigFileError) invalid settings or mappings, and entries for event types that exist
    neither in the file nor in the store.
    """
    if not config.crm:
        return config
    try:
        crm = parse_crm(config.crm)
    except ValueError as refused:
        raise ConfigFileError("\n".join(f"{path}: {line}" for line in str(refused).splitlines())) from None
    ids = known_event_type_ids | {e.id for e in config.event_types}
    for i, entry in enumerate(crm.event_types):
        if entry.event_type_id not in ids:
            where = f"crm.eventTypes.{i}.eventTypeId"
            raise ConfigFileError(
                f"{path}: {where}: event type {entry.event_type_id} is not defined in the file or the store"
            )
    return config.model_copy(update={"crm": crm.stored()})
