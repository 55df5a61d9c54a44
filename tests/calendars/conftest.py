"""A real CalDAV server (Radicale from PyPI) on loopback for the calendar tests, one per session."""

from collections.abc import Iterator

import pytest

from testkit.radicale import RadicaleServer

PASSWORD = "ada-app-password"


@pytest.fixture(scope="session")
def radicale() -> Iterator[RadicaleServer]:
    """Radicale with accounts (htpasswd): ``ada`` and ``grace``; each test makes its own calendars."""
    with RadicaleServer(users={"ada": PASSWORD, "grace": PASSWORD}) as server:
        yield server
