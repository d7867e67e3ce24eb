"""Exotel in Home Assistant: setup, calls played out by the sandbox, the secret key."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aiohttp import FormData
from aiohttp.test_utils import TestClient
from homeassistant import config_entries
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.click_to_call.const import (
    CONF_CALLBACK_KEY,
    DOMAIN,
    EVENT_CALL_UPDATED,
)
from sandbox import samples
from tests.conftest import (
    EntryFactory,
    SandboxServer,
    dial,
    exotel_data,
    serve_webhooks,
    wait_for_state,
)

pytestmark = pytest.mark.usefixtures("integration")

STATUS = "sensor.exotel_test_last_call_status"
DURATION = "sensor.exotel_test_last_call_duration"
WEBHOOK = "/api/webhook/exotel-webhook"
KEY = "exotel-secret-key"
B = "+91 99000 00002"


@pytest.fixture
async def home(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> TestClient:
    """Home Assistant's web server, at the URL it gives for its webhooks."""
    await setup_entry(exotel_data(sandbox))
    return await serve_webhooks(hass, hass_client_no_auth)


def state(hass: HomeAssistant, entity_id: str = STATUS) -> str:
    current = hass.states.get(entity_id)
    assert current is not None
    return current.state


async def test_setup_offers_the_regions_and_checks_without_a_call(
    hass: HomeAssistant, sandbox: SandboxServer
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "exotel"}
    )
    schema = result["data_schema"].schema
    region = next(key for key in schema if str(key) == "region")
    assert region.default() == "api.exotel.com"
    assert [option["value"] for option in schema[region].config["options"]] == [
        "api.exotel.com",
        "api.in.exotel.com",
    ]
    data = exotel_data(sandbox, caller_id="080 4711 0000", region="api.in.exotel.com")
    del data[CONF_CALLBACK_KEY], data["provider"], data["webhook_id"]
    result = await hass.config_entries.flow.async_configure(result["flow_id"], data)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["description"] == "exotel"
    entry = result["result"]
    assert entry.data["caller_id"] == "+918047110000"
    assert len(entry.data[CONF_CALLBACK_KEY]) >= 32
    [probe] = sandbox.sandbox.received("exotel")
    assert (probe.method, probe.path) == (
        "GET",
        "/exotel/v1/Accounts/demo-sid/Calls.json",
    )


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
    sandbox.sandbox.progress = (0.08, 0.16)
    sandbox.sandbox.ending = ending
    events = async_capture_events(hass, EVENT_CALL_UPDATED)
    await dial(hass, to=B)
    await wait_for_state(hass, STATUS, statuses[-1])
    assert [event.data["status"] for event in events] == statuses
    if ending == "completed":
        assert state(hass, DURATION) == "1"
    # The secret travels in the callback URL sent with the call.
    [received] = sandbox.sandbox.received("exotel")
    callback_url = dict(parse_qsl(received.body.decode()))["StatusCallback"]
    assert dict(parse_qsl(urlsplit(callback_url).query)) == {"key": KEY}


def terminal_for(sid: str, call_id: str | None = None) -> dict[str, Any]:
    """The sheet's terminal sample for a call: its CallSid, and our id as the
    CustomField we sent (the sample's own, where the call is not named)."""
    body: dict[str, Any] = json.loads(samples.EXOTEL_TERMINAL)
    return (
        body | {"CallSid": sid} | ({} if call_id is None else {"CustomField": call_id})
    )


@pytest.mark.parametrize(
    "query",
    ["", "?key=wrong", "?key=", f"?KEY={KEY}"],
    ids=["none", "wrong", "empty", "case"],
)
async def test_a_callback_without_the_secret_changes_nothing(
    hass: HomeAssistant, home: TestClient, query: str
) -> None:
    call = await dial(hass, to=B)
    events = async_capture_events(hass, EVENT_CALL_UPDATED)
    answer = await home.post(
        WEBHOOK + query, json=terminal_for(call["provider_call_id"], call["call_id"])
    )
    assert answer.status == 200
    await hass.async_block_till_done()
    assert state(hass) == "initiated"
    assert events == []


async def test_only_our_own_call_sids_are_taken(
    hass: HomeAssistant, home: TestClient
) -> None:
    await dial(hass, to=B)
    # The sample as printed: a CallSid, and a CustomField, not placed here.
    answer = await home.post(
        f"{WEBHOOK}?key={KEY}", json=terminal_for("80bfbec2d78bbbf10fb851f4fa165211")
    )
    assert answer.status == 200
    await hass.async_block_till_done()
    assert state(hass) == "initiated"


async def test_the_sheets_terminal_sample_with_the_secret(
    hass: HomeAssistant, home: TestClient
) -> None:
    call = await dial(hass, to=B)
    await home.post(
        f"{WEBHOOK}?key={KEY}",
        json=terminal_for(call["provider_call_id"], call["call_id"]),
    )
    await hass.async_block_till_done()
    assert state(hass) == "completed"
    assert state(hass, DURATION) == "320"


async def test_a_report_naming_another_of_our_calls_changes_nothing(
    hass: HomeAssistant, home: TestClient
) -> None:
    """CustomField names a call placed here, CallSid another call: neither."""
    first = await dial(hass, to=B)
    second = await dial(hass, to="+91 99000 00003")
    await home.post(
        f"{WEBHOOK}?key={KEY}",
        json=terminal_for(second["provider_call_id"], first["call_id"]),
    )
    await hass.async_block_till_done()
    assert state(hass) == "initiated"
    assert hass.states.get(STATUS).attributes["call_id"] == second["call_id"]  # type: ignore[union-attr]


async def test_multipart_callbacks_over_http(
    hass: HomeAssistant, home: TestClient
) -> None:
    """Exotel's default encoding, as aiohttp (like any client) writes it."""
    call = await dial(hass, to=B)
    form = FormData(default_to_multipart=True)
    for name, value in (
        ("CallSid", call["provider_call_id"]),
        ("EventType", "answered"),
        ("Status", "in-progress"),
        ("Legs[0][Status]", "in-progress"),
        ("Legs[1][Status]", "in-progress"),
    ):
        form.add_field(name, value)
    answer = await home.post(f"{WEBHOOK}?key={KEY}", data=form)
    assert answer.status == 200
    await hass.async_block_till_done()
    assert state(hass) == "connected"


def one_line(sample: str) -> str:
    return "".join(line.strip() for line in sample.splitlines())


async def test_the_sheets_form_samples_over_http(
    hass: HomeAssistant, home: TestClient
) -> None:
    """A answers, B answers; then, on a second call, B does not answer."""
    call = await dial(hass, to=B)
    sid = call["provider_call_id"]
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    seen = []
    for sample in (
        one_line(samples.EXOTEL_ANSWERED_A).replace("CallSid=...", f"CallSid={sid}"),
        f"CallSid={sid}&" + samples.EXOTEL_ANSWERED_B.removeprefix("..."),
    ):
        await home.post(f"{WEBHOOK}?key={KEY}", data=sample, headers=form)
        await hass.async_block_till_done()
        seen.append(state(hass))
    assert seen == ["initiated", "connected"]

    second = await dial(hass, to="+91 99000 00003")
    body = f"CallSid={second['provider_call_id']}&" + one_line(
        samples.EXOTEL_TERMINAL_NO_ANSWER
    )
    await home.post(f"{WEBHOOK}?key={KEY}", data=body, headers=form)
    await hass.async_block_till_done()
    assert state(hass) == "no_answer"
