"""Turning invalid settings into one line each that names the variable and the fix."""

from pydantic import ValidationError


class SettingsError(Exception):
    """Invalid settings; ``lines`` holds one line per problem (no secret values)."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def _variable(location: tuple[int | str, ...]) -> str | None:
    """The variable an error is about: the last upper-case name in its location."""
    names = [part for part in location if isinstance(part, str) and part.isupper()]
    return names[-1] if names else None


def explain(invalid: ValidationError) -> list[str]:
    """One line per problem: ``NAME='value': what is wrong; fix: …`` (secret values never shown)."""
    from worker.settings.catalog import by_name  # the catalog imports the tree, which imports us

    known = by_name()
    lines: list[str] = []
    for problem in invalid.errors(include_url=False):
        message = problem["msg"].removeprefix("Value error, ")
        name = _variable(problem["loc"])
        if name is None:
            lines.append(f"invalid settings: {message}")
            continue
        setting = known.get(name)
        secret = setting is None or setting.secret
        value = "" if secret else f"={str(problem['input'])[:80]!r}"
        default = f" (default {setting.default})" if setting and setting.default != "(unset)" else ""
        lines.append(f"{name}{value}: {message}; fix: set {name} to a valid value, or unset it{default}")
    return lines
