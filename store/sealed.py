"""Every column that holds a sealed secret, and sealing them all under the current key on start.

A row written before encryption (plaintext) or under a retired key (listed in BOOKFLOW_SECRET_KEYS_OLD)
is sealed again under the current key, so the old key can then be dropped. A new sealed column is
added to ``SEALED_COLUMNS``.
"""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from store.calendars import ConnectionRow
from store.secrets import keyring_of
from store.webhooks import SubscriptionRow

SEALED_COLUMNS: tuple[InstrumentedAttribute, ...] = (SubscriptionRow.secret, ConnectionRow.key)


async def reseal_all(session: AsyncSession) -> int:
    """Seal every stored secret that is plaintext or under an old key; how many were sealed again."""
    keyring, changed = keyring_of(session), 0
    for column in SEALED_COLUMNS:
        for row in await session.scalars(select(column.class_).where(column.is_not(None))):
            if (resealed := keyring.reseal(getattr(row, column.key))) is not None:
                setattr(row, column.key, resealed)
                changed += 1
    return changed
