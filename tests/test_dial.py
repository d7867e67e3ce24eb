"""The click_to_call.dial action, against the sandbox over HTTP."""

from __future__ import annotations

import json
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.click_to_call.const import (
    CONF_MAX_CALLS_PER_HOUR,
    CONF_NUMBER_FORMAT,
    CONF_REPEAT_INTERVAL,
    DOMAIN,
    EVENT_CALL_UPDATED,
)
from sandbox import Canned, samples
from tests.conftest import (
    EntryFactory,
    SandboxServer,
    dial,
    telecmi_data,
    telspiel_data,
    wait_for_request,
)

pytestmark = pytest.mark.usefixtures("integration")

STATUS = "sensor.telspiel_test_last_call_status"
EVENT = "event.telspiel_test_call"


def sent_bodies(sandbox: SandboxServer, provider: str) -> list[dict[str, Any]]:
    return [json.loads(item.body) for item in sandbox.sandbox.received(provider)]


async def test_dial_places_a_call_and_everything_follows(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    """The issue's user story: a national number, the sensor, the event."""
    entry = await setup_entry(telspiel_data(sandbox))
    events = async_capture_events(hass, EVENT_CALL_UPDATED)

    response = await dial(hass, to="98765 43210", reference="doorbell")

    assert response == {
        "call_id": response["call_id"],
        "status": "initiated",
        "provider": "telspiel",
        "provider_call_id": None,
        "contact": None,
    }
    assert sent_bodies(sandbox, "telspiel") == [
        {
            "username": "demo",
            "agent_phone": "9999999999",
            "customer_phone": "9876543210",
        }
    ]
    state = hass.states.get(STATUS)
    assert state is not None
    assert state.state == "initiated"
    assert state.attributes["call_id"] == response["call_id"]
    assert state.attributes["to"] == "+919876543210"
    assert state.attributes["from"] == "+919999999999"
    assert state.attributes["reference"] == "doorbell"
    assert state.attributes["error"] is None
    assert [event.data for event in events] == [
        {
            "entry_id": entry.entry_id,
            "call_id": response["call_id"],
            "status": "initiated",
            "to": "+919876543210",
            "from": "+919999999999",
            "reference": "doorbell",
            "provider": "telspiel",
            "provider_call_id": None,
            "duration": None,
            "error": None,
            "reason": None,
            "contact": None,
            "kind": "dial",
            "answered_by": None,
            "digits": None,
            # The account's device: a number, no contact.
            "device_id": er.async_get(hass).async_get(STATUS).device_id,
        }
    ]
    event_state = hass.states.get(EVENT)
    assert event_state is not None
    assert event_state.attributes["event_type"] == "initiated"
    assert event_state.attributes["call_id"] == response["call_id"]


async def test_dial_without_response_and_with_options(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    """A plain automation call; numbers sent in the format chosen in options."""
    await setup_entry(telspiel_data(sandbox), {CONF_NUMBER_FORMAT: "digits"})
    await hass.services.async_call(
        DOMAIN,
        "dial",
        {"to": "+91 88888 88888", "from": "77777 77777", "campaign": "night"},
        blocking=True,
    )
    assert sent_bodies(sandbox, "telspiel") == [
        {
            "username": "demo",
            "campaign_name": "night",
            "agent_phone": "917777777777",
            "customer_phone": "918888888888",
        }
    ]


async def test_telecmi_sample_request(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    """The TeleCMI document's sample request comes out of the dial action."""
    await setup_entry(telecmi_data(sandbox), {CONF_NUMBER_FORMAT: "national"})
    sandbox.sandbox.queue("telecmi", Canned(200, samples.TELECMI_SUCCESS))

    response = await dial(hass, to="9100000000", extra={"crm": True})

    assert response["provider_call_id"] == "s96C6XK1BUHX0oVZfOo5NhoJfZZJd0y1nmrNN6dhdkW"
    [received] = sandbox.sandbox.received("telecmi")
    assert json.loads(received.body) == json.loads(samples.TELECMI_REQUEST)


@pytest.mark.parametrize(
    ("fields", "key", "message"),
    [
        ({"to": "12345"}, "invalid_number", "12345 is not a valid phone number"),
        ({"to": "call mom"}, "invalid_number", "call mom is not a valid phone number"),
        (
            {"to": "+1 415 555 2671"},
            "number_not_national",
            "+1 415 555 2671 is not a number of your home country",
        ),
        ({"to": "98765 43210", "from": "0"}, "invalid_number", "0 is not a valid"),
        (
            {"to": "98765 43210", "caller_id": "1234"},
            "field_not_supported",
            "telSpiel cannot honour the field caller_id",
        ),
        (
            {"to": "98765 43210", "retries": 2},
            "field_not_supported",
            "telSpiel cannot honour the field retries",
        ),
        (
            {"to": "98765 43210", "extra": {"a": 1}},
            "field_not_supported",
            "telSpiel cannot honour the field extra",
        ),
        (
            {"to": "98765 43210", "max_duration": 60},
            "field_not_supported",
            "telSpiel cannot honour the field max_duration",
        ),
    ],
)
async def test_bad_input_is_refused_before_any_request(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    fields: dict[str, Any],
    key: str,
    message: str,
) -> None:
    await setup_entry(telspiel_data(sandbox))
    events = async_capture_events(hass, EVENT_CALL_UPDATED)

    with pytest.raises(ServiceValidationError) as caught:
        await dial(hass, **fields)

    assert caught.value.translation_key == key
    assert message in str(caught.value)
    assert sandbox.sandbox.received("telspiel") == []
    # The event entity and the bus tell of the refusal; the sensors go on
    # showing the last call sent (none yet).
    assert hass.states.get(STATUS).state == "unknown"  # type: ignore[union-attr]
    event = hass.states.get(EVENT)
    assert event is not None
    assert event.attributes["event_type"] == "rejected"
    assert message in event.attributes["error"]
    assert [event.data["status"] for event in events] == ["rejected"]
    assert message in events[0].data["error"]


async def test_field_a_provider_cannot_honour(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    await setup_entry(telecmi_data(sandbox))
    with pytest.raises(
        ServiceValidationError, match="TeleCMI cannot honour the field from"
    ):
        await dial(hass, to="98765 43210", **{"from": "99999 99999"})
    assert sandbox.sandbox.received("telecmi") == []


async def test_number_needs_a_country_without_a_home_country(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    await setup_entry(telecmi_data(sandbox))
    hass.config.country = None
    with pytest.raises(ServiceValidationError) as caught:
        await dial(hass, to="98765 43210")
    assert caught.value.translation_key == "number_needs_country"
    response = await dial(hass, to="+91 98765 43210")
    assert response["status"] == "initiated"
    assert sent_bodies(sandbox, "telecmi")[0]["to"] == 919876543210


async def test_call_guard_refuses_the_call_over_the_hourly_limit(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    freezer: FrozenDateTimeFactory,
) -> None:
    await setup_entry(
        telspiel_data(sandbox), {CONF_MAX_CALLS_PER_HOUR: 2, CONF_REPEAT_INTERVAL: 0}
    )
    await dial(hass, to="98765 43210")
    await dial(hass, to="98765 43210")

    with pytest.raises(ServiceValidationError) as caught:
        await dial(hass, to="91234 56789")
    assert caught.value.translation_key == "call_guard_hourly"
    assert str(caught.value).startswith("Call guard: 2 calls were already placed")
    assert len(sandbox.sandbox.received("telspiel")) == 2
    assert hass.states.get(STATUS).state == "initiated"  # type: ignore[union-attr]
    assert hass.states.get(EVENT).attributes["event_type"] == "rejected"  # type: ignore[union-attr]

    freezer.tick(3601)
    await dial(hass, to="91234 56789")
    assert len(sandbox.sandbox.received("telspiel")) == 3


async def test_call_guard_spaces_calls_to_one_number(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The defaults are on: 60 s between calls to the same number."""
    await setup_entry(telspiel_data(sandbox))
    await dial(hass, to="98765 43210")
    with pytest.raises(ServiceValidationError) as caught:
        await dial(hass, to="+919876543210")  # the same number, written otherwise
    assert caught.value.translation_key == "call_guard_repeat"
    await dial(hass, to="91234 56789")
    freezer.tick(61)
    await dial(hass, to="98765 43210")
    assert len(sandbox.sandbox.received("telspiel")) == 3


async def test_call_guard_default_hourly_limit(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A looping automation stops after ten calls in an hour by default."""
    await setup_entry(telspiel_data(sandbox))
    for number in range(10):
        freezer.tick(1)
        await dial(hass, to=f"9876543{number:03d}")
    with pytest.raises(ServiceValidationError, match="10 calls"):
        await dial(hass, to="9876543999")
    assert len(sandbox.sandbox.received("telspiel")) == 10


async def test_wrong_credentials_start_reauth(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    entry = await setup_entry(telspiel_data(sandbox))
    sandbox.sandbox.accounts["telspiel"]["api_key"] = "rotated"  # key revoked

    with pytest.raises(HomeAssistantError) as caught:
        await dial(hass, to="98765 43210")

    assert caught.value.translation_key == "provider_auth_failed"
    assert str(caught.value) == (
        "telSpiel refused the credentials (Username or api key is invalid). "
        "Reauthenticate the account"
    )
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == entry.entry_id
    state = hass.states.get(STATUS)
    assert state is not None
    assert state.state == "rejected"
    assert state.attributes["error"] == "Username or api key is invalid"


@pytest.mark.parametrize(
    ("canned", "key", "status", "message"),
    [
        (
            Canned(503, "busy"),
            "provider_unavailable",
            "failed",
            "telSpiel could not be reached: telSpiel answered HTTP 503",
        ),
        (
            Canned(200, "ok"),
            "provider_unexpected_answer",
            "failed",
            "telSpiel gave an unexpected answer: HTTP 200 with a body that is not JSON: ok",
        ),
        (
            Canned(422, samples.TELSPIEL_AGENT_REQUIRED),
            "provider_invalid_request",
            "rejected",
            "telSpiel refused the request (from): Agent phone is required",
        ),
    ],
)
async def test_provider_failures(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    canned: Canned,
    key: str,
    status: str,
    message: str,
) -> None:
    await setup_entry(telspiel_data(sandbox))
    sandbox.sandbox.queue("telspiel", canned)
    with pytest.raises(HomeAssistantError) as caught:
        await dial(hass, to="98765 43210")
    assert not isinstance(caught.value, ServiceValidationError)
    assert caught.value.translation_key == key
    assert str(caught.value) == message
    assert hass.states.get(STATUS).state == status  # type: ignore[union-attr]
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []


async def test_which_entry(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    telspiel = await setup_entry(telspiel_data(sandbox))
    telecmi = await setup_entry(telecmi_data(sandbox))
    with pytest.raises(ServiceValidationError) as caught:
        await dial(hass, to="98765 43210")
    assert caught.value.translation_key == "entry_required"
    assert "2 Click to Call accounts" in str(caught.value)

    response = await dial(hass, config_entry_id=telecmi.entry_id, to="98765 43210")
    assert response["provider"] == "telecmi"

    with pytest.raises(ServiceValidationError) as caught:
        await dial(hass, config_entry_id="nope", to="98765 43210")
    assert caught.value.translation_key == "entry_not_found"

    await hass.config_entries.async_unload(telspiel.entry_id)
    with pytest.raises(ServiceValidationError) as caught:
        await dial(hass, config_entry_id=telspiel.entry_id, to="98765 43210")
    assert caught.value.translation_key == "entry_not_loaded"
    # With one entry left loaded, it is the default.
    assert (await dial(hass, to="91234 56789"))["provider"] == "telecmi"

    await hass.config_entries.async_unload(telecmi.entry_id)
    with pytest.raises(ServiceValidationError, match="0 Click to Call accounts"):
        await dial(hass, to="98765 43210")


async def test_a_dial_in_flight_during_a_reload_is_kept(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    """The answer lands in the reloaded entry's tracker, not the closed one."""
    entry = await setup_entry(telspiel_data(sandbox))
    sandbox.sandbox.queue("telspiel", Canned(200, samples.TELSPIEL_SUCCESS, delay=0.3))
    dialling = hass.async_create_task(dial(hass, to="98765 43210"))
    await wait_for_request(sandbox, "telspiel")

    assert await hass.config_entries.async_reload(entry.entry_id)
    response = await dialling

    assert entry.runtime_data.tracker.get(response["call_id"]) is not None
    state = hass.states.get(STATUS)
    assert state is not None
    assert state.attributes["call_id"] == response["call_id"]
    assert state.state == "initiated"


async def test_a_dial_in_flight_when_the_entry_unloads(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    """The provider has the call: the action says so, and nothing crashes."""
    entry = await setup_entry(telspiel_data(sandbox))
    sandbox.sandbox.queue("telspiel", Canned(200, samples.TELSPIEL_SUCCESS, delay=0.3))
    dialling = hass.async_create_task(dial(hass, to="98765 43210"))
    await wait_for_request(sandbox, "telspiel")

    tracker = entry.runtime_data.tracker
    assert await hass.config_entries.async_unload(entry.entry_id)
    response = await dialling

    assert response["status"] == "initiated"
    assert tracker.closed
    assert tracker.get(response["call_id"]) is None  # written before: unchanged


async def test_a_lead_from_a_webhook_as_the_readme_shows_it(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """`tel:` keeps a templated +number text (Home Assistant would make it a number)."""
    await setup_entry(telecmi_data(sandbox))
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "triggers": [
                    {
                        "trigger": "webhook",
                        "webhook_id": "new-lead",
                        "allowed_methods": ["POST"],
                        "local_only": False,
                    }
                ],
                "actions": [
                    {
                        "action": "click_to_call.dial",
                        "data": {
                            "to": "tel:{{ trigger.json.phone }}",
                            "reference": "lead {{ trigger.json.id }}",
                        },
                    }
                ],
            }
        },
    )
    client = await hass_client_no_auth()

    response = await client.post(
        "/api/webhook/new-lead", json={"phone": "+14155550102", "id": "1234"}
    )
    assert response.status == 200
    await wait_for_request(sandbox, "telecmi")
    await hass.async_block_till_done()

    [sent] = sent_bodies(sandbox, "telecmi")
    assert sent["to"] == 14155550102
    state = hass.states.get("sensor.telecmi_test_last_call_status")
    assert state is not None
    assert state.attributes["reference"] == "lead 1234"
