"""docs/deploy.md shows only commands the test suite or a bench runs."""

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "deploy.md"


def _commands() -> list[list[str]]:
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(), flags=re.S)
    return [shlex.split(line) for block in blocks for line in block.splitlines() if line.strip()]


def _runs(words: list[str], options: list[str], sources: list[str]) -> bool:
    """Some one source file passes every subcommand word and option of the command, quoted."""
    wanted = [f'"{w}"' for w in words] + [f'"{o}' for o in options]
    return any(all(w in text for w in wanted) for text in sources)


def test_every_command_in_the_deploy_guide_is_run_by_a_test_or_a_bench():
    tests = [p.read_text() for p in (ROOT / "tests").rglob("*.py") if p.resolve() != Path(__file__).resolve()]
    commands = _commands()
    assert len(commands) >= 6, commands
    for command in commands:
        options = [t.split("=")[0] for t in command if t.startswith("--")]
        if command[:3] == ["python", "-m", "bench"]:
            bench = ROOT / "bench" / f"{command[3]}.py"
            assert bench.exists(), command
            assert all(f'"{o}"' in bench.read_text() for o in options), command
        else:
            assert command[0] == "bookflow", f"not a bookflow or bench command: {command}"
            words = [t for t in command[1:3] if not t.startswith("-")]
            assert _runs(words, options, tests), f"no test runs {shlex.join(command)}"
