"""The API's configuration checks, implemented by the packages that own each rule."""

from collections.abc import Collection, Sequence

from activities.net import Resolver, checked_target, system_resolver
from activities.webhooks import subscriber_policy
from domain.config import EventType
from domain.reminders import ReminderWorkflow
from domain.routing_forms import Attribute, RoutingForm
from domain.url_policy import UrlRefused
from routing.validation import FormValidationError, validate_form
from templates.validation import event_type_problems, workflow_problems
from templates.webhook_body import TemplateInvalid, check_template


class ConfigValidators:
    """Implements api.checks.ConfigChecks."""

    def __init__(self, resolve: Resolver = system_resolver) -> None:
        self._resolve = resolve

    def event_type_problems(self, event_type: EventType) -> list[str]:
        return event_type_problems(event_type)

    def reminder_rule_problems(self, rule: ReminderWorkflow, event_type: EventType) -> list[str]:
        return workflow_problems(rule, event_type)

    def routing_form_problems(
        self,
        form: RoutingForm,
        attributes: Sequence[Attribute],
        event_type_ids: Collection[int] | None = None,
        hidden_event_type_ids: Collection[int] = (),
    ) -> list[str]:
        try:
            validate_form(form, list(attributes), event_type_ids, hidden_event_type_ids)
        except FormValidationError as refused:
            return [str(refused)]
        return []

    def webhook_template_problems(self, template: str) -> list[str]:
        try:
            check_template(template)
        except TemplateInvalid as invalid:
            return [str(invalid)]
        return []

    async def subscriber_url_problems(self, url: str, allow_private: bool) -> list[str]:
        try:
            await checked_target(url, subscriber_policy(allow_private), self._resolve)
        except UrlRefused as refused:
            return [str(refused)]
        return []
