"""Snapshots of what a user sees: entity states and attributes, diagnostics.

Values that change from run to run (our call ids, times) are replaced by
placeholders; everything else is compared as it is.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from aiohttp.test_utils import TestClient
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from sandbox import Canned
from tests.conftest import EntryFactory, SandboxServer, dial, spokn_data, telspiel_data

pytestmark = pytest.mark.usefixtures("integration")


def steady(value: Any, call_ids: dict[str, str]) -> Any:
    """Replace our call ids and times by placeholders, recursively.

    Keys and values that Home Assistant gives as string enums on one version
    and plain strings on another are compared as strings.
    """
    if isinstance(value, dict):
        return {
            str(key): "<time>"
            if key in ("created", "timestamp")
            else steady(item, call_ids)
            for key, item in value.items()
        }
    if isinstance(value, StrEnum):
        return str(value)
    if isinstance(value, list):
        return [steady(item, call_ids) for item in value]
    if isinstance(value, str) and value in call_ids:
        return call_ids[value]
    return value


def entity_states(
    hass: HomeAssistant, entry_id: str, call_ids: dict[str, str]
) -> dict[str, Any]:
    registry = er.async_get(hass)
    shown: dict[str, Any] = {}
    for entity in sorted(
        er.async_entries_for_config_entry(registry, entry_id),
        key=lambda item: item.entity_id,
    ):
        state = hass.states.get(entity.entity_id)
        assert state is not None
        shown[entity.entity_id] = {
            "translation_key": entity.translation_key,
            "unique_id": entity.unique_id.removeprefix(entry_id),
            "state": "<time>" if entity.domain == "event" else state.state,
            "attributes": steady(dict(state.attributes), call_ids),
        }
    return shown


async def test_entities_after_a_spokn_call(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    hass_client_no_auth: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    """Both legs reported: the status with its attributes, duration, event."""
    entry = await setup_entry(spokn_data(sandbox))
    web: TestClient = await hass_client_no_auth()
    call = await dial(hass, reference="doorbell")
    for leg, duration in (("1", "45"), ("2", "40")):
        await web.post(
            "/api/webhook/spokn-webhook",
            data=urlencode(
                {
                    "userid": "demo",
                    "token": call["call_id"],
                    "leg": leg,
                    "status": "0",
                    "duration": duration,
                    "cost": "0.6",
                }
            ),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    await hass.async_block_till_done()

    assert entity_states(hass, entry.entry_id, {call["call_id"]: "<call>"}) == snapshot


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    snapshot: SnapshotAssertion,
) -> None:
    entry = await setup_entry(telspiel_data(sandbox, campaign_name="leads"))
    first = await dial(hass, reference="Mom's birthday")
    sandbox.sandbox.queue(
        "telspiel",
        Canned(
            422,
            '{"code": 422, "errors": "{\\"customer_phone\\": [\\"9123456789 is barred\\"]}"}',
        ),
    )
    with pytest.raises(Exception, match="barred"):
        await dial(hass, to="91234 56789")
    [second] = [
        call.call_id
        for call in entry.runtime_data.tracker
        if call.call_id != first["call_id"]
    ]

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert (
        steady(diagnostics, {first["call_id"]: "<first call>", second: "<second call>"})
        == snapshot
    )
