"""Checking reminder templates when a rule is saved: every part compiles and renders, or we say where not."""

from domain.config import EventType
from domain.reminders import ReminderStep, ReminderWorkflow
from templates.calcom import TemplateProblem
from templates.sample import KNOWN, SAMPLE_RECIPIENT, sample_booking
from templates.sandbox import compile_user_template, render
from templates.variables import Links, context_for


def _part_problem(source: str, html: bool, context: dict) -> TemplateProblem | None:
    try:
        render(compile_user_template(source, html, KNOWN), context)
    except TemplateProblem as problem:
        return problem
    return None


def step_problems(step: ReminderStep, event_type: EventType | None = None) -> list[str]:
    """Each unusable part of ``step``'s message, as 'message.html: line 2, column 7: unknown variable {X}'."""
    context = context_for(sample_booking(event_type), SAMPLE_RECIPIENT, Links())
    parts = (
        ("subject", step.message.subject, False),
        ("html", step.message.html, True),
        ("text", step.message.text, False),
    )
    found = []
    for name, source, html in parts:
        if source and (problem := _part_problem(source, html, context)) is not None:
            found.append(f"message.{name}: {problem}")
    return found


def workflow_problems(workflow: ReminderWorkflow, event_type: EventType | None = None) -> list[str]:
    """Every template problem of one rule, each prefixed with its step's path."""
    return [
        f"steps.{index}.{problem}"
        for index, step in enumerate(workflow.steps)
        for problem in step_problems(step, event_type)
    ]


def event_type_problems(event_type: EventType) -> list[str]:
    """Every template problem of an event type's rules, each with its full path from the event type."""
    return [
        f"workflows.{index}.{problem}"
        for index, workflow in enumerate(event_type.workflows)
        for problem in workflow_problems(workflow, event_type)
    ]
