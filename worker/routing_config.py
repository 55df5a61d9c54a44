"""Checking the routing sections of a configuration file before anything of it is saved."""

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from domain.config import Configuration
from domain.routing_forms import Attribute
from routing.validation import form_issues
from store import config as config_store
from store import routing as routing_store
from worker.config_file import ConfigFileError


def routing_problems(config: Configuration, attributes: list[Attribute], user_ids: set[int]) -> list[str]:
    """Every problem of the file's forms and attributes, each naming where it is (route and field)."""
    problems = []
    for i, attribute in enumerate(config.attributes):
        for j, holder in enumerate(attribute.assignments):
            if holder.user_id not in user_ids:
                where = f"attributes.{i}.assignments.{j}.userId"
                problems.append(f"{where}: user {holder.user_id} is not defined in the file or the store")
    for i, form in enumerate(config.routing_forms):
        problems.extend(f"routingForms.{i} ({form.id}): {issue}" for issue in form_issues(form, attributes))
    return problems


async def check_routing(session: AsyncSession, path: Path, config: Configuration) -> None:
    """Raise ``ConfigFileError`` listing every routing problem; the file's attributes override stored ones."""
    if not config.routing_forms and not config.attributes:
        return
    attributes = {a.id: a for a in await routing_store.list_attributes(session)}
    attributes |= {a.id: a.attribute() for a in config.attributes}
    user_ids = {u.id for u in await config_store.list_users(session)} | {u.id for u in config.users}
    problems = routing_problems(config, list(attributes.values()), user_ids)
    if problems:
        raise ConfigFileError("\n".join(f"{path}: {p}" for p in problems))
