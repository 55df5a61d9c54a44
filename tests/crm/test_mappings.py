"""Field mappings: save-time rules, the published JSON Schema, and validation against the org's describe."""

import json

import pytest

from crm.mappings import (
    SCHEMA_PATH,
    FieldMappings,
    MappingValidationError,
    parse_mappings,
    render_json_schema,
    validate_mappings,
)
from crm.salesforce.settings import SalesforceSettings
from crm.salesforce.validate import validate_salesforce_mappings
from testkit.salesforce import SalesforceEmulator
from tests.crm.sf_support import WATERFALL, connect


def one(**m: object) -> dict:
    return {"mappings": [{"on": "booking", "object": "person", "field": "F__c", "type": "text", "value": "x", **m}]}


def test_published_schema_is_the_generated_one() -> None:
    assert SCHEMA_PATH.read_text() == render_json_schema()
    schema = json.loads(SCHEMA_PATH.read_text())
    assert set(schema["$defs"]["FieldMapping"]["properties"]) == {"on", "object", "field", "type", "value", "when"}


@pytest.mark.parametrize(
    ("mapping", "needle"),
    [
        ({"type": "checkbox", "value": "yes"}, "checkbox needs a boolean"),
        ({"type": "date", "value": "tomorrow"}, "is not a date source"),
        ({"type": "datetime", "value": "now"}, "is not a date source"),
        ({"type": "date", "value": "booking_cancel_date"}, "has no value when a booking is made"),
        ({"type": "text", "value": ""}, "needs a non-empty value"),
        ({"type": "textarea", "value": "  "}, "needs a non-empty value"),
        ({"type": "picklist", "value": ""}, "needs a non-empty value"),
        ({"type": "text", "value": "{form: bad ref}"}, "not a valid reference"),
        ({"type": "phone", "value": True}, "needs text"),
    ],
)
def test_invalid_mapping_is_refused_naming_it(mapping: dict, needle: str) -> None:
    with pytest.raises(MappingValidationError) as err:
        parse_mappings(one(**mapping))
    text = str(err.value)
    assert "mapping booking.person.F__c" in text and "field 'F__c'" in text and needle in text and "fix:" in text


def test_valid_mappings_pass_including_custom_passthrough() -> None:
    doc = parse_mappings(
        json.dumps(
            {
                "mappings": [
                    {"on": "booking", "object": "person", "field": "A__c", "type": "checkbox", "value": False},
                    {
                        "on": "cancellation",
                        "object": "person",
                        "field": "B__c",
                        "type": "date",
                        "value": "booking_cancel_date",
                    },
                    {"on": "booking", "object": "event", "field": "C__c", "type": "custom", "value": ""},
                    {"on": "booking", "object": "event", "field": "D__c", "type": "text", "value": "{utm:source}"},
                ]
            }
        )
    )
    assert len(doc.mappings) == 4


def test_duplicates_and_schema_errors_name_the_mapping() -> None:
    dup = {"mappings": [one()["mappings"][0], one(value="y")["mappings"][0]]}
    assert "written twice" in str(validate_mappings(dup)[0])
    issues = validate_mappings(
        {"mappings": [{"on": "booking", "object": "persn", "field": "X__c", "type": "text", "value": "v"}]}
    )
    assert issues[0].mapping.startswith("#1") and issues[0].field == "X__c" and "object" in issues[0].problem


def test_settings_embedding_invalid_mappings_cannot_be_parsed() -> None:
    with pytest.raises(ValueError, match=r"mapping booking\.person\.F__c"):
        SalesforceSettings.model_validate({"field_mappings": one(type="checkbox", value="yes")})


def test_describe_checks_against_the_org() -> None:
    docs = [
        ("last_booking_status__c", "text", "x", "use Last_Booking_Status__c"),
        ("Gone__c", "text", "x", "has no field 'Gone__c'"),
        ("Readonly__c", "text", "x", "is read-only"),
        ("First_Booking__c", "checkbox", True, "does not fit"),
        ("Stage__c", "picklist", "Old", "active value such as: New, Booked"),
    ]
    with SalesforceEmulator(WATERFALL) as emu:
        conn = connect(emu)
        for field, typ, value, needle in docs:
            m = {"mappings": [{"on": "booking", "object": "person", "field": field, "type": typ, "value": value}]}
            issues = validate_salesforce_mappings(conn, SalesforceSettings(), FieldMappings.model_validate(m))
            assert len(issues) == 1 and needle in str(issues[0]) and issues[0].field == field, issues
        ok = {
            "mappings": [{"on": "booking", "object": "person", "field": "Stage__c", "type": "picklist", "value": "New"}]
        }
        assert (
            validate_salesforce_mappings(
                conn, SalesforceSettings(no_show_field="No_Show__c"), FieldMappings.model_validate(ok)
            )
            == []
        )
        bad_no_show = validate_salesforce_mappings(conn, SalesforceSettings(no_show_field="Booking_Source__c"))
        assert bad_no_show[0].mapping == "noShowField"
