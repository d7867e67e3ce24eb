"""Status callbacks through Home Assistant's own web server."""

from __future__ import annotations

from collections.abc import AsyncIterator
import logging

from aiohttp.test_utils import TestClient
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.click_to_call.const import EVENT_CALL_UPDATED
from tests.conftest import (
    EntryFactory,
    SandboxServer,
    dial,
    spokn_data,
    telecmi_data,
)

pytestmark = pytest.mark.usefixtures("integration")

STATUS = "sensor.telecmi_test_last_call_status"
DURATION = "sensor.telecmi_test_last_call_duration"
EVENT = "event.telecmi_test_call"
WEBHOOK = "/api/webhook/telecmi-webhook"


@pytest.fixture
async def entry(setup_entry: EntryFactory, sandbox: SandboxServer) -> MockConfigEntry:
    return await setup_entry(telecmi_data(sandbox))


@pytest.fixture
async def client(hass_client_no_auth: ClientSessionGenerator) -> TestClient:
    return await hass_client_no_auth()


def state(hass: HomeAssistant, entity_id: str) -> str:
    current = hass.states.get(entity_id)
    assert current is not None
    return current.state


async def test_statuses_move_the_call_on(
    hass: HomeAssistant, entry: MockConfigEntry, client: TestClient
) -> None:
    call = await dial(hass)
    events = async_capture_events(hass, EVENT_CALL_UPDATED)

    answer = await client.post(
        WEBHOOK,
        json={"provider_call_id": call["provider_call_id"], "status": "connected"},
    )
    assert answer.status == 200
    await hass.async_block_till_done()
    assert state(hass, STATUS) == "connected"
    assert hass.states.get(EVENT).attributes["event_type"] == "connected"  # type: ignore[union-attr]

    await client.post(
        WEBHOOK,
        json={"call_id": call["call_id"], "status": "completed", "duration": 42},
    )
    await hass.async_block_till_done()
    assert state(hass, STATUS) == "completed"
    assert state(hass, DURATION) == "42"
    assert [(event.data["status"], event.data["duration"]) for event in events] == [
        ("connected", None),
        ("completed", 42),
    ]
    assert events[1].data["provider_call_id"] == call["provider_call_id"]


async def test_status_never_moves_backwards(
    hass: HomeAssistant, entry: MockConfigEntry, client: TestClient
) -> None:
    call = await dial(hass)
    await client.post(WEBHOOK, json={"call_id": call["call_id"], "status": "no_answer"})
    await hass.async_block_till_done()
    events = async_capture_events(hass, EVENT_CALL_UPDATED)

    for status in ("initiated", "connected", "completed", "no_answer"):
        await client.post(WEBHOOK, json={"call_id": call["call_id"], "status": status})
    await hass.async_block_till_done()

    assert state(hass, STATUS) == "no_answer"
    assert events == []


async def test_repeated_final_status_adds_a_late_duration(
    hass: HomeAssistant, entry: MockConfigEntry, client: TestClient
) -> None:
    """A repeat of the same status may bring details; it fires no new call event."""
    call = await dial(hass)
    await client.post(WEBHOOK, json={"call_id": call["call_id"], "status": "completed"})
    await hass.async_block_till_done()
    fired = hass.states.get(EVENT).last_changed  # type: ignore[union-attr]
    events = async_capture_events(hass, EVENT_CALL_UPDATED)

    await client.post(
        WEBHOOK,
        json={
            "call_id": call["call_id"],
            "status": "completed",
            "duration": 30,
            "error": "x",
        },
    )
    await hass.async_block_till_done()

    assert state(hass, DURATION) == "30"
    assert [event.data["duration"] for event in events] == [30]
    assert hass.states.get(EVENT).last_changed == fired  # type: ignore[union-attr]
    assert hass.states.get(STATUS).attributes["error"] == "x"  # type: ignore[union-attr]


async def test_unknown_call_changes_nothing(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    client: TestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await dial(hass)
    events = async_capture_events(hass, EVENT_CALL_UPDATED)
    caplog.set_level(logging.DEBUG, logger="custom_components.click_to_call")

    answer = await client.post(
        WEBHOOK, json={"call_id": "not-ours", "status": "completed"}
    )

    assert answer.status == 200
    await hass.async_block_till_done()
    assert state(hass, STATUS) == "initiated"
    assert events == []
    assert "is not news: it is about no call placed from here" in caplog.text


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"status=completed&call_id=x", "application/x-www-form-urlencoded"),
        (b"{not json", "application/json"),
        (b'{"call_id": "x", "status": "exploded"}', "application/json"),
        (b"\xff\xfe\x00", "application/octet-stream"),
        (b"", "application/json"),
        (b"[" * 20 + b"]" * 20, "application/json"),
    ],
)
async def test_malformed_body_is_ignored_with_one_debug_line(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    client: TestClient,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    content_type: str,
) -> None:
    await dial(hass)
    caplog.set_level(logging.DEBUG, logger="custom_components.click_to_call")
    caplog.clear()

    answer = await client.post(
        WEBHOOK, data=body, headers={"Content-Type": content_type}
    )

    assert answer.status == 200
    ours = [
        r
        for r in caplog.records
        if r.name.startswith("custom_components.click_to_call")
    ]
    assert len(ours) == 1
    assert ours[0].levelno == logging.DEBUG
    assert ours[0].getMessage().startswith("Ignored a report to telecmi test")
    assert "Traceback" not in caplog.text
    assert state(hass, STATUS) == "initiated"


async def test_oversized_body_is_not_read(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    client: TestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.click_to_call")
    answer = await client.post(WEBHOOK, data=b"{" + b" " * 20000 + b"}")
    assert answer.status == 200
    assert "body over 16384 bytes" in caplog.text


async def test_a_get_is_refused_where_the_provider_only_posts(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """Spokn posts its reports; TeleCMI may GET (tests/test_telecmi_webhooks.py)."""
    await setup_entry(spokn_data(sandbox))
    client = await hass_client_no_auth()
    answer = await client.get("/api/webhook/spokn-webhook")
    assert answer.status == 405


async def test_status_after_reload_still_finds_its_call(
    hass: HomeAssistant, entry: MockConfigEntry, client: TestClient
) -> None:
    """Calls are stored: unload and set-up again (a restart) keep them, and
    a report that came meanwhile is held and applied once it is loaded."""
    call = await dial(hass)
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert state(hass, STATUS) == "unavailable"
    answer = await client.post(
        WEBHOOK, json={"call_id": call["call_id"], "status": "connected"}
    )
    assert answer.status == 200

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert state(hass, STATUS) == "connected"

    await client.post(
        WEBHOOK,
        json={"provider_call_id": call["provider_call_id"], "status": "completed"},
    )
    await hass.async_block_till_done()
    assert state(hass, STATUS) == "completed"
    attributes = hass.states.get(STATUS).attributes  # type: ignore[union-attr]
    assert attributes["call_id"] == call["call_id"]


async def test_chunked_oversized_body_is_not_read_whole(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    client: TestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without Content-Length the bound still holds."""
    caplog.set_level(logging.DEBUG, logger="custom_components.click_to_call")

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b" " * 1024

    answer = await client.post(WEBHOOK, data=chunks())
    assert answer.status == 200
    assert "body over 16384 bytes" in caplog.text


async def test_deeply_nested_json_is_ignored(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    client: TestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.click_to_call")
    answer = await client.post(WEBHOOK, data=b"[" * 16000)
    assert answer.status == 200
    assert "Ignored a report to telecmi test: body is not JSON" in caplog.text
    assert "Traceback" not in caplog.text
