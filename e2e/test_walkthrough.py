"""The README's walk-through in Home Assistant's own frontend, in a real browser.

Log in, add a TeleCMI account (with its caller ID for announcements), point
the sandbox at its webhook, add the contact "Mom", open Mom's device, press
Call, watch the status go from Initiated to Completed, press again and read
the guard's reason, ask Assist, read the repair. Then turn the guard's wait
off in the account's options, put Mom on the dashboard as Home Assistant
offers it and with the README's own card (one tap calls), send Mom an
announcement from Developer tools and press 1 for her on the sandbox page,
and read the Logbook: one line per status change. Each step leaves a
screenshot; the clicks of each journey are counted and printed.
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import ConsoleMessage, Error, Locator, Page, expect

from e2e.conftest import SCREENSHOTS, Instance, Journey, readme_yaml

TELECMI = {
    "User ID": "101_1111112",
    "App secret": "2e0d75-d843-45-945-4171dd7a",
    # The app's number: announcement calls are placed from it.
    "Caller ID (for announcements)": "919100000000",
}
OURS = re.compile(r"click.?to.?call", re.IGNORECASE)


class Walk:
    """The browser page, with numbered screenshots of each step."""

    def __init__(self, page: Page, running: Instance) -> None:
        self.page = page
        self.running = running
        self.step = 0
        self.errors: list[str] = []
        self.frontend_errors: list[str] = []
        page.on("console", self._console)
        # Rejections reach Playwright as "Object": log their reason instead.
        page.add_init_script(
            "window.addEventListener('unhandledrejection', event => "
            "console.error('unhandled rejection ' + JSON.stringify(event.reason)))"
        )
        # Uncaught errors of the page; rejections are logged above with reason.
        page.on("pageerror", self._page_error)
        self.journeys: list[Journey] = []

    def _page_error(self, error: Error) -> None:
        """Keep the frontend's own uncaught errors apart from ours.

        Home Assistant 2025.4's Assist dialog, for one, trips over an answer
        that comes at once ("Cannot access 's' before initialization" in its
        own code); that is reported, not counted against the integration.
        """
        if error.message == "Object":
            return  # a rejection: logged with its reason by the init script
        text = f"after step {self.step}: {error.message}\n{error.stack}"
        (self.errors if OURS.search(text) else self.frontend_errors).append(text)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning") and OURS.search(message.text):
            self.errors.append(message.text)

    def shot(self, name: str) -> None:
        self.step += 1
        path = SCREENSHOTS / f"{self.step:02d}-{name}.png"
        self.page.screenshot(path=path, animations="disabled")
        self.running.shots.append(path)

    def goto(self, path: str) -> None:
        self.page.goto(f"{self.running.url}{path}")

    def journey(self, name: str) -> Journey:
        self.journeys.append(journey := Journey(name))
        return journey


def add_contact(walk: Walk, name: str, number: str, *, shot: bool = False) -> None:
    """Add a contact from the account's page: its menu, "Add contact"."""
    page = walk.page
    walk.goto("/config/integrations/integration/click_to_call")
    # The account's menu (each contact listed below it has one too).
    page.get_by_role("button", name="Menu").first.click()
    page.get_by_text("Add contact").click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Number").fill(number)
    if shot:
        walk.shot("add-contact")
    page.get_by_role("button", name="Submit").click()
    page.get_by_role("button", name="Finish").click()


def test_a_new_user_calls_mom(page: Page, running: Instance) -> None:
    walk = Walk(page, running)

    # Log in.
    walk.goto("/")
    page.get_by_label("Username").fill("dev")
    page.get_by_label("Password", exact=True).fill("dev")
    walk.shot("login")
    page.keyboard.press("Enter")
    page.wait_for_url("**/lovelace/**")

    # Add the TeleCMI account through the config flow.
    walk.goto("/config/integrations/dashboard")
    page.get_by_role("button", name="Add integration").click()
    expect(page.get_by_text("Select brand")).to_be_visible()
    page.get_by_label("Search for a brand name").fill("Click to Call")
    expect(page.get_by_text("1-Wire")).to_be_hidden()  # the list is filtered
    page.get_by_text("Click to Call", exact=True).last.click()
    expect(page.get_by_text("Choose your click-to-call provider")).to_be_visible()
    walk.shot("provider-menu")
    page.get_by_text("TeleCMI", exact=True).click()
    for label, value in TELECMI.items():
        page.get_by_label(label).fill(value)
    page.get_by_label("API URL").fill(f"{running.sandbox}/telecmi/v2/webrtc/click2call")
    walk.shot("telecmi-account")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("The TeleCMI account is set up")).to_be_visible()
    walk.shot("telecmi-set-up")
    # The last page shows the webhook URL to give TeleCMI.
    webhook = page.get_by_text(re.compile(r"/api/webhook/")).inner_text().strip()
    assert webhook.startswith(f"{running.url}/api/webhook/")
    page.get_by_role("button", name="Finish").click()

    # Paste the webhook URL into the sandbox page, as a TeleCMI user would in
    # TeleCMI's dashboard.
    page.goto(running.sandbox)
    page.get_by_placeholder("webhook URL from Home Assistant").fill(webhook)
    page.get_by_role("button", name="Save").first.click()
    expect(page.get_by_placeholder("webhook URL from Home Assistant")).to_have_value(
        webhook
    )
    walk.shot("sandbox-webhook")

    # Add the contact "Mom" from the account's page.
    add_contact(walk, "Mom", "98765 43210", shot=True)

    # Mom's device: press Call, and follow the status the sandbox reports.
    walk.goto("/config/devices/dashboard")
    page.get_by_text("Mom", exact=True).click()
    expect(page.get_by_text("Last call status")).to_be_visible()
    walk.shot("mom-device")
    page.get_by_role("button", name="Press").click()
    # The status sensor's row: the page's logbook card says these words too.
    status = page.locator("hui-generic-entity-row").filter(has_text="Last call status")
    expect(status).to_contain_text("Initiated")
    walk.shot("initiated")
    expect(status).to_contain_text("Completed", timeout=30_000)
    walk.shot("completed")

    # A second press within a minute: the guard says why not, in the toast
    # (the device page's logbook then has the refusal's own line too).
    page.get_by_role("button", name="Press").click()
    expect(
        page.get_by_role("status").filter(
            has_text="Call guard: this number was called less than"
        )
    ).to_be_visible()
    walk.shot("guard-refusal")

    # Without an edited dashboard, Overview shows Mom with her button.
    walk.goto("/lovelace/0")
    mom_card = page.locator("hui-entities-card").filter(has_text="Mom")
    expect(mom_card.get_by_text("Last call status")).to_be_visible()
    expect(mom_card.get_by_role("button", name="Press")).to_be_visible()
    walk.shot("overview")

    # Assist: the contact by name, in speech, and what it cannot do.
    page.get_by_role("button", name="Assist").click()
    ask = page.get_by_label("Enter a request")
    ask.fill("call Bob")
    ask.press("Enter")
    expect(page.get_by_text("I don't know anyone called Bob.")).to_be_visible()
    ask.fill("call Mom")
    ask.press("Enter")
    expect(page.get_by_text("I did not call Mom. Call guard:")).to_be_visible()
    walk.shot("assist")
    page.keyboard.press("Escape")

    # Without an address the internet reaches, TeleCMI cannot report: a
    # repair says what to set, and goes once it is set again.
    set_external_url = """url => document.querySelector("home-assistant").hass
        .callWS({type: "config/core/update", external_url: url})"""
    page.evaluate(set_external_url, None)
    walk.goto("/config/repairs")
    repair = page.get_by_text("call reports cannot reach Home Assistant")
    expect(repair).to_be_visible()
    repair.click()
    expect(page.get_by_text("Set an External URL").first).to_be_visible()
    walk.shot("repair")
    page.keyboard.press("Escape")
    page.evaluate(set_external_url, running.url)
    walk.goto("/config/repairs")
    expect(repair).to_be_hidden()

    # The account's options: no least time between calls to Mom's number,
    # so that the dashboard and the announcement below may call her at once.
    walk.goto("/config/integrations/integration/click_to_call")
    page.get_by_role("button", name="Configure").first.click()
    least_time = page.get_by_label("Least time between calls to the same number")
    expect(least_time).to_have_value("60")
    least_time.fill("0")
    walk.shot("call-options")
    page.get_by_role("button", name="Submit").click()
    expect(least_time).to_be_hidden()

    dashboard(walk)
    announcement(walk)
    logbook(walk)

    # The frontend leaves the refused press's promise unhandled: that one,
    # with our translated reason, is expected; nothing else of ours is.
    [refusal] = [error for error in walk.errors if "unhandled rejection" in error]
    assert '"translation_key":"call_guard_repeat"' in refusal
    assert [error for error in walk.errors if error != refusal] == []
    log = running.log.read_text()
    assert not [
        line for line in log.splitlines() if " ERROR " in line and OURS.search(line)
    ]
    for error in walk.frontend_errors:
        print(f"\nThe frontend's own error (not the integration's) {error}")
    for journey in walk.journeys:
        print(f"\nJourney: {journey.summary()}")
    print(f"\nScreenshots: {SCREENSHOTS}")


def dashboard(walk: Walk) -> None:
    """Mom on the Overview, as Home Assistant 2025.4 offers it, then one tap.

    Overview is made by Home Assistant until its owner takes control. The
    card picker's own tab (By card) searches card types: "Mom" finds none of
    them. By entity finds her entities, and Home Assistant suggests an
    Entities card. The README's card, pasted into the Manual card, calls with
    one tap.
    """
    page = walk.page
    walk.goto("/lovelace/0")
    suggested = walk.journey("Mom's Entities card on the Overview (2025.4)")
    suggested.click(page.get_by_role("button", name="Edit dashboard"))
    suggested.click(page.locator("ha-dialog").get_by_role("button", name="Menu"))
    suggested.click(page.get_by_role("menuitem", name="Take control"))
    suggested.click(page.get_by_role("button", name="Take control"))
    suggested.click(page.get_by_role("button", name="Add card"))
    # Searched on the tab the picker opens on, "Mom" is no card type.
    page.get_by_label("Search cards").fill("Mom")
    picker = page.locator("hui-card-picker")
    expect(picker.get_by_text("Manual", exact=True)).to_be_visible()
    expect(picker.locator(".card")).to_have_count(1)
    walk.shot("add-card-by-card-mom")
    suggested.click(page.get_by_role("tab", name="By entity"))
    suggested.fill(page.get_by_label("Search entities"), "Mom")
    rows = page.locator("ha-data-table .mdc-data-table__row")
    expect(rows).to_have_count(3)  # Announce, Call, Last call status
    for entity_id in ("button.mom_call", "sensor.mom_last_call_status"):
        suggested.click(rows.filter(has_text=entity_id).locator("ha-checkbox"))
    walk.shot("add-card-by-entity")
    suggested.click(page.get_by_role("button", name="Continue"))
    suggestion = page.locator("hui-dialog-suggest-card hui-entities-card")
    expect(suggestion.get_by_text("Mom Call")).to_be_visible()
    expect(suggestion.get_by_text("Mom Last call status")).to_be_visible()
    walk.shot("suggested-entities-card")
    suggested.click(page.get_by_role("button", name="Add to dashboard"))

    # The README's card, pasted as YAML (still editing the dashboard).
    pasted = walk.journey("the README's Call Mom card (2025.4, editing already)")
    pasted.click(page.get_by_role("button", name="Add card"))
    pasted.fill(page.get_by_label("Search cards"), "manual")
    pasted.click(page.locator("hui-card-picker").get_by_text("Manual", exact=True))
    card = readme_yaml("type: button", "  perform_action: button.press")
    pasted.paste(page, page.locator("ha-code-editor .cm-content"), card)
    # The editor's preview of the card.
    expect(page.locator("hui-button-card").filter(has_text="Call Mom")).to_be_visible()
    walk.shot("call-mom-card-yaml")
    pasted.click(page.get_by_role("button", name="Save"))
    pasted.click(page.get_by_role("button", name="Done"))

    # One tap on each card places a call: the Entities card's Press, then,
    # once that call is answered, anywhere on the Call Mom card.
    entities = page.locator("hui-entities-card").filter(has_text="Mom Call")
    call_mom = page.locator("hui-button-card").filter(has_text="Call Mom")
    expect(call_mom).to_contain_text("Completed")  # the device page's call
    walk.shot("dashboard-cards")
    entities.get_by_role("button", name="Press").click()
    expect(entities.get_by_text("Initiated")).to_be_visible()
    expect(entities.get_by_text("Connected")).to_be_visible(timeout=15_000)
    call_mom.click()
    expect(call_mom).to_contain_text("Initiated")
    expect(entities.get_by_text("Initiated")).to_be_visible()
    expect(page.get_by_text("Successfully saved")).to_be_hidden()  # the toast
    walk.shot("call-mom-tapped")
    # Both calls play out before the announcement (Mom's status is her last
    # call's: the announcement's own statuses then follow on her device page).
    expect(call_mom).to_contain_text("Completed", timeout=15_000)


def announcement(walk: Walk) -> None:
    """Mom's Announce entity, from Developer tools; 1 pressed on the sandbox page."""
    page, sandbox = walk.page, walk.running.sandbox
    # On the sandbox page: a person answers, and the digit is pressed by hand.
    page.goto(sandbox)
    page.locator("select[name=announce_outcome]").select_option("by_hand")
    page.locator("form[action='/sandbox/settings'] button").click()
    outcome = page.locator("select[name=announce_outcome]")
    expect(outcome).to_have_value("by_hand")
    outcome.scroll_into_view_if_needed()
    walk.shot("sandbox-by-hand")

    # Developer tools → Actions: Notifications: Send a notification message,
    # Mom's Announce as the target, and the message.
    walk.goto("/developer-tools/action")
    page.get_by_role("combobox", name="Action").fill("send a notification message")
    page.get_by_role(
        "option", name="Notifications: Send a notification message"
    ).click()
    page.get_by_text("Choose entity").click()
    expect(page.get_by_role("combobox", name="Choose entity")).to_be_focused()
    page.keyboard.type("Mom Announce")
    page.get_by_role("option", name=re.compile("Mom Announce")).click()
    # The Message row by its own heading (the Title row's description says
    # "notification message" too). The form may draw its fields again once it
    # has read the target's features, emptying what was typed: type until it holds.
    message = (
        page.locator("ha-settings-row")
        .filter(has=page.get_by_text("Message", exact=True))
        .get_by_role("textbox")
    )
    fill_until_it_holds(page, message, "Dinner is ready.")
    walk.shot("send-announcement")
    page.get_by_role("button", name="Perform action").click()

    # The sandbox page: the call waits for a digit; press 1.
    page.goto(sandbox)
    waiting = page.locator("tr").filter(has_text="waiting for a digit")
    reload_until(page, waiting)
    expect(waiting).to_contain_text("Dinner is ready.")
    waiting.scroll_into_view_if_needed()
    walk.shot("sandbox-waiting-for-a-digit")
    waiting.get_by_role("button", name="1", exact=True).click()
    expect(page.get_by_text("digits: 1")).to_be_visible()

    # Mom's device page: her status is Acknowledged, and its logbook says so.
    walk.goto("/config/devices/dashboard")
    page.get_by_text("Mom", exact=True).click()
    sensors = page.locator("ha-card").filter(has_text="Sensors")
    expect(sensors.get_by_text("Acknowledged")).to_be_visible()
    device_logbook = page.locator("ha-card").filter(has_text="Logbook")
    expect(device_logbook.get_by_text("changed to Acknowledged").first).to_be_visible()
    # The integration's own line too: the event names her device.
    expect(
        device_logbook.get_by_text("announcement acknowledged: 1 was pressed").first
    ).to_be_visible()
    walk.shot("mom-acknowledged")


def fill_until_it_holds(page: Page, field: Locator, text: str) -> None:
    """Type `text` into `field`, again if the form draws it anew and empties it."""
    for _ in range(10):
        field.fill(text)
        page.wait_for_timeout(500)
        if field.input_value() == text:
            break
    expect(field).to_have_value(text)


def reload_until(page: Page, target: Locator, timeout: float = 20) -> None:
    """Follow the sandbox page's Reload link until `target` shows."""
    deadline = time.monotonic() + timeout
    while not target.count():
        assert time.monotonic() < deadline, "the sandbox page never showed it"
        page.wait_for_timeout(300)
        page.get_by_role("link", name="Reload").click()


def logbook(walk: Walk) -> None:
    """The Logbook: one readable line per status change of each call.

    The demo configuration keeps the status sensors' and call event entities'
    own lines out (logbook: exclude: entity_globs:), so each change is the
    integration's line alone.
    """
    page = walk.page
    walk.goto("/logbook")
    entries = page.locator("ha-logbook .entry")
    expect(entries.filter(has_text="Mom announcement acknowledged")).to_have_count(1)
    walk.shot("logbook")
    # Tall enough for every line to be drawn (the list draws what is in view).
    page.set_viewport_size({"width": 1280, "height": 6000})
    expected = {
        # The device page's press, the Entities card's, the Call Mom card's.
        "Mom call placed, via TeleCMI": 3,
        "Mom call answered, via TeleCMI": 3,
        # The device page's second press, and Assist.
        "Mom call refused, Call guard: this number was called less than": 2,
        "Mom announcement placed, via TeleCMI": 1,
        "Mom announcement answered, via TeleCMI": 1,
        "Mom announcement acknowledged: 1 was pressed, via TeleCMI": 1,
    }
    for line, count in expected.items():
        expect(entries.filter(has_text=line)).to_have_count(count)
    completed = entries.filter(
        has_text=re.compile(r"Mom\s+call completed, \d+ s, via TeleCMI")
    )
    expect(completed).to_have_count(3, timeout=30_000)
    # Nothing else says the same: not the status sensors, not the event entity.
    for repeated in ("Last call status changed to", "TeleCMI 101_1111112 Call"):
        expect(entries.filter(has_text=repeated)).to_have_count(0)
    page.set_viewport_size({"width": 1280, "height": 900})
