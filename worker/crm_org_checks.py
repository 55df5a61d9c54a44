"""Field mappings checked against the connected org's describe, with the worker's CRM credentials.

Shared by `bookflow crm validate` (worker/cli/crm_cmd.py) and the console's mapping editor
(worker/console_ops.py); moved here from the CLI module so the console need not import the CLI.
"""

from crm.hubspot.describe import describe_object
from crm.mappings import FieldMappings, MappingIssue, validate_mappings
from crm.salesforce.settings import SalesforceSettings
from crm.salesforce.validate import validate_salesforce_mappings
from worker.crm import hubspot_connection, salesforce_connection
from worker.settings import Settings


def salesforce_org_issues(
    s: Settings, sf_settings: SalesforceSettings, mappings: FieldMappings
) -> list[MappingIssue] | None:
    """Issues against the connected org's describe, or None when no Salesforce credentials are set."""
    connection = salesforce_connection(s.crm)
    if connection is None:
        return None
    return validate_salesforce_mappings(connection, sf_settings, mappings)


def hubspot_org_issues(s: Settings, mappings: FieldMappings) -> list[MappingIssue] | None:
    """Issues against the portal's meeting and contact properties, or None without HubSpot credentials."""
    connection = hubspot_connection(s.hubspot)
    if connection is None:
        return None
    describes = {
        "event": [describe_object(connection, "meetings")],
        "person": [describe_object(connection, "contacts")],
    }
    return validate_mappings(mappings, describes)
