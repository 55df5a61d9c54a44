"""A booking's life as one HubSpot meeting: created, rescheduled, cancelled and no-show, never archived.

``HubSpotBookingSync`` implements ``crm.base.BookingSync``. Each method is idempotent: the meeting
carries the booking uid in a key property and is searched before it is created, and associations
are created with HubSpot's idempotent batch endpoint, so an activity retried after any partial
failure converges on the same single meeting.
"""

from datetime import UTC, datetime

from hubspot.crm.objects.meetings import (
    Filter,
    FilterGroup,
    PublicObjectSearchRequest,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.properties import PropertyCreate
from pydantic import Field

from crm.base import BlockingBookingSync, SyncError, SyncResult
from crm.hubspot.connection import HubSpotConnection
from crm.hubspot.errors import HubSpotError
from crm.hubspot.fields import FieldWriter
from crm.hubspot.meeting import (
    MeetingOutcome,
    attendance_outcome,
    meeting_properties,
    no_show_note,
)
from crm.hubspot.owners import OwnerIds
from crm.hubspot.records import HubSpotRecords, Person
from crm.mappings import API_NAME, FieldMappings, MappingMoment
from domain.base import CamelModel
from domain.booking import Attendee, Booking

OWNER = "hubspot_owner_id"
MEETING_TO_CONTACT = 200
MEETING_TO_COMPANY = 188
MEETING_TO_DEAL = 212


class HubSpotSyncOptions(CamelModel):
    """Per event type (Cal.com's HubSpot app settings, with our additions)."""

    create_contacts: bool = Field(default=True, description="False: Cal.com's skipContactCreation.")
    include_guests: bool = Field(default=True, description="False: Cal.com's ignoreGuests.")
    associate_company: bool = Field(default=True, description="Associate each contact's primary company.")
    associate_open_deal: bool = Field(default=False, description="Associate each contact's newest open deal.")
    key_property: str | None = Field(
        default="bookflow_booking_uid",
        pattern=API_NAME,
        description="Meeting property holding the booking uid, searched before create (created if missing).",
    )
    mappings: FieldMappings = FieldMappings()


class HubSpotBookingSync(BlockingBookingSync):
    """Mirrors bookings of one event type into HubSpot meetings."""

    def __init__(self, connection: HubSpotConnection, options: HubSpotSyncOptions | None = None) -> None:
        self._connection = connection
        self._options = options or HubSpotSyncOptions()
        self._records = HubSpotRecords(connection)
        self._fields = FieldWriter(connection, self._options.mappings)
        self._key_ready = False
        self._owner_ids = OwnerIds(connection)

    # -- crm.base.BookingSync ----------------------------------------------------------------------

    # -- blocking implementations --------------------------------------------------------------------

    def created(self, booking: Booking) -> SyncResult:
        """``on_created``, blocking."""
        errors: list[SyncError] = []
        existing, previous_uid = self._find_meeting(booking, errors)
        # A booking made by rescheduling another moves that booking's meeting instead of adding one.
        outcome = MeetingOutcome.RESCHEDULED if previous_uid else MeetingOutcome.SCHEDULED
        return self._upsert(booking, existing, outcome, errors)

    def rescheduled(self, booking: Booking, external_id: str) -> SyncResult:
        """``on_rescheduled``, blocking."""
        return self._upsert(booking, external_id, MeetingOutcome.RESCHEDULED, [])

    def cancelled(self, booking: Booking, external_id: str) -> SyncResult:
        """``on_cancelled``, blocking."""
        properties = {"hs_meeting_outcome": MeetingOutcome.CANCELED.value}
        return self._update_only(booking, external_id, properties, moment="cancellation")

    def no_show(self, booking: Booking, external_id: str) -> SyncResult:
        """``on_no_show``, blocking."""
        properties = {
            "hs_meeting_outcome": attendance_outcome(booking, datetime.now(UTC)).value,
            "hs_internal_meeting_notes": no_show_note(booking),
        }
        return self._update_only(booking, external_id, properties, moment=None)

    def seat_added(self, booking: Booking, external_id: str, seat: Attendee) -> SyncResult:
        """``on_seat_added``, blocking: the seat's contact (created if allowed) on the meeting, with its
        company and open deal as the options say, and the booking's contact writes."""
        contacts = self._contacts(booking, [str(seat.email).lower()] if seat.has_mailbox else [])
        self._associate(external_id, list(contacts.values()))
        errors = self._fields.write_person(self._records, booking, "booking", contacts)
        return SyncResult(external_id=external_id, person_ids=sorted(contacts.values()), errors=errors)

    def seat_removed(self, booking: Booking, external_id: str, seat: Attendee, cancelled: bool) -> SyncResult:
        """``on_seat_removed``, blocking: the seat's contact leaves the meeting (its company and deal stay, as
        other seats may share them); a cancelled seat's contact gets the cancellation's writes."""
        found = {e: c["id"] for e, c in self._records.find_contacts([str(seat.email)]).items()}
        self._records.dissociate("meetings", external_id, "contacts", list(found.values()))
        errors: list[SyncError] = []
        if cancelled and self._options.mappings.select("cancellation", "person"):
            errors = self._fields.write_person(self._records, booking, "cancellation", found)
        return SyncResult(external_id=external_id, person_ids=sorted(found.values()), errors=errors)

    # -- the meeting -----------------------------------------------------------------------------------

    def _upsert(
        self, booking: Booking, meeting_id: str | None, outcome: MeetingOutcome, errors: list[SyncError]
    ) -> SyncResult:
        contacts = self._contacts(booking)
        properties = meeting_properties(booking, outcome) | self._key(booking, errors) | self._owner(booking)
        current = self._read_meeting(meeting_id, errors) if meeting_id else None
        if meeting_id and current is None:
            meeting_id = None  # deleted in HubSpot: make a new one rather than lose the booking
        writes, write_errors = self._fields.event_writes(booking, "booking", current or {})
        errors += write_errors
        meeting_id = self._write_meeting(meeting_id, properties, writes, errors)
        self._associate(meeting_id, list(contacts.values()))
        errors += self._fields.write_person(self._records, booking, "booking", contacts)
        return SyncResult(external_id=meeting_id, person_ids=sorted(set(contacts.values())), errors=errors)

    def _owner(self, booking: Booking) -> dict[str, str]:
        """The meeting's owner: the HubSpot owner whose email is the host's (none if no such owner)."""
        owner_id = self._owner_ids.of(str(booking.organizer.email))
        return {OWNER: owner_id} if owner_id else {}

    def _update_only(
        self, booking: Booking, meeting_id: str, properties: dict[str, str], moment: MappingMoment | None
    ) -> SyncResult:
        errors: list[SyncError] = []
        current = self._read_meeting(meeting_id, errors)
        if current is None:  # deleted in HubSpot: recreate it in its final state
            outcome = MeetingOutcome(properties["hs_meeting_outcome"])
            result = self._upsert(booking, None, outcome, errors)
            if "hs_internal_meeting_notes" in properties:
                self._write_meeting(result.external_id, properties, {}, result.errors)
            return result
        writes: dict[str, str] = {}
        if moment == "cancellation":
            writes, write_errors = self._fields.event_writes(booking, "cancellation", current)
            errors += write_errors
        meeting_id = self._write_meeting(meeting_id, properties, writes, errors)
        ids: dict[str, str] = {}
        if moment == "cancellation" and self._options.mappings.select("cancellation", "person"):
            ids = {e: c["id"] for e, c in self._records.find_contacts(self._emails(booking)).items()}
            errors += self._fields.write_person(self._records, booking, "cancellation", ids)
        return SyncResult(external_id=meeting_id, person_ids=sorted(ids.values()), errors=errors)

    def _write_meeting(
        self, meeting_id: str | None, properties: dict[str, str], writes: dict[str, str], errors: list[SyncError]
    ) -> str:
        """Create or update; if HubSpot refuses the mapped fields, write the meeting without them."""
        try:
            return self._send_meeting(meeting_id, properties | writes)
        except HubSpotError as error:
            if not writes or error.status != 400:
                raise
            errors.append(error.error.model_copy(update={"dropped_fields": sorted(writes)}))
            return self._send_meeting(meeting_id, properties)

    def _send_meeting(self, meeting_id: str | None, properties: dict[str, str]) -> str:
        if meeting_id is None:
            body = SimplePublicObjectInputForCreate(properties=properties, associations=[])
            answer = self._connection.call("create meeting", lambda h: h.crm.objects.meetings.basic_api.create(body))
            return answer.id
        update = SimplePublicObjectInput(properties=properties)
        self._connection.call(
            f"update meeting {meeting_id}",
            lambda h: h.crm.objects.meetings.basic_api.update(meeting_id, simple_public_object_input=update),
        )
        return meeting_id

    def _read_meeting(self, meeting_id: str, errors: list[SyncError]) -> dict[str, str] | None:
        """The meeting's mapped properties, or None (with an error recorded) if it no longer exists."""
        wanted = ["hs_meeting_outcome", *self._fields.event_fields()]
        try:
            answer = self._connection.call(
                f"read meeting {meeting_id}",
                lambda h: h.crm.objects.meetings.basic_api.get_by_id(meeting_id, properties=wanted),
            )
        except HubSpotError as error:
            if error.status != 404:
                raise
            message = f"meeting {meeting_id} no longer exists in HubSpot; a new one was created"
            errors.append(SyncError(provider="hubspot", code="OBJECT_NOT_FOUND", message=message))
            return None
        return {k: v for k, v in (answer.properties or {}).items() if v is not None}

    def _find_meeting(self, booking: Booking, errors: list[SyncError]) -> tuple[str | None, str | None]:
        """The meeting already made for this booking (or the one it was rescheduled from) and that uid."""
        key = self._options.key_property
        if key is None or not self._ensure_key_property(errors):
            return None, None
        uids = [booking.uid, *([booking.from_reschedule] if booking.from_reschedule else [])]
        request = PublicObjectSearchRequest(
            filter_groups=[FilterGroup(filters=[Filter(property_name=key, operator="IN", values=uids)])],
            properties=[key],
            limit=10,
        )
        answer = self._connection.call(
            "find meeting by booking uid", lambda h: h.crm.objects.meetings.search_api.do_search(request)
        )
        by_uid = {(m.properties or {}).get(key): m.id for m in answer.results}
        if booking.uid in by_uid:
            return by_uid[booking.uid], None
        if booking.from_reschedule in by_uid:
            return by_uid[booking.from_reschedule], booking.from_reschedule
        return None, None

    def _key(self, booking: Booking, errors: list[SyncError]) -> dict[str, str]:
        key = self._options.key_property
        return {key: booking.uid} if key and self._ensure_key_property(errors) else {}

    def _ensure_key_property(self, errors: list[SyncError]) -> bool:
        """Create the key property on meetings once; without it retries could duplicate (reported)."""
        if self._key_ready:
            return True
        key = self._options.key_property
        assert key is not None
        try:
            self._connection.call("read key property", lambda h: h.crm.properties.core_api.get_by_name("meetings", key))
        except HubSpotError as error:
            if error.status != 404:
                raise
            try:
                self._create_key_property(key)
            except HubSpotError as create_error:
                if create_error.status == 409:  # created meanwhile by another worker
                    self._key_ready = True
                    return True
                note = "; without it a retried create cannot find the meeting it already made"
                errors.append(create_error.error.model_copy(update={"message": create_error.error.message + note}))
                return False
        self._key_ready = True
        return True

    def _create_key_property(self, key: str) -> None:
        definition = PropertyCreate(
            name=key,
            label="Bookflow booking uid",
            type="string",
            field_type="text",
            group_name="meetinginformation",
            description="Set by Bookflow: the booking this meeting mirrors.",
        )
        self._connection.call("create key property", lambda h: h.crm.properties.core_api.create("meetings", definition))

    # -- people and associations ----------------------------------------------------------------------

    def _emails(self, booking: Booking) -> list[str]:
        emails = [str(a.email) for a in booking.attendees]
        if self._options.include_guests:
            emails += [str(g) for g in booking.guests]
        return list(dict.fromkeys(e.lower() for e in emails))

    def _contacts(self, booking: Booking, emails: list[str] | None = None) -> dict[str, str]:
        """``{email: contact id}`` for everyone on the booking (or these lower-cased ``emails`` of it), creating
        missing contacts if allowed."""
        emails = self._emails(booking) if emails is None else emails
        records = self._records.find_contacts(emails, [OWNER])
        found = {e: c["id"] for e, c in records.items()}
        names = {str(a.email).lower(): a.name for a in booking.attendees}
        missing = [Person(e, names.get(e, "")) for e in emails if e not in found]
        if missing and self._options.create_contacts:
            found |= self._records.create_contacts(missing)
        self._assign_routed_owner(booking, found, {e: c.get(OWNER) for e, c in records.items()})
        return found

    def _assign_routed_owner(self, booking: Booking, contacts: dict[str, str], owners: dict[str, str | None]) -> None:
        """Owner routing chose the attendee's CRM owner to host (the routing decision's ``teamMemberEmail``):
        their HubSpot contact gets that owner too, when it has none yet. A contact another owner holds is
        left to them: the CRM's ownership is not ours to overrule."""
        routed = booking.routing
        email = str(booking.attendees[0].email).lower()
        if routed is None or not routed.team_member_email or email not in contacts or owners.get(email):
            return
        owner_id = self._owner_ids.of(routed.team_member_email)
        if owner_id is not None:
            self._records.update_contacts({contacts[email]: {OWNER: owner_id}})

    def _associate(self, meeting_id: str, contact_ids: list[str]) -> None:
        records = self._records
        records.associate("meetings", meeting_id, "contacts", contact_ids, MEETING_TO_CONTACT)
        if self._options.associate_company and contact_ids:
            companies = records.primary_companies(contact_ids)
            records.associate("meetings", meeting_id, "companies", list(companies.values()), MEETING_TO_COMPANY)
        if self._options.associate_open_deal and contact_ids:
            deals = records.open_deals(contact_ids)
            records.associate("meetings", meeting_id, "deals", list(deals.values()), MEETING_TO_DEAL)
