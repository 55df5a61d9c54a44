"""What access control needs: signing keys, rate limits, proxies, body size, inbound webhook secrets.

A plain model: the worker's settings tree fills it from the variables named here and passes it to the API.
"""

import ipaddress
from typing import Annotated

import limits
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, field_validator

SECRET_KEY_MIN_LENGTH = 32


def comma_list(value: object) -> object:
    """'a, b,,c' → ['a', 'b', 'c'] (lists pass through), so list settings read as one variable."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


CommaList = Annotated[list[str], BeforeValidator(comma_list)]


class AccessConfig(BaseModel):
    """Keys, limits and inbound webhook secrets of the API (``BOOKFLOW_SECRET_KEY`` and friends)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    secret_key: SecretStr | None = Field(
        default=None,
        min_length=SECRET_KEY_MIN_LENGTH,
        alias="BOOKFLOW_SECRET_KEY",
        description="Signs and derives everything secret (API keys, tokens); required by `bookflow worker` and "
        "`bookflow api`. `bookflow dev` generates one into <data dir>/secret-key.",
    )
    secret_keys_old: Annotated[list[SecretStr], BeforeValidator(comma_list)] = Field(
        default_factory=list,
        alias="BOOKFLOW_SECRET_KEYS_OLD",
        description="Earlier secret keys, comma-separated, still accepted while rotating.",
    )
    redis_url: str | None = Field(
        default=None,
        pattern=r"^(redis|rediss|unix)://",
        alias="BOOKFLOW_REDIS_URL",
        description="Redis for shared rate-limit counters (redis://host:6379/0); unset keeps them per process.",
    )
    rate_limit_public: str = Field(
        default="60/minute",
        alias="BOOKFLOW_RATE_LIMIT_PUBLIC",
        description="Requests each client address may make to public (keyless) routes.",
    )
    rate_limit_key: str = Field(
        default="600/minute", alias="BOOKFLOW_RATE_LIMIT_KEY", description="Requests each API key may make."
    )
    trusted_proxies: CommaList = Field(
        default_factory=list,
        alias="BOOKFLOW_TRUSTED_PROXIES",
        description="Proxy IPs or CIDRs, comma-separated, whose X-Forwarded-For is believed.",
    )
    max_body_bytes: int = Field(
        default=1_048_576,
        gt=0,
        alias="BOOKFLOW_MAX_BODY_BYTES",
        description="Largest request body accepted; larger ones get 413.",
    )
    stripe_webhook_secret: SecretStr | None = Field(
        default=None, alias="STRIPE_WEBHOOK_SECRET", description="Verifies Stripe's payment webhooks (whsec_…)."
    )
    daily_webhook_secret: SecretStr | None = Field(
        default=None, alias="DAILY_WEBHOOK_SECRET", description="Verifies Daily's video webhooks."
    )

    @field_validator("rate_limit_public", "rate_limit_key")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        try:
            limits.parse(value)  # the notation the rate limiter reads: "60/minute", "10 per second"
        except ValueError:
            raise ValueError("must read like 60/minute (a count per second, minute, hour or day)") from None
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, proxies: list[str]) -> list[str]:
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(f"{proxy!r} is not an IP address or CIDR (e.g. 10.0.0.0/8)") from None
        return proxies
