"""Contacts: config subentries, each a device with a Call button and a status."""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.click_to_call.const import (
    CONF_REPEAT_INTERVAL,
    DOMAIN,
    EVENT_CALL_UPDATED,
)
from custom_components.click_to_call.contacts import SUBENTRY_CONTACT
from tests.conftest import (
    EntryFactory,
    SandboxServer,
    dial,
    spokn_data,
    telecmi_data,
)

pytestmark = pytest.mark.usefixtures("integration")

MOM = {"name": "Mom", "number": "98765 43210", "aliases": ["Amma", "Mother"]}
BUTTON = "button.mom_call"
MOM_STATUS = "sensor.mom_last_call_status"
ACCOUNT_STATUS = "sensor.telecmi_test_last_call_status"


async def add_contact(
    hass: HomeAssistant, entry: MockConfigEntry, data: dict[str, Any]
) -> dict[str, Any]:
    """Add a contact through the "Add contact" flow; return the last result."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_CONTACT), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], data
    )
    await hass.async_block_till_done()
    return dict(result)


def device(
    hass: HomeAssistant, entry: MockConfigEntry, identifier: str
) -> dr.DeviceEntry | None:
    """Find an entry's device by identifier (the same way on both ends)."""
    return next(
        (
            found
            for found in dr.async_entries_for_config_entry(
                dr.async_get(hass), entry.entry_id
            )
            if (DOMAIN, identifier) in found.identifiers
        ),
        None,
    )


def contact_id(entry: MockConfigEntry, name: str) -> str:
    return next(
        subentry_id
        for subentry_id, subentry in entry.subentries.items()
        if subentry.title == name
    )


@pytest.fixture
async def entry(sandbox: SandboxServer, setup_entry: EntryFactory) -> MockConfigEntry:
    return await setup_entry(telecmi_data(sandbox))


@pytest.fixture
async def web(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator
) -> TestClient:
    assert await async_setup_component(hass, "webhook", {})
    return await hass_client_no_auth()


async def test_a_contact_is_a_device_with_a_button_and_a_status(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    result = await add_contact(hass, entry, MOM)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    [subentry] = entry.subentries.values()
    assert subentry.title == "Mom"
    assert dict(subentry.data) == MOM
    mom = device(hass, entry, f"{entry.entry_id}_{subentry.subentry_id}")
    account = device(hass, entry, entry.entry_id)
    assert mom is not None
    assert account is not None
    assert mom.name == "Mom"
    assert mom.via_device_id == account.id
    # Words a person reads right: "Click-to-call account by TeleCMI" (a
    # service); a contact is not a "Service" of TeleCMI's.
    assert (account.model, account.manufacturer, account.entry_type) == (
        "Click-to-call account",
        "TeleCMI",
        dr.DeviceEntryType.SERVICE,
    )
    assert (mom.model, mom.manufacturer, mom.entry_type) == (
        "Contact, called through TeleCMI",
        None,
        None,
    )
    entities = er.async_get(hass)
    for entity_id in (BUTTON, MOM_STATUS):
        registered = entities.async_get(entity_id)
        assert registered is not None
        assert registered.device_id == mom.id
        assert registered.config_subentry_id == subentry.subentry_id
    assert hass.states.get(MOM_STATUS).state == "unknown"  # type: ignore[union-attr]


async def test_pressing_call_dials_the_contact(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    sandbox: SandboxServer,
    web: TestClient,
) -> None:
    await add_contact(hass, entry, {**MOM, "reference": "family"})
    events = async_capture_events(hass, EVENT_CALL_UPDATED)

    await hass.services.async_call(
        "button", "press", {"entity_id": BUTTON}, blocking=True
    )

    [sent] = sandbox.sandbox.received("telecmi")
    assert json.loads(sent.body)["to"] == 919876543210
    mom = hass.states.get(MOM_STATUS)
    assert mom is not None
    assert mom.state == "initiated"
    assert mom.attributes["contact"] == "Mom"
    assert mom.attributes["reference"] == "family"
    assert hass.states.get(ACCOUNT_STATUS).state == "initiated"  # type: ignore[union-attr]
    assert [event.data["contact"] for event in events] == ["Mom"]
    assert hass.states.get("event.telecmi_test_call").attributes["contact"] == "Mom"  # type: ignore[union-attr]

    await web.post(
        "/api/webhook/telecmi-webhook",
        json={"call_id": mom.attributes["call_id"], "status": "completed"},
    )
    await hass.async_block_till_done()
    assert hass.states.get(MOM_STATUS).state == "completed"  # type: ignore[union-attr]


async def test_a_refused_press_says_why_and_changes_no_status(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """Double tap: the guard refuses the second call to the same number."""
    await add_contact(hass, entry, MOM)
    await hass.services.async_call(
        "button", "press", {"entity_id": BUTTON}, blocking=True
    )
    first = hass.states.get(MOM_STATUS).attributes["call_id"]  # type: ignore[union-attr]

    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(
            "button", "press", {"entity_id": BUTTON}, blocking=True
        )

    assert raised.value.translation_key == "call_guard_repeat"
    assert "called less than 60 seconds ago" in str(raised.value)
    assert hass.states.get(MOM_STATUS).attributes["call_id"] == first  # type: ignore[union-attr]


async def test_a_press_refused_from_the_ui_says_when_and_we_log_nothing(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A second tap, as the frontend sends it: the answer says when a call is
    allowed again. The integration logs nothing for it; the one ERROR line is
    Home Assistant's own, written for every ServiceValidationError the
    websocket API answers, whatever the integration."""
    await add_contact(hass, entry, MOM)
    client = await hass_ws_client(hass)
    press = {"type": "call_service", "domain": "button", "service": "press"}
    await client.send_json_auto_id({**press, "target": {"entity_id": BUTTON}})
    assert (await client.receive_json())["success"]
    caplog.clear()
    caplog.set_level(logging.DEBUG)

    await client.send_json_auto_id({**press, "target": {"entity_id": BUTTON}})
    answer = await client.receive_json()

    assert not answer["success"]
    assert answer["error"]["translation_key"] == "call_guard_repeat"
    assert answer["error"]["message"].endswith("it can be called again in 1 min")
    ours = [r for r in caplog.records if r.name.startswith("custom_components")]
    assert [r for r in ours if r.levelno >= logging.INFO] == []
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.name for r in errors] == [
        "homeassistant.components.websocket_api.http.connection"
    ]


async def test_each_contact_shows_its_own_last_call(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    await add_contact(hass, entry, MOM)
    await add_contact(hass, entry, {"name": "Dad", "number": "91234 56789"})
    await hass.services.async_call(
        "button", "press", {"entity_id": BUTTON}, blocking=True
    )
    await dial(hass, contact="Dad")
    await dial(hass, to="93333 33333")

    mom = hass.states.get(MOM_STATUS)
    dad = hass.states.get("sensor.dad_last_call_status")
    account = hass.states.get(ACCOUNT_STATUS)
    assert mom is not None
    assert dad is not None
    assert account is not None
    assert mom.attributes["to"] == "+919876543210"
    assert dad.attributes["to"] == "+919123456789"
    assert account.attributes["to"] == "+919333333333"
    assert account.attributes["contact"] is None


@pytest.mark.parametrize("name", ["Mom", "mom", " MOTHER ", "amma"])
async def test_the_action_calls_a_contact_by_name_or_alias(
    hass: HomeAssistant, entry: MockConfigEntry, sandbox: SandboxServer, name: str
) -> None:
    await add_contact(hass, entry, MOM)

    response = await dial(hass, contact=name)

    assert response["contact"] == "Mom"
    assert response["status"] == "initiated"
    assert len(sandbox.sandbox.received("telecmi")) == 1


async def test_the_action_calls_a_contact_by_id(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    await add_contact(hass, entry, MOM)
    response = await dial(hass, contact=contact_id(entry, "Mom"))
    assert response["contact"] == "Mom"


async def test_the_contacts_account_is_used_and_a_shared_name_needs_one(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
) -> None:
    """Two accounts: each contact dials through its own; a clash asks which."""
    spokn = await setup_entry(spokn_data(sandbox))
    await add_contact(hass, entry, MOM)
    await add_contact(hass, spokn, {"name": "Dad", "number": "+91 91234 56789"})

    await dial(hass, contact="Dad")
    assert len(sandbox.sandbox.received("spokn")) == 1
    await dial(hass, contact="Mom")
    assert len(sandbox.sandbox.received("telecmi")) == 1

    await add_contact(hass, spokn, {"name": "MOM", "number": "+91 93333 33333"})
    with pytest.raises(ServiceValidationError) as raised:
        await dial(hass, contact="mom")
    assert raised.value.translation_key == "contact_ambiguous"
    assert "spokn test, telecmi test" in str(raised.value)

    response = await dial(hass, contact="mom", config_entry_id=spokn.entry_id)
    assert response["contact"] == "MOM"
    assert response["provider"] == "spokn"


async def test_the_action_refuses_an_unknown_contact(
    hass: HomeAssistant, entry: MockConfigEntry, sandbox: SandboxServer
) -> None:
    with pytest.raises(ServiceValidationError) as raised:
        await dial(hass, contact="Bob")
    assert raised.value.translation_key == "contact_not_found"
    assert "Bob" in str(raised.value)
    assert sandbox.sandbox.requests == []


@pytest.mark.parametrize(
    "fields", [{"to": "98765 43210", "contact": "Mom"}, {"reference": "x"}]
)
async def test_the_action_takes_a_number_or_a_contact(
    hass: HomeAssistant, entry: MockConfigEntry, fields: dict[str, Any]
) -> None:
    await add_contact(hass, entry, MOM)
    with pytest.raises(Exception, match=r"to|contact"):
        await hass.services.async_call(DOMAIN, "dial", fields, blocking=True)


async def test_the_actions_fields_win_over_the_contacts(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    spokn = await setup_entry(spokn_data(sandbox), {CONF_REPEAT_INTERVAL: 0})
    await add_contact(
        hass,
        spokn,
        {"name": "Mom", "number": "+91 98765 43210", "from": "+91 90000 00001"},
    )
    await dial(hass, contact="Mom")
    await dial(hass, contact="Mom", reference="night", **{"from": "+91 90000 00002"})

    first, second = sandbox.sandbox.received("spokn")
    assert b"aparty=%2B919000000001" in first.body
    assert b"aparty=%2B919000000002" in second.body


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"name": "Bob", "number": "12345"}, {"number": "invalid_number"}),
        (
            {"name": "Bob", "number": "98765 43210 ext. 9"},
            {"number": "number_has_extension"},
        ),
        ({"name": "mom", "number": "91234 56789"}, {"name": "name_taken"}),
        (
            {"name": "Bob", "number": "91234 56789", "aliases": ["MOTHER"]},
            {"aliases": "name_taken"},
        ),
        ({"name": "Bo\x07b", "number": "91234 56789"}, {"name": "invalid_characters"}),
        (
            {"name": "Bob", "number": "91234 56789", "reference": "a\x00"},
            {"reference": "invalid_characters"},
        ),
        ({"name": "   ", "number": "91234 56789"}, {"name": "invalid_name"}),
        ({"name": "B" * 65, "number": "91234 56789"}, {"name": "invalid_name"}),
    ],
)
async def test_a_contact_is_checked_as_a_dial_would_be(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    data: dict[str, Any],
    errors: dict[str, str],
) -> None:
    await add_contact(hass, entry, MOM)

    result = await add_contact(hass, entry, data)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert len(entry.subentries) == 1


async def test_a_spokn_contact_may_be_a_spokn_id(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    spokn = await setup_entry(spokn_data(sandbox))
    result = await add_contact(hass, spokn, {"name": "Desk", "number": "1234567"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await dial(hass, contact="Desk")
    assert b"bparty=1234567" in sandbox.sandbox.received("spokn")[0].body


async def test_changing_a_contact_keeps_its_entities(
    hass: HomeAssistant, entry: MockConfigEntry, sandbox: SandboxServer
) -> None:
    await add_contact(hass, entry, MOM)
    subentry_id = contact_id(entry, "Mom")
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_CONTACT),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id},
    )
    assert result["type"] is FlowResultType.FORM
    # Its own name and aliases are not "taken".
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**MOM, "name": "Mummy", "number": "91234 56789"}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.subentries[subentry_id].title == "Mummy"
    mummy = device(hass, entry, f"{entry.entry_id}_{subentry_id}")
    assert mummy is not None
    assert mummy.name == "Mummy"
    assert hass.states.get(BUTTON) is not None  # same entity, renamed device
    await dial(hass, contact="Mummy")
    assert json.loads(sandbox.sandbox.received("telecmi")[0].body)["to"] == 919123456789


async def test_removing_a_contact_removes_its_device(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    await add_contact(hass, entry, MOM)
    subentry_id = contact_id(entry, "Mom")

    assert hass.config_entries.async_remove_subentry(entry, subentry_id)
    await hass.async_block_till_done()

    assert device(hass, entry, f"{entry.entry_id}_{subentry_id}") is None
    assert er.async_get(hass).async_get(BUTTON) is None
    assert hass.states.get(BUTTON) is None
    with pytest.raises(ServiceValidationError):
        await dial(hass, contact="Mom")


async def test_a_contacts_status_survives_a_restart(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    await add_contact(hass, entry, MOM)
    await dial(hass, contact="Mom")
    await dial(hass, to="91234 56789")

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    mom = hass.states.get(MOM_STATUS)
    assert mom is not None
    assert mom.state == "initiated"
    assert mom.attributes["to"] == "+919876543210"


async def test_party_a_is_asked_only_where_the_provider_takes_it(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
) -> None:
    """TeleCMI rings its own user first: its contacts have no "Ring first"."""
    spokn = await setup_entry(spokn_data(sandbox))
    for account, asked in ((entry, False), (spokn, True)):
        result = await hass.config_entries.subentries.async_init(
            (account.entry_id, SUBENTRY_CONTACT), context={"source": SOURCE_USER}
        )
        assert ("from" in result["data_schema"].schema) is asked


async def test_party_a_of_a_contact_is_checked_as_a_number(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    spokn = await setup_entry(spokn_data(sandbox))
    result = await add_contact(
        hass, spokn, {"name": "Bob", "number": "+1 415 555 2671", "from": "+1 2"}
    )
    assert result["errors"] == {"from": "invalid_number"}
