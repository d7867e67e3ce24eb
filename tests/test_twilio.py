"""Twilio in Home Assistant: setup, calls played out by the sandbox, forged callbacks."""

from __future__ import annotations

from itertools import groupby
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp.test_utils import TestClient
from homeassistant import config_entries
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.click_to_call.const import DOMAIN, EVENT_CALL_UPDATED
from custom_components.click_to_call.providers.twilio import signature
from sandbox import samples
from tests.conftest import (
    EntryFactory,
    SandboxServer,
    dial,
    serve_webhooks,
    twilio_data,
    wait_for_state,
)

pytestmark = pytest.mark.usefixtures("integration")

STATUS = "sensor.twilio_test_last_call_status"
DURATION = "sensor.twilio_test_last_call_duration"
WEBHOOK = "/api/webhook/twilio-webhook"
B = "+14155550102"


@pytest.fixture
async def home(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> TestClient:
    """Home Assistant's web server, at the URL it gives for its webhooks."""
    await setup_entry(twilio_data(sandbox))
    return await serve_webhooks(hass, hass_client_no_auth)


def state(hass: HomeAssistant, entity_id: str = STATUS) -> str:
    current = hass.states.get(entity_id)
    assert current is not None
    return current.state


async def start_flow(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "twilio"}
    )
    assert result["step_id"] == "twilio"
    return str(result["flow_id"])


def flow_input(sandbox: SandboxServer, **changes: str) -> dict[str, Any]:
    data = twilio_data(sandbox, from_number="+1 (415) 555-0100", **changes)
    return {
        key: data[key]
        for key in ("account_sid", "auth_token", "from_number", "a_party", "api_url")
    }


@pytest.mark.parametrize(
    ("account_type", "page"), [("Full", "twilio"), ("Trial", "twilio_trial")]
)
async def test_setup_checks_the_account_and_says_if_it_is_a_trial(
    hass: HomeAssistant, sandbox: SandboxServer, account_type: str, page: str
) -> None:
    sandbox.sandbox.accounts["twilio"]["type"] = account_type
    flow_id = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, flow_input(sandbox)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["description"] == page
    # Named as a person knows it: the provider and the number calls come from.
    assert result["title"] == "Twilio +1 415-555-0100"
    # Numbers are kept as Twilio wants them.
    assert result["result"].data["from_number"] == "+14155550100"
    [probe] = sandbox.sandbox.received("twilio")
    assert probe.method == "GET"
    assert sandbox.sandbox.calls == {}


async def test_setup_refuses_a_wrong_auth_token(
    hass: HomeAssistant, sandbox: SandboxServer
) -> None:
    flow_id = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, flow_input(sandbox, auth_token="wrong")
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "provider_auth_failed"}
    assert result["description_placeholders"]["provider"] == "Twilio"


@pytest.mark.parametrize(
    ("ending", "statuses"),
    [
        ("completed", ["initiated", "connected", "completed"]),
        ("busy", ["initiated", "busy"]),
        ("no_answer", ["initiated", "no_answer"]),
        ("cancelled", ["initiated", "cancelled"]),
        ("failed", ["initiated", "failed"]),
    ],
)
async def test_calls_played_out_by_the_sandbox(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    home: TestClient,
    ending: str,
    statuses: list[str],
) -> None:
    """Signed callbacks for A, B and the Dial action move the call as mapped."""
    sandbox.sandbox.progress = (0.08, 0.16)
    sandbox.sandbox.ending = ending
    events = async_capture_events(hass, EVENT_CALL_UPDATED)
    response = await dial(hass, to=B)
    assert response["provider_call_id"].startswith("CA")
    await wait_for_state(hass, STATUS, statuses[-1])
    # One bus event per change: B's answer told a person (answered_by) is
    # one more, without a new status.
    changes = [(event.data["status"], event.data["answered_by"]) for event in events]
    assert [status for status, _ in groupby(status for status, _ in changes)] == (
        statuses
    )
    if ending == "completed":
        assert state(hass, DURATION) == "1"
        assert ("connected", "human") in changes


async def test_the_dial_action_is_answered_with_twiml(
    hass: HomeAssistant, home: TestClient
) -> None:
    response = await dial(hass, to=B)
    query = urlencode({"call": response["call_id"], "leg": "dial"})
    url = f"{hass.config.internal_url}{WEBHOOK}?{query}"
    fields = {
        "DialCallStatus": "completed",
        "DialCallDuration": "9",
        "DialBridged": "true",
    }
    answer = await home.post(
        f"{WEBHOOK}?{query}",
        data=fields,
        headers={
            "X-Twilio-Signature": signature(
                "demo-auth-token", url, list(fields.items())
            )
        },
    )
    assert answer.status == 200
    assert answer.content_type == "text/xml"
    assert await answer.text() == "<Response/>"
    await hass.async_block_till_done()
    assert state(hass) == "completed"
    assert state(hass, DURATION) == "9"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Twilio-Signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8="},
        {"X-Twilio-Signature": "forged-with-another-token"},
    ],
    ids=["unsigned", "another-requests-signature", "another-token"],
)
async def test_forged_callbacks_change_nothing(
    hass: HomeAssistant, home: TestClient, headers: dict[str, str]
) -> None:
    response = await dial(hass, to=B)
    query = urlencode({"call": response["call_id"], "leg": "b"})
    url = f"{hass.config.internal_url}{WEBHOOK}?{query}"
    fields = {"CallStatus": "in-progress"}
    if headers.get("X-Twilio-Signature") == "forged-with-another-token":
        headers = {"X-Twilio-Signature": signature("guess", url, list(fields.items()))}
    events = async_capture_events(hass, EVENT_CALL_UPDATED)
    answer = await home.post(f"{WEBHOOK}?{query}", data=fields, headers=headers)
    assert answer.status == 200
    await hass.async_block_till_done()
    assert state(hass) == "initiated"
    assert events == []


async def test_the_generic_format_is_not_taken_unsigned(
    hass: HomeAssistant, home: TestClient
) -> None:
    """A Twilio account's webhook takes nothing unsigned, not even the generic JSON."""
    response = await dial(hass, to=B)
    answer = await home.post(
        WEBHOOK, json={"call_id": response["call_id"], "status": "completed"}
    )
    assert answer.status == 200
    await hass.async_block_till_done()
    assert state(hass) == "initiated"


async def test_the_sheets_sample_callback_over_http(
    hass: HomeAssistant, home: TestClient
) -> None:
    """A's completed report (signed as Twilio would) leaves the call to B's reports."""
    response = await dial(hass, to=B)
    query = urlencode({"call": response["call_id"], "leg": "a"})
    url = f"{hass.config.internal_url}{WEBHOOK}?{query}"
    body = "".join(
        line.strip() for line in samples.TWILIO_STATUS_COMPLETED.splitlines()
    )
    fields = parse_qsl(body, keep_blank_values=True)
    events = async_capture_events(hass, EVENT_CALL_UPDATED)
    answer = await home.post(
        f"{WEBHOOK}?{query}",
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature("demo-auth-token", url, fields),
        },
    )
    assert answer.status == 200
    await hass.async_block_till_done()
    assert state(hass) == "initiated"
    assert events == []


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Twilio AC00000000000000000000000000000001", "Twilio +1 415-555-0100"),
        ("Our office line", "Our office line"),
    ],
)
async def test_an_account_named_by_its_sid_is_renamed_by_its_number(
    hass: HomeAssistant, sandbox: SandboxServer, title: str, expected: str
) -> None:
    """Set up by an older version: the SID title (cut off everywhere) gives
    way to the number; a title the user chose stays."""
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    entry = MockConfigEntry(domain=DOMAIN, title=title, data=twilio_data(sandbox))
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.title == expected
    assert entry.unique_id is None or "AC0000" in entry.unique_id
