"""The public pages in Debian's headless Chromium: a visitor fills the routing form, is routed, picks a
slot in their own time zone, books, sees the booking and cancels it; the same journey on a 375 px phone
with the keyboard; axe-core finds no serious or critical violation; the console stays free of errors."""

import re

from playwright.async_api import Page, expect

from store import bookings
from testkit.browser import PHONE, open_page, serious_violations, served_stack
from testkit.stack import Stack, eventually

ROME = {"timezone_id": "Europe/Rome", "locale": "en-GB"}


async def accessible(page: Page) -> None:
    """axe-core on the page as it is now: no serious or critical violation."""
    assert await serious_violations(page) == []


async def pick_a_time(page: Page) -> str:
    """The month's last bookable day and its last time (far from now), next month when none is left;
    returns the chosen slot's start (ISO, as the page carries it)."""
    if await page.locator("a.day").count() == 0:
        await page.get_by_role("link", name="Next month").click()
    await page.locator("a.day").last.click()
    await expect(page.locator("a.time").first).to_be_visible()
    await page.locator("a.time").last.click()
    await expect(page.get_by_role("heading", name="Your details")).to_be_visible()
    return await page.locator('input[name="start"]').input_value()


async def test_a_visitor_is_routed_books_and_cancels(org: Stack, browser, request):
    async with served_stack(org) as base, open_page(browser, request, **ROME) as tab:
        page = tab.page
        await page.goto(f"{base}/forms/1")
        await expect(page.get_by_role("heading", name="Talk to us")).to_be_visible()
        await accessible(page)
        await page.get_by_label("Work email").fill("jo@example.de")
        await page.get_by_label("Country").select_option(label="Germany")
        await page.get_by_label("API").check()
        await page.get_by_role("button", name="Submit").click()

        # Routed to the event type's booking page; the script shows it in the browser's own zone.
        await expect(page).to_have_url(re.compile(r"/ada/intro\?.*cal\.routingFormResponseToken=.*tz=Europe%2FRome"))
        await expect(page.get_by_label("Time zone")).to_have_value("Europe/Rome")
        start = await pick_a_time(page)
        assert start.endswith(("+01:00", "+02:00"))  # Rome's offset: the times are the visitor's
        await expect(page.get_by_label("Email address")).to_have_value("jo@example.de")  # from the form
        await page.get_by_label("Your name").fill("Jo Visitor")
        await accessible(page)
        await page.get_by_role("button", name="Confirm booking").click()

        await expect(page.get_by_role("heading", name="This meeting is scheduled")).to_be_visible()
        uid = page.url.rsplit("/", 1)[-1]
        await accessible(page)
        async with org.db.sessions() as session:
            booked = await bookings.get(session, uid)
        assert booked.routing is not None and booked.attendees[0].time_zone == "Europe/Rome"

        await page.get_by_role("link", name="Cancel").click()
        await page.get_by_label("Reason for cancelling").fill("plans changed")
        await accessible(page)
        await page.get_by_role("button", name="Cancel booking").click()
        await expect(page.get_by_role("heading", name="This booking is cancelled")).to_be_visible()
        await expect(page.get_by_text("plans changed")).to_be_visible()
        tab.assert_no_console_errors()
    assert await eventually(lambda: org.triggers(uid), lambda t: "BOOKING_CANCELLED" in t)


async def test_a_bad_answer_is_shown_beside_its_field(org: Stack, browser, request):
    async with served_stack(org) as base, open_page(browser, request, **ROME) as tab:
        page = tab.page
        await page.goto(f"{base}/forms/1")
        await page.get_by_label("Work email").fill("not-an-email")
        await page.get_by_role("button", name="Submit").click()
        email = page.get_by_label("Work email")
        await expect(email).to_have_attribute("aria-invalid", "true")
        # The field's description is the API's message; the country's is that it is required.
        await expect(email).to_have_accessible_description("'not-an-email' should be a valid email")
        await expect(page.get_by_label("Country")).to_have_accessible_description("is required")
        await expect(page.get_by_role("alert")).to_contain_text("Work email: 'not-an-email' should be a valid email")
        await accessible(page)
        tab.assert_no_console_errors()


async def test_booking_on_a_phone_with_the_keyboard(org: Stack, browser, request):
    async with served_stack(org) as base, open_page(browser, request, viewport=PHONE, **ROME) as tab:
        page = tab.page
        await page.goto(f"{base}/ada/intro")
        await expect(page).to_have_url(re.compile(r"tz=Europe%2FRome"))
        await accessible(page)
        fits = "document.documentElement.scrollWidth <= window.innerWidth"
        assert await page.evaluate(fits), "the month is wider than the phone"
        if await page.locator("a.day").count() == 0:
            await page.get_by_role("link", name="Next month").click()
        # Keyboard only: focus the day and the time and press Enter, type the details, submit with Enter.
        await page.locator("a.day").last.focus()
        await page.keyboard.press("Enter")
        await expect(page.locator("a.time").last).to_be_visible()
        await page.locator("a.time").last.focus()
        await page.keyboard.press("Enter")
        await page.get_by_label("Your name").focus()
        await page.keyboard.type("Pat Phone")
        await page.keyboard.press("Tab")
        await page.keyboard.type("pat@example.com")
        assert await page.evaluate(fits), "the booking form is wider than the phone"
        await accessible(page)
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", name="This meeting is scheduled")).to_be_visible()
        await expect(page.get_by_text("Pat Phone (pat@example.com)")).to_be_visible()
        assert await page.evaluate(fits), "the booking page is wider than the phone"
        await accessible(page)
        first_uid = page.url.rsplit("/", 1)[-1]

        # Moving it: the booking's page offers the month again, the booking's own time counting as free.
        await page.get_by_role("link", name="Reschedule").click()
        await expect(page.get_by_role("heading", name="Pick a new time")).to_be_visible()
        await accessible(page)
        await page.get_by_role("link", name="Next month").click()  # whole free days, whatever the date today
        await page.locator("a.day").first.click()
        await page.locator("a.time").last.click()
        await page.get_by_label("Reason for rescheduling").fill("a clash")
        assert await page.evaluate(fits), "the reschedule form is wider than the phone"
        await page.get_by_role("button", name="Confirm new time").click()
        await expect(page.get_by_role("heading", name="This meeting is scheduled")).to_be_visible()
        assert page.url.rsplit("/", 1)[-1] != first_uid
        await page.goto(f"{base}/booking/{first_uid}")
        await expect(page.get_by_role("heading", name="This booking was moved")).to_be_visible()
        tab.assert_no_console_errors()


async def test_choosing_a_length_and_a_place_in_the_browser(org: Stack, browser, request):
    async with served_stack(org) as base, open_page(browser, request, **ROME) as tab:
        page = tab.page
        await page.goto(f"{base}/ada/choices")
        await page.get_by_role("link", name="60 minutes").click()
        await expect(page.get_by_role("link", name="60 minutes")).to_have_attribute("aria-current", "true")
        await pick_a_time(page)
        await expect(page.locator('#details input[name="duration"]')).to_have_value("60")
        await page.get_by_label("Your name").fill("Jo Visitor")
        await page.get_by_label("Email address").fill("jo@example.com")
        await page.get_by_label("By phone: the host calls you", exact=True).check()
        await page.get_by_label("1-10").check()
        await accessible(page)
        await page.get_by_role("button", name="Confirm booking").click()
        phone = page.get_by_label("Your phone number")
        await expect(phone).to_have_accessible_description("required for the place you picked")
        await phone.fill("+4930123456")
        await page.get_by_role("button", name="Confirm booking").click()
        await expect(page.get_by_role("heading", name="This meeting is scheduled")).to_be_visible()
        await expect(page.get_by_text("+4930123456")).to_be_visible()
        tab.assert_no_console_errors()
