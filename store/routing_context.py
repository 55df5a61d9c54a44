"""The routing context of a decision, read from the store: members, attributes, event types, history."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.config import EventType, User
from domain.routing_forms import RoutingContext, RoutingEventType, RoutingHost, TeamMember
from store import config, routing

DEFAULT_PRIORITY = 2


def routing_event_type(event_type: EventType, users: dict[int, User]) -> RoutingEventType:
    """An event type as host choice sees it: its hosts with their emails (unknown users left out)."""
    hosts = [
        RoutingHost(
            user_id=h.user_id,
            email=str(users[h.user_id].email),
            priority=h.priority if h.priority is not None else DEFAULT_PRIORITY,
        )
        for h in event_type.hosts
        if h.user_id in users
    ]
    return RoutingEventType(
        id=event_type.id, slug=event_type.slug, scheduling_type=event_type.scheduling_type, hosts=hosts
    )


async def load_context(session: AsyncSession, at: datetime) -> RoutingContext:
    """Everything a decision at ``at`` reads; the round-robin history covers the current month."""
    users = {u.id: u for u in await config.list_users(session)}
    event_types = [routing_event_type(e, users) for e in await config.list_event_types(session)]
    return RoutingContext(
        members=[TeamMember(user_id=u.id, email=str(u.email), name=u.name) for u in users.values()],
        attributes=await routing.list_attributes(session),
        assignments=await routing.list_assignments(session),
        event_types=event_types,
        history=await routing.assignment_history(session, [e.id for e in event_types], routing.month_start(at)),
    )
