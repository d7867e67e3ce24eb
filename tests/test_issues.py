"""Repair issues: no address a provider can report to, and calls that stay open."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.click_to_call import issues
from custom_components.click_to_call.const import CONF_REPEAT_INTERVAL, DOMAIN
from tests.conftest import (
    EntryFactory,
    SandboxServer,
    dial,
    exotel_data,
    spokn_data,
    telecmi_data,
    telspiel_data,
    twilio_data,
)

pytestmark = pytest.mark.usefixtures("integration")

EXTERNAL = "https://home.example.com"
PAST_AN_HOUR = timedelta(hours=1, minutes=5, seconds=1)


def issue(
    hass: HomeAssistant, kind: str, entry: MockConfigEntry
) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"{kind}_{entry.entry_id}")


async def set_external_url(hass: HomeAssistant, url: str | None) -> None:
    await hass.config.async_update(external_url=url)
    await hass.async_block_till_done()


@pytest.mark.parametrize(
    "data",
    [telecmi_data, twilio_data, exotel_data, spokn_data],
    ids=lambda f: f.__name__,
)
async def test_no_address_for_a_reporting_provider_until_one_is_set(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory, data: Any
) -> None:
    entry = await setup_entry(data(sandbox))

    found = issue(hass, "no_callback_url", entry)
    assert found is not None
    assert found.translation_key == "no_callback_url"
    assert found.severity is ir.IssueSeverity.WARNING
    assert not found.is_fixable
    assert found.translation_placeholders == {
        "title": entry.title,
        "provider": entry.runtime_data.client.title,
    }
    assert found.learn_more_url == "https://my.home-assistant.io/redirect/network/"

    await set_external_url(hass, EXTERNAL)
    assert issue(hass, "no_callback_url", entry) is None

    # Taken away again: said at once.
    await set_external_url(hass, None)
    assert issue(hass, "no_callback_url", entry) is not None


async def test_the_address_sent_is_the_one_the_internet_reaches(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    await hass.config.async_update(
        internal_url="http://192.168.1.5:8123", external_url=EXTERNAL
    )
    await setup_entry(spokn_data(sandbox))

    await dial(hass, to="+91 98765 43210")

    [sent] = sandbox.sandbox.received("spokn")
    assert parse_qs(sent.body.decode())["url"] == [
        "https://home.example.com/api/webhook/spokn-webhook"
    ]


@pytest.mark.parametrize("data", [telspiel_data], ids=["telspiel"])
async def test_providers_that_do_not_report_need_no_address(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory, data: Any
) -> None:
    entry = await setup_entry(data(sandbox))
    assert issue(hass, "no_callback_url", entry) is None


async def test_spokn_accounts_other_than_enterprise_are_never_reported(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    sandbox.sandbox.accounts["spokn"]["enterprise"] = "false"
    entry = await setup_entry(spokn_data(sandbox, enterprise=False))
    assert issue(hass, "no_callback_url", entry) is None


async def test_an_address_lost_without_notice_is_noticed_within_minutes(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A cloud link can go without a configuration event: the check repeats."""
    await set_external_url(hass, EXTERNAL)
    entry = await setup_entry(telecmi_data(sandbox))
    assert issue(hass, "no_callback_url", entry) is None

    hass.config.external_url = None  # no event
    freezer.tick(timedelta(minutes=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    assert issue(hass, "no_callback_url", entry) is not None


async def test_unloading_takes_the_issues_away(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    entry = await setup_entry(twilio_data(sandbox))
    assert issue(hass, "no_callback_url", entry) is not None

    assert await hass.config_entries.async_unload(entry.entry_id)

    assert issue(hass, "no_callback_url", entry) is None


async def place(hass: HomeAssistant, count: int) -> list[str]:
    return [
        (await dial(hass, to=f"98765 4321{number}"))["call_id"]
        for number in range(count)
    ]


async def later(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.tick(PAST_AN_HOUR)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def post_status(client: TestClient, call_id: str, status: str) -> None:
    response = await client.post(
        "/api/webhook/telecmi-webhook", json={"call_id": call_id, "status": status}
    )
    assert response.status == 200


@pytest.fixture
async def telecmi(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> MockConfigEntry:
    await set_external_url(hass, EXTERNAL)
    return await setup_entry(telecmi_data(sandbox), {CONF_REPEAT_INTERVAL: 0})


async def test_three_calls_left_open_say_the_webhook_is_not_set(
    hass: HomeAssistant,
    telecmi: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    calls = await place(hass, 3)
    await later(hass, freezer)

    found = issue(hass, "calls_stay_open", telecmi)
    assert found is not None
    assert found.translation_key == "calls_stay_open_telecmi"
    # No webhook address: the Repairs list is open to every user, and the
    # id is the webhook's only credential (issue: it was in the text).
    assert found.translation_placeholders == {
        "title": telecmi.title,
        "provider": "TeleCMI",
        "count": "3",
    }

    # The webhook set at last: the first report (a call answered) clears it.
    await post_status(await hass_client_no_auth(), calls[0], "connected")
    await hass.async_block_till_done()
    assert issue(hass, "calls_stay_open", telecmi) is None


async def test_two_calls_left_open_are_not_yet_a_pattern(
    hass: HomeAssistant, telecmi: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await place(hass, 2)
    await later(hass, freezer)
    assert issue(hass, "calls_stay_open", telecmi) is None


async def test_a_reported_call_among_the_last_three_is_not_a_pattern(
    hass: HomeAssistant,
    telecmi: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    calls = await place(hass, 3)
    await post_status(await hass_client_no_auth(), calls[1], "no_answer")
    await later(hass, freezer)
    assert issue(hass, "calls_stay_open", telecmi) is None


async def test_calls_open_within_their_maximum_duration_are_not_judged(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Spokn reports a leg when it ends: a call is judged past its end."""
    await set_external_url(hass, EXTERNAL)
    entry = await setup_entry(spokn_data(sandbox), {CONF_REPEAT_INTERVAL: 0})
    for number in range(3):
        await dial(hass, to=f"98765 4321{number}", max_duration=3600)
    freezer.tick(timedelta(minutes=55))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert issue(hass, "calls_stay_open", entry) is None

    await later(hass, freezer)  # past the hour and the grace
    found = issue(hass, "calls_stay_open", entry)
    assert found is not None
    assert found.translation_key == "calls_stay_open_spokn"


@pytest.mark.parametrize(
    ("data", "key"),
    [(twilio_data, "calls_stay_open_twilio"), (exotel_data, "calls_stay_open_exotel")],
    ids=["twilio", "exotel"],
)
async def test_two_unreported_calls_are_enough_where_every_call_reports(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    freezer: FrozenDateTimeFactory,
    data: Any,
    key: str,
) -> None:
    """Twilio and Exotel report each call within minutes of placing it: two
    calls with no report at all, five minutes on, say the reports are lost
    (issue: three calls, each past an hour)."""
    await set_external_url(hass, EXTERNAL)
    entry = await setup_entry(data(sandbox), {CONF_REPEAT_INTERVAL: 0})
    await dial(hass, to="+91 98765 43210")
    await dial(hass, to="+91 98765 43211")
    freezer.tick(timedelta(minutes=4))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert issue(hass, "calls_stay_open", entry) is None

    freezer.tick(timedelta(minutes=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    found = issue(hass, "calls_stay_open", entry)
    assert found is not None
    assert found.translation_key == key
    assert found.translation_placeholders is not None
    assert found.translation_placeholders["count"] == "2"


async def test_any_report_shows_the_webhook_works(
    hass: HomeAssistant,
    telecmi: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """A report that does not move the status (TeleCMI's leg A started) still
    came: those calls are not stuck."""
    calls = await place(hass, 3)
    await post_status(await hass_client_no_auth(), calls[2], "initiated")
    await later(hass, freezer)
    assert issue(hass, "calls_stay_open", telecmi) is None


async def test_calls_open_after_a_restart_are_judged_at_set_up(
    hass: HomeAssistant, telecmi: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await place(hass, 3)
    assert await hass.config_entries.async_unload(telecmi.entry_id)
    freezer.tick(PAST_AN_HOUR)

    assert await hass.config_entries.async_setup(telecmi.entry_id)
    await hass.async_block_till_done()

    assert issue(hass, "calls_stay_open", telecmi) is not None


async def test_providers_that_never_report_are_not_judged(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    freezer: FrozenDateTimeFactory,
) -> None:
    """telSpiel reports nothing: its calls always stay open."""
    entry = await setup_entry(telspiel_data(sandbox), {CONF_REPEAT_INTERVAL: 0})
    await place(hass, 3)
    await later(hass, freezer)
    assert issue(hass, "calls_stay_open", entry) is None


async def test_a_reporting_provider_without_its_own_text_gets_the_general_one(
    hass: HomeAssistant,
    telecmi: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(issues, "CALLS_STAY_OPEN", {})
    await place(hass, 3)
    await later(hass, freezer)

    found = issue(hass, "calls_stay_open", telecmi)
    assert found is not None
    assert found.translation_key == "calls_stay_open"
