"""Reading and writing the YAML configuration file, with errors that name the file and the path."""

from pathlib import Path

import yaml
from pydantic import ValidationError

from domain.config import Configuration
from domain.yaml_text import load_yaml
from templates.validation import event_type_problems


class ConfigFileError(Exception):
    """The file is not a valid configuration; the message names the file, the path and the problem."""


def _path(location: tuple) -> str:
    return ".".join(str(p) for p in location) or "(top level)"


def load(path: Path) -> Configuration:
    try:
        document = load_yaml(path.read_text())
    except OSError as error:
        raise ConfigFileError(f"{path}: cannot read: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ConfigFileError(f"{path}: not valid YAML: {error}") from None
    try:
        return Configuration.model_validate(document or {})
    except ValidationError as invalid:
        problems = [
            f"{path}: {_path(e['loc'])}: {str(e['msg']).removeprefix('Value error, ')}" for e in invalid.errors()
        ]
        raise ConfigFileError("\n".join(problems)) from None


def check_references(path: Path, config: Configuration, known_user_ids: set[int]) -> None:
    """Every host, schedule owner and out-of-office user must be a user of this file or of the store."""
    users = known_user_ids | {u.id for u in config.users}
    owned = [(f"schedules.{i}.userId", s.owner_id) for i, s in enumerate(config.schedules)]
    owned += [(f"outOfOffice.{i}.userId", o.user_id) for i, o in enumerate(config.out_of_office)]
    owned += [(f"outOfOffice.{i}.toUserId", o.to_user_id) for i, o in enumerate(config.out_of_office) if o.to_user_id]
    for where, user_id in owned:
        if user_id not in users:
            raise ConfigFileError(f"{path}: {where}: user {user_id} is not defined in the file or the store")
    for i, event_type in enumerate(config.event_types):
        for j, host in enumerate(event_type.hosts):
            if host.user_id not in users:
                where = f"eventTypes.{i}.hosts.{j}.userId"
                raise ConfigFileError(f"{path}: {where}: user {host.user_id} is not defined in the file or the store")


def check_templates(path: Path, config: Configuration) -> None:
    """Every reminder template of every event type compiles and renders (else: where it does not)."""
    problems = [
        f"{path}: eventTypes.{i}.{problem}"
        for i, event_type in enumerate(config.event_types)
        for problem in event_type_problems(event_type)
    ]
    if problems:
        raise ConfigFileError("\n".join(problems))


def dump(config: Configuration) -> str:
    """The configuration as YAML: every section present, defaults left out of each item."""
    data = config.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    # An empty section keeps its shape: [] for lists, {} for the crm mapping.
    sections = {
        field.alias or name: {} if isinstance(field.default, dict) else []
        for name, field in Configuration.model_fields.items()
    }
    return yaml.safe_dump({section: data.get(section, empty) for section, empty in sections.items()}, sort_keys=False)
