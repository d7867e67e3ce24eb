"""Spokn: form-encoded requests, XML answers, per-leg callbacks."""

from __future__ import annotations

import base64
import time
import tracemalloc
from typing import Any
from urllib.parse import parse_qs

from aiohttp.test_utils import TestClient
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.click_to_call.const import DOMAIN, EVENT_CALL_UPDATED
from sandbox import Canned, samples
from tests.conftest import (
    EntryFactory,
    SandboxServer,
    dial,
    serve_webhooks,
    spokn_data,
    wait_for_state,
)

pytestmark = pytest.mark.usefixtures("integration")

STATUS = "sensor.spokn_test_last_call_status"
DURATION = "sensor.spokn_test_last_call_duration"
WEBHOOK = "/api/webhook/spokn-webhook"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def xml(code: int, desc: str) -> str:
    return samples.SPOKN_SUCCESS.replace(
        "<code>200</code>", f"<code>{code}</code>"
    ).replace("<desc>Request Successful</desc>", f"<desc>{desc}</desc>")


@pytest.fixture
async def home(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> TestClient:
    """Home Assistant's web server, at the URL it gives for its webhooks."""
    await setup_entry(spokn_data(sandbox))
    return await serve_webhooks(hass, hass_client_no_auth)


async def test_request_as_sent(
    hass: HomeAssistant, sandbox: SandboxServer, home: TestClient
) -> None:
    response = await dial(
        hass,
        caller_id="+91 91234 56789",
        max_duration=120,
        retries=2,
        extra={"retrytime": 5, "apartycid": "+14155550100"},
    )

    assert response["status"] == "initiated"
    [received] = sandbox.sandbox.received("spokn")
    assert received.method == "POST"
    assert received.path == "/spokn/c2c/1.0/call"
    assert received.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert (
        received.headers["Authorization"]
        == "Basic " + base64.b64encode(b"demo:demo-password").decode()
    )
    assert {
        key: value[0] for key, value in parse_qs(received.body.decode()).items()
    } == {
        "aparty": "+919999999999",
        "bparty": "+919876543210",
        "apartycid": "+14155550100",
        "bpartycid": "+919123456789",
        "duration": "2",
        "maxretries": "2",
        "retrytime": "5",
        "token": response["call_id"],
        "url": f"{hass.config.internal_url}{WEBHOOK}",
    }


async def test_spokn_ids_pass_through(
    hass: HomeAssistant, sandbox: SandboxServer, home: TestClient
) -> None:
    await dial(hass, to="1234567", **{"from": "7654321"})
    form = parse_qs(sandbox.sandbox.received("spokn")[0].body.decode())
    assert (form["aparty"], form["bparty"]) == (["7654321"], ["1234567"])
    assert hass.states.get(STATUS).attributes["to"] == "1234567"  # type: ignore[union-attr]


async def test_sandbox_reports_both_legs(
    hass: HomeAssistant, sandbox: SandboxServer, home: TestClient
) -> None:
    """The sandbox posts leg 1 then leg 2 to the webhook URL sent as `url`."""
    sandbox.sandbox.progress = (0.05, 0.1)
    events = async_capture_events(hass, EVENT_CALL_UPDATED)
    await dial(hass)
    await wait_for_state(hass, STATUS, "completed")
    assert [event.data["status"] for event in events] == [
        "initiated",
        "connected",
        "completed",
    ]
    state = hass.states.get(STATUS)
    assert state is not None
    assert {
        "a_party_cost",
        "a_party_duration",
        "b_party_cost",
        "b_party_duration",
    } <= set(state.attributes)


@pytest.mark.parametrize(
    ("fields", "code", "key", "status", "field"),
    [
        (
            {"to": "+91 98765 43210", "from": "12"},
            103,
            "provider_bad_number",
            "rejected",
            "from",
        ),
        ({"to": "123"}, 104, "provider_bad_number", "rejected", "to"),
    ],
)
async def test_codes_from_the_sandbox(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    home: TestClient,
    fields: dict[str, Any],
    code: int,
    key: str,
    status: str,
    field: str,
) -> None:
    """Spokn IDs are not checked here; the sandbox refuses a bad one itself."""
    with pytest.raises(HomeAssistantError) as caught:
        await dial(hass, **fields)
    assert caught.value.translation_key == key
    assert f"number in {field}" in str(caught.value)
    assert hass.states.get(STATUS).state == status  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("canned", "key", "status", "reauth"),
    [
        (
            Canned(200, xml(100, "Resource not found"), "text/xml"),
            "provider_not_found",
            "failed",
            False,
        ),
        (
            Canned(200, xml(101, "Authentication failed"), "text/xml"),
            "provider_auth_failed",
            "rejected",
            True,
        ),
        (
            Canned(200, xml(102, "Invalid input parameters"), "text/xml"),
            "provider_invalid_input",
            "rejected",
            False,
        ),
        (
            Canned(200, xml(103, "Bad aparty number"), "text/xml"),
            "provider_bad_number",
            "rejected",
            False,
        ),
        (
            Canned(200, xml(104, "Bad bparty number"), "text/xml"),
            "provider_bad_number",
            "rejected",
            False,
        ),
        (
            Canned(200, xml(105, "Unable to fetch credits information"), "text/xml"),
            "provider_credits_unavailable",
            "failed",
            False,
        ),
        (
            Canned(200, xml(106, "aparty destination not supported"), "text/xml"),
            "provider_destination_not_supported",
            "rejected",
            False,
        ),
        (
            Canned(200, xml(107, "bparty destination not supported"), "text/xml"),
            "provider_destination_not_supported",
            "rejected",
            False,
        ),
        (
            Canned(200, xml(108, "Insufficient credits for call"), "text/xml"),
            "provider_insufficient_credit",
            "rejected",
            False,
        ),
        (
            Canned(
                200,
                xml(109, "Token length exceeded. Max length is 128 characters."),
                "text/xml",
            ),
            "provider_token_too_long",
            "rejected",
            False,
        ),
        (
            Canned(200, xml(777, "Who knows"), "text/xml"),
            "provider_unexpected_answer",
            "failed",
            False,
        ),
        (Canned(401, ""), "provider_auth_failed", "rejected", True),
        (Canned(404, "Not Found"), "provider_not_found", "failed", False),
        (Canned(415, ""), "provider_unsupported_media_type", "failed", False),
        (Canned(500, "Internal Server Error"), "provider_unavailable", "failed", False),
        (
            Canned(200, "<spokn><c2c>", "text/xml"),
            "provider_unexpected_answer",
            "failed",
            False,
        ),
    ],
)
async def test_every_return_code_and_http_status(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    home: TestClient,
    canned: Canned,
    key: str,
    status: str,
    reauth: bool,
) -> None:
    sandbox.sandbox.queue("spokn", canned)
    with pytest.raises(HomeAssistantError) as caught:
        await dial(hass)
    assert not isinstance(caught.value, ServiceValidationError)
    assert caught.value.translation_key == key
    assert str(caught.value) != key  # translated
    assert hass.states.get(STATUS).state == status  # type: ignore[union-attr]
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == (
        [SOURCE_REAUTH] if reauth else []
    )


async def test_entity_expansion_bomb_is_refused_quickly(
    hass: HomeAssistant, sandbox: SandboxServer, home: TestClient
) -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">'
            for n in range(1, 10)
        )
        + "]><spokn><c2c><code>&lol9;</code></c2c></spokn>"
    )
    sandbox.sandbox.queue("spokn", Canned(200, bomb, "text/xml"))
    tracemalloc.start()
    started = time.monotonic()
    with pytest.raises(HomeAssistantError) as caught:
        await dial(hass)
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert caught.value.translation_key == "provider_unexpected_answer"
    assert elapsed < 1.0
    assert peak < 5 * 1024 * 1024  # a billion laughs expanded would be gigabytes


@pytest.mark.parametrize(
    ("fields", "key", "field"),
    [
        ({"max_duration": 90}, "provider_duration_minutes", "max_duration"),
        ({"max_duration": 3660}, "provider_duration_minutes", "max_duration"),
        ({"retries": 4}, "provider_out_of_range", "retries"),
        ({"extra": {"retrytime": 11}}, "provider_out_of_range", "extra.retrytime"),
        ({"extra": {"retrytime": "5"}}, "provider_out_of_range", "extra.retrytime"),
        ({"extra": {"color": "red"}}, "provider_extra_not_supported", "extra.color"),
    ],
)
async def test_documented_limits_are_checked_before_sending(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    home: TestClient,
    fields: dict[str, Any],
    key: str,
    field: str,
) -> None:
    with pytest.raises(ServiceValidationError) as caught:
        await dial(hass, **fields)
    assert caught.value.translation_key == key
    assert field in str(caught.value)
    assert sandbox.sandbox.received("spokn") == []


async def test_enterprise_only_fields(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    await setup_entry(spokn_data(sandbox, enterprise=False))
    for fields, field in (
        ({"caller_id": "+91 91234 56789"}, "caller_id"),
        ({"extra": {"apartycid": "+14155550100"}}, "extra.apartycid"),
    ):
        with pytest.raises(ServiceValidationError) as caught:
            await dial(hass, **fields)
        assert caught.value.translation_key == "provider_enterprise_only"
        assert field in str(caught.value)
    assert sandbox.sandbox.received("spokn") == []
    # Without Enterprise no callback URL goes along: the call stays initiated.
    await dial(hass)
    form = parse_qs(sandbox.sandbox.received("spokn")[0].body.decode())
    assert "url" not in form
    assert "token" not in form


def leg(
    call_id: str, number: int, code: int, duration: int = 0, **changes: str
) -> dict[str, str]:
    return {
        "userid": "demo",
        "aparty": "+919999999999",
        "bparty": "+919876543210",
        "leg": str(number),
        "start": "2026-11-23T10:00:00Z",
        "duration": str(duration),
        "token": call_id,
        "rate": "1.2",
        "cost": "0.6",
        "status": str(code),
        **changes,
    }


LEG_STATUSES = {
    0: None,
    1: "busy",
    2: "no_answer",
    3: "failed",
    4: "cancelled",
    5: "rejected",
    6: "failed",
    7: "busy",
}


@pytest.mark.parametrize("number", [1, 2])
@pytest.mark.parametrize(("code", "status"), LEG_STATUSES.items())
async def test_every_callback_status_of_each_leg(
    hass: HomeAssistant, home: TestClient, number: int, code: int, status: str | None
) -> None:
    call = await dial(hass)
    answer = await home.post(
        WEBHOOK, data=leg(call["call_id"], number, code, duration=33)
    )
    assert answer.status == 200
    await hass.async_block_till_done()
    expected = status or ("connected" if number == 1 else "completed")
    state = hass.states.get(STATUS)
    assert state is not None
    assert state.state == expected
    party = "a_party" if number == 1 else "b_party"
    assert state.attributes[f"{party}_duration"] == 33
    assert state.attributes[f"{party}_cost"] == 0.6
    if status is not None:
        assert state.attributes["error"].startswith(
            "A party:" if number == 1 else "B party:"
        )


async def test_legs_out_of_order_and_repeated(
    hass: HomeAssistant, home: TestClient
) -> None:
    call = await dial(hass)
    events = async_capture_events(hass, EVENT_CALL_UPDATED)
    for body in (
        leg(call["call_id"], 2, 0, duration=40),
        leg(call["call_id"], 2, 0, duration=40),
        leg(call["call_id"], 1, 0, duration=45),
        leg(call["call_id"], 1, 0, duration=45),
        leg(call["call_id"], 2, 0, duration=40),
    ):
        await home.post(WEBHOOK, data=body)
    await hass.async_block_till_done()
    state = hass.states.get(STATUS)
    assert state is not None
    assert state.state == "completed"
    assert hass.states.get(DURATION).state == "40"  # type: ignore[union-attr]
    assert state.attributes["a_party_duration"] == 45
    # One status change, one attribute addition; repeats change nothing.
    assert [event.data["status"] for event in events] == ["completed", "completed"]


async def test_missing_leg_2_when_a_never_answered(
    hass: HomeAssistant, home: TestClient
) -> None:
    call = await dial(hass)
    await home.post(WEBHOOK, data=leg(call["call_id"], 1, 2))
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "no_answer"  # type: ignore[union-attr]
    # A late leg 2 cannot take the finished call anywhere.
    await home.post(WEBHOOK, data=leg(call["call_id"], 2, 0, duration=5))
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "no_answer"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "changes",
    [
        {"token": "01NOTOURCALL"},
        {"token": ""},
        {"userid": "someone-else"},
        {"leg": "3"},
        {"status": "9"},
        {"duration": "long"},
        {"duration": "-5"},
        {"duration": "9" * 30},
        {"cost": "nan"},
        {"cost": "1e300"},
    ],
)
async def test_callbacks_that_change_nothing(
    hass: HomeAssistant, home: TestClient, changes: dict[str, str]
) -> None:
    call = await dial(hass)
    events = async_capture_events(hass, EVENT_CALL_UPDATED)
    answer = await home.post(WEBHOOK, data=leg(call["call_id"], 2, 0, **changes))
    assert answer.status == 200
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "initiated"  # type: ignore[union-attr]
    assert events == []


async def test_garbled_form_and_generic_json(
    hass: HomeAssistant, home: TestClient
) -> None:
    call = await dial(hass)
    await home.post(WEBHOOK, data=b"%%%&&&=", headers=FORM)
    await home.post(WEBHOOK, data=b"\xff\xfe", headers=FORM)
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "initiated"  # type: ignore[union-attr]
    await home.post(WEBHOOK, json={"call_id": call["call_id"], "status": "busy"})
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "busy"  # type: ignore[union-attr]


@pytest.mark.parametrize("seconds", [90, 3660])
async def test_options_check_the_default_duration_against_spokn(
    hass: HomeAssistant, sandbox: SandboxServer, home: TestClient, seconds: int
) -> None:
    """Spokn's whole-minute limit applies to the default as to a call."""
    [entry] = hass.config_entries.async_entries(DOMAIN)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            "number_format": "provider",
            "max_calls_per_hour": 10,
            "repeat_interval": 60,
            "default_max_duration": seconds,
        },
    )
    assert result["errors"] == {"default_max_duration": "provider_duration_minutes"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            "number_format": "provider",
            "max_calls_per_hour": 10,
            "repeat_interval": 60,
            "default_max_duration": 120,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options["default_max_duration"] == 120
    await hass.async_block_till_done()  # new options: the entry set up again
    await dial(hass)
    form = parse_qs(sandbox.sandbox.received("spokn")[0].body.decode())
    assert form["duration"] == ["2"]
