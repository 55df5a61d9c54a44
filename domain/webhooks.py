"""Webhook subscriptions, deliveries and attempts, and the pure rules of retrying a delivery."""

import hashlib
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from domain.base import CamelModel
from domain.signing import standard_key
from domain.triggers import Trigger

WEBHOOK_VERSION = "2021-10-20"
# Svix's schedule after the first attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (8 attempts, ~27.6 h).
DEFAULT_RETRY_SCHEDULE: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
RESPONSE_BODY_LIMIT = 2048


class TimeUnit(StrEnum):
    MINUTE = "MINUTE"
    HOUR = "HOUR"
    DAY = "DAY"


class WebhookSettings(BaseModel):
    """Delivery settings: a plain model the worker's settings tree fills from the variables named here."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    allow_private: bool = Field(
        default=False,
        validation_alias=AliasChoices(
            "allow_private", "BOOKFLOW_ALLOW_PRIVATE_URLS", "BOOKFLOW_WEBHOOKS_ALLOW_PRIVATE"
        ),
        description="Allow loopback and private addresses in every user-supplied outbound URL (webhook "
        "subscribers and the like); for local testing only.",
    )
    retry_schedule: str = Field(
        default=",".join(f"{s:g}" for s in DEFAULT_RETRY_SCHEDULE),
        alias="BOOKFLOW_WEBHOOK_RETRY_SCHEDULE",
        description="Seconds to wait before each webhook retry, comma-separated (Svix's schedule, ~27.6 h).",
    )
    timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=60,
        alias="BOOKFLOW_WEBHOOK_TIMEOUT",
        description="Seconds a receiver may take to answer.",
    )
    jitter: float = Field(
        default=0.2,
        ge=0,
        lt=1,
        alias="BOOKFLOW_WEBHOOK_JITTER",
        description="Random spread of each retry delay (0.2 is ±20%).",
    )

    @field_validator("retry_schedule")
    @classmethod
    def _schedule_parses(cls, text: str) -> str:
        parse_schedule(text)
        return text

    @property
    def schedule(self) -> list[float]:
        return parse_schedule(self.retry_schedule)


def parse_schedule(text: str) -> list[float]:
    """'5,300,1800' → [5.0, 300.0, 1800.0]: the delays before each retry, in seconds."""
    try:
        delays = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(
            f"BOOKFLOW_WEBHOOK_RETRY_SCHEDULE: {text!r} is not a comma-separated list of seconds"
        ) from None
    if any(d < 0 for d in delays):
        raise ValueError("BOOKFLOW_WEBHOOK_RETRY_SCHEDULE: delays cannot be negative")
    return delays


def _check_triggers(triggers: list[Trigger]) -> list[Trigger]:
    return list(dict.fromkeys(triggers))


class SubscriptionFields(CamelModel):
    """What a client may set on a subscription (Cal.com's create/update fields)."""

    subscriber_url: str | None = Field(default=None, max_length=2048)
    triggers: list[Trigger] | None = Field(
        default=None, min_length=1, validation_alias=AliasChoices("triggers", "eventTriggers")
    )
    active: bool | None = None
    payload_template: str | None = Field(default=None, max_length=20_000)
    secret: SecretStr | None = Field(default=None, max_length=512)
    time: int | None = Field(default=None, ge=1)
    time_unit: TimeUnit | None = None
    version: Literal["2021-10-20"] | None = None

    _unique = field_validator("triggers")(lambda v: None if v is None else _check_triggers(v))

    @field_validator("secret")
    @classmethod
    def _secret_usable(cls, secret: SecretStr | None) -> SecretStr | None:
        if secret is not None and secret.get_secret_value().startswith("whsec_"):
            standard_key(secret.get_secret_value())  # raises when the whsec_ part is not base64
        return secret


class SubscriptionCreate(SubscriptionFields):
    subscriber_url: str = Field(max_length=2048)
    triggers: list[Trigger] = Field(min_length=1, validation_alias=AliasChoices("triggers", "eventTriggers"))
    active: bool = True

    @model_validator(mode="after")
    def _time_with_unit(self) -> "SubscriptionCreate":
        check_time_pair(self.time, self.time_unit)
        return self


def check_time_pair(time: int | None, unit: TimeUnit | None) -> None:
    if (time is None) != (unit is None):
        raise ValueError("time and timeUnit go together: give both (e.g. 5 and MINUTE) or neither")


class Subscription(CamelModel):
    """A stored subscription. The secret is write-only: ``public()`` and ``echo()`` never include it."""

    id: str
    number: int | None = Field(default=None, description="Cal.com's numeric id, allocated by the store.")
    user_id: int | None = None
    event_type_id: int | None = None
    subscriber_url: str
    triggers: list[Trigger]
    active: bool = True
    payload_template: str | None = None
    secret: SecretStr | None = None
    time: int | None = None
    time_unit: TimeUnit | None = None
    created_at: datetime
    updated_at: datetime

    @property
    def scope_rank(self) -> int:
        """How specific the scope is: event type (2) over user (1) over the whole instance (0)."""
        return 2 if self.event_type_id is not None else 1 if self.user_id is not None else 0

    def public(self) -> dict[str, Any]:
        """The API's view (Cal.com's response fields), without the secret.

        Cal.com's ids are numbers and its ``payloadTemplate`` a string: "" means the default payload. An
        instance-wide subscription (Bookflow's own scope) has no user: its ``userId`` is 0.
        """
        data = self.wire()
        for private in ("secret", "number", "userId", "eventTypeId"):
            data.pop(private, None)
        scope = {"eventTypeId": self.event_type_id} if self.event_type_id is not None else {"userId": self.user_id or 0}
        return (
            data
            | scope
            | {
                "id": self.number if self.number is not None else self.id,
                "payloadTemplate": self.payload_template or "",
                "version": WEBHOOK_VERSION,
                "hasSecret": self.secret is not None,
            }
        )

    def echo(self) -> dict[str, Any]:
        """The ``webhook`` object Cal.com puts in no-show payloads (its storage model, no secret)."""
        return {
            "id": self.id,
            "subscriberUrl": self.subscriber_url,
            "appId": None,
            "time": self.time,
            "timeUnit": self.time_unit.value if self.time_unit else None,
            "eventTriggers": [t.value for t in self.triggers],
            "payloadTemplate": self.payload_template,
        }


def dedupe_by_url(subscriptions: list[Subscription]) -> list[Subscription]:
    """One subscription per subscriber URL: the most specific scope wins (then the oldest)."""
    best: dict[str, Subscription] = {}
    for sub in sorted(subscriptions, key=lambda s: (-s.scope_rank, s.created_at, s.id)):
        best.setdefault(sub.subscriber_url, sub)
    return list(best.values())


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    RETRYING = "retrying"
    DELIVERED = "delivered"
    FAILED = "failed"
    ABANDONED = "abandoned"  # the subscription was deleted or deactivated before it succeeded


class Outcome(StrEnum):
    """What one attempt means for the delivery."""

    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"
    GONE = "gone"  # 410: failed, and the subscription is deactivated
    ABANDONED = "abandoned"


def classify(status_code: int | None) -> Outcome:
    """2xx delivered; no response, 408, 429 and 5xx retried; 410 gone; other 3xx/4xx failed."""
    if status_code is None or status_code in (408, 429) or status_code >= 500:
        return Outcome.RETRY
    if 200 <= status_code < 300:
        return Outcome.DELIVERED
    return Outcome.GONE if status_code == 410 else Outcome.FAILED


def final_status(outcome: Outcome) -> DeliveryStatus:
    """A delivery's status once ``outcome`` is its last attempt (a RETRY last means the schedule ran out)."""
    if outcome is Outcome.DELIVERED:
        return DeliveryStatus.DELIVERED
    return DeliveryStatus.ABANDONED if outcome is Outcome.ABANDONED else DeliveryStatus.FAILED


def retry_delay(base: float, draw: float, jitter: float, retry_after: float | None) -> float:
    """The wait before the next attempt: ``base`` ±jitter (``draw`` in [0, 1)), and a receiver's
    Retry-After honoured within [that, 2 x base] so it can slow us down but never stall a delivery."""
    delay = base * (1 - jitter + 2 * jitter * draw)
    if retry_after is not None:
        delay = min(max(retry_after, delay), max(2 * base, delay))
    return delay


def delivery_id(event_id: str, subscription_id: str) -> str:
    """The Standard Webhooks ``webhook-id`` of an event for a subscriber: stable, no dots."""
    return "msg_" + hashlib.sha256(f"{event_id}\n{subscription_id}".encode()).hexdigest()[:32]


class Delivery(CamelModel):
    id: str
    event_id: str
    subscription_id: str
    trigger: str
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    series: int = 1
    last_status_code: int | None = None
    created_at: datetime
    updated_at: datetime
    body: dict[str, Any] | None = Field(default=None, description="Only for test pings, which have no event.")


class Attempt(CamelModel):
    delivery_id: str
    series: int
    number: int
    at: datetime
    status_code: int | None = None
    latency_ms: float
    response_body: str | None = None
    error: str | None = None
    outcome: Outcome


def workflow_id(event_id: str, subscription_id: str, series: int = 1) -> str:
    """The delivery workflow's id: one per (event, subscriber) and attempt series."""
    base = f"delivery:{event_id}:{subscription_id}"
    return base if series == 1 else f"{base}:series-{series}"


class DeliveryInput(CamelModel):
    """What starts a DeliveryWorkflow; the schedule travels with it so the workflow stays deterministic."""

    delivery_id: str
    series: int = 1
    schedule: list[float]
    jitter: float = 0.2
    timeout_seconds: float = 10.0
    # Attempts of this series the dispatcher already sent and logged (the workflow waits, then goes on).
    attempted: int = 0
    # The Retry-After of the dispatcher's last attempt, honoured by the first wait.
    retry_after: float | None = None
