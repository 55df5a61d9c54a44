"""The calendar tests' CalDAV server (Radicale), for the accepting host's destination calendar."""

from tests.calendars.conftest import radicale  # noqa: F401 (a fixture)
