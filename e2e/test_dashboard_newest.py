"""Mom on a dashboard of the newest Home Assistant, as its frontend offers it.

From Home Assistant 2026.x, Overview is made of areas (a contact is under
Overview → Devices) and is not edited card by card: a dashboard of one's own
is. Its card picker opens on By entity: "Mom" finds her entities, and Call
suggests a Tile and a Tile - Button. The README's Call Mom card, pasted into
the Manual card, calls with one tap; so does the Tile - Button's Press (here
refused by the call guard, a minute not being over: the tap reached the
integration). Runs on the newest end only; screenshots in
build/screenshots-newest/, the clicks of each journey printed.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect
import pytest

from e2e.conftest import (
    SCREENSHOTS,
    Instance,
    Journey,
    add_account_and_mom,
    log_in,
    readme_yaml,
    shot,
)

pytestmark = pytest.mark.newest


def test_mom_on_a_dashboard_of_her_own_one_tap_calls(
    page: Page, running: Instance
) -> None:
    log_in(page, running)
    # The account and Mom, as their forms send them (the forms themselves are
    # the walk-through's, on the oldest end). No webhook: calls stay Initiated.
    page.goto(f"{running.url}/config/integrations/dashboard")
    add_account_and_mom(page, running.sandbox)

    # Without editing anything: Overview → Devices shows Mom and her Press.
    page.goto(f"{running.url}/")
    # (Sometimes beside a "Devices discovered" summary.)
    page.get_by_role("button", name="Devices", exact=True).click()
    mom = page.locator("hui-entities-card").filter(has_text="Last call status")
    mom = mom.filter(has_text="Press")
    expect(mom).to_have_count(1)
    shot(page, running, "03-overview-devices")

    # A dashboard of her own, and the card Home Assistant suggests for Call.
    suggested = Journey("Mom's Tile - Button on a new dashboard (newest)")
    sidebar = page.locator("ha-sidebar")
    suggested.click(sidebar.get_by_text("Settings", exact=True))
    suggested.click(page.get_by_text("Dashboards", exact=True))
    suggested.click(page.get_by_role("button", name="Add dashboard"))
    suggested.click(page.get_by_text("New dashboard from scratch"))
    suggested.fill(page.locator("input[name=title]"), "Calls")
    suggested.click(page.get_by_role("button", name="Create"))
    suggested.click(sidebar.get_by_text("Calls", exact=True))
    suggested.click(page.get_by_role("button", name="Edit dashboard"))
    suggested.click(page.get_by_role("button", name="Add card"))
    suggested.fill(page.get_by_placeholder("Search entities"), "Mom")
    suggested.click(page.get_by_text("Call", exact=True))
    expect(page.get_by_text("Tile - Button")).to_be_visible()
    shot(page, running, "04-add-card-by-entity-suggestions")
    suggested.click(page.get_by_text("Tile - Button"))
    view = page.locator("#view")  # the dashboard, not the picker's previews
    tile = view.locator("hui-tile-card").filter(has_text="Mom Call")
    expect(tile.get_by_role("button", name="Press")).to_be_visible()

    # The README's card, pasted as YAML (still editing the dashboard).
    pasted = Journey("the README's Call Mom card (newest, editing already)")
    pasted.click(page.get_by_role("button", name="Add card").first)
    pasted.click(page.get_by_role("tab", name="By card"))
    pasted.fill(page.get_by_placeholder("Search cards"), "manual")
    # The card's label: the card itself takes the click.
    pasted.click(page.get_by_text("Manual", exact=True), force=True)
    card = readme_yaml("type: button", "  perform_action: button.press")
    pasted.paste(page, page.locator("ha-code-editor .cm-content"), card)
    preview = page.locator("hui-card-preview, hui-dialog-edit-card")
    expect(preview.locator("hui-button-card")).to_contain_text("Call Mom")
    shot(page, running, "05-call-mom-card-yaml")
    pasted.click(page.get_by_role("button", name="Save"))
    pasted.click(page.get_by_role("button", name="Done"))
    expect(page.get_by_role("button", name="Edit dashboard")).to_be_visible()
    call_mom = view.locator("hui-button-card").filter(has_text="Call Mom")
    shot(page, running, "06-dashboard-cards")

    # One tap on Call Mom calls her.
    call_mom.click()
    expect(call_mom).to_contain_text("Initiated")
    shot(page, running, "07-call-mom-tapped")
    # One tap on the Tile - Button's Press calls too: within the minute, the
    # call guard refuses it, and says why.
    tile.get_by_role("button", name="Press").click()
    expect(
        page.get_by_text("Call guard: this number was called less than").first
    ).to_be_visible()
    shot(page, running, "08-tile-press-guard")

    for journey in (suggested, pasted):
        print(f"\nJourney: {journey.summary()}")
    print(f"\nScreenshots: {SCREENSHOTS}")
