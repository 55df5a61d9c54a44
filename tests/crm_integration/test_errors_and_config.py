"""Sync errors are stored and shown (CLI and API); invalid mappings are refused before saving; a
repeated sync step repeats nothing."""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from typer.testing import CliRunner

from activities.crm import CrmAction, CrmActivities, CrmSyncRequest
from activities.crm_providers import SalesforceClient
from domain.booking import Attendee, Booking, BookingStatus
from domain.config import Configuration
from store import config as config_store
from store import crm as crm_store
from store.db import Database
from testkit.stack import Stack, eventually, soon
from tests.crm_integration.support import BOOKER, HAL, SF_DELETE, configuration, event_types, mapping
from worker.cli import app
from worker.crm import salesforce_connection
from worker.settings import load_settings


async def bookflow(*args: str, env: dict[str, str] | None = None):
    """The CLI in a thread (it runs its own event loop)."""
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)


async def test_a_field_deleted_after_configuration_is_dropped_stored_and_shown(org: Stack, salesforce, sqlite_db):
    salesforce.delete_field("Event", "Booking_Source__c")
    booking = await org.book(SF_DELETE, soon(86400).replace(microsecond=0), email=BOOKER)

    async def errors() -> list:
        async with org.db.sessions() as session:
            return await crm_store.list_errors(session)

    (error,) = await eventually(errors, lambda found: len(found) == 1)
    assert error.booking_uid == booking["uid"] and error.provider == "salesforce" and error.action == "created"
    assert error.code == "INVALID_FIELD" and error.dropped_fields == ["Event.Booking_Source__c"]
    (event,) = salesforce.records("Event")  # the rest was written
    assert event["WhoId"] == "003000000000BOO" and "Booking_Source__c" not in event

    shown = await org.http.get("/v2/crm/errors", params={"provider": "salesforce"})
    (item,) = shown.json()["data"]
    assert item["code"] == "INVALID_FIELD" and item["droppedFields"] == ["Event.Booking_Source__c"]
    assert item["bookingUid"] == booking["uid"] and item["at"]
    assert (await org.http.get("/v2/crm/errors", params={"provider": "hubspot"})).json()["data"] == []

    result = await bookflow("crm", "errors", env={"BOOKFLOW_DATABASE_URL": sqlite_db.url})
    assert result.exit_code == 0, result.output
    assert booking["uid"] in result.output and "INVALID_FIELD" in result.output
    assert "Event.Booking_Source__c" in result.output
    assert "token" not in result.output.lower()


def _write_config(path: Path, crm: dict) -> Path:
    document = configuration(crm).model_dump(mode="json", by_alias=True, exclude_defaults=True)
    path.write_text(yaml.safe_dump(document | {"crm": crm}))
    return path


async def test_config_apply_refuses_an_invalid_mapping_naming_it_and_saves_nothing(tmp_path):
    bad = mapping("booking", "event", "Was_Booked__c", "checkbox", "yes")
    crm = {"eventTypes": [{"eventTypeId": SF_DELETE, "salesforce": {"fieldMappings": {"mappings": [bad]}}}]}
    path = _write_config(tmp_path / "bookflow.yaml", crm)

    refused = await bookflow("config", "apply", str(path), "--data-dir", str(tmp_path / "data"))

    assert refused.exit_code == 2
    assert "crm.eventTypes.0.salesforce.fieldMappings" in refused.output
    assert "mapping booking.event.Was_Booked__c" in refused.output and "field 'Was_Booked__c'" in refused.output
    assert "fix: set the value to true or false" in refused.output
    db = Database(f"sqlite:///{tmp_path / 'data' / 'bookflow.db'}")
    async with db.sessions() as session:
        assert await crm_store.get_config(session) == {}
        assert await config_store.list_event_types(session) == []
    await db.dispose()

    checked = await bookflow("crm", "validate", str(path), "--offline")
    assert checked.exit_code == 2 and "fix: set the value to true or false" in checked.output


async def test_config_apply_saves_a_valid_section_and_export_round_trips_it(tmp_path):
    path = _write_config(tmp_path / "bookflow.yaml", configuration().crm)
    data = ["--data-dir", str(tmp_path / "data")]
    applied = await bookflow("config", "apply", str(path), *data)
    assert applied.exit_code == 0, applied.output
    exported = await bookflow("config", "export", *data)
    document = Configuration.model_validate(yaml.safe_load(exported.output))
    (entry,) = [e for e in document.crm["eventTypes"] if e["eventTypeId"] == SF_DELETE]
    assert entry["salesforce"]["noShowField"] == "No_Show__c"
    assert document.crm["geoHeaders"]["country"] == ["cf-ipcountry", "x-vercel-ip-country"]  # defaults spelled out


async def test_crm_validate_checks_mappings_against_the_orgs_describe(tmp_path, crm_env):
    document = {"mappings": [mapping("booking", "event", "booking_source__c", "text", "web")]}
    path = tmp_path / "mappings.yaml"
    path.write_text(yaml.safe_dump(document))
    offline = await bookflow("crm", "validate", str(path), "--offline")
    assert offline.exit_code == 0 and "save-time rules" in offline.output
    online = await bookflow("crm", "validate", str(path))
    assert online.exit_code == 2
    assert "mapping booking.event.booking_source__c" in online.output and "use Booking_Source__c" in online.output


async def test_a_repeated_step_repeats_nothing(sqlite_db, salesforce, crm_env):
    async with sqlite_db.transaction() as session:
        await config_store.apply_configuration(session, configuration())
    activities = CrmActivities(sqlite_db, "salesforce", SalesforceClient(salesforce_connection(load_settings().crm)))
    booking = _booking()
    request = CrmSyncRequest(
        step_id="b1:BOOKING_CREATED:0:salesforce", provider="salesforce", action=CrmAction.CREATED, booking=booking
    )

    first = await activities.sync_booking(request)
    again = await activities.sync_booking(request)
    other_step = await activities.sync_booking(request.model_copy(update={"step_id": "b1:other"}))

    assert first.external_id and again.repeated and again.external_id == first.external_id
    assert other_step.external_id is None and not other_step.error_codes  # the booking has its Event already
    assert len(salesforce.records("Event")) == 1


def _booking() -> Booking:
    """A booking of the Salesforce event type, as the workflow hands it to the activity."""
    event_type = next(e for e in event_types() if e.id == SF_DELETE)
    start = datetime(2031, 1, 6, 9, 0, tzinfo=UTC)
    return Booking(
        id=1,
        uid="b1",
        event_type=event_type,
        organizer=HAL,
        attendees=[Attendee(name="Bo Booker", email=BOOKER)],
        start=start,
        end=start + timedelta(minutes=30),
        status=BookingStatus.ACCEPTED,
        created_at=start - timedelta(days=3),
        title="Intro",
    )
