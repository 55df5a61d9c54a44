"""What the server-rendered pages (public pages and console) share: how their templates are loaded."""

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape


def template_environment(folder: Path) -> Environment:
    """A Jinja2 environment for the templates in ``folder``: autoescape on, strict about unknown names."""
    return Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,  # a typo in a template fails its test instead of rendering nothing
        trim_blocks=True,
        lstrip_blocks=True,
    )
