"""The public pages against the real stack (Temporal dev server, worker, API); a browser where needed."""

from collections.abc import AsyncIterator

import pytest

from testkit.browser import browser, pytest_runtest_makereport  # noqa: F401  (fixture and report hook)
from testkit.stack import Stack
from tests.pages.support import seed_pages


@pytest.fixture
async def org(stack: Stack) -> AsyncIterator[Stack]:
    """A running stack whose store holds the pages' org (tests/pages/support.py)."""
    await seed_pages(stack.db)
    yield stack
