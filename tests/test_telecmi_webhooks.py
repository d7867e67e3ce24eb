"""TeleCMI's own webhooks through Home Assistant's web server, and the sandbox's.

The samples of telecmi-webhooks.txt, with their request_id (or number) made
the dialled call's, move the call as the sheet's mapping says; the sandbox
plays whole calls out in both of TeleCMI's formats.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.click_to_call.const import EVENT_CALL_UPDATED
from sandbox import samples
from tests.conftest import (
    EntryFactory,
    SandboxServer,
    dial,
    telecmi_data,
    wait_for_state,
)
from tests.providers.test_telecmi_webhooks import (
    CDR_A_ANSWERED,
    CDR_B_MISSED,
    EVENT_A_HANGUP,
    EVENT_B_ANSWERED,
    INDIA_CDR_MISSED,
    as_text,
)

pytestmark = pytest.mark.usefixtures("integration")

STATUS = "sensor.telecmi_test_last_call_status"
DURATION = "sensor.telecmi_test_last_call_duration"
WEBHOOK = "/api/webhook/telecmi-webhook"
# What the dial action is given, and how TeleCMI's answers write it back.
TO, TO_DIGITS = "+91 98765 43210", "919876543210"
USER = "101_1111112"


@pytest.fixture
async def home(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> TestClient:
    await setup_entry(telecmi_data(sandbox))
    return await hass_client_no_auth()


def state(hass: HomeAssistant, entity_id: str = STATUS) -> str:
    current = hass.states.get(entity_id)
    assert current is not None
    return current.state


def for_call(sample: str, call: dict[str, Any]) -> dict[str, Any]:
    """The sample as TeleCMI would send it for this call: its request_id (or
    number), the account's user, and a time during the call."""
    data: dict[str, Any] = json.loads(sample)
    if "request_id" in data:
        data["request_id"] = call["provider_call_id"]
    else:
        data["to"] = int(TO_DIGITS)
    data["user"] = USER
    data["time"] = int(time.time() * 1000)
    return data


async def deliver(home: TestClient, hass: HomeAssistant, body: dict[str, Any]) -> None:
    answer = await home.post(WEBHOOK, json=body)
    assert answer.status == 200
    await hass.async_block_till_done()


@pytest.mark.parametrize(
    ("sequence", "statuses", "duration"),
    [
        (
            [
                samples.TELECMI_EVENT_A_STARTED,
                EVENT_B_ANSWERED,
                EVENT_A_HANGUP,
                samples.TELECMI_CDR_B_ANSWERED,
                CDR_A_ANSWERED,
            ],
            ["initiated", "connected", "connected", "completed", "completed"],
            "6",
        ),
        (
            [samples.TELECMI_EVENT_A_STARTED, samples.TELECMI_CDR_A_MISSED],
            ["initiated", "no_answer"],
            "unknown",
        ),
        ([CDR_A_ANSWERED, CDR_B_MISSED], ["initiated", "rejected"], "unknown"),
        (
            [samples.TELECMI_INDIA_EVENT, samples.TELECMI_INDIA_CDR],
            ["initiated", "completed"],
            "13",
        ),
        (
            [samples.TELECMI_INDIA_EVENT, INDIA_CDR_MISSED],
            ["initiated", "no_answer"],
            "unknown",
        ),
    ],
    ids=["answered", "a-missed", "b-rejected", "older-answered", "older-missed"],
)
async def test_samples_over_http(
    hass: HomeAssistant,
    home: TestClient,
    sequence: list[str],
    statuses: list[str],
    duration: str,
) -> None:
    """Each sample moves the dialled call, after each delivery as listed."""
    call = await dial(hass, to=TO)
    seen = []
    for sample in sequence:
        await deliver(home, hass, for_call(sample, call))
        seen.append(state(hass))
    assert seen == statuses
    assert state(hass, DURATION) == duration


async def test_a_get_delivery_reads_the_query(
    hass: HomeAssistant, home: TestClient
) -> None:
    call = await dial(hass, to=TO)
    for sample in (EVENT_B_ANSWERED, samples.TELECMI_CDR_B_ANSWERED):
        answer = await home.get(
            WEBHOOK, params=as_text(json.dumps(for_call(sample, call)))
        )
        assert answer.status == 200
    await hass.async_block_till_done()
    assert state(hass) == "completed"
    assert state(hass, DURATION) == "6"


async def test_the_generic_format_still_works(
    hass: HomeAssistant, home: TestClient
) -> None:
    call = await dial(hass, to=TO)
    body = {"provider_call_id": call["provider_call_id"], "status": "busy"}
    await deliver(home, hass, body)
    assert state(hass) == "busy"


async def test_another_request_id_or_number_changes_nothing(
    hass: HomeAssistant, home: TestClient
) -> None:
    """A record for a call this entry did not place (or no longer has open)."""
    await dial(hass, to=TO)
    events = async_capture_events(hass, EVENT_CALL_UPDATED)
    await deliver(home, hass, json.loads(samples.TELECMI_CDR_B_ANSWERED))
    await deliver(home, hass, json.loads(samples.TELECMI_INDIA_CDR))
    assert state(hass) == "initiated"
    assert events == []


async def test_older_format_finds_the_oldest_open_call_to_the_number(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """Without a request_id, records go to the open calls to their `to`, the
    older first: TeleCMI reports the calls in the order they were placed."""
    await setup_entry(telecmi_data(sandbox), {"repeat_interval": 0})
    home = await hass_client_no_auth()
    first = await dial(hass, to=TO)
    second = await dial(hass, to=TO, reference="again")
    events = async_capture_events(hass, EVENT_CALL_UPDATED)
    await deliver(home, hass, for_call(INDIA_CDR_MISSED, first))
    await deliver(home, hass, for_call(samples.TELECMI_INDIA_CDR, second))
    assert [(event.data["call_id"], event.data["status"]) for event in events] == [
        (first["call_id"], "no_answer"),
        (second["call_id"], "completed"),
    ]


@pytest.mark.parametrize(
    ("telecmi_format", "ending", "statuses", "labels"),
    [
        (
            "chub",
            "completed",
            ["initiated", "connected", "completed"],
            [
                "event a started",
                "event a answered",
                "event b started",
                "event b answered",
                "event b hangup",
                "event a hangup",
                "cdr b answered (sent_bye)",
                "cdr a answered (recv_bye)",
            ],
        ),
        (
            "chub",
            "no_answer",
            ["initiated", "no_answer"],
            ["event a started", "event a hangup", "cdr a missed (recv_cancel)"],
        ),
        ("chub", "busy", ["initiated", "busy"], None),
        ("chub", "cancelled", ["initiated", "cancelled"], None),
        ("chub", "failed", ["initiated", "failed"], None),
        (
            "chub-india",
            "completed",
            ["initiated", "completed"],
            ["event a started", "cdr answered"],
        ),
        (
            "chub-india",
            "busy",
            ["initiated", "no_answer"],
            ["event a started", "cdr missed"],
        ),
    ],
)
async def test_sandbox_plays_calls_out_in_telecmis_formats(
    hass: HomeAssistant,
    home: TestClient,
    sandbox: SandboxServer,
    telecmi_format: str,
    ending: str,
    statuses: list[str],
    labels: list[str] | None,
) -> None:
    """Whole calls, as the sandbox's TeleCMI reports them to the pasted URL."""
    sandbox.sandbox.webhooks["telecmi"] = str(home.make_url(WEBHOOK))
    sandbox.sandbox.progress = (0.05, 0.1)
    sandbox.sandbox.ending = ending
    sandbox.sandbox.telecmi_format = telecmi_format
    events = async_capture_events(hass, EVENT_CALL_UPDATED)
    await dial(hass, to=TO)
    await wait_for_state(hass, STATUS, statuses[-1])
    [call] = sandbox.sandbox.calls.values()
    for _ in range(100):  # the records that come after the one that ended it
        if labels is None or len(call.reported) == len(labels):
            break
        await asyncio.sleep(0.01)
    await hass.async_block_till_done()
    assert [event.data["status"] for event in events] == statuses
    if labels is not None:
        assert call.reported == labels
    if ending == "completed":
        assert state(hass, DURATION) == "1"
