"""Diagnostics show what helps, and no secret or phone number."""

from __future__ import annotations

import json
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.click_to_call.const import DOMAIN
from custom_components.click_to_call.diagnostics import mask_digits
from sandbox import Canned
from tests.conftest import (
    EntryFactory,
    SandboxServer,
    exotel_data,
    telecmi_data,
    telspiel_data,
    twilio_data,
)

pytestmark = pytest.mark.usefixtures("integration")


async def test_diagnostics_hide_secrets_and_numbers(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
) -> None:
    entry = await setup_entry(telspiel_data(sandbox, campaign_name="leads"))
    await hass.services.async_call(
        DOMAIN,
        "dial",
        {"to": "98765 43210", "reference": "Mom's birthday"},
        blocking=True,
    )
    sandbox.sandbox.queue(
        "telspiel",
        Canned(
            422,
            '{"code": 422, "errors": "{\\"customer_phone\\": [\\"9123456789 is barred\\"]}"}',
        ),
    )
    with pytest.raises(Exception, match="barred"):
        await hass.services.async_call(
            DOMAIN, "dial", {"to": "91234 56789"}, blocking=True
        )

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    text = json.dumps(diagnostics)
    for private in (
        "demo-api-key",
        "9876543210",
        "9999999999",
        "99999 99999",
        "9123456789",
        "Mom's birthday",
        '"demo"',
    ):
        assert private not in text, private
    assert diagnostics["provider"] == "telspiel"
    assert diagnostics["data"]["campaign_name"] == "leads"
    assert diagnostics["data"]["api_key"] == "**REDACTED**"
    # The webhook id is its only credential: masked in the URL and the data.
    assert diagnostics["webhook_url"].endswith("/api/webhook/**REDACTED**")
    assert diagnostics["data"]["webhook_id"] == "**REDACTED**"
    assert "telspiel-webhook" not in text
    first, second = diagnostics["calls"]
    assert first["to"] == "***********10"
    assert first["from"] == "***********99"
    assert first["reference"] == "**REDACTED**"
    assert first["status"] == "initiated"
    assert second["status"] == "rejected"
    assert second["error"] == "********89 is barred"


async def test_diagnostics_of_telecmi(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
) -> None:
    entry = await setup_entry(telecmi_data(sandbox))
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = json.dumps(diagnostics)
    assert "2e0d75-d843-45-945-4171dd7a" not in text
    assert "101_1111112" not in text
    assert diagnostics["data"]["webrtc"] is True
    assert diagnostics["calls"] == []


def test_numbers_written_with_separators_are_masked() -> None:
    assert mask_digits("987-654-3210 is barred") == "********10 is barred"
    assert mask_digits("call +1 (847) 425 5380 now") == "call *********80 now"
    assert mask_digits("error 102 at 10:45") == "error 102 at 10:45"


@pytest.mark.parametrize(
    ("make_data", "secrets", "shown"),
    [
        (
            twilio_data,
            ["demo-auth-token", "AC00000000000000000000000000000001", "4155550100"],
            {"provider"},
        ),
        (
            exotel_data,
            [
                "demo-api-token",
                "demo-api-key",
                "demo-sid",
                "exotel-secret-key",
                "8047110000",
            ],
            {"provider", "region"},
        ),
    ],
    ids=["twilio", "exotel"],
)
async def test_diagnostics_hide_auth_tokens_and_the_callback_secret(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    make_data: Any,
    secrets: list[str],
    shown: set[str],
) -> None:
    entry = await setup_entry(make_data(sandbox))
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = json.dumps(diagnostics)
    for secret in secrets:
        assert secret not in text, secret
    for key in shown:
        assert diagnostics["data"][key] == entry.data[key]
