"""The configuration checks the API runs before saving anything, as an interface.

The checks live in the pure packages that own the rules (templates/, routing/, and domain/url_policy.py
with the resolver of activities/net.py for outbound URLs); the worker, which may import everything, hands
an implementation to the app (worker/config_checks.py). The API itself stays within its arrows: domain,
store and a Temporal client.
"""

from collections.abc import Collection, Sequence
from typing import Protocol

from domain.config import EventType
from domain.reminders import ReminderWorkflow
from domain.routing_forms import Attribute, RoutingForm


class ConfigChecks(Protocol):
    """Each method returns every problem found, each naming its path; an empty list means valid."""

    def event_type_problems(self, event_type: EventType) -> list[str]: ...

    def reminder_rule_problems(self, rule: ReminderWorkflow, event_type: EventType) -> list[str]: ...

    def routing_form_problems(
        self,
        form: RoutingForm,
        attributes: Sequence[Attribute],
        event_type_ids: Collection[int] | None = None,
        hidden_event_type_ids: Collection[int] = (),
    ) -> list[str]: ...

    def webhook_template_problems(self, template: str) -> list[str]: ...

    async def subscriber_url_problems(self, url: str, allow_private: bool) -> list[str]:
        """Why a webhook subscriber URL may not be called, its host resolved now (SSRF rules)."""
        ...
