"""`/v2/attributes`: org attributes with their options, and which users hold them (attribute routing)."""

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import Field, ValidationError

from api.context import ApiContext, Ctx
from api.errors import ApiError, describe
from api.schemas import Envelope
from domain.base import CamelModel
from domain.routing_config import ConfiguredAttribute
from domain.routing_forms import AttributeAssignment
from domain.text_bounds import NAME
from store import config, routing

router = APIRouter(prefix="/v2/attributes", tags=["attributes"])


class AssignOption(CamelModel):
    """Cal.com's assign body: an option (select types) or a value (TEXT, NUMBER), with a weight."""

    attribute_id: str = Field(max_length=NAME)
    attribute_option_id: str | None = Field(default=None, max_length=NAME)
    value: str | None = Field(default=None, max_length=NAME)
    weight: int | None = Field(default=None, ge=0)


def _parse(document: dict[str, Any]) -> ConfiguredAttribute:
    try:
        return ConfiguredAttribute.model_validate(document)
    except ValidationError as invalid:
        raise ApiError(400, describe(invalid.errors())) from None


async def _existing(ctx: ApiContext, attribute_id: str) -> ConfiguredAttribute:
    async with ctx.db.sessions() as session:
        found = await routing.get_attribute(session, attribute_id)
        held = await routing.list_assignments(session, attribute_id)
    if found is None:
        raise ApiError(404, f"Attribute {attribute_id} not found")
    return ConfiguredAttribute.of(found, held)


async def _save(ctx: ApiContext, attribute: ConfiguredAttribute) -> None:
    async with ctx.db.transaction() as session:
        users = {u.id for u in await config.list_users(session)}
        for i, holder in enumerate(attribute.assignments):
            if holder.user_id not in users:
                raise ApiError(400, f"assignments.{i}.userId: user {holder.user_id} does not exist")
        await routing.save_configured_attribute(session, attribute)


@router.post("", status_code=201)
async def create_attribute(ctx: Ctx, body: Annotated[dict[str, Any], Body()]) -> Envelope:
    attribute = _parse(body)
    async with ctx.db.sessions() as session:
        if await routing.get_attribute(session, attribute.id) is not None:
            raise ApiError(409, f"id: attribute {attribute.id} already exists; PATCH it instead")
    await _save(ctx, attribute)
    return Envelope(data=attribute.wire())


@router.get("")
async def list_attributes(ctx: Ctx) -> Envelope:
    async with ctx.db.sessions() as session:
        return Envelope(data=[a.wire() for a in await routing.list_configured_attributes(session)])


@router.get("/{attribute_id}")
async def get_attribute(attribute_id: str, ctx: Ctx) -> Envelope:
    return Envelope(data=(await _existing(ctx, attribute_id)).wire())


@router.patch("/{attribute_id}")
async def update_attribute(attribute_id: str, ctx: Ctx, body: Annotated[dict[str, Any], Body()]) -> Envelope:
    if "id" in body and body["id"] != attribute_id:
        raise ApiError(400, "id: an attribute's id cannot change")
    attribute = _parse((await _existing(ctx, attribute_id)).wire() | body)
    await _save(ctx, attribute)
    return Envelope(data=attribute.wire())


@router.post("/options/{user_id}", status_code=201)
async def assign(user_id: int, body: AssignOption, ctx: Ctx) -> Envelope:
    """Give ``user_id`` an option (or value) of an attribute."""
    current = await _existing(ctx, body.attribute_id)
    assignment = AttributeAssignment(
        user_id=user_id,
        attribute_id=body.attribute_id,
        option_id=body.attribute_option_id,
        value=body.value,
        weight=body.weight,
    )
    held = [a for a in current.user_assignments() if (a.user_id, a.option_id) != (user_id, assignment.option_id)]
    attribute = _parse(ConfiguredAttribute.of(current.attribute(), [*held, assignment]).wire())
    await _save(ctx, attribute)
    return Envelope(data=assignment.wire())
