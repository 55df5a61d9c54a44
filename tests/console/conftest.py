"""The console's browser tests: one headless Chromium per session, screenshots of failed pages."""

from testkit.browser import browser, pytest_runtest_makereport  # noqa: F401
