"""Salesforce's connection and both CRMs' sync rates (HubSpot's own variables: crm/hubspot/settings.py)."""

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from crm.base import CrmProvider
from crm.salesforce.settings import SalesforceCredential


class CrmSettings(BaseModel):
    """``SALESFORCE_*`` (Cal.com's names) and the sync rates; Salesforce is off without a username or token."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    salesforce_username: str | None = Field(
        default=None, alias="SALESFORCE_USERNAME", description="Salesforce user (with password and security token)."
    )
    salesforce_password: SecretStr | None = Field(
        default=None, alias="SALESFORCE_PASSWORD", description="That user's password."
    )
    salesforce_security_token: SecretStr | None = Field(
        default=None, alias="SALESFORCE_SECURITY_TOKEN", description="That user's security token."
    )
    salesforce_access_token: SecretStr | None = Field(
        default=None, alias="SALESFORCE_ACCESS_TOKEN", description="An OAuth access token (instead of a password)."
    )
    salesforce_instance_url: str | None = Field(
        default=None,
        alias="SALESFORCE_INSTANCE_URL",
        description="The org's https URL, required with an access token (https://acme.my.salesforce.com).",
    )
    salesforce_refresh_token: SecretStr | None = Field(
        default=None, alias="SALESFORCE_REFRESH_TOKEN", description="Renews an expired access token."
    )
    salesforce_consumer_key: str | None = Field(
        default=None, alias="SALESFORCE_CONSUMER_KEY", description="Connected app's consumer key (for refreshing)."
    )
    salesforce_consumer_secret: SecretStr | None = Field(
        default=None, alias="SALESFORCE_CONSUMER_SECRET", description="Connected app's consumer secret."
    )
    salesforce_domain: str = Field(
        default="login",
        alias="SALESFORCE_DOMAIN",
        description="Login host's first part: login (production), test (sandbox) or a My Domain (acme.my).",
    )
    salesforce_api_version: str = Field(
        default="59.0", alias="SALESFORCE_API_VERSION", description="Salesforce REST API version."
    )
    salesforce_fuzzy_domain_matching: bool = Field(
        default=False, alias="SALESFORCE_FUZZY_DOMAIN_MATCHING", description="Match accounts across TLDs."
    )
    salesforce_cache_ttl_seconds: float = Field(
        default=300, ge=0, alias="SALESFORCE_CACHE_TTL_SECONDS", description="Seconds owner lookups are cached."
    )
    salesforce_ca_bundle: Path | None = Field(
        default=None,
        alias="SALESFORCE_CA_BUNDLE",
        description="A CA bundle to trust instead of the system's (a corporate proxy, or the emulator in tests).",
    )

    # A sync step costs the CRM 2-8 API calls; HubSpot private apps allow 100 calls per 10 s.
    salesforce_rate: float = Field(
        default=5, gt=0, alias="BOOKFLOW_SALESFORCE_RATE", description="Salesforce sync steps per second, all workers."
    )
    hubspot_rate: float = Field(
        default=2, gt=0, alias="BOOKFLOW_HUBSPOT_RATE", description="HubSpot sync steps per second, all workers."
    )

    @field_validator("salesforce_instance_url")
    @classmethod
    def _https(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith("https://"):
            raise ValueError("must be the org's https:// URL, e.g. https://acme.my.salesforce.com")
        return url

    @field_validator("salesforce_ca_bundle")
    @classmethod
    def _bundle_exists(cls, bundle: Path | None) -> Path | None:
        if bundle is not None and not bundle.is_file():
            raise ValueError("no such file: give the path of a PEM CA bundle, or unset it")
        return bundle

    @model_validator(mode="after")
    def _usable_credential(self) -> "CrmSettings":
        if self.salesforce_access_token and not self.salesforce_instance_url:
            raise ValueError("SALESFORCE_INSTANCE_URL is required with SALESFORCE_ACCESS_TOKEN (the org's https URL)")
        if self.salesforce_username and not self.salesforce_password and not self.salesforce_access_token:
            raise ValueError("SALESFORCE_PASSWORD is required with SALESFORCE_USERNAME")
        try:
            self.salesforce_credential()
        except ValidationError as invalid:
            problem = invalid.errors()[0]
            field = re.sub(r"(?<!^)(?=[A-Z])", "_", str(problem["loc"][-1])).upper() if problem["loc"] else "SETTINGS"
            raise ValueError(f"SALESFORCE_{field}: {problem['msg']}") from None
        return self

    def salesforce_credential(self) -> SalesforceCredential | None:
        """The credential, if a username or an access token is configured (else Salesforce is off)."""
        if not (self.salesforce_username or self.salesforce_access_token):
            return None
        return SalesforceCredential(
            username=self.salesforce_username,
            password=self.salesforce_password,
            security_token=self.salesforce_security_token,
            access_token=self.salesforce_access_token,
            instance_url=self.salesforce_instance_url,
            refresh_token=self.salesforce_refresh_token,
            consumer_key=self.salesforce_consumer_key,
            consumer_secret=self.salesforce_consumer_secret,
            domain=self.salesforce_domain,
            api_version=self.salesforce_api_version,
            fuzzy_domain_matching=self.salesforce_fuzzy_domain_matching,
            cache_ttl_seconds=self.salesforce_cache_ttl_seconds,
        )

    def rate(self, provider: CrmProvider) -> float:
        """Sync steps per second for ``provider``'s task queue."""
        return self.salesforce_rate if provider == "salesforce" else self.hubspot_rate
