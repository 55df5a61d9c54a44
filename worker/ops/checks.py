"""The result type of one `bookflow ops doctor` line."""

from dataclasses import dataclass
from typing import Literal

Outcome = Literal["pass", "fail", "warn", "skip"]


@dataclass(frozen=True)
class Check:
    """One doctor line: what was checked, how it went, and how to fix a failure."""

    name: str
    outcome: Outcome
    detail: str
    fix: str = ""
