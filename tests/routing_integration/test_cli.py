"""`bookflow route explain|test|replay` and `bookflow config apply` with routing sections."""

import asyncio
import json
from pathlib import Path

import yaml
from sqlalchemy import func, select
from typer.testing import CliRunner

from store.events import EventRow
from store.routing import count_responses, get_response
from tests.routing_integration.support import REGION, ROLE, USERS, event_types, group, rule, sales_form
from tests.routing_integration.test_submissions import submit
from worker.cli import app


async def bookflow(*args: str, data_dir: Path):
    """Run the CLI in a thread (it runs its own event loop), against the test's store."""
    return await asyncio.to_thread(CliRunner().invoke, app, [*args, "--data-dir", str(data_dir)])


async def counts(stack) -> tuple[int, int]:
    async with stack.db.sessions() as session:
        return await count_responses(session), await session.scalar(select(func.count()).select_from(EventRow))


async def test_route_test_decides_and_explains_but_stores_and_fires_nothing(org, tmp_path):
    assert (await org.http.post("/v2/routing-forms", json=sales_form())).status_code == 201
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps({"email": "kim@bigcorp.com", "seats": 120, "country": "Germany"}))
    before = await counts(org)
    shown = await bookflow("route", "test", "--form", "talk-to-sales", "--answers", str(answers), data_dir=tmp_path)
    assert shown.exit_code == 0, shown.output
    assert "route 'Enterprise' → event type 11" in shown.output
    assert "✓ Enterprise" in shown.output
    assert "host: ada@team.example.com (user 1)" in shown.output
    assert "1 member(s) match the attribute rule" in shown.output
    assert await counts(org) == before == (0, 0)
    answers.write_text(json.dumps({"seats": 3}))
    refused = await bookflow("route", "test", "--form", "talk-to-sales", "--answers", str(answers), data_dir=tmp_path)
    assert refused.exit_code == 2 and "email: is required" in refused.output


async def test_route_explain_shows_the_stored_decision_and_its_trace(org, tmp_path):
    assert (await org.http.post("/v2/routing-forms", json=sales_form())).status_code == 201
    answer = await submit(org, {"email": "kim@bigcorp.com", "seats": 150, "country": "France"})
    response_id = str(answer["routing"]["responseId"])
    shown = await bookflow("route", "explain", response_id, data_dir=tmp_path)
    assert shown.exit_code == 0, shown.output
    assert "fallback attribute rule" in shown.output and "matched users: [1, 2]" in shown.output
    assert 'answers:\n  email: "kim@bigcorp.com"\n  seats: 150\n  country: "o-fr"\n' in shown.output
    as_json = await bookflow("route", "explain", response_id, "--json", data_dir=tmp_path)
    assert json.loads(as_json.output)["trace"]["attributes"]["checkedFallback"] is True
    missing = await bookflow("route", "explain", "42", data_dir=tmp_path)
    assert missing.exit_code == 2 and "response 42" in missing.output


async def test_replay_reports_exactly_the_decisions_new_rules_change(org, tmp_path):
    assert (await org.http.post("/v2/routing-forms", json=sales_form())).status_code == 201
    first = await submit(org, {"email": "a@big.com", "seats": 150, "country": "Germany"})  # 1: enterprise
    await submit(org, {"email": "b@big.com", "seats": 250, "country": "Germany"})  # 2: enterprise
    third = await submit(org, {"email": "c@acme.com", "company": "Acme corp"})  # 3: ACME
    await submit(org, {"email": "d@dev.com", "products": ["API"]})  # 4: developers
    routes = sales_form()["routes"]
    routes[0]["queryValue"] = group(rule("f-seats", "greater_or_equal", 200))  # 150 seats no longer enterprise
    routes[2]["action"] = {"type": "externalRedirectUrl", "value": "https://acme.example.com"}
    rules = tmp_path / "new.yaml"
    rules.write_text(yaml.safe_dump({"routes": routes}))
    before = await counts(org)
    shown = await bookflow("route", "replay", "--form", "talk-to-sales", "--rules", str(rules), data_dir=tmp_path)
    assert shown.exit_code == 0, shown.output
    lines = shown.output.strip().splitlines()
    assert lines[0] == "2 of 4 decisions change"
    assert lines[1].startswith(f"  response {first['routing']['responseId']}: route 'Enterprise' → event type 11")
    assert lines[1].endswith(
        "→  route 'Everyone else' → message 'Thank you for your interest! We will be in touch soon.'"
    )
    assert lines[2].startswith(f"  response {third['routing']['responseId']}: route 'ACME' → event type 12")
    assert lines[2].endswith("→  route 'ACME' → redirect to https://acme.example.com")
    assert len(lines) == 3
    # replay stores nothing: no new response, the stored decisions unchanged
    assert (await counts(org))[0] == before[0]
    async with org.db.sessions() as session:
        assert (await get_response(session, first["routing"]["responseId"])).decision.route_id == "r-enterprise"
    later = await bookflow(
        "route", "replay", "--form", "talk-to-sales", "--rules", str(rules), "--since", "2999-01-01", data_dir=tmp_path
    )
    assert later.output.strip() == "0 of 0 decisions change"
    routes[3]["isFallback"] = False
    rules.write_text(yaml.safe_dump({"routes": routes}))
    broken = await bookflow("route", "replay", "--form", "talk-to-sales", "--rules", str(rules), data_dir=tmp_path)
    assert broken.exit_code == 2 and "Fallback route is missing" in broken.output
    rules.write_text(yaml.safe_dump(configuration(sales_form())))  # a whole configuration file, by mistake
    wrong = await bookflow("route", "replay", "--form", "talk-to-sales", "--rules", str(rules), data_dir=tmp_path)
    assert wrong.exit_code == 2 and "users: Extra inputs are not permitted" in wrong.output
    assert "not a whole configuration file" in wrong.output


def configuration(form: dict) -> dict:
    return {
        "users": [u.model_dump(mode="json", by_alias=True) for u in USERS],
        "eventTypes": [e.model_dump(mode="json", by_alias=True, exclude_defaults=True) for e in event_types()],
        "attributes": [REGION, ROLE],
        "routingForms": [form],
    }


def test_config_apply_loads_forms_and_attributes_and_refuses_a_bad_form_naming_route_and_field(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(configuration(sales_form())))
    applied = CliRunner().invoke(app, ["config", "apply", str(good), "--data-dir", str(tmp_path)])
    assert applied.exit_code == 0, applied.output
    exported = yaml.safe_load(CliRunner().invoke(app, ["config", "export", "--data-dir", str(tmp_path)]).output)
    assert [(f["id"], f.get("version", 1)) for f in exported["routingForms"]] == [("talk-to-sales", 1)]
    region = next(a for a in exported["attributes"] if a["id"] == "a-region")
    assert {(h["userId"], h["optionId"]) for h in region["assignments"]} == {(1, "opt-de"), (2, "opt-us")}

    form = sales_form(name="Renamed")
    form["routes"][1]["queryValue"] = group(rule("f-products", "equal", "API"))
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(configuration(form)))
    refused = CliRunner().invoke(app, ["config", "apply", str(bad), "--data-dir", str(tmp_path)])
    assert refused.exit_code == 2
    assert f"{bad}: routingForms.0 (talk-to-sales): route 'Developers', field 'products' (f-products)" in refused.output
    exported = yaml.safe_load(CliRunner().invoke(app, ["config", "export", "--data-dir", str(tmp_path)]).output)
    assert [(f["name"], f.get("version", 1)) for f in exported["routingForms"]] == [("Talk to sales", 1)]

    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(configuration(sales_form(name="Renamed"))))
    assert CliRunner().invoke(app, ["config", "apply", str(changed), "--data-dir", str(tmp_path)]).exit_code == 0
    exported = yaml.safe_load(CliRunner().invoke(app, ["config", "export", "--data-dir", str(tmp_path)]).output)
    assert [(f["name"], f.get("version", 1)) for f in exported["routingForms"]] == [("Renamed", 2)]


def cli(*args: str, data_dir: Path):
    return CliRunner().invoke(app, [*args, "--data-dir", str(data_dir)])


def test_config_apply_dry_run_prints_a_diff_per_object_saves_nothing_and_counts_every_kind(tmp_path):
    path = tmp_path / "org.yaml"
    path.write_text(yaml.safe_dump(configuration(sales_form())))
    planned = cli("config", "apply", str(path), "--dry-run", data_dir=tmp_path)
    assert planned.exit_code == 0, planned.output
    assert "+ routing form talk-to-sales (new)" in planned.output and "+ user 1 (new)" in planned.output
    assert "nothing was saved" in planned.output
    assert yaml.safe_load(cli("config", "export", data_dir=tmp_path).output)["routingForms"] == []
    applied = cli("config", "apply", str(path), data_dir=tmp_path)
    assert applied.exit_code == 0, applied.output
    assert (
        "3 users, 2 event types, 0 schedules, 0 out-of-office entries, 2 attributes, 1 routing form" in applied.output
    )
    path.write_text(yaml.safe_dump(configuration(sales_form(name="Talk to us"))))
    changed = cli("config", "apply", str(path), "--dry-run", data_dir=tmp_path)
    assert "~ routing form talk-to-sales (changed)" in changed.output
    assert "-name: Talk to sales" in changed.output and "+name: Talk to us" in changed.output
    assert "user 1" not in changed.output  # unchanged objects are not listed


def test_config_apply_refuses_a_route_to_a_hidden_event_type(tmp_path):
    document = configuration(sales_form())
    document["eventTypes"][0]["hidden"] = True
    path = tmp_path / "hidden.yaml"
    path.write_text(yaml.safe_dump(document))
    refused = cli("config", "apply", str(path), data_dir=tmp_path)
    assert refused.exit_code == 2
    assert "routingForms.0 (talk-to-sales): route 'Enterprise': routes to event type 11, which is hidden" in (
        refused.output
    )
    assert "or unhide event type 11" in refused.output


def test_config_apply_refuses_a_route_to_a_missing_event_type_and_a_crm_reference_to_a_missing_field(tmp_path):
    form = sales_form()
    form["routes"][2]["action"]["eventTypeId"] = 99
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(configuration(form)))
    refused = cli("config", "apply", str(path), data_dir=tmp_path)
    assert refused.exit_code == 2
    assert (
        "routingForms.0 (talk-to-sales): route 'ACME': routes to event type 99, which does not exist" in refused.output
    )
    document = configuration(sales_form())
    mapping = {"on": "booking", "object": "event", "field": "Budget__c", "type": "text", "value": "{form:budget}"}
    document["crm"] = {"eventTypes": [{"eventTypeId": 11, "salesforce": {"fieldMappings": {"mappings": [mapping]}}}]}
    path.write_text(yaml.safe_dump(document))
    refused = cli("config", "apply", str(path), data_dir=tmp_path)
    assert refused.exit_code == 2
    assert (
        "{form:budget} names a field that form 'talk-to-sales' routing to event type 11 does not have" in refused.output
    )
    assert "fix: use one of {form:company}, {form:country}, {form:email}" in refused.output
    assert yaml.safe_load(cli("config", "export", data_dir=tmp_path).output)["users"] == []


def test_route_versions_diff_and_rollback_record_author_and_time(tmp_path):
    path = tmp_path / "org.yaml"
    for name in ("Talk to sales", "Talk to us"):
        path.write_text(yaml.safe_dump(configuration(sales_form(name=name))))
        assert cli("config", "apply", str(path), data_dir=tmp_path).exit_code == 0
    listed = cli("route", "versions", "talk-to-sales", data_dir=tmp_path)
    assert listed.exit_code == 0, listed.output
    lines = listed.output.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("v1") and lines[1].startswith("* v2")
    assert all("cli:" in line for line in lines)
    diff = cli("route", "diff", "talk-to-sales", "1", data_dir=tmp_path)
    assert "-name: Talk to sales" in diff.output and "+name: Talk to us" in diff.output
    rolled = cli("route", "rollback", "talk-to-sales", "1", data_dir=tmp_path)
    assert rolled.exit_code == 0 and "version 1 restored as version 3" in rolled.output
    exported = yaml.safe_load(cli("config", "export", data_dir=tmp_path).output)
    assert [(f["name"], f["version"]) for f in exported["routingForms"]] == [("Talk to sales", 3)]
    assert len(cli("route", "versions", "talk-to-sales", data_dir=tmp_path).output.strip().splitlines()) == 3
    missing = cli("route", "rollback", "talk-to-sales", "9", data_dir=tmp_path)
    assert missing.exit_code == 2 and "version 9 does not exist (versions: 1, 2, 3)" in missing.output


def test_route_rollback_refuses_a_version_routing_to_an_event_type_hidden_since(tmp_path):
    path = tmp_path / "org.yaml"
    path.write_text(yaml.safe_dump(configuration(sales_form())))
    assert cli("config", "apply", str(path), data_dir=tmp_path).exit_code == 0
    moved = sales_form()
    for route in moved["routes"]:
        if route["action"].get("eventTypeId") == 11:
            route["action"]["eventTypeId"] = 12
    document = configuration(moved)
    document["eventTypes"][0]["hidden"] = True  # event type 11, which version 1 routes to
    path.write_text(yaml.safe_dump(document))
    applied = cli("config", "apply", str(path), data_dir=tmp_path)
    assert applied.exit_code == 0, applied.output
    refused = cli("route", "rollback", "talk-to-sales", "1", data_dir=tmp_path)
    assert refused.exit_code == 2
    assert "version 1 cannot route today" in refused.output
    assert "routes to event type 11, which is hidden" in refused.output


async def test_route_explain_shows_each_routes_first_failed_condition_with_the_value_seen(org, tmp_path):
    assert (await org.http.post("/v2/routing-forms", json=sales_form())).status_code == 201
    answer = await submit(org, {"email": "kim@acme.com", "seats": 5, "company": "ACME Corp"})
    shown = await bookflow("route", "explain", str(answer["routing"]["responseId"]), data_dir=tmp_path)
    assert shown.exit_code == 0, shown.output
    assert "✗ Enterprise\n      first failed condition: seats (f-seats) >= 100 (saw seats=5)" in shown.output
    assert "✗ Developers\n      first failed condition:" in shown.output
    assert "(saw products=null)" in shown.output
    assert "✓ ACME" in shown.output
