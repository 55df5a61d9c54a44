"""`bookflow crm validate` reports the save-time rules and the org's describe in one run."""

import asyncio

import yaml
from typer.testing import CliRunner

from tests.crm_integration.support import SF_DELETE, configuration, mapping
from worker.cli import app


async def test_one_run_names_a_save_time_error_and_an_org_error_together(tmp_path, crm_env):
    bad_value = mapping("booking", "event", "Was_Booked__c", "checkbox", "yes")  # save time: not true/false
    wrong_case = mapping("booking", "event", "booking_source__c", "text", "web")  # org: Booking_Source__c
    crm = {
        "eventTypes": [
            {"eventTypeId": SF_DELETE, "salesforce": {"fieldMappings": {"mappings": [bad_value, wrong_case]}}}
        ]
    }
    document = configuration(crm).model_dump(mode="json", by_alias=True, exclude_defaults=True)
    path = tmp_path / "bookflow.yaml"
    path.write_text(yaml.safe_dump(document))
    result = await asyncio.to_thread(CliRunner().invoke, app, ["crm", "validate", str(path)])
    assert result.exit_code == 2
    assert "fix: set the value to true or false" in result.output  # phase 1
    assert "mapping booking.event.booking_source__c" in result.output and "use Booking_Source__c" in result.output


async def test_config_apply_with_credentials_refuses_a_mapping_the_org_lacks_and_saves_nothing(tmp_path, crm_env):
    wrong_case = mapping("booking", "event", "booking_source__c", "text", "web")
    crm = {"eventTypes": [{"eventTypeId": SF_DELETE, "salesforce": {"fieldMappings": {"mappings": [wrong_case]}}}]}
    document = configuration(crm).model_dump(mode="json", by_alias=True, exclude_defaults=True) | {"crm": crm}
    path = tmp_path / "bookflow.yaml"
    path.write_text(yaml.safe_dump(document))
    data = ["--data-dir", str(tmp_path / "data")]
    refused = await asyncio.to_thread(CliRunner().invoke, app, ["config", "apply", str(path), *data])
    assert refused.exit_code == 2
    assert "crm.eventTypes.0.salesforce: mapping booking.event.booking_source__c" in refused.output
    assert "use Booking_Source__c" in refused.output
    exported = await asyncio.to_thread(CliRunner().invoke, app, ["config", "export", *data])
    assert yaml.safe_load(exported.output)["eventTypes"] == []
    offline = await asyncio.to_thread(CliRunner().invoke, app, ["config", "apply", str(path), "--offline", *data])
    assert offline.exit_code == 0, offline.output
