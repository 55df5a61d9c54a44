"""Booking sync to Salesforce (seed §6.2): an Event per booking, person records, field writes, no-show.

Idempotent: before creating, the Event is looked up by its natural key (WhoId, OwnerId, StartDateTime,
Subject) or, if configured, by an external-id field holding the booking uid; a retried create finds the
first Event instead of making a second. Field errors drop the offending mapped fields and are reported
as ``SyncError``s in the result; outages raise so the activity retries.
"""

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from simple_salesforce import format_soql

from crm.base import BlockingBookingSync, SyncError, SyncResult
from crm.mapping_values import resolve_value
from crm.mappings import FieldMapping, MappingMoment, MappingObject
from crm.salesforce.accounts import AccountFetcher
from crm.salesforce.connection import SalesforceConnection
from crm.salesforce.owner import SettingsSource
from crm.salesforce.people import Person, ensure_person, find_people
from crm.salesforce.settings import SalesforceSettings
from crm.salesforce.writes import write
from domain.booking import Attendee, Booking


def event_fields(booking: Booking) -> dict[str, Any]:
    """The Event's own fields: times, subject, description with the invitee's time zone, location."""
    notes = booking.description or "-"
    return {
        "Subject": booking.title,
        "StartDateTime": booking.start.astimezone(UTC).isoformat(),
        "EndDateTime": booking.end.astimezone(UTC).isoformat(),
        "Description": f"Invitee timezone: {booking.attendees[0].time_zone}\nAdditional notes: {notes}",
        "Location": booking.location or "",
    }


def to_salesforce(m: FieldMapping, value: Any) -> Any:
    """A resolved mapping value in Salesforce's JSON form (dates as YYYY-MM-DD, datetimes ISO in UTC)."""
    if isinstance(value, datetime):
        return value.date().isoformat() if m.type == "date" else value.astimezone(UTC).isoformat()
    return value


def person_object(record_id: str) -> str:
    """The sObject of a WhoId by its key prefix: 00Q is a Lead, otherwise a Contact (REF)."""
    return "Lead" if record_id.startswith("00Q") else "Contact"


class SalesforceBookingSync(BlockingBookingSync):
    """``crm.base.BookingSync`` for Salesforce. ``settings``: one event type's settings or a function of its id."""

    def __init__(
        self,
        connection: SalesforceConnection,
        settings: SettingsSource,
        fetcher: AccountFetcher | None = None,
        context: Callable[[Booking], Mapping[str, Any]] | None = None,
    ) -> None:
        self.conn = connection
        self._settings = settings
        self.fetcher = fetcher or AccountFetcher(connection)
        self._context = context or (lambda _b: {})

    def settings_for(self, booking: Booking) -> SalesforceSettings:
        s = self._settings
        return s if isinstance(s, SalesforceSettings) else s(booking.event_type.id)

    # -- the work (synchronous: simple-salesforce is) ----------------------------------------------------

    def _mapped(
        self,
        booking: Booking,
        s: SalesforceSettings,
        on: MappingMoment,
        obj: MappingObject,
        current: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        now = datetime.now(UTC)
        out: dict[str, Any] = {}
        for m in s.field_mappings.select(on, obj):
            if m.when == "field_empty" and current is not None and current.get(m.field) not in (None, ""):
                continue
            value = resolve_value(m, booking, now, self._context(booking))
            if value is not None:
                out[m.field] = to_salesforce(m, value)
        return out

    def _user_id(self, email: str) -> str | None:
        rows = self.conn.query(format_soql("SELECT Id FROM User WHERE Email = {} AND IsActive = true LIMIT 1", email))
        return rows[0]["Id"] if rows else None

    def created(self, booking: Booking) -> SyncResult:
        """Person records, then the Event (found, not duplicated, on retry), then person field writes."""
        s = self.settings_for(booking)
        errors: list[SyncError] = []
        owner_id = self._user_id(str(booking.organizer.email))
        attendees = booking.attendees[:1] if s.ignore_guests else booking.attendees
        fuzzy = self.conn.credential.fuzzy_domain_matching
        people = [p for a in attendees if (p := ensure_person(self.conn, self.fetcher, booking, a, s, owner_id, fuzzy))]
        if not people:
            return SyncResult(errors=errors)
        core = {**event_fields(booking), "WhoId": people[0].id, **({"OwnerId": owner_id} if owner_id else {})}
        event_id = self._existing_event(core) or write(
            self.conn, "Event", None, core, self._mapped(booking, s, "booking", "event"), errors
        )
        for p in people:
            self._write_person(booking, s, "booking", p, errors, owner_id)
        return SyncResult(external_id=event_id, person_ids=[p.id for p in people], errors=errors)

    def _existing_event(self, core: Mapping[str, Any]) -> str | None:
        start = datetime.fromisoformat(core["StartDateTime"])
        rows = self.conn.query(
            format_soql(
                "SELECT Id FROM Event WHERE WhoId = {} AND StartDateTime = {} AND Subject = {} ORDER BY Id LIMIT 1",
                core["WhoId"],
                start,
                core["Subject"],
            )
        )
        return rows[0]["Id"] if rows else None

    def _write_person(
        self,
        booking: Booking,
        s: SalesforceSettings,
        on: MappingMoment,
        p: Person,
        errors: list[SyncError],
        owner_id: str | None = None,
    ) -> None:
        mappings = s.field_mappings.select(on, "person")
        change_owner = on == "booking" and s.change_record_owner_on_booking and owner_id and not p.created
        if not mappings and not change_owner:
            return
        current: dict[str, Any] = {}
        if any(m.when == "field_empty" for m in mappings) or change_owner:
            current = self.conn.get(p.obj, p.id)
        required: dict[str, Any] = {}
        if change_owner and self._may_take_over(s, current):
            required["OwnerId"] = owner_id
        write(self.conn, p.obj, p.id, required, self._mapped(booking, s, on, "person", current), errors)

    def _may_take_over(self, s: SalesforceSettings, current: Mapping[str, Any]) -> bool:
        # G7: only records currently owned by the named user are reassigned, when a name is configured.
        if not s.change_record_owner_only_from:
            return True
        owner = current.get("OwnerId")
        rows = self.conn.query(format_soql("SELECT Name FROM User WHERE Id = {}", owner)) if owner else []
        return bool(rows) and (rows[0].get("Name") or "").casefold() == s.change_record_owner_only_from.casefold()

    def rescheduled(self, booking: Booking, external_id: str) -> SyncResult:
        """Move the Event to the new time (subject, description and location follow)."""
        self.conn.update("Event", external_id, event_fields(booking))
        return SyncResult(external_id=external_id)

    def cancelled(self, booking: Booking, external_id: str) -> SyncResult:
        """Delete the Event, or write the cancel fields to it; then the person writes via Event.WhoId."""
        s = self.settings_for(booking)
        errors: list[SyncError] = []
        who = self.conn.get("Event", external_id).get("WhoId")
        deleted = s.cancel_action == "delete"
        if deleted:
            self.conn.delete("Event", external_id)
        else:
            write(self.conn, "Event", external_id, {}, self._mapped(booking, s, "cancellation", "event"), errors)
        if who:
            self._write_person(booking, s, "cancellation", Person(who, person_object(who)), errors)
        return SyncResult(external_id=external_id, person_ids=[who] if who else [], deleted=deleted, errors=errors)

    def seat_added(self, booking: Booking, external_id: str, seat: Attendee) -> SyncResult:
        """The seat's Contact or Lead (found or created as for a booking's attendee) is related to the Event
        (an EventRelation, as Shared Activities relates several people to one Event), then the booking's
        person writes."""
        s = self.settings_for(booking)
        errors: list[SyncError] = []
        owner_id = self._user_id(str(booking.organizer.email))
        fuzzy = self.conn.credential.fuzzy_domain_matching
        person = ensure_person(self.conn, self.fetcher, booking, seat, s, owner_id, fuzzy)
        if person is None:
            return SyncResult(external_id=external_id)
        if self.conn.get("Event", external_id).get("WhoId") != person.id and not self._relations(
            external_id, [person.id]
        ):
            relation = {
                "EventId": external_id,
                "RelationId": person.id,
                "IsParent": True,
                "IsWhat": False,
                "IsInvitee": False,
            }
            write(self.conn, "EventRelation", None, relation, {}, errors)
        self._write_person(booking, s, "booking", person, errors, owner_id)
        return SyncResult(external_id=external_id, person_ids=[person.id], errors=errors)

    def seat_removed(self, booking: Booking, external_id: str, seat: Attendee, cancelled: bool) -> SyncResult:
        """The seat's people leave the Event: their EventRelations are deleted, and if one was the Event's
        WhoId, the person of the booking's first remaining attendee takes its place. A cancelled seat's person
        then gets the cancellation's person writes."""
        s = self.settings_for(booking)
        errors: list[SyncError] = []
        found = find_people(self.conn, str(seat.email), s)
        people = [Person(r["Id"], obj) for obj, rows in found.items() for r in rows]
        ids = [p.id for p in people]
        for relation in self._relations(external_id, ids) if ids else []:
            self.conn.delete("EventRelation", relation)
        if self.conn.get("Event", external_id).get("WhoId") in ids:
            self.conn.update("Event", external_id, {"WhoId": self._first_remaining(booking, s, ids)})
        if cancelled:
            for p in people[:1]:
                self._write_person(booking, s, "cancellation", p, errors)
        return SyncResult(external_id=external_id, person_ids=ids, errors=errors)

    def _relations(self, event_id: str, person_ids: list[str]) -> list[str]:
        """The ids of the Event's EventRelations to these people."""
        soql = format_soql("SELECT Id FROM EventRelation WHERE EventId = {} AND RelationId IN {}", event_id, person_ids)
        return [r["Id"] for r in self.conn.query(soql)]

    def _first_remaining(self, booking: Booking, s: SalesforceSettings, leaving: list[str]) -> str | None:
        """The person record of the first attendee still on the booking (None: the Event keeps no WhoId)."""
        for attendee in booking.attendees:
            found = find_people(self.conn, str(attendee.email), s)
            ids = [r["Id"] for rows in found.values() for r in rows if r["Id"] not in leaving]
            if ids:
                return ids[0]
        return None

    def no_show(self, booking: Booking, external_id: str) -> SyncResult:
        """Write whether the Event's person (WhoId) was absent to the configured boolean Event field."""
        s = self.settings_for(booking)
        if not s.no_show_field:
            return SyncResult(external_id=external_id)
        who = self.conn.get("Event", external_id).get("WhoId")
        email = self.conn.get(person_object(who), who).get("Email") if who else None
        match = [a for a in booking.attendees if email and str(a.email).lower() == str(email).lower()]
        absent = any(a.absent for a in (match or booking.attendees))
        errors: list[SyncError] = []
        write(self.conn, "Event", external_id, {}, {s.no_show_field: absent}, errors)
        return SyncResult(external_id=external_id, errors=errors)
