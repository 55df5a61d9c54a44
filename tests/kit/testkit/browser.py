"""Browser tests: Debian's headless Chromium driven by Playwright, against an app served on loopback.

Never a browser build of Playwright's own: the Makefile installs Debian's ``chromium`` (``/usr/bin/chromium``)
and this module launches that executable.

How to use it (the fixtures live in the suite's conftest; the functions work anywhere)::

    # tests/yoursuite/conftest.py
    from testkit.browser import browser, pytest_runtest_makereport  # noqa: F401

    # tests/yoursuite/test_x.py
    from testkit.browser import open_page, serious_violations, served_stack

    async def test_a_visitor_sees_the_form(stack, browser, request):
        async with served_stack(stack) as base_url, open_page(browser, request) as tab:
            await tab.page.goto(f"{base_url}/forms/1")
            await tab.page.get_by_label("Email").fill("bo@example.com")
            assert await serious_violations(tab.page) == []
            tab.assert_no_console_errors()

``browser`` is one Chromium per test session; ``open_page`` gives a fresh context and page per test
(``viewport=PHONE`` for a 375 px phone; other ``browser.new_context`` options such as ``timezone_id`` pass
through) and saves a full-page screenshot to ``SCREENSHOTS/<test name>.png`` when the block raises or, with
``pytest_runtest_makereport`` imported into the conftest, when the test failed. It collects the console's
errors and uncaught page errors in ``tab.console_errors``; tests assert there are none. A page answered
with an error status on purpose (a 400 form) is not one, a stylesheet or script that fails to load is, and
so is the 404 of Chromium's ``/favicon.ico`` on a page without ``<link rel="icon" href="data:,">``.
``serious_violations(page)`` runs axe-core (from axe-playwright-python) on the page as it is now.
``served(app)`` / ``served_stack(stack)`` run the ASGI app under uvicorn on a free port of 127.0.0.1 (the
browser needs a socket; ``stack.http`` has none).
"""

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, ConsoleMessage, Error, Page, Response, async_playwright

from testkit.processes import free_port

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and nothing that reaches out of the machine (updates, sync, QUIC probes) or needs a GPU or sandbox.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Where failed tests leave their screenshot (under the directory pytest runs in; .bookflow/ is git-ignored).
SCREENSHOTS = Path(".bookflow") / "screenshots"
PHONE = {"width": 375, "height": 812}
# axe impacts that fail a page.
SERIOUS = ("serious", "critical")


@asynccontextmanager
async def launched_chromium() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, until the block ends."""
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: `make install` installs Debian's chromium")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One headless Chromium for the whole test session (a page per test comes from ``open_page``)."""
    async with launched_chromium() as running:
        yield running


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    """Remembers on the test item whether its body failed, so ``open_page`` can screenshot after the fact."""
    report = yield
    if report.when == "call" and report.failed:
        item.stash[_FAILED] = True
    return report


_FAILED = pytest.StashKey[bool]()


@dataclass
class Tab:
    """A fresh page and what its console said."""

    page: Page
    console_errors: list[str] = field(default_factory=list)

    def assert_no_console_errors(self) -> None:
        """Fails with every console error and uncaught exception the page produced."""
        assert self.console_errors == [], "errors in the browser console:\n" + "\n".join(self.console_errors)


@asynccontextmanager
async def open_page(
    browser: Browser,
    test: pytest.FixtureRequest | str,
    *,
    viewport: dict[str, int] | None = None,
    screenshots: Path = SCREENSHOTS,
    **context_options: Any,
) -> AsyncIterator[Tab]:
    """A new browser context and page for one test; a screenshot in ``screenshots`` if the test fails.

    ``test`` is the test's ``request`` (its name names the screenshot, and a failure seen by the report hook
    counts) or just a name. ``context_options`` go to ``browser.new_context`` (locale, timezone_id, …).
    """
    name = test if isinstance(test, str) else test.node.nodeid
    context = await browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, **context_options)
    page = await context.new_page()
    tab = Tab(page)

    documents: set[str] = set()  # pages navigated to: a 4xx page is an answer, not a console error

    def on_response(response: Response) -> None:
        if response.request.is_navigation_request():
            documents.add(response.url)

    def on_console(message: ConsoleMessage) -> None:
        url = message.location.get("url", "")
        if message.type != "error" or (message.text.startswith("Failed to load resource") and url in documents):
            return
        tab.console_errors.append(f"console: {message.text} ({url})")

    page.on("response", on_response)
    page.on("console", on_console)
    page.on("pageerror", lambda error: tab.console_errors.append(f"uncaught: {error}"))
    failed = False
    try:
        yield tab
    except BaseException:
        failed = True
        raise
    finally:
        if failed or (not isinstance(test, str) and test.node.stash.get(_FAILED, False)):
            await _screenshot(page, screenshots, name)
        await context.close()


async def _screenshot(page: Page, folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")[:150] + ".png")
    with contextlib.suppress(Error):  # a crashed or closed page has nothing to show; the test's error stands
        await page.screenshot(path=str(path), full_page=True)
        print(f"screenshot of the failed page: {path}")


async def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each (empty: none)."""
    results = await Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v.get("impact") in SERIOUS
    ]


@asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """``app`` under uvicorn on a free loopback port, in this event loop; yields its base URL (no slash)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()  # it could not start: raise why
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def served_stack(stack: Any) -> contextlib.AbstractAsyncContextManager[str]:
    """The in-process API of a ``testkit.stack.Stack`` on a real port, for the browser."""
    return served(stack.transport.app)
