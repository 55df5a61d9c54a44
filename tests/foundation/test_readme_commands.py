"""Every `bookflow` command and flag the README mentions exists (as `--help` would list it)."""

import re
from pathlib import Path
from typing import Any

import typer

from worker.cli import app

README = Path(__file__).resolve().parents[2] / "README.md"


def _code(text: str) -> list[str]:
    """Inline code spans and the lines of fenced blocks: where commands are written."""
    fenced = re.findall(r"```[^\n]*\n(.*?)```", text, re.S)
    outside = re.sub(r"```.*?```", "", text, flags=re.S)
    lines = [line for block in fenced for line in block.splitlines()]
    return lines + [" ".join(span.split()) for span in re.findall(r"`([^`]+)`", outside)]  # spans may wrap


def _mentions(text: str) -> list[list[str]]:
    """The words after each `bookflow` in the README's code, up to the next `bookflow` or line end."""
    found = []
    for snippet in _code(text):
        for part in re.split(r"(?<![\w.-])bookflow\b", snippet)[1:]:
            found.append(part.split())
    return found


def _options(command: Any) -> set[str]:
    return {name for param in command.params for name in (*param.opts, *param.secondary_opts)}


def _problems(root: Any, words: list[str]) -> list[str]:
    """What a mention names that the CLI lacks; an empty list when every command and flag exists.

    ``root`` is the click command typer builds (typer vendors click, so groups are told by ``commands``).
    """
    commands: list[tuple[str, Any]] = [("bookflow", root)]
    problems: list[str] = []
    for word in words:
        parts = [p for p in re.split(r"[|\[\]()]", word.strip(".,;:")) if p]
        groups = [(path, cmd) for path, cmd in commands if hasattr(cmd, "commands")]
        if groups and parts and not parts[0].startswith("-") and not parts[0].isupper() and parts[0] != "…":
            if not any(p in cmd.commands for _, cmd in groups for p in parts):
                break  # an argument or prose, not a subcommand
            commands = [(f"{path} {p}", cmd.commands[p]) for path, cmd in groups for p in parts if p in cmd.commands]
            problems += [f"{groups[0][0]} {p}" for p in parts if not any(p in cmd.commands for _, cmd in groups)]
            continue
        for flag in (p.split("=")[0] for p in parts if p.startswith("--")):
            if not any(flag in _options(cmd) for _, cmd in commands):
                problems.append(f"{' / '.join(path for path, _ in commands)} {flag}")
    return problems


def test_every_command_and_flag_in_the_readme_exists() -> None:
    root = typer.main.get_command(app)
    mentions = _mentions(README.read_text())
    assert len(mentions) > 20  # the parser found the README's commands
    missing = [problem for words in mentions for problem in _problems(root, words)]
    assert missing == [], "the README mentions what `bookflow --help` does not have: " + "; ".join(missing)


def test_the_check_catches_a_flag_or_command_that_does_not_exist() -> None:
    root = typer.main.get_command(app)
    assert _problems(root, ["dev", "--port", "8000"]) == []
    assert _problems(root, ["dev", "--no-such-flag"]) == ["bookflow dev --no-such-flag"]
    assert _problems(root, ["ops", "failed|nonsense"]) == ["bookflow ops nonsense"]
