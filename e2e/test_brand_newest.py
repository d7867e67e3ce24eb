"""Our own brand icon in the newest Home Assistant's frontend, in a real browser.

Home Assistant 2026.3 and newer serve a custom integration's images from its
brand/ folder at /api/brands/integration/<domain>/...: the "Add integration"
list and the integration's page show our icon, not a placeholder. Runs on the
newest end only (CLICK_TO_CALL_E2E_END=newest); screenshots go to
build/screenshots-newest/.
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect
import pytest

from e2e.conftest import SCREENSHOTS, Instance, log_in, shot

pytestmark = pytest.mark.newest

ICON = "/api/brands/integration/click_to_call/icon.png"
ICON_2X = "/api/brands/integration/click_to_call/icon@2x.png"


def loaded_width(page: Page, image: Locator) -> int:
    """Wait until the image has loaded (or failed), and give its natural width."""
    handle = image.element_handle()
    page.wait_for_function("image => image.complete", arg=handle)
    return int(handle.evaluate("image => image.naturalWidth"))


def test_add_integration_shows_our_brand_icon(page: Page, running: Instance) -> None:
    log_in(page, running)

    # Add integration: the brand list, filtered down to us, with our icon.
    page.goto(f"{running.url}/config/integrations/dashboard")
    page.get_by_role("button", name="Add integration").click()
    expect(page.get_by_text("Select brand")).to_be_visible()
    page.get_by_role("textbox").last.fill("Click to Call")
    expect(page.get_by_text("1-Wire")).to_be_hidden()  # the list is filtered
    rows = page.locator("ha-integration-list-item")
    expect(rows).to_have_count(1)
    # The one row: our name, and the badges of a custom integration.
    expect(rows.get_by_role("button", name="Click to Call", exact=True)).to_be_visible()
    expect(rows).to_contain_text("Custom integration")
    icon = rows.locator("img")
    expect(icon).to_have_attribute("src", re.compile(re.escape(ICON)))
    assert loaded_width(page, icon) == 256
    shot(page, running, "01-add-integration-brand")
    page.keyboard.press("Escape")

    # The integration's own page: the icon at twice the size.
    page.goto(f"{running.url}/config/integrations/integration/click_to_call")
    big = page.locator(f'img[src*="{ICON_2X}"]')
    expect(big).to_have_count(1)
    assert loaded_width(page, big) == 512
    shot(page, running, "02-integration-page-brand")
    print(f"\nScreenshots: {SCREENSHOTS}")
