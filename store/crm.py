"""CRM state: the configured ``crm`` section, each booking's CRM record ids, the sync steps done, the
sync errors admins must see, and the geo headers of routing-form submissions.

A sync step (one action of one booking for one provider) is recorded with the external id it produced
and its errors in one transaction, so a retried activity finds the step done and repeats nothing.
"""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime
from sqlalchemy import BigInteger, Boolean, DateTime, Integer, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import CamelModel
from store.db import Base, as_utc

CONFIG_ROW = 1


class CrmConfigRow(Base):
    __tablename__ = "crm_config"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CrmRecordRow(Base):
    __tablename__ = "crm_records"
    booking_uid: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(255))
    deleted: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CrmStepRow(Base):
    __tablename__ = "crm_steps"
    step_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    booking_uid: Mapped[str] = mapped_column(String(64), index=True)
    provider: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str | None] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CrmSyncErrorRow(Base):
    __tablename__ = "crm_sync_errors"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    booking_uid: Mapped[str] = mapped_column(String(64), index=True)
    provider: Mapped[str] = mapped_column(String(16), index=True)
    event_type_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(128))
    message: Mapped[str] = mapped_column(Text)
    dropped_fields: Mapped[list[Any]]
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class CrmRequestGeoRow(Base):
    __tablename__ = "crm_request_geo"
    response_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    headers: Mapped[dict[str, Any]]


class CrmRecord(CamelModel):
    """The CRM's meeting record of one booking (an Event in Salesforce, a meeting in HubSpot)."""

    booking_uid: str
    provider: str
    external_id: str
    deleted: bool = False


class CrmSyncErrorRecord(CamelModel):
    """A sync error as stored and shown (``bookflow crm errors``, GET /v2/crm/errors)."""

    id: int | None = None
    booking_uid: str
    provider: str
    event_type_id: int | None = None
    action: str
    code: str
    message: str
    dropped_fields: list[str] = []
    at: AwareDatetime


# -- configuration ------------------------------------------------------------------------------------


async def save_config(session: AsyncSession, data: Mapping[str, Any]) -> None:
    """Replace the stored ``crm`` section (already validated and normalized by the caller)."""
    row = await session.get(CrmConfigRow, CONFIG_ROW) or CrmConfigRow(id=CONFIG_ROW)
    row.data, row.updated_at = dict(data), datetime.now(UTC)
    session.add(row)


async def get_config(session: AsyncSession) -> dict[str, Any]:
    """The stored ``crm`` section, or {} when none was applied."""
    row = await session.get(CrmConfigRow, CONFIG_ROW)
    return dict(row.data) if row else {}


# -- records and steps ----------------------------------------------------------------------------------


async def get_record(session: AsyncSession, booking_uid: str, provider: str) -> CrmRecord | None:
    row = await session.get(CrmRecordRow, (booking_uid, provider))
    if row is None:
        return None
    return CrmRecord(
        booking_uid=row.booking_uid, provider=row.provider, external_id=row.external_id, deleted=row.deleted
    )


async def step_done(session: AsyncSession, step_id: str) -> bool:
    return await session.get(CrmStepRow, step_id) is not None


async def record_step(
    session: AsyncSession,
    step_id: str,
    action: str,
    record: CrmRecord | None,
    errors: Sequence[CrmSyncErrorRecord],
    booking_uid: str,
    provider: str,
) -> None:
    """Mark a step done with the record it left (if any) and its errors; the caller's transaction."""
    now = datetime.now(UTC)
    external_id = record.external_id if record else None
    session.add(
        CrmStepRow(
            step_id=step_id, booking_uid=booking_uid, provider=provider, action=action, external_id=external_id, at=now
        )
    )
    if record is not None:
        row = await session.get(CrmRecordRow, (record.booking_uid, record.provider))
        row = row or CrmRecordRow(booking_uid=record.booking_uid, provider=record.provider)
        row.external_id, row.deleted, row.updated_at = record.external_id, record.deleted, now
        session.add(row)
    for error in errors:
        await add_error(session, error)


async def add_error(session: AsyncSession, error: CrmSyncErrorRecord) -> None:
    session.add(
        CrmSyncErrorRow(
            booking_uid=error.booking_uid,
            provider=error.provider,
            event_type_id=error.event_type_id,
            action=error.action,
            code=error.code,
            message=error.message,
            dropped_fields=list(error.dropped_fields),
            at=error.at,
        )
    )


async def list_errors(
    session: AsyncSession, limit: int = 100, provider: str | None = None, booking_uid: str | None = None
) -> list[CrmSyncErrorRecord]:
    """The newest sync errors first, optionally of one provider or booking."""
    query = select(CrmSyncErrorRow).order_by(CrmSyncErrorRow.at.desc(), CrmSyncErrorRow.id.desc()).limit(limit)
    if provider:
        query = query.where(CrmSyncErrorRow.provider == provider)
    if booking_uid:
        query = query.where(CrmSyncErrorRow.booking_uid == booking_uid)
    return [
        CrmSyncErrorRecord(
            id=r.id,
            booking_uid=r.booking_uid,
            provider=r.provider,
            event_type_id=r.event_type_id,
            action=r.action,
            code=r.code,
            message=r.message,
            dropped_fields=list(r.dropped_fields),
            at=as_utc(r.at),
        )
        for r in await session.scalars(query)
    ]


# -- geo headers of routing submissions ---------------------------------------------------------------


def _geo_header_names(config: Mapping[str, Any]) -> set[str]:
    # The stored section is normalized (every default spelled out), so the names are always present.
    names = config.get("geoHeaders") or {}
    return {str(n).lower() for kind in ("country", "region") for n in names.get(kind, [])}


async def save_request_geo(session: AsyncSession, response_id: int, headers: Mapping[str, str]) -> None:
    """Keep the configured geo headers of a submission (only those: no cookies, no auth)."""
    wanted = _geo_header_names(await get_config(session))
    kept = {k.lower(): v for k, v in headers.items() if k.lower() in wanted}
    if kept:
        session.add(CrmRequestGeoRow(response_id=response_id, headers=kept))


async def request_geo(session: AsyncSession, response_id: int) -> dict[str, str]:
    row = await session.get(CrmRequestGeoRow, response_id)
    return dict(row.headers) if row else {}


async def has_steps(session: AsyncSession, booking_uid: str, provider: str) -> bool:
    """Has any sync step of this booking and provider finished (with or without a record)?"""
    query = select(CrmStepRow.step_id).where(CrmStepRow.booking_uid == booking_uid, CrmStepRow.provider == provider)
    return await session.scalar(query.limit(1)) is not None


class CrmStep(CamelModel):
    """One CRM write done for a booking (a step of its sync), as a booking's timeline shows it."""

    step_id: str
    provider: str
    action: str
    external_id: str | None
    at: AwareDatetime


async def steps_of(session: AsyncSession, booking_uid: str) -> list[CrmStep]:
    """The CRM writes done for one booking, oldest first."""
    rows = await session.scalars(
        select(CrmStepRow).where(CrmStepRow.booking_uid == booking_uid).order_by(CrmStepRow.at)
    )
    return [
        CrmStep(step_id=r.step_id, provider=r.provider, action=r.action, external_id=r.external_id, at=as_utc(r.at))
        for r in rows
    ]
