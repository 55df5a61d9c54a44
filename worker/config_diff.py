"""What `config apply` would change, object by object, and the count of every kind of object it saves."""

import difflib
from collections.abc import Iterable
from typing import Any

import yaml

from domain.base import CamelModel
from domain.config import Configuration

# (Configuration field, one object, several objects); the crm section counts one object per event type entry.
SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("users", "user", "users"),
    ("event_types", "event type", "event types"),
    ("schedules", "schedule", "schedules"),
    ("out_of_office", "out-of-office entry", "out-of-office entries"),
    ("attributes", "attribute", "attributes"),
    ("routing_forms", "routing form", "routing forms"),
)


def _count(count: int, one: str, several: str) -> str:
    return f"{count} {one if count == 1 else several}"


def _document(item: CamelModel) -> dict[str, Any]:
    # A form's version number is the store's business, not a change an admin made.
    return item.model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude={"version"})


def _crm_entries(crm: dict[str, Any]) -> dict[str, Any]:
    entries = {str(e.get("eventTypeId")): e for e in crm.get("eventTypes", [])}
    rest = {k: v for k, v in crm.items() if k != "eventTypes"}
    return entries | ({"(section settings)": rest} if rest else {})


def _text(document: Any) -> list[str]:
    return yaml.safe_dump(document, sort_keys=True).splitlines(keepends=True)


def _object_diff(label: str, old: Any, new: Any) -> list[str]:
    if old is None:
        return [f"+ {label} (new)\n", *(f"    {line}" for line in _text(new))]
    if old == new:
        return []
    body = difflib.unified_diff(_text(old), _text(new), fromfile=f"stored {label}", tofile=f"file {label}", n=1)
    return [f"~ {label} (changed)\n", *(f"    {line}" for line in body)]


def _pairs(current: Iterable[CamelModel], incoming: Iterable[CamelModel]) -> list[tuple[Any, Any, Any]]:
    stored = {item.id: _document(item) for item in current}  # type: ignore[attr-defined]
    return [(item.id, stored.get(item.id), _document(item)) for item in incoming]  # type: ignore[attr-defined]


def config_diff(current: Configuration, incoming: Configuration) -> list[str]:
    """One entry per object of ``incoming`` that is new or changed (a unified diff of its YAML)."""
    lines: list[str] = []
    for name, noun, _ in SECTIONS:
        for key, old, new in _pairs(getattr(current, name), getattr(incoming, name)):
            lines.extend(_object_diff(f"{noun} {key}", old, new))
    stored_crm = _crm_entries(current.crm)
    for key, new in _crm_entries(incoming.crm).items():
        lines.extend(_object_diff(f"crm settings of event type {key}", stored_crm.get(key), new))
    return lines


def summary(config: Configuration) -> str:
    """Every kind of object of ``config`` with its count, e.g. "2 users, 3 event types, 1 routing form"."""
    parts = [_count(len(getattr(config, name)), one, several) for name, one, several in SECTIONS]
    crm_entries = len(config.crm.get("eventTypes", [])) if config.crm else 0
    parts.append(f"CRM settings of {_count(crm_entries, 'event type', 'event types')}")
    return ", ".join(parts)
