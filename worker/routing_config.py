"""Checking the routing sections of a configuration file before anything of it is saved."""

from collections.abc import Collection, Iterator
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from crm.config import CrmConfig
from crm.mappings import FieldMapping
from domain.config import Configuration
from domain.routing_forms import Attribute, RoutingForm
from routing.validation import form_issues
from store import config as config_store
from store import routing as routing_store
from worker.config_file import ConfigFileError

FORM_REFERENCE = "{form:"


def routing_problems(
    config: Configuration,
    attributes: list[Attribute],
    user_ids: set[int],
    event_type_ids: Collection[int],
    hidden_event_type_ids: Collection[int] = (),
) -> list[str]:
    """Every problem of the file's forms and attributes, each naming where it is (form, route and field)."""
    problems = []
    for i, attribute in enumerate(config.attributes):
        for j, holder in enumerate(attribute.assignments):
            if holder.user_id not in user_ids:
                where = f"attributes.{i}.assignments.{j}.userId"
                problems.append(f"{where}: user {holder.user_id} is not defined in the file or the store")
    for i, form in enumerate(config.routing_forms):
        problems.extend(
            f"routingForms.{i} ({form.id}): {issue}"
            for issue in form_issues(form, attributes, event_type_ids, hidden_event_type_ids)
        )
    return problems


async def check_routing(session: AsyncSession, path: Path, config: Configuration) -> None:
    """Raise ``ConfigFileError`` listing every routing problem; the file's attributes override stored ones."""
    if not config.routing_forms and not config.attributes:
        return
    attributes = {a.id: a for a in await routing_store.list_attributes(session)}
    attributes |= {a.id: a.attribute() for a in config.attributes}
    user_ids = {u.id for u in await config_store.list_users(session)} | {u.id for u in config.users}
    # The file's event types replace the stored ones of the same id (hidden or not).
    stored = {e.id: e for e in await config_store.list_event_types(session)}
    event_types = stored | {e.id: e for e in config.event_types}
    hidden = {i for i, e in event_types.items() if e.hidden}
    problems = routing_problems(config, list(attributes.values()), user_ids, set(event_types), hidden)
    if problems:
        raise ConfigFileError("\n".join(f"{path}: {p}" for p in problems))


def _entry_mappings(crm: CrmConfig) -> Iterator[tuple[str, int, FieldMapping]]:
    """(where, event type id, mapping) of every CRM field mapping of the section."""
    for i, entry in enumerate(crm.event_types):
        if entry.salesforce is not None:
            for j, m in enumerate(entry.salesforce.field_mappings.mappings):
                yield f"crm.eventTypes.{i}.salesforce.fieldMappings.mappings.{j}", entry.event_type_id, m
        if entry.hubspot is not None:
            for j, m in enumerate(entry.hubspot.sync.mappings.mappings):
                yield f"crm.eventTypes.{i}.hubspot.sync.mappings.mappings.{j}", entry.event_type_id, m


def form_reference_problems(crm: CrmConfig, forms: list[RoutingForm]) -> list[str]:
    """``{form:identifier}`` mapping values naming a field that no form routing to the event type has."""
    problems = []
    for where, event_type_id, mapping in _entry_mappings(crm):
        value = mapping.value
        if not (isinstance(value, str) and value.startswith(FORM_REFERENCE)):
            continue
        routing_here = [f for f in forms if any(r.action.event_type_id == event_type_id for r in f.routes)]
        if not routing_here:
            continue
        identifier = value[len(FORM_REFERENCE) : -1]
        keys = {f.key for form in routing_here for f in form.fields if not f.deleted}
        if identifier not in keys:
            names = ", ".join(repr(f.id) for f in routing_here)
            problems.append(
                f"{where} (mapping {mapping.name}): {value} names a field that form {names} routing to event type "
                f"{event_type_id} does not have; fix: use one of " + ", ".join(f"{{form:{k}}}" for k in sorted(keys))
            )
    return problems


async def check_form_references(session: AsyncSession, path: Path, config: Configuration) -> None:
    """Raise ``ConfigFileError`` for CRM ``{form:…}`` references to fields the routing forms lack."""
    if not config.crm:
        return
    forms = {f.id: f for f in await routing_store.list_forms(session)} | {f.id: f for f in config.routing_forms}
    problems = form_reference_problems(CrmConfig.model_validate(config.crm), list(forms.values()))
    if problems:
        raise ConfigFileError("\n".join(f"{path}: {p}" for p in problems))
