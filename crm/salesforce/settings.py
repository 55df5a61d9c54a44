"""What an operator configures for Salesforce: the connection (credential) and each event type's options."""

from enum import StrEnum
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from crm.mappings import API_NAME, FieldMappings
from domain.base import CamelModel


class AttendeeRecord(StrEnum):
    """How the attendee is represented in Salesforce (seed 001 L5374-5378)."""

    CONTACT = "contact"
    LEAD = "lead"
    ACCOUNT = "account"  # "Contact under Account"


class Rule(StrEnum):
    """The tiebreaker rules (001 L5478-5489); P4 is reserved and does not exist."""

    P1_COUNTRY = "P1_COUNTRY"
    P2_STATE = "P2_STATE"
    P3_SUBREGION = "P3_SUBREGION"
    P5_CHILD_ACCOUNTS = "P5_CHILD_ACCOUNTS"
    P6_OPPORTUNITIES = "P6_OPPORTUNITIES"
    P7_CONTACTS = "P7_CONTACTS"
    P8_LAST_ACTIVITY = "P8_LAST_ACTIVITY"
    P9_CREATED = "P9_CREATED"

    @property
    def is_geo(self) -> bool:
        return self in (Rule.P1_COUNTRY, Rule.P2_STATE, Rule.P3_SUBREGION)


DEFAULT_RULES: tuple[Rule, ...] = tuple(Rule)


class SalesforceCredential(CamelModel):
    """One connected org. Either username + password (+ security token) or an OAuth access token.

    ``domain`` is the login host's first part: ``login`` (production), ``test`` (sandbox) or a My Domain
    such as ``acme.my`` (→ acme.my.salesforce.com). A refresh token with the connected app's consumer
    key and secret lets an expired access token be renewed.
    """

    username: str | None = None
    password: SecretStr | None = None
    security_token: SecretStr | None = None
    access_token: SecretStr | None = None
    instance_url: str | None = Field(default=None, pattern=r"^https://[^\s/]+/?$")
    refresh_token: SecretStr | None = None
    consumer_key: str | None = None
    consumer_secret: SecretStr | None = None
    domain: str = Field(default="login", pattern=r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$")
    api_version: str = Field(default="59.0", pattern=r"^\d+\.0$")
    fuzzy_domain_matching: bool = Field(default=False, description="Cross-TLD account matching (001 L5440).")
    cache_ttl_seconds: float = Field(default=300.0, ge=0)
    timeout_seconds: float = Field(default=20.0, gt=0)

    @model_validator(mode="after")
    def _one_way_in(self) -> "SalesforceCredential":
        if self.access_token is not None:
            if not self.instance_url:
                raise ValueError("instanceUrl: required with accessToken (e.g. https://acme.my.salesforce.com)")
        elif not (self.username and self.password):
            raise ValueError("username and password, or accessToken and instanceUrl, are required")
        return self


class RecordFieldRuleAction(StrEnum):
    IGNORE = "ignore"
    MUST_INCLUDE = "must_include"


class SalesforceSettings(CamelModel):
    """One event type's Salesforce options: the table of seed §6.1 plus tiebreaker and mappings."""

    record: AttendeeRecord = AttendeeRecord.CONTACT
    ignore_guests: bool = False
    skip_contact_creation: bool = False
    check_for_existing_contact: bool = Field(default=False, description="Lead mode: reuse a Contact.")
    create_contact_under_account: bool = False
    create_lead_if_no_account: bool = Field(default=False, description="Account mode: no Account → Lead.")
    change_record_owner_on_booking: bool = False
    change_record_owner_only_from: str | None = Field(
        default=None, description="Only reassign records currently owned by this user name (G7)."
    )
    no_show_field: str | None = Field(
        default=None, pattern=API_NAME, description="Boolean Event field that receives no-show data."
    )
    owner_record: AttendeeRecord = AttendeeRecord.CONTACT
    fallback_to_lead_owner: bool = False
    account_lookup_field: str | None = Field(
        default=None, pattern=API_NAME, description="A User lookup on Account used instead of its owner."
    )
    excluded_record_types: list[str] = []
    tiebreaker_enabled: bool = True
    tiebreaker_rules: list[Rule] = Field(default=list(DEFAULT_RULES))
    subregion_field: str | None = Field(default=None, pattern=API_NAME)
    subregions: dict[str, str] = Field(
        default={},
        description="Booker territory by ISO code, 'US-CA' or 'GB', compared with the sub-region field (P3).",
    )
    cancel_action: Literal["delete", "write"] = Field(
        default="delete", description="On cancel delete the Event, or write the cancellation event fields."
    )
    field_mappings: FieldMappings = FieldMappings()

    @field_validator("tiebreaker_rules")
    @classmethod
    def _rules_once(cls, rules: list[Rule]) -> list[Rule]:
        dup = [r for r in rules if rules.count(r) > 1]
        if dup:
            raise ValueError(f"tiebreakerRules: {dup[0]} is listed twice; remove one")
        return rules

    @property
    def excluded(self) -> frozenset[str]:
        """The excluded record types, folded for case-insensitive matching."""
        return frozenset(t.casefold() for t in self.excluded_record_types)
