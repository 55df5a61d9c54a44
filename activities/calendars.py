"""Calendar activities: sync a connection's selected calendars into the store, and keep a booking's
destination event in step with the booking.

Every call checks the connection's URL (and each calendar's) against the outbound URL policy first. The
client libraries block, so provider calls run in a thread. Failures are counted on the connection
(``syncErrorCount``, ``syncErrorAt``, ``error``); a refused credential stops retrying and marks the
connection ``token_expired`` until it is connected again.
"""

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.net import Resolver, checked_target, system_resolver
from calendars import oauth
from calendars.busy import busy_intervals
from calendars.caldav_provider import CalDavProvider
from calendars.google_provider import GoogleProvider
from calendars.graph_provider import GraphProvider
from calendars.ics_provider import IcsFeedProvider
from calendars.mapping import event_content
from calendars.model import CalendarError, CredentialRejected, SyncedEvent
from calendars.provider import CalendarProvider
from domain.booking import Booking, BookingStatus
from domain.calendars import BookingReference, CalendarConnection, CalendarRef, ConnectedCalendar, OAuthClient
from domain.url_policy import OutboundPolicy, UnresolvedHost, UrlRefused
from store import bookings, config
from store import calendars as store
from store.db import Database

# The stored copy covers this much time around now (recurring events are expanded inside it).
LOOK_BACK = timedelta(days=1)
LOOK_AHEAD = timedelta(days=60)
CALDAV = ("apple_calendar", "caldav_calendar")
ICS_FEED = "ics-feed_calendar"
# Integrations whose calendars are named by their URL: each is checked against the URL rules at every call.
URL_CALENDARS = (*CALDAV, ICS_FEED)

ProviderFactory = Callable[[CalendarConnection, dict[str, str]], CalendarProvider]


def calendar_policy(allow_private: bool) -> OutboundPolicy:
    """Calendar servers are user-supplied URLs: private targets only in self-hosted mode."""
    return OutboundPolicy(allow_private, private_switch="BOOKFLOW_ALLOW_PRIVATE_URLS=true")


def default_provider(connection: CalendarConnection, credentials: dict[str, str]) -> CalendarProvider:
    """The adapter for the connection's integration."""
    if connection.integration in CALDAV:
        return CalDavProvider(connection.url, credentials.get("username", ""), credentials.get("password", ""))
    if connection.integration == "google_calendar":
        return GoogleProvider(credentials, api_root=connection.url)
    if connection.integration == "office365_calendar":
        return GraphProvider(credentials, api_root=connection.url)
    if connection.integration == ICS_FEED:
        return IcsFeedProvider(json.loads(credentials.get("urls", "[]")))
    raise CalendarError(f"{connection.integration} is not supported yet", retryable=False)


class SyncRequest(BaseModel):
    connection_id: int
    # Read the list of calendars too (at connect time and on demand); periodic syncs skip it.
    list_calendars: bool = False


class SyncReport(BaseModel):
    connection_id: int
    ok: bool
    status: str
    error: str | None = None
    calendars: int = 0
    synced: int = 0
    changed: int = 0
    provider_calls: int = 0
    gone: bool = False


class EventWrite(BaseModel):
    """What one write did to a booking's destination event."""

    booking_uid: str
    action: str  # "created", "updated", "deleted", "none"
    event_id: str | None = None


def _now() -> datetime:
    return datetime.now(UTC)


class CalendarActivities:
    def __init__(
        self,
        db: Database,
        policy: OutboundPolicy,
        resolve: Resolver = system_resolver,
        providers: ProviderFactory = default_provider,
    ) -> None:
        self._db, self._policy, self._resolve, self._providers = db, policy, resolve, providers

    def activities(self) -> list[Any]:
        return [self.sync_connection, self.write_booking_event]

    async def _provider(self, connection_id: int, *urls: str) -> tuple[CalendarConnection, CalendarProvider]:
        async with self._db.sessions() as session:
            connection = await store.get_connection(session, connection_id)
            if connection is None:
                raise LookupError(f"calendar connection {connection_id} does not exist")
            credentials = await store.credentials_of(session, connection_id)
        if connection.integration == ICS_FEED:  # listing fetches every feed: each URL is checked now
            urls = (*urls, *json.loads(credentials.get("urls", "[]")))
        await self._check(connection, *urls)
        if credentials.get("code") and not credentials.get("refresh_token"):
            credentials = await self._redeem(connection_id, credentials)
        return connection, self._providers(connection, credentials)

    async def _redeem(self, connection_id: int, grant: dict[str, str]) -> dict[str, str]:
        """A connection saved from an OAuth consent: trade its code (and PKCE verifier) for tokens, once,
        and store them sealed in the code's place."""
        client = OAuthClient(
            client_id=grant["client_id"],
            client_secret=grant["client_secret"],
            authorize_url="",
            token_url=grant["token_uri"],
        )
        answer = await asyncio.to_thread(
            oauth.exchange_code, client, grant["code"], grant["code_verifier"], grant["redirect_uri"]
        )
        if not answer.refresh_token:
            raise CredentialRejected("code exchange: the provider gave no refresh token (offline access refused)")
        tokens = {"access_token": answer.access_token, "refresh_token": answer.refresh_token, "code": ""}
        async with self._db.transaction() as session:
            await store.update_credentials(session, connection_id, tokens | {"code_verifier": ""})
        return grant | tokens

    async def _check(self, connection: CalendarConnection, *calendar_ids: str) -> None:
        """The outbound URL rules, now: the connection's server and (CalDAV) each calendar's URL."""
        urls = [connection.url, *(calendar_ids if connection.integration in URL_CALENDARS else ())]
        for url in urls:
            try:
                await checked_target(url, self._policy, self._resolve)
            except UnresolvedHost as unresolved:
                raise CalendarError(str(unresolved)) from None  # DNS may recover: retried
            except UrlRefused as refused:
                raise CalendarError(f"calendar URL refused: {refused}", retryable=False) from None

    async def _keep_token(self, connection_id: int, provider: CalendarProvider) -> None:
        """Store tokens the client refreshed during its calls (sealed like the rest): the access token, and
        the refresh token where the provider rotates it (Microsoft)."""
        changes = getattr(provider, "refreshed_credentials", lambda: None)()
        if changes is None:
            token = getattr(provider, "refreshed_token", lambda: None)()
            changes = {"access_token": token} if token else None
        if changes:
            async with self._db.transaction() as session:
                await store.update_credentials(session, connection_id, changes)

    async def _failed(self, connection_id: int, failure: CalendarError) -> ApplicationError:
        """Record the failure on the connection; the error Temporal sees (retried unless it cannot help)."""
        status = "token_expired" if isinstance(failure, CredentialRejected) else "error"
        async with self._db.transaction() as session:
            await store.record_failure(session, connection_id, str(failure), _now(), status)
        return ApplicationError(str(failure), type=type(failure).__name__, non_retryable=not failure.retryable)

    @activity.defn
    async def sync_connection(self, request: SyncRequest) -> SyncReport:
        """Bring the stored copy of the connection's selected calendars up to date (incrementally)."""
        connection_id = request.connection_id
        try:
            connection, provider = await self._provider(connection_id)
        except LookupError:
            return SyncReport(connection_id=connection_id, ok=False, status="gone", gone=True)
        except CalendarError as failure:
            raise await self._failed(connection_id, failure) from None
        try:
            report = await self._sync(connection, provider, request.list_calendars)
        except CalendarError as failure:
            raise await self._failed(connection_id, failure) from None
        finally:
            await self._keep_token(connection_id, provider)
        async with self._db.transaction() as session:
            await store.record_success(session, connection_id, _now())
        return report

    async def _sync(self, connection: CalendarConnection, provider: CalendarProvider, listing: bool) -> SyncReport:
        async with self._db.sessions() as session:
            known = await store.calendars_of(session, connection.id)
        if listing or not known:
            found = await asyncio.to_thread(provider.list_calendars)
            async with self._db.transaction() as session:
                await store.save_calendars(
                    session,
                    connection.id,
                    [
                        ConnectedCalendar(
                            connection_id=connection.id,
                            external_id=c.external_id,
                            name=c.name,
                            primary=c.primary,
                            read_only=c.read_only,
                        )
                        for c in found
                    ],
                )
                known = await store.calendars_of(session, connection.id)
        async with self._db.sessions() as session:
            selected = [
                r for _, r in await store.selected_of(session, [connection.user_id]) if r.credential_id == connection.id
            ]
            states = await store.sync_states(session, connection.id, [r.external_id for r in selected])
            user = await _user(session, connection.user_id)
        changed = 0
        for state in states:
            changed += await self._sync_calendar(connection, provider, state, user)
        calls = getattr(provider, "calls", 0)
        return SyncReport(
            connection_id=connection.id,
            ok=True,
            status="ok",
            calendars=len(known),
            synced=len(states),
            changed=changed,
            provider_calls=calls,
        )

    async def _sync_calendar(
        self, connection: CalendarConnection, provider: CalendarProvider, state: store.CalendarState, user: Any
    ) -> int:
        await self._check(connection, state.external_id)
        now = _now()
        marker = await asyncio.to_thread(provider.change_marker, state.external_id)
        if marker is not None and marker == state.ctag and state.sync_token:
            async with self._db.transaction() as session:
                await store.mark_checked(session, state, now)
            return 0
        changes = await asyncio.to_thread(provider.sync, state.external_id, state.sync_token)
        window = (now - LOOK_BACK, now + LOOK_AHEAD)
        zone = user.time_zone if user else "UTC"
        email = str(user.email) if user else None
        stored = [
            store.StoredEvent(
                event_id=e.event_id,
                etag=e.etag,
                ics=e.ics,
                busy=[
                    (b.start, b.end)
                    for b in _busy(
                        e, window, tentative_blocks=connection.tentative_blocks, owner_email=email, zone=zone
                    )
                ],
            )
            for e in changes.changed
        ]
        async with self._db.transaction() as session:
            await store.apply_sync(
                session,
                state,
                connection.user_id,
                token=changes.token,
                ctag=marker,
                full=changes.full,
                changed=stored,
                deleted=changes.deleted,
                now=now,
            )
        return len(changes.changed) + len(changes.deleted)

    @activity.defn
    async def write_booking_event(self, booking_uid: str) -> EventWrite:
        """Make the booking's destination event match the booking: there (once) while it holds time, else gone."""
        async with self._db.sessions() as session:
            booking = await bookings.get(session, booking_uid)
            if booking is None:
                raise LookupError(f"booking {booking_uid} is not in the store")  # retried: the commit may lag
            chain = await booking_chain(session, booking)
            reference = await live_reference(session, chain)
            target = None
            if reference is None and _holds_time(booking):
                target = await store.destination_of_booking(session, booking.organizer.id, booking.event_type)
        if booking.rescheduled:
            # Its successor moves the same event; nothing is deleted.
            return EventWrite(booking_uid=booking_uid, action="none")
        if not _holds_time(booking):
            if reference is None:
                return EventWrite(booking_uid=booking_uid, action="none")
            await self._delete(booking_uid, reference)
            return EventWrite(booking_uid=booking_uid, action="deleted", event_id=reference.uid)
        if reference is not None:
            target = CalendarRef(
                integration=reference.type,
                external_id=reference.external_calendar_id,
                credential_id=reference.credential_id,
            )
            uid, known_id = reference.ical_uid, reference.uid
        elif target is not None:
            uid, known_id = chain[-1].ical_uid, None
        else:
            return EventWrite(booking_uid=booking_uid, action="none")
        return await self._put(booking, target, uid, known_id)

    async def _write(self, connection_id: int, calendar_id: str, call: Callable[[CalendarProvider], Any]) -> Any:
        """One provider write; tokens refreshed on the way are kept even when the write fails (Microsoft's
        refresh token rotates: losing the new one would lose the connection)."""
        _, provider = await self._provider(connection_id, calendar_id)
        try:
            return await asyncio.to_thread(call, provider)
        finally:
            await self._keep_token(connection_id, provider)

    async def _put(self, booking: Booking, target: CalendarRef, uid: str, event_id: str | None) -> EventWrite:
        content = event_content(booking, uid, _now())
        try:
            written = await self._write(
                target.credential_id, target.external_id, lambda p: p.put_event(target.external_id, content, event_id)
            )
        except LookupError:
            return EventWrite(booking_uid=booking.uid, action="none")  # disconnected meanwhile
        except CalendarError as failure:
            raise await self._failed(target.credential_id, failure) from None
        reference = BookingReference(
            booking_uid=booking.uid,
            type=target.integration,
            uid=written.event_id,
            ical_uid=uid,
            external_calendar_id=target.external_id,
            credential_id=target.credential_id,
            sequence=booking.ical_sequence,
        )
        async with self._db.transaction() as session:
            await store.save_reference(session, reference, _now())
            await store.record_success(session, target.credential_id, _now())
        action = "created" if written.created else "updated"
        return EventWrite(booking_uid=booking.uid, action=action, event_id=written.event_id)

    async def _delete(self, booking_uid: str, reference: BookingReference) -> None:
        try:
            calendar_id = reference.external_calendar_id
            await self._write(
                reference.credential_id, calendar_id, lambda p: p.delete_event(calendar_id, reference.uid)
            )
        except LookupError:
            pass  # the connection is gone: so is our way to its events
        except CalendarError as failure:
            raise await self._failed(reference.credential_id, failure) from None
        async with self._db.transaction() as session:
            await store.save_reference(
                session, reference.model_copy(update={"booking_uid": booking_uid, "deleted": True}), _now()
            )


def _busy(event: SyncedEvent, window: tuple[datetime, datetime], **options: Any) -> list[Any]:
    try:
        return busy_intervals(event, window, **options)
    except ValueError:  # an event the parser cannot read blocks nothing rather than stopping the sync
        activity.logger.warning("calendar event %s could not be parsed", event.event_id)
        return []


def _holds_time(booking: Booking) -> bool:
    """Whether the booking belongs in its host's calendar (accepted, or pending and blocking its slot)."""
    if booking.status is BookingStatus.ACCEPTED:
        return True
    return booking.status is BookingStatus.PENDING and booking.event_type.requires_confirmation_will_block_slot


async def booking_chain(session: Any, booking: Booking) -> list[Booking]:
    """The booking and those it was rescheduled from, newest first (the last is the meeting's first booking)."""
    chain = [booking]
    while chain[-1].from_reschedule and len(chain) < 100:
        previous = await bookings.get(session, chain[-1].from_reschedule)
        if previous is None:
            break
        chain.append(previous)
    return chain


async def live_reference(session: Any, chain: list[Booking]) -> BookingReference | None:
    """The meeting's event: the newest reference along the chain, unless that one was deleted."""
    for booking in chain:
        for reference in await store.references_of(session, booking.uid):
            return None if reference.deleted else reference
    return None


async def _user(session: Any, user_id: int) -> Any:
    return await config.get_user(session, user_id)
