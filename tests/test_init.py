"""Set-up, unload, removal, and the calls kept across restarts."""

from __future__ import annotations

from dataclasses import fields
from datetime import timedelta
import json
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.click_to_call.calls import CallRecord
from custom_components.click_to_call.const import (
    CONF_MAX_CALLS_PER_HOUR,
    DOMAIN,
    MAX_ACTIVE_KEPT,
    MAX_FINISHED_KEPT,
)
from custom_components.click_to_call.providers.models import CallStatus, CallUpdate
from custom_components.click_to_call.storage import record_from_stored, record_to_stored
from tests.conftest import EntryFactory, SandboxServer, telspiel_data

pytestmark = pytest.mark.usefixtures("integration")

STATUS = "sensor.telspiel_test_last_call_status"
DURATION = "sensor.telspiel_test_last_call_duration"


def stored_call(call_id: str, status: str, **changes: Any) -> dict[str, Any]:
    return {
        "call_id": call_id,
        "provider": "telspiel",
        "to": "+919876543210",
        "from_": "+919999999999",
        "reference": None,
        "status": status,
        "created": time.time(),
        "provider_call_id": None,
        "duration": None,
        "error": None,
        "max_duration": None,
        "attributes": {},
        **changes,
    }


async def test_entities_restored_from_stored_calls(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
) -> None:
    """After a restart the sensors show the last call as it was."""
    entry = MockConfigEntry(
        domain=DOMAIN, data=telspiel_data(sandbox), title="telspiel test"
    )
    hass_storage[f"{DOMAIN}.calls.{entry.entry_id}"] = {
        "version": 1,
        "key": f"{DOMAIN}.calls.{entry.entry_id}",
        "data": {
            "calls": [
                stored_call("old", "failed"),
                {"broken": True},
                stored_call("new", "completed", duration=75, reference="doorbell"),
            ]
        },
    }
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    status = hass.states.get(STATUS)
    assert status is not None
    assert status.state == "completed"
    assert status.attributes["call_id"] == "new"
    assert status.attributes["reference"] == "doorbell"
    assert hass.states.get(DURATION).state == "75"  # type: ignore[union-attr]
    assert [call.call_id for call in entry.runtime_data.tracker] == ["old", "new"]

    # The next call has no duration yet: the sensor must not keep the old one.
    await hass.services.async_call(DOMAIN, "dial", {"to": "91234 56789"}, blocking=True)
    assert hass.states.get(DURATION).state == "unknown"  # type: ignore[union-attr]
    assert hass.states.get(STATUS).state == "initiated"  # type: ignore[union-attr]


async def test_no_calls_yet(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    await setup_entry(telspiel_data(sandbox))
    status = hass.states.get(STATUS)
    assert status is not None
    assert status.state == "unknown"
    assert status.attributes["options"] == [s.value for s in CallStatus]
    assert "call_id" not in status.attributes
    assert hass.states.get(DURATION).state == "unknown"  # type: ignore[union-attr]


async def test_calls_are_written_after_a_short_delay(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    freezer: FrozenDateTimeFactory,
) -> None:
    entry = await setup_entry(telspiel_data(sandbox))
    await hass.services.async_call(DOMAIN, "dial", {"to": "98765 43210"}, blocking=True)
    key = f"{DOMAIN}.calls.{entry.entry_id}"
    assert key not in hass_storage

    freezer.tick(timedelta(seconds=6))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    [saved] = hass_storage[key]["data"]["calls"]
    assert saved["status"] == "initiated"
    assert saved["to"] == "+919876543210"


def new_call(number: int, status: CallStatus) -> CallRecord:
    return CallRecord(
        call_id=f"c{number}",
        provider="telecmi",
        to="+919876543210",
        from_=None,
        reference=None,
        status=status,
        created=time.time(),
        provider_call_id=f"p{number}",
    )


async def test_history_is_bounded(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    """The newest finished calls are kept, and every open call (up to a cap)."""
    entry = await setup_entry(telspiel_data(sandbox))
    tracker = entry.runtime_data.tracker
    tracker.async_add(new_call(0, CallStatus.INITIATED))  # open, and stays kept
    for number in range(1, MAX_FINISHED_KEPT + 21):
        tracker.async_add(new_call(number, CallStatus.INITIATED))
        tracker.async_apply(CallUpdate(CallStatus.COMPLETED, call_id=f"c{number}"))
    kept = [call.call_id for call in tracker]
    assert len(kept) == MAX_FINISHED_KEPT + 1
    assert kept[:2] == ["c0", "c21"]
    assert tracker.latest is not None
    assert tracker.latest.call_id == f"c{MAX_FINISHED_KEPT + 20}"
    assert tracker.get(provider_call_id="p1") is None
    assert tracker.get(provider_call_id="p21") is not None
    # A report for a call no longer kept changes nothing.
    assert (
        tracker.async_apply(CallUpdate(CallStatus.CONNECTED, provider_call_id="p1"))
        is None
    )
    assert (
        tracker.async_apply(CallUpdate(CallStatus.CONNECTED, call_id="c0")) is not None
    )


async def test_open_calls_are_capped(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    entry = await setup_entry(telspiel_data(sandbox))
    tracker = entry.runtime_data.tracker
    tracker.async_add(new_call(0, CallStatus.FAILED))
    for number in range(1, MAX_ACTIVE_KEPT + 6):
        tracker.async_add(new_call(number, CallStatus.INITIATED))
    kept = [call.call_id for call in tracker]
    assert len(kept) == MAX_ACTIVE_KEPT + 1
    assert kept[:2] == ["c0", "c6"]  # the finished call stays; the oldest open go


async def test_call_guard_survives_a_reload(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    """Reloading an entry (or restarting) does not reset the hourly count."""
    entry = await setup_entry(telspiel_data(sandbox), {CONF_MAX_CALLS_PER_HOUR: 2})
    for number in ("98765 43210", "91234 56789"):
        await hass.services.async_call(DOMAIN, "dial", {"to": number}, blocking=True)

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    with pytest.raises(ServiceValidationError, match="2 calls"):
        await hass.services.async_call(
            DOMAIN, "dial", {"to": "93333 33333"}, blocking=True
        )


async def test_remove_entry_deletes_its_calls(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
) -> None:
    entry = await setup_entry(telspiel_data(sandbox))
    await hass.services.async_call(DOMAIN, "dial", {"to": "98765 43210"}, blocking=True)
    await hass.config_entries.async_unload(entry.entry_id)
    key = f"{DOMAIN}.calls.{entry.entry_id}"
    assert key in hass_storage

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    assert key not in hass_storage
    assert entry.state is ConfigEntryState.NOT_LOADED


def test_stored_record_round_trips() -> None:
    """Every field is stored, and read back the same."""
    record = CallRecord(
        call_id="c1",
        provider="spokn",
        to="+919876543210",
        from_="1234567",
        reference="doorbell",
        status=CallStatus.COMPLETED,
        created=1.5,
        provider_call_id="p1",
        duration=42,
        error="B party: number busy",
        max_duration=120,
        attributes={"b_party_cost": 0.6},
    )
    stored = record_to_stored(record)
    assert set(stored) == {field.name for field in fields(CallRecord)}
    assert record_from_stored(json.loads(json.dumps(stored))) == record
