"""Console CRM (admin only): field mappings per event type, checked before they are saved with every problem
beside its mapping; with Salesforce credentials the org's fields and picklist values are offered from its
describe (a real simple-salesforce client against the kit's HTTPS emulator) and mappings checked against it;
the sync-error list is GET /v2/crm/errors' data. Owners get 403 and no link."""

import re
from datetime import UTC, datetime

from store import crm as crm_store
from store.crm import CrmSyncErrorRecord
from testkit.hubspot import HubSpotEmulator, PropertyDef
from testkit.salesforce import SalesforceEmulator
from testkit.stack import running_stack
from tests.console.helpers import csrf, signed_in
from tests.console.seeds import seed_owners

ROW = re.compile(r'<tr data-mapping="(?P<name>[^"]*)"[^>]*>(?P<body>.*?)</tr>', re.S)
ORG_FIELDS = {
    "fields": {
        "Event": [
            {"name": "Meeting_Status__c", "type": "picklist", "picklistValues": ["Booked", "Cancelled"]},
            {"name": "Booked_Via__c", "type": "string"},
        ]
    }
}


def rows_of(html: str) -> dict[str, str]:
    """Each mapping row of the editor by its on.object.field name, its cells' HTML as the value."""
    return {m["name"]: m["body"] for m in ROW.finditer(html)}


def form(token: str, action: str, *rows: tuple[str, str, str, str, str, str]) -> dict[str, list[str] | str]:
    """The editor's form: one (on, object, field, type, value, when) per row."""
    columns = ("on", "object", "field", "type", "value", "when")
    return {"csrf_token": token, "action": action} | {c: [row[i] for row in rows] for i, c in enumerate(columns)}


async def stored_mappings(db, event_type_id: int) -> list[dict]:
    async with db.sessions() as session:
        section = await crm_store.get_config(session)
    entry = next(e for e in section["eventTypes"] if e["eventTypeId"] == event_type_id)
    return entry["salesforce"]["fieldMappings"]["mappings"]


async def test_owners_are_refused_every_crm_page(stack):
    await seed_owners(stack.db, 31)
    async with signed_in(stack, stack.keys.owner) as http:
        home = (await http.get("/console")).text
        assert 'href="/console/crm"' not in home
        for path in ("/console/crm", "/console/crm/errors", "/console/crm/31/salesforce"):
            assert (await http.get(path)).status_code == 403, path
        token = await csrf(http)
        post = await http.post(
            "/console/crm/31/salesforce",
            data=form(token, "save", ("booking", "event", "X__c", "text", "x", "every_booking")),
        )
        assert post.status_code == 403
    async with stack.db.sessions() as session:
        assert await crm_store.get_config(session) == {}


async def test_the_sync_error_list_shows_what_was_dropped(stack):
    await seed_owners(stack.db, 32)
    now = datetime.now(UTC)
    async with stack.db.transaction() as session:
        for provider, code in (("salesforce", "INVALID_FIELD"), ("hubspot", "PROPERTY_DOESNT_EXIST")):
            await crm_store.add_error(
                session,
                CrmSyncErrorRecord(
                    booking_uid=f"uid-{provider}",
                    provider=provider,
                    action="create",
                    code=code,
                    message=f"{provider} refused a field",
                    dropped_fields=[f"{provider}_field"],
                    at=now,
                ),
            )
    async with signed_in(stack, stack.keys.admin) as http:
        every = (await http.get("/console/crm/errors")).text
        assert "INVALID_FIELD" in every and "PROPERTY_DOESNT_EXIST" in every and "salesforce_field" in every
        api = (await stack.http.get("/v2/crm/errors")).json()["data"]
        assert {e["code"] for e in api} == {"INVALID_FIELD", "PROPERTY_DOESNT_EXIST"}  # the same data
        only = (await http.get("/console/crm/errors?provider=hubspot&bookingUid=")).text
        assert "PROPERTY_DOESNT_EXIST" in only and "INVALID_FIELD" not in only
        assert (await http.get("/console/crm/errors?provider=pipedrive")).status_code == 404


async def test_without_credentials_the_save_time_rules_run_and_problems_sit_beside_their_mapping(stack):
    await seed_owners(stack.db, 33)
    async with signed_in(stack, stack.keys.admin) as http:
        editor = await http.get("/console/crm/33/salesforce")
        assert editor.status_code == 200
        assert "salesforce is not connected" in editor.text
        token = await csrf(http, "/console/crm/33/salesforce")
        good = ("booking", "event", "Booked_Via__c", "text", "Bookflow", "every_booking")
        bad = ("booking", "event", "Is_Booked__c", "checkbox", "maybe", "every_booking")
        checked = await http.post("/console/crm/33/salesforce", data=form(token, "save", good, bad))
        assert checked.status_code == 422
        rows = rows_of(checked.text)
        assert "checkbox needs a boolean" in rows["booking.event.Is_Booked__c"]
        assert "needs a boolean" not in rows["booking.event.Booked_Via__c"]
        async with stack.db.sessions() as session:
            assert await crm_store.get_config(session) == {}  # nothing saved while a problem remains

        fixed = ("booking", "event", "Is_Booked__c", "checkbox", "true", "every_booking")
        ok = await http.post("/console/crm/33/salesforce", data=form(token, "check", good, fixed))
        assert ok.status_code == 200 and "no problems found (not saved yet)" in ok.text
        async with stack.db.sessions() as session:
            assert await crm_store.get_config(session) == {}
        saved = await http.post("/console/crm/33/salesforce", data=form(token, "save", good, fixed))
        assert saved.status_code == 200 and "saved 2 mappings" in saved.text
        stored = await stored_mappings(stack.db, 33)
        assert [(m["field"], m["value"]) for m in stored] == [("Booked_Via__c", "Bookflow"), ("Is_Booked__c", True)]
        reread = rows_of((await http.get("/console/crm/33/salesforce")).text)
        assert 'value="Booked_Via__c"' in reread["booking.event.Booked_Via__c"]
        assert "2 mappings" in (await http.get("/console/crm")).text
        assert (await http.get("/console/crm/999/salesforce")).status_code == 404


async def test_with_salesforce_credentials_the_orgs_fields_are_offered_and_checked(
    temporal_env, sqlite_db, task_queue, monkeypatch
):
    with SalesforceEmulator(ORG_FIELDS) as salesforce:
        monkeypatch.setenv("SALESFORCE_ACCESS_TOKEN", salesforce.issue_access_token())
        monkeypatch.setenv("SALESFORCE_INSTANCE_URL", salesforce.base_url)
        monkeypatch.setenv("SALESFORCE_CA_BUNDLE", salesforce.ca_file)
        await seed_owners(sqlite_db, 34)
        async with (
            running_stack(temporal_env.client, sqlite_db, task_queue) as stack,
            signed_in(stack, stack.keys.admin) as http,
        ):
            assert "Connected: salesforce" in (await http.get("/console/crm")).text
            editor = await http.get("/console/crm/34/salesforce")
            assert editor.status_code == 200
            offered = editor.text.split('<datalist id="fields-event">', 1)[1].split("</datalist>", 1)[0]
            assert 'value="Meeting_Status__c"' in offered and 'value="Subject"' in offered
            assert 'value="CreatedDate"' not in offered  # read-only fields are not offered
            assert "Booked, Cancelled" in editor.text  # the picklist's active values

            token = await csrf(http, "/console/crm/34/salesforce")
            wrong_value = ("cancellation", "event", "Meeting_Status__c", "picklist", "Gone", "every_booking")
            wrong_case = ("booking", "event", "booked_via__c", "text", "Bookflow", "every_booking")
            checked = await http.post("/console/crm/34/salesforce", data=form(token, "save", wrong_value, wrong_case))
            assert checked.status_code == 422
            rows = rows_of(checked.text)
            assert "is not an active value of Event.Meeting_Status__c" in rows["cancellation.event.Meeting_Status__c"]
            assert "Booked" in rows["cancellation.event.Meeting_Status__c"]  # the fix names an active value
            assert "use Booked_Via__c" in rows["booking.event.booked_via__c"]  # names are case-sensitive
            async with stack.db.sessions() as session:
                assert await crm_store.get_config(session) == {}

            right_value = ("cancellation", "event", "Meeting_Status__c", "picklist", "Cancelled", "every_booking")
            right_case = ("booking", "event", "Booked_Via__c", "text", "Bookflow", "every_booking")
            saved = await http.post("/console/crm/34/salesforce", data=form(token, "save", right_value, right_case))
            assert saved.status_code == 200, saved.text
            assert [m["field"] for m in await stored_mappings(sqlite_db, 34)] == ["Meeting_Status__c", "Booked_Via__c"]


async def test_with_hubspot_credentials_the_portals_properties_are_offered_and_checked(
    temporal_env, sqlite_db, task_queue, monkeypatch
):
    with HubSpotEmulator(access_token="console-token") as hubspot:
        hubspot.add_property("meetings", PropertyDef("bookflow_source", type="enumeration", options=("web", "phone")))
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "console-token")
        monkeypatch.setenv("HUBSPOT_API_BASE_URL", hubspot.base_url)
        await seed_owners(sqlite_db, 35)
        async with (
            running_stack(temporal_env.client, sqlite_db, task_queue) as stack,
            signed_in(stack, stack.keys.admin) as http,
        ):
            editor = await http.get("/console/crm/35/hubspot")
            assert editor.status_code == 200
            offered = editor.text.split('<datalist id="fields-event">', 1)[1].split("</datalist>", 1)[0]
            assert 'value="bookflow_source"' in offered
            assert "web, phone" in editor.text

            token = await csrf(http, "/console/crm/35/hubspot")
            wrong = ("booking", "event", "bookflow_source", "picklist", "fax", "every_booking")
            checked = await http.post("/console/crm/35/hubspot", data=form(token, "check", wrong))
            assert checked.status_code == 422
            assert (
                "is not an active value of meetings.bookflow_source"
                in rows_of(checked.text)["booking.event.bookflow_source"]
            )
            right = ("booking", "event", "bookflow_source", "picklist", "web", "every_booking")
            saved = await http.post("/console/crm/35/hubspot", data=form(token, "save", right))
            assert saved.status_code == 200, saved.text
            async with sqlite_db.sessions() as session:
                section = await crm_store.get_config(session)
            (entry,) = section["eventTypes"]
            assert entry["hubspot"]["sync"]["mappings"]["mappings"][0]["value"] == "web"
