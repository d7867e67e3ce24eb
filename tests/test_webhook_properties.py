"""Anything posted to any account's webhook: answered, and at most ignored.

Every provider's account is set up in one Home Assistant, and hypothesis
posts arbitrary requests to each webhook over HTTP: any method, a query
(keys not ASCII too), headers (a signature not ASCII too) and bodies (the
samples spoiled with Infinity, NaN, thousands of digits, nesting, or plain
bytes). Home Assistant must answer, log no error ("Error processing
webhook" was one, with a traceback, repeatable by anyone who knows the
URL), and nothing but a status may come of it. The named cases of the
issue are tests of their own below.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.core import HomeAssistant
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from custom_components.click_to_call.const import CONF_REPEAT_INTERVAL
from custom_components.click_to_call.providers.models import CallStatus
from sandbox import samples
from tests.conftest import (
    EntryFactory,
    SandboxServer,
    ameyo_data,
    dial,
    exotel_data,
    spokn_data,
    telecmi_data,
    telspiel_data,
    twilio_data,
    voice_panel_data,
)
from tests.providers.test_callback_properties import BODIES, TEXT

pytestmark = pytest.mark.usefixtures("integration")

DATA = [
    telspiel_data,
    telecmi_data,
    ameyo_data,
    voice_panel_data,
    spokn_data,
    twilio_data,
    exotel_data,
]
ON_ONE_HASS = settings(
    max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Header values a client can write (no line breaks), non-ASCII included.
HEADER_TEXT = st.text(
    st.characters(blacklist_categories=["Cc", "Cs", "Zl", "Zp"]), max_size=40
)


@pytest.fixture
async def accounts(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> TestClient:
    """One account of each provider, each with a call open; HA's web server."""
    for data in DATA:
        await setup_entry(data(sandbox), {CONF_REPEAT_INTERVAL: 0})
    return await hass_client_no_auth()


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.ERROR
    ]


@ON_ONE_HASS
@given(
    data=st.sampled_from(DATA),
    method=st.sampled_from(["POST", "GET", "PUT"]),
    query=st.dictionaries(
        st.sampled_from(["key", "call", "leg"])
        | TEXT.filter(lambda t: "\x00" not in t),
        HEADER_TEXT,
        max_size=3,
    ),
    content_type=st.sampled_from(
        [
            "application/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=b",
            "text/plain",
        ]
    ),
    signature=st.none() | HEADER_TEXT,
    body=BODIES,
)
async def test_anything_posted_is_answered_and_at_most_ignored(
    hass: HomeAssistant,
    accounts: TestClient,
    sandbox: SandboxServer,
    caplog: pytest.LogCaptureFixture,
    data: Any,
    method: str,
    query: dict[str, str],
    content_type: str,
    signature: str | None,
    body: bytes,
) -> None:
    caplog.clear()
    headers = {"Content-Type": content_type}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    webhook_id = data(sandbox)["webhook_id"]
    url = URL(f"/api/webhook/{webhook_id}").with_query(
        {key.encode("utf-8", "replace").decode(): value for key, value in query.items()}
    )
    answer = await accounts.request(method, url, data=body, headers=headers)
    await hass.async_block_till_done()

    # 405: a method the webhook does not take; 400: Home Assistant's own
    # filter of unsafe URLs (a line break in the query), before any handler.
    assert answer.status in (200, 400, 405)
    assert errors(caplog) == []
    for state in hass.states.async_all("sensor"):
        if state.entity_id.endswith("_last_call_status"):
            assert state.state in (*CallStatus, "unknown")


# The named cases, each a test that failed before.


async def test_infinity_seconds_from_telecmi_are_ignored(
    hass: HomeAssistant,
    accounts: TestClient,
    sandbox: SandboxServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """JSON Infinity in answeredsec raised OverflowError from int()."""
    call = await dial(hass, config_entry_id=entry_id(hass, "telecmi"), to="98765 43210")
    record = json.loads(samples.TELECMI_CDR_B_ANSWERED)
    record |= {"request_id": call["provider_call_id"], "user": "101_1111112"}
    body = json.dumps(record).replace('"answeredsec": 6', '"answeredsec": Infinity')
    answer = await accounts.post(
        "/api/webhook/telecmi-webhook",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    await hass.async_block_till_done()
    assert answer.status == 200
    assert errors(caplog) == []
    assert "answeredsec is not a finite number" in caplog.text
    assert status(hass, "telecmi") == "initiated"


async def test_infinity_conversation_from_exotel_is_ignored(
    hass: HomeAssistant,
    accounts: TestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    call = await dial(hass, config_entry_id=entry_id(hass, "exotel"), to="98765 43210")
    body = (
        f'{{"CallSid": "{call["provider_call_id"]}", "EventType": "terminal", '
        '"Status": "completed", "ConversationDuration": Infinity}'
    )
    answer = await accounts.post(
        "/api/webhook/exotel-webhook?key=exotel-secret-key",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    await hass.async_block_till_done()
    assert answer.status == 200
    assert errors(caplog) == []
    assert status(hass, "exotel") == "initiated"


@pytest.mark.parametrize("key", ["é", "ключ", "\u200b"])
async def test_a_key_not_in_ascii_is_a_wrong_key(
    hass: HomeAssistant,
    accounts: TestClient,
    caplog: pytest.LogCaptureFixture,
    key: str,
) -> None:
    """compare_digest raised TypeError for a ?key= that is not ASCII."""
    caplog.set_level(logging.DEBUG, logger="custom_components.click_to_call")
    answer = await accounts.post(
        URL("/api/webhook/exotel-webhook").with_query(key=key),
        json={"CallSid": "x", "Status": "completed"},
    )
    await hass.async_block_till_done()
    assert answer.status == 200
    assert errors(caplog) == []
    assert "no or wrong key" in caplog.text


@pytest.mark.parametrize(
    "signature", ["é" * 28, "подпись", "RSOYDt4T1cUTdK1PDd93/VVr8B8é"]
)
async def test_a_signature_not_in_ascii_is_a_wrong_signature(
    hass: HomeAssistant,
    accounts: TestClient,
    caplog: pytest.LogCaptureFixture,
    signature: str,
) -> None:
    """compare_digest raised TypeError for an X-Twilio-Signature not in ASCII."""
    caplog.set_level(logging.DEBUG, logger="custom_components.click_to_call")
    call = await dial(hass, config_entry_id=entry_id(hass, "twilio"), to="+14155550102")
    answer = await accounts.post(
        URL("/api/webhook/twilio-webhook").with_query(call=call["call_id"], leg="b"),
        data={"CallStatus": "completed", "CallDuration": "5"},
        headers={"X-Twilio-Signature": signature},
    )
    await hass.async_block_till_done()
    assert answer.status == 200
    assert errors(caplog) == []
    assert "X-Twilio-Signature does not match" in caplog.text
    assert status(hass, "twilio") == "initiated"


def entry_id(hass: HomeAssistant, provider: str) -> str:
    [entry] = [
        entry
        for entry in hass.config_entries.async_entries("click_to_call")
        if entry.data["provider"] == provider
    ]
    return entry.entry_id


def status(hass: HomeAssistant, provider: str) -> str:
    state = hass.states.get(f"sensor.{provider}_test_last_call_status")
    assert state is not None
    return state.state
