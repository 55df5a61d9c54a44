"""The one Jinja2 environment family reminders render in: sandboxed, strict about undefined names.

User templates can read the variables they are given and nothing else (no attribute walking into
Python internals); an unknown name is an error, not an empty string.
"""

import traceback
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, Template, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from templates.calcom import TemplateProblem, translate
from templates.dayjs import format_dayjs

DEFAULTS = Path(__file__).parent / "defaults"
SOURCE_NAME = "<template>"


def _dayjs(moment: datetime, pattern: str) -> str:
    if not isinstance(moment, datetime):
        raise TypeError("dayjs() formats a date and time, such as event_start")
    return format_dayjs(moment, pattern)


@cache
def environment(html: bool) -> SandboxedEnvironment:
    """The sandboxed environment for HTML (autoescaped) or plain-text templates."""
    env = SandboxedEnvironment(
        loader=FileSystemLoader(DEFAULTS),
        undefined=StrictUndefined,
        autoescape=html,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["dayjs"] = _dayjs
    return env


def _first_use(tree: nodes.Template, name: str) -> int:
    return min((n.lineno for n in tree.find_all(nodes.Name) if n.name == name), default=1)


def compile_user_template(source: str, html: bool, known: frozenset[str]) -> Template:
    """Compile a user's template (Cal.com placeholders or Jinja2); TemplateProblem says where it is wrong."""
    translated = translate(source)
    env = environment(html)
    try:
        tree = env.parse(translated, name=SOURCE_NAME)
    except TemplateSyntaxError as error:
        raise TemplateProblem(f"syntax error: {error.message}", error.lineno) from None
    unknown = sorted(meta.find_undeclared_variables(tree) - known)
    if unknown:
        raise TemplateProblem(f"unknown variable {unknown[0]!r}", _first_use(tree, unknown[0]))
    return env.from_string(translated)


def default_template(name: str, html: bool) -> Template:
    return environment(html).get_template(name)


def render(template: Template, context: dict[str, Any]) -> str:
    """Render ``template``; a failure becomes a TemplateProblem naming the template line."""
    try:
        return template.render(context)
    except Exception as error:
        frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == SOURCE_NAME]
        line = frames[-1].lineno if frames and frames[-1].lineno else 1
        raise TemplateProblem(f"fails to render: {error}", line) from None
