"""The click2call.php voice panel: GET requests, text answers, polled reports."""

from __future__ import annotations

import asyncio

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.click_to_call.const import DOMAIN, EVENT_CALL_UPDATED
from custom_components.click_to_call.providers import voice_panel
from custom_components.click_to_call.providers.voice_panel import VoicePanelClient
from sandbox import Canned, samples
from tests.conftest import (
    EntryFactory,
    SandboxServer,
    dial,
    voice_panel_data,
    wait_for_request,
    wait_for_state,
)

pytestmark = pytest.mark.usefixtures("integration")

STATUS = "sensor.voice_panel_test_last_call_status"
DURATION = "sensor.voice_panel_test_last_call_duration"


@pytest.fixture(autouse=True)
def fast_polling(monkeypatch: pytest.MonkeyPatch, sandbox: SandboxServer) -> None:
    """Poll every 20 ms; a report settles after 200 ms; rings last 150 ms."""
    monkeypatch.setattr(VoicePanelClient, "poll_interval", 0.02)
    monkeypatch.setattr(voice_panel, "SETTLE_SECONDS", 0.2)
    monkeypatch.setattr(voice_panel, "RING_SECONDS", 0.15)
    sandbox.sandbox.voice_panel_progress = (0.05, 0.15)


def reports(sandbox: SandboxServer) -> int:
    return sum(
        item.path.endswith("report-click2call.php")
        for item in sandbox.sandbox.received("voice_panel")
    )


async def test_request_as_sent_and_a_call_that_completes(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    await setup_entry(voice_panel_data(sandbox, holdfile="17", duration=300))
    events = async_capture_events(hass, EVENT_CALL_UPDATED)

    response = await dial(hass)

    assert response["status"] == "initiated"
    assert response["provider_call_id"].isdigit()
    first = sandbox.sandbox.received("voice_panel")[0]
    assert first.method == "GET"
    assert first.path == "/voicepanel/api/voice/click2call.php"
    assert first.query == {
        "uid": "demo-uid",
        "pin": "1234",
        "number1": "919999999999",
        "number2": "919876543210",
        "uniqueid": response["call_id"],
        "holdfile": "17",
        "duration": "300",
    }
    await wait_for_state(hass, STATUS, "completed")
    state = hass.states.get(STATUS)
    assert state is not None
    assert state.attributes["credit_used"] == 12.0
    assert hass.states.get(DURATION).state == "1"  # type: ignore[union-attr]
    statuses = [event.data["status"] for event in events]
    # Growing durations while connected also fire updates: same status.
    assert list(dict.fromkeys(statuses)) == ["initiated", "connected", "completed"]
    assert events[-1].data["status"] == "completed"
    report = next(
        item
        for item in sandbox.sandbox.received("voice_panel")
        if item.path.endswith("report-click2call.php")
    )
    assert report.query == {
        "uid": "demo-uid",
        "pin": "1234",
        "uniqueid": response["call_id"],
    }


@pytest.mark.parametrize(
    ("ending", "error"),
    [
        ("no_answer", "Number 1 (party A) did not answer"),
        ("busy", "Number 2 (party B) did not answer"),
    ],
)
async def test_unanswered_party(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    ending: str,
    error: str,
) -> None:
    await setup_entry(voice_panel_data(sandbox))
    sandbox.sandbox.ending = ending
    await dial(hass, max_duration=120)
    await wait_for_state(hass, STATUS, "no_answer")
    assert hass.states.get(STATUS).attributes["error"] == error  # type: ignore[union-attr]


async def test_the_documented_report_line(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    """The panel's call id 1231 and the document's report "1231,23,45,12"."""
    await setup_entry(voice_panel_data(sandbox))
    sandbox.sandbox.queue(
        "voice_panel",
        Canned(200, "1231", "text/plain"),
        *[Canned(200, samples.VOICE_PANEL_REPORT, "text/plain")] * 10,
    )
    response = await dial(hass)
    assert response["provider_call_id"] == "1231"
    await wait_for_state(hass, STATUS, "completed")
    state = hass.states.get(STATUS)
    assert state is not None
    assert state.attributes["credit_used"] == 12.0
    assert state.attributes["number1_duration"] == 23
    assert hass.states.get(DURATION).state == "45"  # type: ignore[union-attr]


async def test_polling_stops_by_itself(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    await setup_entry(voice_panel_data(sandbox))
    await dial(hass)
    await wait_for_state(hass, STATUS, "completed")
    polls = reports(sandbox)
    await asyncio.sleep(0.2)
    assert reports(sandbox) == polls


async def test_polling_stops_at_the_deadline_without_a_report(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(voice_panel, "DEADLINE_MARGIN", 0.0)
    sandbox.sandbox.voice_panel_progress = (60.0, 120.0)  # never reports in time
    await setup_entry(voice_panel_data(sandbox))
    await dial(hass, max_duration=1)
    await wait_for_state(hass, STATUS, "failed")
    assert hass.states.get(STATUS).attributes["error"] == (  # type: ignore[union-attr]
        "The panel never reported on the call"
    )
    polls = reports(sandbox)
    await asyncio.sleep(0.1)
    assert reports(sandbox) == polls


async def test_polling_resumes_after_a_reload(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    entry = await setup_entry(voice_panel_data(sandbox))
    sandbox.sandbox.voice_panel_progress = (0.3, 0.4)
    await dial(hass)
    assert await hass.config_entries.async_unload(entry.entry_id)
    polls = reports(sandbox)
    await asyncio.sleep(0.1)
    assert reports(sandbox) == polls  # unloaded: no polling

    assert await hass.config_entries.async_setup(entry.entry_id)
    await wait_for_state(hass, STATUS, "completed")
    assert reports(sandbox) > polls


@pytest.mark.parametrize(
    ("answer", "key", "status"),
    [
        ("Invalid Number", "provider_panel_refused", "rejected"),
        ("<html><body>Maintenance</body></html>", "provider_panel_refused", "rejected"),
        ("", "provider_panel_refused", "rejected"),
        ("Error,102,Bad request", "provider_panel_refused", "rejected"),
        ("Invalid UID or PIN", "provider_auth_failed", "rejected"),
    ],
)
async def test_refusals(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    answer: str,
    key: str,
    status: str,
) -> None:
    await setup_entry(voice_panel_data(sandbox))
    sandbox.sandbox.queue("voice_panel", Canned(200, answer, "text/plain"))
    with pytest.raises(HomeAssistantError) as caught:
        await dial(hass)
    assert caught.value.translation_key == key
    state = hass.states.get(STATUS)
    assert state is not None
    assert state.state == status
    assert state.attributes["error"] == (answer or "the panel gave an empty answer")


async def test_wrong_pin_starts_reauth(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    await setup_entry(voice_panel_data(sandbox))
    sandbox.sandbox.accounts["voice_panel"]["pin"] = "4321"  # PIN changed
    with pytest.raises(HomeAssistantError, match="Invalid UID or PIN"):
        await dial(hass)
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_panel_down(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    await setup_entry(voice_panel_data(sandbox))
    sandbox.sandbox.queue("voice_panel", Canned(502, "Bad gateway", "text/plain"))
    with pytest.raises(HomeAssistantError) as caught:
        await dial(hass)
    assert caught.value.translation_key == "provider_unavailable"


async def test_unreadable_and_failed_reports_are_polled_again(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    """A report the panel garbles, or fails to give, is simply asked again."""
    await setup_entry(voice_panel_data(sandbox))
    sandbox.sandbox.queue(
        "voice_panel",
        Canned(200, "1231", "text/plain"),
        Canned(503, "busy", "text/plain"),
        Canned(200, "1231,x,y,z", "text/plain"),
        Canned(200, "1231,²,5,0", "text/plain"),
        Canned(200, "other,1,2,3\nheader only", "text/plain"),
        *[Canned(200, "1231,10,5,n/a", "text/plain")] * 10,
    )
    await dial(hass)
    await wait_for_state(hass, STATUS, "completed")
    assert hass.states.get(STATUS).attributes["credit_used"] == "n/a"  # type: ignore[union-attr]


async def test_refused_credentials_while_polling_start_reauth(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    entry = await setup_entry(voice_panel_data(sandbox))
    sandbox.sandbox.queue(
        "voice_panel",
        Canned(200, "1231", "text/plain"),
        Canned(200, "Invalid UID or PIN", "text/plain"),
    )
    await dial(hass)
    for _ in range(200):
        await hass.async_block_till_done(wait_background_tasks=False)
        if hass.config_entries.flow.async_progress_by_handler(DOMAIN):
            break
        await asyncio.sleep(0.01)
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == SOURCE_REAUTH
    assert flow["context"]["entry_id"] == entry.entry_id
    # Polling goes on.
    polls = reports(sandbox)
    await asyncio.sleep(0.1)
    assert reports(sandbox) > polls


async def test_an_unload_while_dialling_starts_no_polling(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    entry = await setup_entry(voice_panel_data(sandbox))
    sandbox.sandbox.queue("voice_panel", Canned(200, "1231", "text/plain", delay=0.3))
    dialling = hass.async_create_task(dial(hass))
    await wait_for_request(sandbox, "voice_panel")
    assert await hass.config_entries.async_unload(entry.entry_id)
    response = await dialling
    assert response["provider_call_id"] == "1231"
    await asyncio.sleep(0.1)
    assert reports(sandbox) == 0


async def test_polling_failures_are_logged_once_and_the_recovery_once(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup_entry(voice_panel_data(sandbox))
    sandbox.sandbox.queue(
        "voice_panel",
        Canned(200, "1231", "text/plain"),  # the dial
        *[Canned(503, "busy", "text/plain")] * 3,
        *[Canned(200, "1231,10,5,n/a", "text/plain")] * 20,
    )
    await dial(hass)
    await wait_for_state(hass, STATUS, "completed")

    failing = [r for r in caplog.records if "asking Voice panel" in r.message]
    assert [(r.levelname, r.message) for r in failing] == [
        (
            "WARNING",
            "voice_panel test: asking Voice panel about calls failed (the panel "
            "answered HTTP 503); calls wait at their last status until it answers "
            "again",
        )
    ]
    recovered = [r for r in caplog.records if "answers about calls again" in r.message]
    assert [(r.levelname, r.message) for r in recovered] == [
        ("INFO", "voice_panel test: Voice panel answers about calls again")
    ]
