"""Set-up asks the provider whether it still takes the account (no call)."""

from __future__ import annotations

from collections.abc import Callable
import logging
import socket
from typing import Any

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.click_to_call.const import DOMAIN
from sandbox import Canned
from tests.conftest import (
    SandboxServer,
    ameyo_data,
    exotel_data,
    spokn_data,
    telecmi_data,
    telspiel_data,
    twilio_data,
    voice_panel_data,
)

pytestmark = pytest.mark.setup_probes

DataFactory = Callable[..., dict[str, Any]]


async def set_up(hass: HomeAssistant, data: dict[str, Any]) -> MockConfigEntry:
    """Add an entry and try to set it up, whatever the outcome."""
    entry = MockConfigEntry(domain=DOMAIN, title="Office", data=data)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.mark.parametrize(
    ("data", "provider", "secret"),
    [
        (telspiel_data, "telspiel", "api_key"),
        (telecmi_data, "telecmi", "secret"),
        (voice_panel_data, "voice_panel", "pin"),
        (spokn_data, "spokn", "password"),
        (twilio_data, "twilio", "auth_token"),
        (exotel_data, "exotel", "api_token"),
    ],
)
async def test_each_setup_checks_the_account_without_a_call(
    hass: HomeAssistant,
    integration: None,
    sandbox: SandboxServer,
    data: DataFactory,
    provider: str,
    secret: str,
) -> None:
    entry = await set_up(hass, data(sandbox))

    assert entry.state is ConfigEntryState.LOADED
    assert len(sandbox.sandbox.received(provider)) == 1
    assert sandbox.sandbox.calls == {}

    # The same account with a secret changed at the provider since.
    await hass.config_entries.async_unload(entry.entry_id)
    sandbox.sandbox.accounts[provider][secret] = "changed-at-the-provider"
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.error_reason_translation_key == "setup_auth_failed"
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == entry.entry_id
    assert sandbox.sandbox.calls == {}


async def test_refused_credentials_say_what_to_do(
    hass: HomeAssistant, integration: None, sandbox: SandboxServer
) -> None:
    sandbox.sandbox.accounts["telspiel"]["api_key"] = "rotated"
    entry = await set_up(hass, telspiel_data(sandbox))

    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason == (
        "telSpiel refused the credentials of Office (Username or api key is "
        "invalid). Reauthenticate the account"
    )


@pytest.mark.parametrize(
    "canned",
    [Canned(503, "busy"), Canned(502, "<html>Bad gateway</html>", "text/html")],
)
async def test_a_provider_that_is_down_is_tried_again(
    hass: HomeAssistant, integration: None, sandbox: SandboxServer, canned: Canned
) -> None:
    sandbox.sandbox.queue("telspiel", canned)
    entry = await set_up(hass, telspiel_data(sandbox))

    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.error_reason_translation_key == "setup_unavailable"
    assert entry.reason is not None
    assert entry.reason.startswith("telSpiel could not be reached to check Office")
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_an_unreachable_provider_is_tried_again(
    hass: HomeAssistant, integration: None, sandbox: SandboxServer
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    url = f"http://127.0.0.1:{closed}/twilio"
    entry = await set_up(hass, twilio_data(sandbox, api_url=url))

    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.error_reason_translation_key == "setup_unavailable"


async def test_a_setting_that_cannot_be_sent_needs_reconfiguring(
    hass: HomeAssistant, integration: None, sandbox: SandboxServer
) -> None:
    """An entry saved before the form checked it: nothing is sent."""
    entry = await set_up(hass, telspiel_data(sandbox, api_key="demo\r\nX-Injected: 1"))

    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.error_reason_translation_key == "setup_refused"
    assert entry.reason is not None
    assert entry.reason == (
        "telSpiel refused the setting api_key of Office (it holds a character "
        "that cannot be sent, such as a line break). Reconfigure the account"
    )
    assert not sandbox.sandbox.requests
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_ameyo_sets_up_unchecked_and_says_so(
    hass: HomeAssistant,
    integration: None,
    sandbox: SandboxServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Ameyo cannot be asked without placing a call: nothing is sent."""
    caplog.set_level(logging.DEBUG, logger="custom_components.click_to_call")
    sandbox.sandbox.accounts["ameyo"]["hash_key"] = "changed"
    entry = await set_up(hass, ameyo_data(sandbox))

    assert entry.state is ConfigEntryState.LOADED
    assert not sandbox.sandbox.requests
    assert "Ameyo cannot check its credentials without placing a call" in caplog.text


async def test_a_new_contact_or_option_does_not_ask_the_provider_again(
    hass: HomeAssistant, integration: None, sandbox: SandboxServer
) -> None:
    """Adding a contact sets the account up again: the settings the provider
    took a moment ago are not asked about again (it doubled set-up time);
    a reload by hand, or changed settings, still ask."""
    from tests.test_contacts import add_contact

    entry = await set_up(hass, telecmi_data(sandbox))
    assert len(sandbox.sandbox.received("telecmi")) == 1

    await add_contact(hass, entry, {"name": "Mom", "number": "98765 43210"})
    hass.config_entries.async_update_entry(entry, options={"repeat_interval": 0})
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert len(sandbox.sandbox.received("telecmi")) == 1

    assert await hass.config_entries.async_reload(entry.entry_id)
    assert len(sandbox.sandbox.received("telecmi")) == 2
    hass.config_entries.async_update_entry(entry, data={**entry.data, "webrtc": False})
    await hass.async_block_till_done()
    assert len(sandbox.sandbox.received("telecmi")) == 3
