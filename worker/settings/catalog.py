"""Every setting of the tree as a row: variable, default, meaning, whether it is secret.

The settings table in docs/settings.md, `bookflow ops doctor --show-config` and the start-up error lines
are all read from here, so they cannot drift from the tree.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from worker.settings.root import Settings
from worker.settings.sources import sections, variable_names


@dataclass(frozen=True)
class Setting:
    """One variable: where it lives in the tree (``path``) and how to show it."""

    name: str
    path: tuple[str, ...]
    default: str
    meaning: str
    secret: bool
    old_names: tuple[str, ...] = ()


def _is_secret(field: FieldInfo) -> bool:
    text = repr(field.annotation)
    return "SecretStr" in text


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value: Any = field.default_factory()  # type: ignore[call-arg]
    elif field.default is PydanticUndefined:
        return "(required)"
    else:
        value = field.default
    return shown(value)


def shown(value: Any) -> str:
    """How a value reads in a table or a config dump (lists comma-joined, None as unset)."""
    if value is None or value == []:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ",".join(shown(v) for v in value)
    return str(value)


def _rows(model: type[BaseModel], path: tuple[str, ...]) -> Iterator[Setting]:
    for field_name, field in model.model_fields.items():
        names = variable_names(field)
        if not names:
            continue
        yield Setting(
            name=names[0],
            path=(*path, field_name),
            default=_default(field),
            meaning=" ".join((field.description or "").split()),
            secret=_is_secret(field),
            old_names=tuple(names[1:]),
        )


def catalog() -> list[Setting]:
    """Every setting, top level first, then each section in the tree's order (one row per variable)."""
    rows = list(_rows(Settings, ()))
    for name, section in sections(Settings):
        rows += _rows(section, (name,))
    unique: dict[str, Setting] = {}
    for row in rows:
        unique.setdefault(row.name, row)
    return list(unique.values())


def by_name() -> dict[str, Setting]:
    """The catalog keyed by variable, old names included."""
    found: dict[str, Setting] = {}
    for row in catalog():
        found |= {name: row for name in (row.name, *row.old_names)}
    return found


def effective(settings: Settings) -> list[tuple[Setting, str]]:
    """Each setting with its value in ``settings``; secrets shown only as set or unset."""
    values: list[tuple[Setting, str]] = []
    for row in catalog():
        value: Any = settings
        for part in row.path:
            value = getattr(value, part)
        masked = "********" if value else "(unset)"
        values.append((row, masked if row.secret or isinstance(value, SecretStr) else shown(value)))
    return values


def markdown_table() -> str:
    """docs/settings.md: one table of every setting (variable, default, meaning)."""
    lines = [
        "# Settings",
        "",
        "Every setting Bookflow reads, from the environment or a `.env` file in the working directory.",
        "Generated from the settings tree (`worker/settings/`) by `bookflow ops settings-table`;",
        "`tests/foundation/test_settings.py` fails when this page and the code disagree.",
        "`bookflow ops doctor --show-config` prints the values in effect (secrets masked).",
        "",
        "| Variable | Default | Meaning |",
        "|---|---|---|",
    ]
    for row in catalog():
        meaning = row.meaning.replace("|", "\\|")
        if row.old_names:
            meaning += " Also read as " + ", ".join(f"`{n}`" for n in row.old_names) + "."
        if row.secret:
            meaning += " Secret."
        lines.append(f"| `{row.name}` | `{row.default}` | {meaning} |")
    return "\n".join(lines) + "\n"
