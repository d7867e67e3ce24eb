"""Announcement calls in real Home Assistant, played out by the sandbox.

A Twilio and a TeleCMI announce call each reach `acknowledged` after the
digit, `completed` without one, `voicemail` for a machine (Twilio); forged
digits change nothing; markup is spoken as written; notify places the call;
the other providers refuse with their reason and send nothing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode

from aiohttp.test_utils import TestClient
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.click_to_call.const import (
    CONF_DETECT_VOICEMAIL,
    CONF_REPEAT_INTERVAL,
    DOMAIN,
    EVENT_CALL_UPDATED,
)
from custom_components.click_to_call.providers.twilio import signature
from sandbox.core import SimulatedCall
from tests.conftest import (
    EntryFactory,
    SandboxServer,
    ameyo_data,
    exotel_data,
    serve_webhooks,
    spokn_data,
    telecmi_data,
    telspiel_data,
    twilio_data,
    voice_panel_data,
    wait_for_state,
    wait_until,
)
from tests.test_contacts import add_contact

pytestmark = pytest.mark.usefixtures("integration")

NO_GUARD = {CONF_REPEAT_INTERVAL: 0}
MOM = "sensor.mom_last_call_status"
MARKUP = "Leak & fire <Hangup/> \"quoted\" 'single' 💧 </Say><Dial>+1555</Dial>"
B = "+14155550102"


async def announce(hass: HomeAssistant, **fields: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "announce", fields, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


@pytest.fixture
async def twilio(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> tuple[MockConfigEntry, TestClient]:
    """A Twilio account with Mom, on Home Assistant's own web server."""
    entry = await setup_entry(twilio_data(sandbox), NO_GUARD)
    await add_contact(hass, entry, {"name": "Mom", "number": B})
    home = await serve_webhooks(hass, hass_client_no_auth)
    sandbox.sandbox.progress = (0.04, 0.12)
    return entry, home


@pytest.fixture
async def telecmi(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> tuple[MockConfigEntry, TestClient]:
    """A TeleCMI account with its number, Mom, and the dashboard's webhook."""
    entry = await setup_entry(telecmi_data(sandbox, caller_id="919100000000"), NO_GUARD)
    await add_contact(hass, entry, {"name": "Mom", "number": "98765 43210"})
    home = await serve_webhooks(hass, hass_client_no_auth)
    sandbox.sandbox.webhooks["telecmi"] = str(
        home.make_url("/api/webhook/telecmi-webhook")
    )
    sandbox.sandbox.progress = (0.04, 0.12)
    return entry, home


def the_call(sandbox: SandboxServer) -> SimulatedCall:
    [call] = [
        call for call in sandbox.sandbox.calls.values() if call.kind == "announce"
    ]
    return call


@pytest.mark.parametrize(
    ("outcome", "status", "digits", "answered_by"),
    [
        ("press_1", "acknowledged", "1", "human"),
        ("no_digit", "completed", None, "human"),
        ("press_2", "completed", "2", "human"),
        ("voicemail", "voicemail", None, "machine"),
        ("no_answer", "no_answer", None, None),
    ],
)
async def test_twilio_announce_outcomes(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    twilio: tuple[MockConfigEntry, TestClient],
    outcome: str,
    status: str,
    digits: str | None,
    answered_by: str | None,
) -> None:
    sandbox.sandbox.announce_outcome = outcome
    events = async_capture_events(hass, EVENT_CALL_UPDATED)

    response = await announce(hass, contact="Mom", message="Water leak in the kitchen.")

    assert response["status"] == "initiated"
    await wait_for_state(hass, MOM, status)
    await hass.async_block_till_done()
    state = hass.states.get(MOM)
    assert state is not None
    assert (state.attributes["kind"], state.attributes["digits"]) == (
        "announce",
        digits,
    )
    assert state.attributes["answered_by"] == answered_by
    assert {event.data["kind"] for event in events} == {"announce"}
    call = the_call(sandbox)
    assert call.spoken[0] == "Water leak in the kitchen. Press 1 to confirm."
    if outcome == "press_1":
        await wait_until(lambda: call.answers, "the sandbox read our answer")
        assert call.answers == [
            '<Response><Say language="en-IN">Thank you. Goodbye.</Say><Hangup/></Response>'
        ]
    if outcome == "voicemail":
        # The machine is hung up on: Twilio is told (Calls/<Sid>.json), in a
        # request that may still be on its way when the status shows.
        def updates() -> list[dict[str, list[str]]]:
            return [
                parse_qs(item.body.decode())
                for item in sandbox.sandbox.received("twilio")
                if call.call_id in item.path
            ]

        await wait_until(updates, "Twilio was told to hang up")
        assert updates() == [{"Status": ["completed"]}]


async def test_twilio_leaves_the_message_after_the_beep(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    twilio: tuple[MockConfigEntry, TestClient],
) -> None:
    sandbox.sandbox.announce_outcome = "voicemail"
    await announce(
        hass, contact="Mom", message="Water leak.", voicemail="leave_message"
    )
    await wait_for_state(hass, MOM, "voicemail")
    for _ in range(100):
        await hass.async_block_till_done()
        if the_call(sandbox).ended:
            break
    [sent] = [
        item
        for item in sandbox.sandbox.received("twilio")
        if item.path.endswith("Calls.json")
    ]
    assert parse_qs(sent.body.decode())["MachineDetection"] == ["DetectMessageEnd"]
    assert the_call(sandbox).spoken[-1] == "Water leak."


async def test_markup_is_spoken_as_written_and_never_a_verb(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    twilio: tuple[MockConfigEntry, TestClient],
) -> None:
    await announce(hass, contact="Mom", message=MARKUP, acknowledge=False, repeat=1)
    call = the_call(sandbox)
    assert call.spoken == [MARKUP]
    assert call.warnings == []


async def test_a_forged_digit_changes_nothing(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    twilio: tuple[MockConfigEntry, TestClient],
) -> None:
    """Unsigned, or signed with another token: no acknowledgement."""
    _, home = twilio
    sandbox.sandbox.progress = None
    response = await announce(hass, contact="Mom", message="Leak")
    query = urlencode({"call": response["call_id"], "leg": "digits"})
    url = f"{hass.config.internal_url}/api/webhook/twilio-webhook?{query}"
    fields = {"Digits": "1"}
    for headers in (
        {},
        {"X-Twilio-Signature": signature("guess", url, list(fields.items()))},
    ):
        answer = await home.post(
            f"/api/webhook/twilio-webhook?{query}", data=fields, headers=headers
        )
        assert answer.status == 200
    await hass.async_block_till_done()
    assert hass.states.get(MOM).state == "initiated"  # type: ignore[union-attr]

    await home.post(
        f"/api/webhook/twilio-webhook?{query}",
        data=fields,
        headers={
            "X-Twilio-Signature": signature(
                "demo-auth-token", url, list(fields.items())
            )
        },
    )
    await hass.async_block_till_done()
    assert hass.states.get(MOM).state == "acknowledged"  # type: ignore[union-attr]


async def test_notify_send_message_places_the_announce_call(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    twilio: tuple[MockConfigEntry, TestClient],
) -> None:
    await hass.services.async_call(
        "notify",
        "send_message",
        {
            "entity_id": "notify.mom_announce",
            "message": "Dinner is ready.",
            "title": "Mom",
        },
        blocking=True,
    )
    await wait_for_state(hass, MOM, "acknowledged")
    assert the_call(sandbox).spoken[0] == "Mom. Dinner is ready. Press 1 to confirm."


@pytest.mark.parametrize(
    ("outcome", "status", "digits"),
    [
        ("press_1", "acknowledged", "1"),
        ("no_digit", "completed", None),
        ("press_2", "completed", "2"),
        ("no_answer", "no_answer", None),
    ],
)
async def test_telecmi_announce_outcomes(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    telecmi: tuple[MockConfigEntry, TestClient],
    outcome: str,
    status: str,
    digits: str | None,
) -> None:
    sandbox.sandbox.announce_outcome = outcome
    await announce(hass, contact="Mom", message="Water leak in the kitchen.")
    await wait_for_state(hass, MOM, status)
    await hass.async_block_till_done()
    state = hass.states.get(MOM)
    assert state is not None
    assert (state.attributes["kind"], state.attributes["digits"]) == (
        "announce",
        digits,
    )
    call = the_call(sandbox)
    assert call.spoken[0] == "Water leak in the kitchen. Press 1 to confirm."
    [sent] = [
        item for item in sandbox.sandbox.received("telecmi") if "pcmo" in item.path
    ]
    assert sent.path == "/telecmi/v2/ind_pcmo_make_call"


async def test_a_telecmi_digit_without_the_calls_key_changes_nothing(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    telecmi: tuple[MockConfigEntry, TestClient],
) -> None:
    """TeleCMI signs nothing: the digit's URL carries the call's own key."""
    _, home = telecmi
    sandbox.sandbox.progress = None
    response = await announce(hass, contact="Mom", message="Leak")
    for query in (
        {"call": response["call_id"]},
        {"call": response["call_id"], "key": "guessed"},
        {"call": response["call_id"], "key": "é"},
    ):
        answer = await home.post(
            "/api/webhook/telecmi-webhook", params=query, json={"dtmf": "1"}
        )
        assert answer.status == 200
    await hass.async_block_till_done()
    assert hass.states.get(MOM).state == "initiated"  # type: ignore[union-attr]


async def test_telecmi_announcing_without_the_apps_number_is_refused(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    await setup_entry(telecmi_data(sandbox), NO_GUARD)
    with pytest.raises(ServiceValidationError) as caught:
        await announce(hass, to="98765 43210", message="Leak")
    assert caught.value.translation_key == "provider_caller_id_required"
    assert sandbox.sandbox.received("telecmi") == []


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (telspiel_data, "announce_not_supported"),
        (ameyo_data, "announce_not_supported"),
        (voice_panel_data, "announce_not_supported"),
        (spokn_data, "announce_not_supported"),
        (exotel_data, "announce_needs_flow"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
async def test_providers_that_cannot_announce_refuse_and_send_nothing(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    data: Any,
    key: str,
) -> None:
    entry = await setup_entry(data(sandbox))
    events = async_capture_events(hass, EVENT_CALL_UPDATED)
    with pytest.raises(ServiceValidationError) as caught:
        await announce(hass, to="+91 98765 43210", message="Leak")
    assert caught.value.translation_key == key
    assert caught.value.translation_placeholders == {
        "provider": entry.runtime_data.client.title
    }
    assert sandbox.sandbox.requests == []
    assert [(event.data["status"], event.data["kind"]) for event in events] == [
        ("rejected", "announce")
    ]
    assert (
        hass.states.get(
            f"sensor.{entry.title.replace(' ', '_')}_last_call_status"
        ).state
        == "unknown"
    )  # type: ignore[union-attr]


async def test_notify_entities_only_where_the_provider_announces(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    telspiel = await setup_entry(telspiel_data(sandbox))
    await add_contact(hass, telspiel, {"name": "Dad", "number": "91234 56789"})
    twilio = await setup_entry(twilio_data(sandbox))
    await add_contact(hass, twilio, {"name": "Mom", "number": B})
    assert hass.states.get("notify.mom_announce") is not None
    assert hass.states.get("notify.dad_announce") is None
    assert hass.states.get("button.dad_call") is not None


async def test_a_message_over_the_limit_is_refused(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    twilio: tuple[MockConfigEntry, TestClient],
) -> None:
    """The action's schema says so; notify is checked the same way."""
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            "notify",
            "send_message",
            {"entity_id": "notify.mom_announce", "message": "x" * 1001},
            blocking=True,
        )
    assert caught.value.translation_key == "message_too_long"
    assert not [
        item for item in sandbox.sandbox.received("twilio") if item.method == "POST"
    ]


async def test_the_guard_counts_an_announcement_like_a_dial(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    entry = await setup_entry(twilio_data(sandbox), {"max_calls_per_hour": 1})
    await add_contact(hass, entry, {"name": "Mom", "number": B})
    await announce(hass, contact="Mom", message="Leak")
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN, "dial", {"contact": "Mom"}, blocking=True, return_response=True
        )
    assert caught.value.translation_key == "call_guard_hourly"


@pytest.mark.parametrize("detect", [True, False])
async def test_a_dial_answered_by_voicemail_ends_voicemail(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    hass_client_no_auth: ClientSessionGenerator,
    detect: bool,
) -> None:
    """Twilio's <Number> detects a machine on B (an option, on by default):
    `voicemail`, not `completed`, so "call until answered" moves on."""
    entry = await setup_entry(
        twilio_data(sandbox), {**NO_GUARD, CONF_DETECT_VOICEMAIL: detect}
    )
    await serve_webhooks(hass, hass_client_no_auth)
    sandbox.sandbox.progress = (0.04, 0.12)
    sandbox.sandbox.ending = "voicemail"
    await hass.services.async_call(
        DOMAIN, "dial", {"to": B}, blocking=True, return_response=True
    )
    status = f"sensor.{entry.title.replace(' ', '_').replace('+', '').replace('-', '_').lower()}_last_call_status"
    [sent] = sandbox.sandbox.received("twilio")[-1:]
    assert ("machineDetection" in parse_qs(sent.body.decode())["Twiml"][0]) is detect
    await wait_for_state(hass, status, "voicemail" if detect else "completed")
