"""The config flow: provider menu, forms, credential checks, reauth, reconfigure, options."""

from __future__ import annotations

import json
import socket
from typing import Any
from unittest.mock import patch
from urllib.parse import parse_qs

from homeassistant import config_entries, data_entry_flow
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.network import NoURLAvailableError
import pytest

from custom_components.click_to_call.const import (
    CONF_MAX_CALLS_PER_HOUR,
    CONF_NUMBER_FORMAT,
    CONF_PROVIDER,
    CONF_REPEAT_INTERVAL,
    CONF_VOICE_ANY_NUMBER,
    CONF_WEBHOOK_ID,
    DOMAIN,
)
from sandbox import Canned, samples
from tests.conftest import (
    EntryFactory,
    SandboxServer,
    ameyo_data,
    dial,
    spokn_data,
    telecmi_data,
    telspiel_data,
    voice_panel_data,
)

pytestmark = pytest.mark.usefixtures("integration")


def form_input(data: dict[str, Any]) -> dict[str, Any]:
    """What a user types into the provider's form."""
    return {k: v for k, v in data.items() if k not in (CONF_PROVIDER, CONF_WEBHOOK_ID)}


async def start(hass: HomeAssistant, provider: str) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == [
        "telspiel",
        "telecmi",
        "ameyo",
        "voice_panel",
        "spokn",
        "twilio",
        "exotel",
    ]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": provider}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == provider
    return result  # type: ignore[return-value]


async def test_telspiel_account_is_checked_without_placing_a_call(
    hass: HomeAssistant, sandbox: SandboxServer
) -> None:
    result = await start(hass, "telspiel")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form_input(telspiel_data(sandbox))
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "telSpiel demo"
    assert result["description"] == "telspiel"  # its own last page
    entry = result["result"]
    assert entry.unique_id == "telspiel_demo"
    assert entry.data["username"] == "demo"
    # Kept as the provider writes it, as it was checked.
    assert entry.data["agent_phone"] == "9999999999"
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    assert len(webhook_id) > 30
    assert result["description_placeholders"] == {
        "webhook_url": f"http://10.10.10.10:8123/api/webhook/{webhook_id}"
    }
    [probe] = sandbox.sandbox.received("telspiel")
    assert json.loads(probe.body) == {"username": "demo", "agent_phone": "9999999999"}
    assert sandbox.sandbox.calls == {}


async def test_webhook_path_when_home_assistant_has_no_url(
    hass: HomeAssistant, sandbox: SandboxServer
) -> None:
    result = await start(hass, "telecmi")
    with patch(
        "homeassistant.components.webhook.get_url", side_effect=NoURLAvailableError
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], form_input(telecmi_data(sandbox))
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    webhook_id = result["result"].data[CONF_WEBHOOK_ID]
    assert result["description_placeholders"]["webhook_url"] == (
        f"/api/webhook/{webhook_id}"
    )
    assert result["result"].unique_id == "telecmi_101_1111112"
    assert "to" not in json.loads(sandbox.sandbox.received("telecmi")[0].body)


@pytest.mark.parametrize(
    ("changes", "canned", "errors", "placeholder"),
    [
        ({"api_key": "wrong"}, None, {"base": "provider_auth_failed"}, None),
        ({"agent_phone": "12"}, None, {"agent_phone": "invalid_number"}, "12"),
        (
            {},
            Canned(
                422,
                '{"code": 422, "errors": "{\\"agent_phone\\": [\\"Agent is blocked\\"]}"}',
            ),
            {"base": "provider_invalid_request"},
            "Agent is blocked",
        ),
        ({}, Canned(200, "<html/>"), {"base": "provider_unexpected_answer"}, "<html/>"),
        ({}, Canned(500, "down"), {"base": "provider_unavailable"}, "HTTP 500"),
    ],
)
async def test_telspiel_form_errors_then_recovery(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    changes: dict[str, str],
    canned: Canned | None,
    errors: dict[str, str],
    placeholder: str | None,
) -> None:
    """A refused form shows a translated error, keeps the input, and can be fixed."""
    if canned is not None:
        sandbox.sandbox.queue("telspiel", canned)
    result = await start(hass, "telspiel")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form_input(telspiel_data(sandbox, **changes))
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    if placeholder is not None:
        assert any(
            placeholder in value
            for value in result["description_placeholders"].values()
        )
    assert hass.config_entries.async_entries(DOMAIN) == []

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form_input(telspiel_data(sandbox))
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_unreachable_provider(
    hass: HomeAssistant, sandbox: SandboxServer
) -> None:
    result = await start(hass, "telecmi")
    url = sandbox.url("/telecmi").replace(str(sandbox.server.port), "1")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form_input(telecmi_data(sandbox, api_url=url))
    )
    assert result["errors"] == {"base": "provider_unavailable"}


async def test_number_without_home_country(
    hass: HomeAssistant, sandbox: SandboxServer
) -> None:
    hass.config.country = None
    result = await start(hass, "telspiel")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form_input(telspiel_data(sandbox))
    )
    assert result["errors"] == {"agent_phone": "number_needs_country"}
    # telSpiel takes national numbers: without a home country none is national.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        form_input(telspiel_data(sandbox, agent_phone="+91 99999 99999")),
    )
    assert result["errors"] == {"agent_phone": "number_not_national"}
    hass.config.country = "IN"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        form_input(telspiel_data(sandbox, agent_phone="+91 99999 99999")),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_one_entry_per_account(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    await setup_entry(telspiel_data(sandbox))
    result = await start(hass, "telspiel")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form_input(telspiel_data(sandbox))
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    entry = await setup_entry(telspiel_data(sandbox))
    sandbox.sandbox.accounts["telspiel"]["api_key"] = "new-key"  # rotated
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert list(result["data_schema"].schema) == ["api_key"]

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": "still-wrong"}
    )
    assert result["errors"] == {"base": "provider_auth_failed"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": "new-key"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["api_key"] == "new-key"
    assert entry.data[CONF_WEBHOOK_ID] == "telspiel-webhook"
    # The entry reloaded with the new key: a call goes through.
    await hass.async_block_till_done()
    assert (await dial(hass))["status"] == "initiated"
    assert sandbox.sandbox.received("telspiel")[-1].headers["api-key"] == "new-key"


async def test_reconfigure_same_account(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    entry = await setup_entry(telspiel_data(sandbox, campaign_name="old"))
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form_input(telspiel_data(sandbox, api_key="wrong"))
    )
    assert result["errors"] == {"base": "provider_auth_failed"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form_input(telspiel_data(sandbox, agent_phone="88888 88888"))
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["agent_phone"] == "8888888888"
    assert "campaign_name" not in entry.data  # cleared in the form
    assert entry.data[CONF_WEBHOOK_ID] == "telspiel-webhook"


async def test_reconfigure_refuses_another_account(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    entry = await setup_entry(telspiel_data(sandbox))
    sandbox.sandbox.accounts["telspiel"]["username"] = "other"
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form_input(telspiel_data(sandbox, username="other"))
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "account_mismatch"
    assert entry.data["username"] == "demo"


async def test_options(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    entry = await setup_entry(telspiel_data(sandbox))
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    fields = [str(key) for key in result["data_schema"].schema]
    assert fields == [
        CONF_NUMBER_FORMAT,
        CONF_MAX_CALLS_PER_HOUR,
        CONF_REPEAT_INTERVAL,
        CONF_VOICE_ANY_NUMBER,
    ]
    # The webhook's address, for a user who missed the setup's last page.
    assert result["description_placeholders"] == {
        "webhook_url": "http://10.10.10.10:8123/api/webhook/telspiel-webhook",
        "provider": "telSpiel",
    }
    # telSpiel reports nothing: no word about the address's reach.
    assert result["errors"] == {}

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_NUMBER_FORMAT: "e164",
            CONF_MAX_CALLS_PER_HOUR: 3,
            CONF_REPEAT_INTERVAL: 0,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # Numbers by voice stays off unless chosen.
    assert entry.options == {
        CONF_NUMBER_FORMAT: "e164",
        CONF_MAX_CALLS_PER_HOUR: 3,
        CONF_REPEAT_INTERVAL: 0,
        CONF_VOICE_ANY_NUMBER: False,
    }


async def test_ameyo_says_its_token_is_not_checked(
    hass: HomeAssistant, sandbox: SandboxServer
) -> None:
    """Ameyo has no probe: only the server is reached; no call is placed."""
    result = await start(hass, "ameyo")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form_input(ameyo_data(sandbox))
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["description"] == "ameyo"  # says the token was not checked
    assert result["title"] == "Ameyo agent1@127.0.0.1"
    assert result["result"].unique_id == "ameyo_agent1@127.0.0.1"
    assert result["result"].data["verify_ssl"] is True
    [probe] = sandbox.sandbox.received("ameyo")
    assert (probe.method, probe.path) == ("GET", "/ameyo/ameyowebaccess/")
    assert sandbox.sandbox.calls == {}


async def test_ameyo_server_unreachable(
    hass: HomeAssistant, sandbox: SandboxServer
) -> None:
    result = await start(hass, "ameyo")
    url = f"http://127.0.0.1:{_closed_port()}/ameyo"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form_input(ameyo_data(sandbox, api_url=url))
    )
    assert result["errors"] == {"base": "provider_unavailable"}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_voice_panel_credentials_checked_with_a_report(
    hass: HomeAssistant, sandbox: SandboxServer
) -> None:
    result = await start(hass, "voice_panel")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form_input(voice_panel_data(sandbox, pin="0000"))
    )
    assert result["errors"] == {"base": "provider_auth_failed"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form_input(voice_panel_data(sandbox, duration=600))
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["description"] == "voice_panel"  # nothing more to set up
    assert result["result"].unique_id == "voice_panel_demo-uid@127.0.0.1"
    assert result["result"].data["duration"] == 600
    assert {item.path for item in sandbox.sandbox.received("voice_panel")} == {
        "/voicepanel/api/voice/report-click2call.php"
    }
    assert sandbox.sandbox.calls == {}


async def test_voice_panel_down(hass: HomeAssistant, sandbox: SandboxServer) -> None:
    sandbox.sandbox.queue("voice_panel", Canned(500, "error", "text/plain"))
    result = await start(hass, "voice_panel")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form_input(voice_panel_data(sandbox))
    )
    assert result["errors"] == {"base": "provider_unavailable"}


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"password": "wrong"}, {"base": "provider_auth_failed"}),
        ({"aparty": "+91 12"}, {"aparty": "invalid_number"}),
    ],
)
async def test_spokn_credentials_checked_without_placing_a_call(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    changes: dict[str, str],
    errors: dict[str, str],
) -> None:
    result = await start(hass, "spokn")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form_input(spokn_data(sandbox, **changes))
    )
    assert result["errors"] == errors
    # A Spokn ID (digits only) is taken as it is.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form_input(spokn_data(sandbox, aparty="1234567"))
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].data["aparty"] == "1234567"
    for probe in sandbox.sandbox.received("spokn"):
        assert "bparty" not in parse_qs(probe.body.decode())
    assert sandbox.sandbox.calls == {}


async def test_spokn_answer_101_is_wrong_credentials(
    hass: HomeAssistant, sandbox: SandboxServer
) -> None:
    sandbox.sandbox.queue(
        "spokn",
        Canned(
            200,
            samples.SPOKN_SUCCESS.replace("200", "101").replace(
                "Request Successful", "Authentication failed"
            ),
            "text/xml",
        ),
    )
    result = await start(hass, "spokn")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form_input(spokn_data(sandbox))
    )
    assert result["errors"] == {"base": "provider_auth_failed"}


@pytest.mark.parametrize(
    ("data", "secret"),
    [
        (ameyo_data, "hash_key"),
        (voice_panel_data, "pin"),
        (spokn_data, "password"),
        (telecmi_data, "secret"),
    ],
)
async def test_reauth_asks_for_each_providers_secret(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    data: Any,
    secret: str,
) -> None:
    entry = await setup_entry(data(sandbox))
    result = await entry.start_reauth_flow(hass)
    assert list(result["data_schema"].schema) == [secret]


async def test_a_step_that_no_provider_has_does_not_exist(
    hass: HomeAssistant, integration: None
) -> None:
    """Provider steps are made on demand; any other name is no step at all."""
    with pytest.raises(data_entry_flow.UnknownStep):
        await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": "not_a_provider"}
        )
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_the_options_say_when_the_webhook_is_not_reachable(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: Any
) -> None:
    """A loopback address shown as the one to paste: said, as the repair says."""
    from tests.conftest import twilio_data

    entry = await setup_entry(twilio_data(sandbox))
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["errors"] == {"base": "webhook_not_reachable"}
    assert result["description_placeholders"]["provider"] == "Twilio"
    hass.config.external_url = "https://home.example.com"
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["errors"] == {}
    assert result["description_placeholders"]["webhook_url"].startswith(
        "https://home.example.com/api/webhook/"
    )
    # Shown, not refused: the options save.
    hass.config.external_url = None
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"max_calls_per_hour": 5, "repeat_interval": 0}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
