"""The logbook as Home Assistant records it: a contact's page shows its calls."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from tests.conftest import EntryFactory, SandboxServer, dial, telecmi_data
from tests.test_contacts import add_contact

# The recorder before Home Assistant starts, then the integration.
pytestmark = pytest.mark.usefixtures("recorder_mock", "integration")


async def test_a_contact_page_shows_the_calls_own_lines(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    hass_client_no_auth: ClientSessionGenerator,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """The event names the contact's device, as the device page asks for it."""
    assert await async_setup_component(hass, "logbook", {})
    entry = await setup_entry(telecmi_data(sandbox))
    await add_contact(hass, entry, {"name": "Mom", "number": "98765 43210"})
    web: TestClient = await hass_client_no_auth()
    start = dt_util.utcnow()
    call = await dial(hass, contact="Mom")
    await web.post(
        "/api/webhook/telecmi-webhook",
        json={"call_id": call["call_id"], "status": "completed", "duration": 123},
    )
    await dial(hass, to="91234 56789")
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)

    mom = "sensor.mom_last_call_status"
    device = er.async_get(hass).async_get(mom).device_id
    client = await hass_ws_client()
    # The device page asks for its device and its entities, both at once.
    for query in (
        {"device_ids": [device]},
        {"device_ids": [device], "entity_ids": [mom]},
    ):
        await client.send_json_auto_id(
            {"type": "logbook/get_events", "start_time": start.isoformat(), **query}
        )
        answer = await client.receive_json()
        ours = [row["message"] for row in answer["result"] if row.get("name") == "Mom"]
        assert ours == [
            "call placed, via TeleCMI",
            "call completed, 2 min 3 s, via TeleCMI",
        ], query

    # A number that is no contact's: on the account's page, not Mom's.
    account = er.async_get(hass).async_get("event.telecmi_test_call").device_id
    await client.send_json_auto_id(
        {
            "type": "logbook/get_events",
            "start_time": start.isoformat(),
            "device_ids": [account],
        }
    )
    answer = await client.receive_json()
    assert [
        (row["name"], row["message"]) for row in answer["result"] if "message" in row
    ] == [("+919123456789", "call placed, via TeleCMI")]
