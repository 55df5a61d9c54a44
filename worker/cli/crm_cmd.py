"""`bookflow crm validate|errors`: check field mappings before they are saved, and show sync errors.

`validate` applies the save-time rules to a mappings document, a configuration file's ``crm`` section,
or (without FILE) the stored section; when the worker's environment holds CRM credentials it also
checks each mapping against the org's describe (field exists with that case, writable, type, picklist).
"""

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from crm.config import CrmConfig
from crm.mappings import FieldMapping, FieldMappings, validate_mappings
from crm.salesforce.settings import SalesforceSettings
from domain.routing_forms import RoutingForm
from domain.yaml_text import load_yaml
from store import crm as crm_store
from store import routing as routing_store
from store.crm import CrmSyncErrorRecord
from store.db import Database
from worker.cli.common import DataDir, fail, settings, with_database
from worker.cli.output import AsJson, echo_json
from worker.crm_config import parse_crm
from worker.crm_org_checks import hubspot_org_issues, salesforce_org_issues
from worker.routing_config import form_reference_problems
from worker.settings import Settings

app = typer.Typer(help="CRM field mappings and sync errors (Salesforce, HubSpot).", no_args_is_help=True)


def section_issues(s: Settings, crm: CrmConfig, offline: bool) -> tuple[list[str], list[str]]:
    """(problems, which orgs were consulted) for every event type entry of a valid section."""
    problems: list[str] = []
    consulted: set[str] = set()
    for i, entry in enumerate(crm.event_types):
        if entry.salesforce and entry.salesforce.field_mappings.mappings and not offline:
            found = salesforce_org_issues(s, entry.salesforce, entry.salesforce.field_mappings)
            if found is not None:
                consulted.add("salesforce")
                problems += [f"crm.eventTypes.{i}.salesforce: {issue}" for issue in found]
        if entry.hubspot and entry.hubspot.sync.mappings.mappings and not offline:
            found = hubspot_org_issues(s, entry.hubspot.sync.mappings)
            if found is not None:
                consulted.add("hubspot")
                problems += [f"crm.eventTypes.{i}.hubspot.sync: {issue}" for issue in found]
    return problems, sorted(consulted)


def _valid_mappings(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with only the mappings that pass the save-time rules (the org checks those too)."""
    kept = []
    for item in document.get("mappings") or []:
        try:
            FieldMapping.model_validate(item)
        except ValueError:
            continue
        kept.append(item)
    return document | {"mappings": kept}


def _lenient_section(section: dict[str, Any]) -> dict[str, Any]:
    """The crm section with every mapping that breaks a save-time rule left out."""
    entries = []
    for entry in section.get("eventTypes") or []:
        entry = dict(entry)
        if isinstance(entry.get("salesforce"), dict) and isinstance(entry["salesforce"].get("fieldMappings"), dict):
            mappings = _valid_mappings(entry["salesforce"]["fieldMappings"])
            entry["salesforce"] = entry["salesforce"] | {"fieldMappings": mappings}
        hubspot = entry.get("hubspot")
        if isinstance(hubspot, dict) and isinstance(hubspot.get("sync"), dict):
            sync = hubspot["sync"]
            if isinstance(sync.get("mappings"), dict):
                entry["hubspot"] = hubspot | {"sync": sync | {"mappings": _valid_mappings(sync["mappings"])}}
        entries.append(entry)
    return section | {"eventTypes": entries}


def mappings_document_issues(s: Settings, text: str, provider: str, offline: bool) -> tuple[list[str], list[str]]:
    """(problems, orgs consulted) of a bare mappings document (``{"mappings": [...]}``): the save-time
    rules, and in the same run the org's describe for every mapping that passes them."""
    problems = [str(i) for i in validate_mappings(text)]
    if offline:
        return problems, []
    try:
        doc = FieldMappings.model_validate(_valid_mappings(load_yaml(text)))
    except ValueError:
        return problems, []  # e.g. the same field twice: nothing sensible to ask the org
    if provider == "salesforce":
        found = salesforce_org_issues(s, SalesforceSettings(), doc)
    else:
        found = hubspot_org_issues(s, doc)
    return problems + [str(i) for i in found or []], [provider] if found is not None else []


def _file_forms(document: dict[str, Any]) -> list[RoutingForm]:
    """The file's routing forms (those that parse; config apply names what is wrong with the others)."""
    forms = []
    for item in document.get("routingForms") or []:
        try:
            forms.append(RoutingForm.model_validate(item))
        except ValueError:
            continue
    return forms


def _stored_forms(s: Settings) -> list[RoutingForm]:
    async def read(db: Database) -> list[RoutingForm]:
        async with db.sessions() as session:
            return await routing_store.list_forms(session)

    return with_database(s, read)


def _stored_section(s: Settings) -> dict[str, Any]:
    async def read(db: Database) -> dict[str, Any]:
        async with db.sessions() as session:
            return await crm_store.get_config(session)

    return with_database(s, read)


@app.command("validate")
def validate(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="A mappings document, or a configuration file with a crm section (default: the stored one)."
        ),
    ] = None,
    provider: Annotated[
        str, typer.Option("--provider", help="For a bare mappings document: salesforce or hubspot.")
    ] = "salesforce",
    offline: Annotated[bool, typer.Option("--offline", help="Only the save-time rules; do not ask the CRM.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Check field mappings; every problem names the mapping, the field and the fix (exit 2 if any)."""
    if provider not in ("salesforce", "hubspot"):
        raise fail(f"--provider: {provider!r} is not salesforce or hubspot")
    s = settings(data_dir)
    try:
        text = file.read_text() if file else None
        document = load_yaml(text) if text else _stored_section(s)
    except (OSError, yaml.YAMLError) as error:
        raise fail(f"{file}: cannot read: {error}") from None
    document = document or {}
    if isinstance(document, dict) and "mappings" in document and text is not None:
        problems, consulted = mappings_document_issues(s, text, provider, offline)
    else:
        section = (document.get("crm", {}) if file else document) or {}
        problems = []
        try:
            crm = parse_crm(section)
        except ValueError as refused:
            problems = str(refused).splitlines()
            try:  # go on to the org with what passes, so one run reports both phases
                crm = parse_crm(_lenient_section(section))
            except ValueError:
                raise fail("\n".join(problems)) from None
        found, consulted = section_issues(s, crm, offline)
        problems += found
        problems += form_reference_problems(crm, _file_forms(document) if file else _stored_forms(s))
    if problems:
        raise fail("\n".join(problems))
    checked = "save-time rules" + (f" and the {' and '.join(consulted)} describe" if consulted else "")
    typer.echo(f"ok: mappings pass the {checked}")


def _row(error: CrmSyncErrorRecord) -> str:
    dropped = ",".join(error.dropped_fields) or "-"
    return (
        f"{error.at.isoformat(timespec='seconds')}  {error.provider:<10} {error.booking_uid:<36} "
        f"{error.action:<11} {error.code:<24} {dropped:<24} {error.message}"
    )


@app.command("errors")
def errors(
    provider: Annotated[str | None, typer.Option("--provider", help="salesforce or hubspot.")] = None,
    booking: Annotated[str | None, typer.Option("--booking", help="Only this booking's errors.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many, newest first.")] = 50,
    as_json: AsJson = False,
    data_dir: DataDir = None,
) -> None:
    """Show CRM sync errors (newest first): code, dropped fields and message of each."""

    async def read(db: Database) -> list[CrmSyncErrorRecord]:
        async with db.sessions() as session:
            return await crm_store.list_errors(session, limit=limit, provider=provider, booking_uid=booking)

    found = with_database(settings(data_dir), read)
    if as_json:
        echo_json(found)
        return
    if not found:
        typer.echo("no CRM sync errors")
        return
    typer.echo(
        f"{'at':<25}  {'provider':<10} {'booking':<36} {'action':<11} {'code':<24} {'dropped fields':<24} message"
    )
    for error in found:
        typer.echo(_row(error))
