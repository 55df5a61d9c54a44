"""HubSpot property definitions in the neutral describe shape ``crm.mappings`` validates against."""

from typing import Any

from crm.hubspot.connection import HubSpotConnection
from crm.mappings import FieldDescribe, ObjectDescribe

# HubSpot (type, fieldType) → the neutral type names of crm.mappings.TYPE_FITS.
_STRING_FIELD_TYPES = {"textarea": "textarea", "html": "textarea", "phonenumber": "phone"}


def neutral_type(type_: str, field_type: str) -> str:
    """The neutral name for one HubSpot property type."""
    if type_ == "string":
        return _STRING_FIELD_TYPES.get(field_type, "string")
    if type_ == "enumeration":
        return "multipicklist" if field_type == "checkbox" else "picklist"
    if type_ == "bool":
        return "boolean"
    if type_ == "number":
        return "double"
    return type_  # date, datetime


def field_describe(prop: Any) -> FieldDescribe:
    """One property definition (``hubspot.crm.properties.Property``) as a ``FieldDescribe``."""
    metadata = prop.modification_metadata
    writable = not prop.calculated and not (metadata is not None and metadata.read_only_value)
    options = [o.value for o in prop.options or [] if not o.hidden]
    return FieldDescribe(
        name=prop.name,
        type=neutral_type(prop.type, prop.field_type),
        createable=writable,
        updateable=writable,
        picklist_values=options,
    )


def describe_object(connection: HubSpotConnection, object_type: str) -> ObjectDescribe:
    """Every property of ``object_type`` (``meetings``, ``contacts``) through the properties API."""
    answer = connection.call(
        f"describe {object_type}", lambda h: h.crm.properties.core_api.get_all(object_type, archived=False)
    )
    return ObjectDescribe(name=object_type, fields=[field_describe(p) for p in answer.results])
