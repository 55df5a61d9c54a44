"""An admin edits a route with the builder in Chromium: a save-time error, fixed, simulated, saved, rolled back."""

import re

from playwright.async_api import expect

from testkit.browser import open_page, serious_violations, served_stack
from tests.console.forms_world import FORM_ID, live_form, seed_forms


async def test_an_admin_edits_a_route_with_the_builder_and_rolls_it_back(stack, browser, request):
    await seed_forms(stack)
    async with served_stack(stack) as base_url, open_page(browser, request) as tab:
        page = tab.page
        await page.goto(f"{base_url}/console")
        await expect(page).to_have_url(re.compile(r"/console/login\?next="))
        await page.get_by_label("API key").fill(stack.keys.admin)
        await page.get_by_role("button", name="Sign in with key").click()
        await page.get_by_role("link", name="Routing forms").first.click()
        await page.get_by_role("link", name="Talk to sales").click()
        await expect(page.get_by_role("heading", name="Talk to sales")).to_be_visible()
        assert await serious_violations(page) == []

        route = page.locator("#route-0")
        # The builder: the country condition's value is picked from the field's options (ids behind labels).
        await route.get_by_label("Value").select_option(label="Japan")
        await route.get_by_label("Route name").fill("Japan")
        # A second condition, on the company size: its operators and value box follow the field (script).
        await route.get_by_role("button", name="Add condition").click()
        route = page.locator("#route-0")
        second = route.locator(".condition").nth(1)
        await second.get_by_label("Field").select_option(label="Company size")
        operators = await second.get_by_label("Operator").locator("option").all_inner_texts()
        assert "≥" in operators and "is any of" not in operators
        await second.get_by_label("Operator").select_option(label="≥")
        await second.get_by_label("Value").fill("10")
        # A mistake the engine refuses at save time: a redirect to something that is not a URL.
        await route.get_by_label("Action").select_option(label="Redirect to a URL")
        await route.get_by_label("Message, URL or booking path").fill("example.com/jp")
        await page.get_by_role("button", name="Save as version 2").click()
        errors = page.locator("#route-0-errors")
        await expect(errors).to_contain_text("externalRedirectUrl needs an http(s) URL")
        assert (await live_form(stack))["version"] == 1

        # Fixed where it is, then simulated against the draft before saving.
        route = page.locator("#route-0")
        await route.get_by_label("Message, URL or booking path").fill("https://example.com/jp")
        simulator = page.locator("#simulator")
        await simulator.get_by_label("Work email").fill("kenji@example.jp")
        await simulator.get_by_label("Company size").fill("40")
        await simulator.get_by_label("Country").select_option(label="Japan")
        await page.get_by_role("button", name="Simulate").click()
        await expect(page.locator("#simulation")).to_contain_text("Routed to: Japan")
        await expect(page.locator("#simulation-trace")).to_contain_text("✓ Japan")
        await expect(page.locator("#route-0-errors")).to_have_count(0)
        assert (await live_form(stack))["version"] == 1

        await page.get_by_role("button", name="Save as version 2").click()
        await expect(page.locator("#saved")).to_contain_text("Saved as version 2")
        saved = await live_form(stack)
        action = saved["routes"][0]["action"]
        assert (action["type"], action["value"]) == ("externalRedirectUrl", "https://example.com/jp")
        values = [c["properties"]["value"] for c in saved["routes"][0]["queryValue"]["children1"].values()]
        assert values == [["c-jp"], [10]]

        # One click rolls back: version 1's content, live again as version 3.
        await page.get_by_role("link", name="Versions and rollback").click()
        await page.get_by_role("link", name="Diff with live").click()
        await expect(page.locator("#diff")).to_contain_text("+    value: https://example.com/jp")
        await page.get_by_role("button", name="Roll back to v1").click()
        await expect(page.locator("#saved")).to_contain_text("Saved as version 3")
        await expect(page.locator("#route-0").get_by_label("Route name")).to_have_value("Germany")
        tab.assert_no_console_errors()
    restored = await live_form(stack)
    assert restored["version"] == 3
    assert restored["routes"][0]["action"]["value"] == "Hallo! Our Berlin team will call you."
    assert restored["id"] == FORM_ID
