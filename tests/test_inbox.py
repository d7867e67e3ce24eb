"""The inbox: reports held while their account is not loaded, on disk too."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.click_to_call.inbox import MAX_HELD, Inbox
from custom_components.click_to_call.providers.models import Callback

KEY = "click_to_call.held_reports"


def report(body: bytes = b"{}") -> Callback:
    return Callback("POST", "", "key=k", {"Content-Type": "application/json"}, body)


async def test_held_reports_round_trip_through_the_file(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    held = Inbox(hass)
    await held.async_load()
    assert held.async_hold("e1", report(b"\xff\x00 any bytes"))
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=2))
    await hass.async_block_till_done()

    again = Inbox(hass)
    await again.async_load()
    [back] = again.async_take("e1")
    assert back.body == b"\xff\x00 any bytes"
    assert back.headers["content-type"] == "application/json"  # any case
    assert back.query == {"key": "k"}
    assert again.async_take("e1") == []


@pytest.mark.parametrize(
    "stored",
    [
        {"e1": [None, 1, "x", {"method": "POST"}]},
        {"e1": [{"method": "POST", "query": "", "headers": {"a": 1}, "body": ""}]},
        {"e1": [{"method": "POST", "query": "", "headers": {}, "body": "not base64!"}]},
        {"e1": "not a list"},
        ["not", "a", "mapping"],
    ],
)
async def test_a_file_that_is_not_reports_loads_empty(
    hass: HomeAssistant, hass_storage: dict[str, Any], stored: Any
) -> None:
    hass_storage[KEY] = {"version": 1, "minor_version": 1, "key": KEY, "data": stored}
    held = Inbox(hass)
    await held.async_load()
    assert held.async_take("e1") == []


async def test_a_file_of_a_newer_version_does_not_stop_set_up(
    hass: HomeAssistant, hass_storage: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """After a downgrade: Home Assistant 2025.4 lets it be read as it is;
    newer releases refuse the file, and it is left out with a warning."""
    item = {"method": "POST", "query": "", "headers": {}, "body": ""}
    hass_storage[KEY] = {
        "version": 99,
        "minor_version": 1,
        "key": KEY,
        "data": {"e1": [item]},
    }
    held = Inbox(hass)
    await held.async_load()
    taken = held.async_take("e1")
    assert len(taken) == 1 or (
        taken == [] and "Held reports cannot be read" in caplog.text
    )


async def test_an_unreadable_file_loads_empty_with_a_warning(
    hass: HomeAssistant,
    real_storage: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await hass.async_add_executor_job(real_storage.mkdir)
    path = real_storage / KEY
    await hass.async_add_executor_job(path.write_text, '{"not": "a store file"}')
    held = Inbox(hass)
    await held.async_load()
    assert held.async_take("e1") == []
    assert "Held reports cannot be read" in caplog.text


async def test_an_account_that_never_loads_cannot_fill_the_disk(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    held = Inbox(hass)
    for _ in range(MAX_HELD):
        assert held.async_hold("e1", report())
    assert not held.async_hold("e1", report())
    assert len(held.async_take("e1")) == MAX_HELD
