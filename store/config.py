"""Users and event types: the configuration that bookings are made against."""

from typing import Any

from sqlalchemy import Integer, String, UniqueConstraint, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from domain.config import Configuration, EventType, User
from store import availability, crm, routing
from store.db import Base


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    username: Mapped[str] = mapped_column(String(255), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    data: Mapped[dict[str, Any]]


class EventTypeRow(Base):
    __tablename__ = "event_types"
    __table_args__ = (UniqueConstraint("owner_id", "slug"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    slug: Mapped[str] = mapped_column(String(255))
    owner_id: Mapped[int] = mapped_column(Integer, index=True)
    data: Mapped[dict[str, Any]]


async def upsert_user(session: AsyncSession, user: User) -> None:
    row = await session.get(UserRow, user.id) or UserRow(id=user.id)
    row.username, row.email, row.data = user.username, str(user.email), user.wire()
    session.add(row)


async def upsert_event_type(session: AsyncSession, event_type: EventType) -> None:
    row = await session.get(EventTypeRow, event_type.id) or EventTypeRow(id=event_type.id)
    row.slug, row.owner_id = event_type.slug, event_type.hosts[0].user_id
    row.data = event_type.wire()
    session.add(row)


async def apply_configuration(session: AsyncSession, config: Configuration) -> None:
    """Upsert every user and event type of ``config`` (the caller's transaction makes it all-or-nothing)."""
    for user in config.users:
        await upsert_user(session, user)
    await session.flush()
    await availability.apply_configuration(session, config)
    for event_type in config.event_types:
        await upsert_event_type(session, event_type)
    for attribute in config.attributes:
        await routing.save_configured_attribute(session, attribute)
    for form in config.routing_forms:
        await routing.save_form(session, form)
    if config.crm:
        await crm.save_config(session, config.crm)


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    row = await session.get(UserRow, user_id)
    return User.model_validate(row.data) if row else None


async def list_users(session: AsyncSession) -> list[User]:
    rows = await session.scalars(select(UserRow).order_by(UserRow.id))
    return [User.model_validate(r.data) for r in rows]


async def get_event_type(session: AsyncSession, event_type_id: int) -> EventType | None:
    row = await session.get(EventTypeRow, event_type_id)
    return EventType.model_validate(row.data) if row else None


async def find_event_type(session: AsyncSession, username: str, slug: str) -> EventType | None:
    """The event type ``slug`` owned (first-hosted) by ``username``."""
    query = (
        select(EventTypeRow)
        .join(UserRow, UserRow.id == EventTypeRow.owner_id)
        .where(UserRow.username == username, EventTypeRow.slug == slug)
    )
    row = await session.scalar(query)
    return EventType.model_validate(row.data) if row else None


async def list_event_types(session: AsyncSession) -> list[EventType]:
    rows = await session.scalars(select(EventTypeRow).order_by(EventTypeRow.id))
    return [EventType.model_validate(r.data) for r in rows]


async def delete_event_type(session: AsyncSession, event_type_id: int) -> bool:
    result = await session.execute(delete(EventTypeRow).where(EventTypeRow.id == event_type_id))
    return result.rowcount > 0


async def export_configuration(session: AsyncSession) -> Configuration:
    return Configuration(
        users=await list_users(session),
        schedules=await availability.list_schedules(session),
        out_of_office=await availability.list_out_of_office(session),
        event_types=await list_event_types(session),
        routing_forms=await routing.list_forms(session),
        attributes=await routing.list_configured_attributes(session),
        crm=await crm.get_config(session),
    )
