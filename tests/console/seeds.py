"""Users and event types for the console's screen tests: the owner (ada, user 1) hosts the event types,
another owner (bob, user 2) has none of them, and both can hold webhooks."""

from domain.config import EventType
from store.db import Database
from testkit.stack import ORGANIZER, event_type, seed
from tests.access.world import OTHER


async def seed_owners(db: Database, *event_types: int | EventType) -> list[EventType]:
    """Both owners, and these event types (an id: the kit's default type) hosted by the owner (user 1)."""
    types = [e if isinstance(e, EventType) else event_type(e) for e in event_types]
    await seed(db, *types, users=(ORGANIZER, OTHER))
    return types
