"""The API's configuration checks, implemented by the packages that own each rule."""

from collections.abc import Sequence

from domain.config import EventType
from domain.reminders import ReminderWorkflow
from domain.routing_forms import Attribute, RoutingForm
from routing.validation import FormValidationError, validate_form
from templates.validation import event_type_problems, workflow_problems
from templates.webhook_body import TemplateInvalid, check_template


class ConfigValidators:
    """Implements api.checks.ConfigChecks."""

    def event_type_problems(self, event_type: EventType) -> list[str]:
        return event_type_problems(event_type)

    def reminder_rule_problems(self, rule: ReminderWorkflow, event_type: EventType) -> list[str]:
        return workflow_problems(rule, event_type)

    def routing_form_problems(self, form: RoutingForm, attributes: Sequence[Attribute]) -> list[str]:
        try:
            validate_form(form, list(attributes))
        except FormValidationError as refused:
            return [str(refused)]
        return []

    def webhook_template_problems(self, template: str) -> list[str]:
        try:
            check_template(template)
        except TemplateInvalid as invalid:
            return [str(invalid)]
        return []
