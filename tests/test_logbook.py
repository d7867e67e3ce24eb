"""The logbook: one readable line per status change of a call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.core import Event, HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.click_to_call import logbook
from custom_components.click_to_call.const import DOMAIN, EVENT_CALL_UPDATED
from tests.conftest import EntryFactory, SandboxServer, dial, telecmi_data
from tests.test_contacts import add_contact

pytestmark = pytest.mark.usefixtures("integration")


def describer(hass: HomeAssistant) -> Callable[[Event], dict[str, Any]]:
    """The callback our platform gives the logbook for our event."""
    found: dict[tuple[str, str], Callable[[Event], dict[str, Any]]] = {}
    logbook.async_describe_events(
        hass, lambda domain, event, describe: found.update({(domain, event): describe})
    )
    return found[(DOMAIN, EVENT_CALL_UPDATED)]


async def test_each_status_change_is_one_readable_line(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    entry = await setup_entry(telecmi_data(sandbox))
    await add_contact(hass, entry, {"name": "Mom", "number": "98765 43210"})
    web: TestClient = await hass_client_no_auth()
    events = async_capture_events(hass, EVENT_CALL_UPDATED)

    call = await dial(hass, contact="Mom")
    for status, duration in (("connected", None), ("completed", 123)):
        await web.post(
            "/api/webhook/telecmi-webhook",
            json={"call_id": call["call_id"], "status": status, "duration": duration},
        )
    await dial(hass, to="91234 56789")
    await hass.async_block_till_done()

    describe = describer(hass)
    lines = [describe(event) for event in events]
    # Each on the contact's device page (its status sensor's), or the
    # account's (its call event entity's).
    mom, account = "sensor.mom_last_call_status", "event.telecmi_test_call"
    assert lines == [
        {"name": "Mom", "message": "call placed, via TeleCMI", "entity_id": mom},
        {"name": "Mom", "message": "call answered, via TeleCMI", "entity_id": mom},
        {
            "name": "Mom",
            "message": "call completed, 2 min 3 s, via TeleCMI",
            "entity_id": mom,
        },
        {
            "name": "+919123456789",
            "message": "call placed, via TeleCMI",
            "entity_id": account,
        },
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"status": "acknowledged", "kind": "announce", "contact": "Mom"},
            "announcement acknowledged: 1 was pressed, via telecmi",
        ),
        (
            {"status": "voicemail", "kind": "announce", "contact": "Mom"},
            "announcement answered by a voicemail, via telecmi",
        ),
        (
            {"status": "failed", "error": "B party: busy", "to": "+91"},
            "call failed, B party: busy, via telecmi",
        ),
        (
            {"status": "completed", "duration": 3700},
            "call completed, 1 h 1 min, via telecmi",
        ),
        ({"status": "completed", "duration": 60}, "call completed, 1 min, via telecmi"),
        ({"status": "completed", "duration": 7200}, "call completed, 2 h, via telecmi"),
        ({"status": "someday", "duration": 0}, "call someday, via telecmi"),
    ],
)
def test_lines_of_calls_whose_account_is_gone(
    hass: HomeAssistant, data: dict[str, Any], message: str
) -> None:
    """Without the account (removed since), the provider's id names it."""
    line = logbook.describe_call(
        hass, {"entry_id": "gone", "provider": "telecmi", **data}
    )
    assert line["message"] == message
    assert line["name"] == (data.get("contact") or data.get("to") or "Click to Call")
