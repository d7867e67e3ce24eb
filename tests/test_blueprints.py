"""The automation blueprints in blueprints/, validated and run against the sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
import json
from pathlib import Path
import re
import shutil
from typing import Any
from urllib.parse import parse_qs

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import extract_inputs, load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.click_to_call.const import (
    CONF_REPEAT_INTERVAL,
    EVENT_CALL_UPDATED,
)
from custom_components.click_to_call.contacts import SUBENTRY_CONTACT
from custom_components.click_to_call.providers.models import (
    AnsweredBy,
    CallStatus,
    CallUpdate,
)
from tests.conftest import (
    EntryFactory,
    SandboxServer,
    serve_webhooks,
    telecmi_data,
    telspiel_data,
    twilio_data,
)

pytestmark = pytest.mark.usefixtures("integration")

FOLDER = Path(__file__).parent.parent / "blueprints" / "automation" / "click_to_call"
CALL_CONTACT = "call_contact.yaml"
CALL_UNTIL_ANSWERED = "call_until_answered.yaml"
ALERT_UNTIL_CONFIRMED = "alert_until_confirmed.yaml"
SOURCE = "https://github.com/click-to-call/ha-click-to-call/blob/main/"
AUTOMATION = "automation.blueprint_under_test"
WEBHOOK = "/api/webhook/telecmi-webhook"
DOORBELL = [{"trigger": "event", "event_type": "test_doorbell"}]
# Contacts, and the numbers TeleCMI is sent for them.
CONTACTS = {
    "Mom": ("98765 43210", 919876543210),
    "Dad": ("91234 56789", 919123456789),
    "Kid": ("93333 33333", 919333333333),
}


@pytest.mark.parametrize(
    "name", [CALL_CONTACT, CALL_UNTIL_ANSWERED, ALERT_UNTIL_CONFIRMED]
)
def test_blueprint_is_valid(name: str) -> None:
    """Home Assistant's own loader and schema take the file as it is."""
    data = load_yaml_dict(FOLDER / name)
    blueprint = Blueprint(
        data,
        path=f"click_to_call/{name}",
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )

    assert blueprint.validate() is None  # the running version is new enough
    metadata = blueprint.metadata
    assert metadata["homeassistant"]["min_version"] == "2025.4.0"
    assert metadata["source_url"] == (
        f"{SOURCE}blueprints/automation/click_to_call/{name}"
    )
    assert metadata["author"]
    assert "click_to_call_call_updated" in metadata["description"]
    # Every input is used, and every input used is declared.
    assert extract_inputs(data) == set(blueprint.inputs)
    assert data["triggers"].name == "triggers"  # the modern key, a trigger selector
    assert (data["mode"], data["max_exceeded"]) == ("single", "silent")


# Running them, with Home Assistant's automation integration.


@pytest.fixture
def blueprints(hass: HomeAssistant, tmp_path: Path) -> None:
    """Put the blueprints where Home Assistant's loader looks for them."""
    hass.config.config_dir = str(tmp_path)
    target = Path(hass.config.path("blueprints/automation/click_to_call"))
    target.mkdir(parents=True)
    for name in (CALL_CONTACT, CALL_UNTIL_ANSWERED, ALERT_UNTIL_CONFIRMED):
        shutil.copy(FOLDER / name, target / name)


async def add_contact(
    hass: HomeAssistant, entry: MockConfigEntry, name: str, number: str
) -> None:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_CONTACT), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": name, "number": number}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


@pytest.fixture
async def entry(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    blueprints: None,
) -> MockConfigEntry:
    """A TeleCMI account with three contacts; the guard lets a number be redialled."""
    entry = await setup_entry(telecmi_data(sandbox), {CONF_REPEAT_INTERVAL: 0})
    for name, (number, _) in CONTACTS.items():
        await add_contact(hass, entry, name, number)
    return entry


@pytest.fixture
async def other_account(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
) -> MockConfigEntry:
    """A telSpiel account that has a Dad too: "Dad" alone is then ambiguous."""
    other = await setup_entry(telspiel_data(sandbox))
    await add_contact(hass, other, "Dad", "94444 44444")
    return other


@pytest.fixture
async def web(hass_client_no_auth: ClientSessionGenerator) -> TestClient:
    return await hass_client_no_auth()


async def use_blueprint(hass: HomeAssistant, name: str, **inputs: Any) -> None:
    """Set up one automation from a blueprint, and check it is valid."""
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "id": "blueprint_under_test",
                    "alias": "Blueprint under test",
                    "use_blueprint": {
                        "path": f"click_to_call/{name}",
                        "input": {"triggers": DOORBELL, **inputs},
                    },
                }
            ]
        },
    )
    await hass.async_block_till_done()
    state = hass.states.get(AUTOMATION)
    assert state is not None
    assert state.state == "on"  # an automation that fails validation is unavailable


# Event-loop turns to let a trigger, a dial or a report go through (a dial
# takes a few dozen).
TURNS = 1000


async def settle(hass: HomeAssistant, until: Callable[[], bool] | None = None) -> None:
    """Run the event loop, Home Assistant's clock standing still.

    Until `until()` holds (else fail), or for TURNS turns. Not
    `async_block_till_done`: that waits for the automation's run to end, and a
    run waiting for an answer or in its pause never ends while time stands.
    """
    for _ in range(TURNS):
        if until is not None and until():
            return
        await asyncio.sleep(0)
    assert until is None or until(), "the automation never got there"


async def ring(hass: HomeAssistant, until: Callable[[], bool] | None = None) -> None:
    hass.bus.async_fire("test_doorbell")
    await settle(hass, until)


async def wait(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    seconds: float,
    until: Callable[[], bool] | None = None,
) -> None:
    """Move Home Assistant's clock on (no real waiting)."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await settle(hass, until)


def dialled(sandbox: SandboxServer) -> list[int]:
    """Return the numbers TeleCMI was asked to call, in order."""
    return [json.loads(sent.body)["to"] for sent in sandbox.sandbox.received("telecmi")]


def numbers(*names: str) -> list[int]:
    return [CONTACTS[name][1] for name in names]


def running(hass: HomeAssistant) -> int:
    """Return how many runs of the automation are in progress."""
    state = hass.states.get(AUTOMATION)
    assert state is not None
    return int(state.attributes["current"])


def call_ids(events: list[Event]) -> dict[str, str]:
    """Return each contact's call (the latest), from the events."""
    return {
        event.data["contact"]: event.data["call_id"]
        for event in events
        if event.data["status"] == "initiated"
    }


async def report(
    hass: HomeAssistant,
    web: TestClient,
    call_id: str,
    status: str,
    until: Callable[[], bool] | None = None,
) -> None:
    """Post a status for a call to the account's webhook, as a provider would."""
    answer = await web.post(WEBHOOK, json={"call_id": call_id, "status": status})
    assert answer.status == 200
    await settle(hass, until)


async def test_call_contact_calls_once_per_ring(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    sandbox: SandboxServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A doorbell pressed five times places one call; after the pause, another."""
    await use_blueprint(
        hass, CALL_CONTACT, contact="mom", reference="doorbell", cooldown=60
    )
    events = async_capture_events(hass, EVENT_CALL_UPDATED)
    assert dialled(sandbox) == []

    for _ in range(5):
        await ring(hass)

    assert dialled(sandbox) == numbers("Mom")
    assert [
        (event.data["contact"], event.data["status"], event.data["reference"])
        for event in events
    ] == [("Mom", "initiated", "doorbell")]
    assert running(hass) == 1  # the pause

    await wait(hass, freezer, 59)
    await ring(hass)
    assert dialled(sandbox) == numbers("Mom")

    await wait(hass, freezer, 2, until=lambda: running(hass) == 0)
    await ring(hass, until=lambda: len(dialled(sandbox)) == 2)
    assert dialled(sandbox) == numbers("Mom", "Mom")


async def test_call_contact_with_the_account_and_conditions(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    other_account: MockConfigEntry,
    sandbox: SandboxServer,
) -> None:
    """The account picks the Dad meant; a failed condition calls nobody."""
    hass.states.async_set("input_boolean.night", "off")
    await use_blueprint(
        hass,
        CALL_CONTACT,
        contact="Dad",
        account=entry.entry_id,
        conditions=[
            {"condition": "state", "entity_id": "input_boolean.night", "state": "on"}
        ],
        cooldown=0,
    )

    await ring(hass)
    assert dialled(sandbox) == []

    hass.states.async_set("input_boolean.night", "on")
    await ring(hass, until=lambda: running(hass) == 0 and bool(dialled(sandbox)))
    assert dialled(sandbox) == numbers("Dad")
    assert sandbox.sandbox.received("telspiel") == []
    dad = hass.states.get("sensor.dad_last_call_status")
    assert dad is not None
    assert dad.attributes["reference"] is None  # none given, none sent


async def test_the_next_contact_is_called_until_one_answers(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    other_account: MockConfigEntry,
    sandbox: SandboxServer,
    web: TestClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    await use_blueprint(
        hass,
        CALL_UNTIL_ANSWERED,
        contacts=["Mom", "Dad", "Kid"],
        account=entry.entry_id,
        reference="alarm",
        answer_timeout=60,
        cooldown=0,
    )
    events = async_capture_events(hass, EVENT_CALL_UPDATED)

    await ring(hass)
    assert dialled(sandbox) == numbers("Mom")

    await report(hass, web, call_ids(events)["Mom"], "no_answer")
    assert dialled(sandbox) == numbers("Mom", "Dad")

    await report(
        hass, web, call_ids(events)["Dad"], "connected", until=lambda: not running(hass)
    )
    await wait(hass, freezer, 120)
    assert dialled(sandbox) == numbers("Mom", "Dad")
    assert {event.data["reference"] for event in events} == {"alarm"}


@pytest.mark.parametrize(
    "ending", ["busy", "cancelled", "rejected", "failed", "voicemail"]
)
async def test_a_call_ended_unanswered_moves_on(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    sandbox: SandboxServer,
    web: TestClient,
    ending: str,
) -> None:
    await use_blueprint(hass, CALL_UNTIL_ANSWERED, contacts=["Mom", "Dad"], cooldown=0)
    events = async_capture_events(hass, EVENT_CALL_UPDATED)
    await ring(hass)
    assert dialled(sandbox) == numbers("Mom")

    await report(hass, web, call_ids(events)["Mom"], ending)

    assert dialled(sandbox) == numbers("Mom", "Dad")
    assert running(hass) == 1  # waiting for Dad's answer


async def test_a_completed_call_counts_as_answered_and_the_pause_follows(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    sandbox: SandboxServer,
    web: TestClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    await use_blueprint(hass, CALL_UNTIL_ANSWERED, contacts=["Mom", "Dad"], cooldown=30)
    events = async_capture_events(hass, EVENT_CALL_UPDATED)
    await ring(hass)

    await report(hass, web, call_ids(events)["Mom"], "completed")
    assert running(hass) == 1  # the pause: a ring now is ignored
    await ring(hass)
    await wait(hass, freezer, 31, until=lambda: not running(hass))

    assert dialled(sandbox) == numbers("Mom")


async def test_unanswered_and_refused_contacts_are_skipped(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    sandbox: SandboxServer,
    web: TestClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    """No report within the timeout, or a dial refused: the next contact."""
    await use_blueprint(
        hass,
        CALL_UNTIL_ANSWERED,
        contacts=["Mom", "Nobody", " ", "Dad", "Kid"],
        answer_timeout=30,
        cooldown=0,
    )
    events = async_capture_events(hass, EVENT_CALL_UPDATED)
    await ring(hass)

    await wait(hass, freezer, 29)
    assert dialled(sandbox) == numbers("Mom")

    # Mom's call timed out; "Nobody" is no contact: the dial refuses it.
    await wait(hass, freezer, 2)
    assert dialled(sandbox) == numbers("Mom", "Dad")

    await report(
        hass, web, call_ids(events)["Dad"], "connected", until=lambda: not running(hass)
    )
    assert dialled(sandbox) == numbers("Mom", "Dad")


async def test_nobody_answering_calls_everyone_once(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    sandbox: SandboxServer,
    web: TestClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    await use_blueprint(
        hass, CALL_UNTIL_ANSWERED, contacts=["Mom", "Dad", "Kid"], cooldown=0
    )
    events = async_capture_events(hass, EVENT_CALL_UPDATED)
    await ring(hass)

    await report(hass, web, call_ids(events)["Mom"], "no_answer")
    await report(hass, web, call_ids(events)["Dad"], "busy")
    await wait(hass, freezer, 61, until=lambda: not running(hass))

    assert dialled(sandbox) == numbers("Mom", "Dad", "Kid")


def answer_on_dial(
    hass: HomeAssistant, entry: MockConfigEntry, *, later: bool
) -> Callable[[], None]:
    """Report Mom's call connected as soon as it is placed.

    At once, so the dial already answers `connected`; or, with `later`, on the
    event loop's next turn: after the dial has answered `initiated`, before
    the blueprint's wait for the event has begun.
    """

    @callback
    def placed(event: Event) -> None:
        if event.data["status"] != "initiated" or event.data["contact"] != "Mom":
            return
        update = CallUpdate(CallStatus.CONNECTED, call_id=event.data["call_id"])
        if later:
            hass.loop.call_soon(entry.runtime_data.async_apply, update)
        else:
            entry.runtime_data.async_apply(update)

    return hass.bus.async_listen(EVENT_CALL_UPDATED, placed)


async def test_a_call_answered_before_the_dial_returns_is_not_waited_for(
    hass: HomeAssistant, entry: MockConfigEntry, sandbox: SandboxServer
) -> None:
    """The dial's answer already says `connected`: no event is left to wait for."""
    answer_on_dial(hass, entry, later=False)
    await use_blueprint(hass, CALL_UNTIL_ANSWERED, contacts=["Mom", "Dad"], cooldown=0)

    # No time passes: the run ends without waiting out the answer timeout.
    await ring(hass, until=lambda: bool(dialled(sandbox)) and not running(hass))

    assert dialled(sandbox) == numbers("Mom")


async def test_an_answer_reported_before_the_wait_begins_counts(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    sandbox: SandboxServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An event the wait missed is read back from the status sensors."""
    answer_on_dial(hass, entry, later=True)
    await use_blueprint(hass, CALL_UNTIL_ANSWERED, contacts=["Mom", "Dad"], cooldown=0)

    await ring(hass)
    mom = hass.states.get("sensor.mom_last_call_status")
    assert mom is not None
    assert mom.state == "connected"
    assert running(hass) == 1  # the wait began after the event: it missed it
    await wait(hass, freezer, 61, until=lambda: not running(hass))

    assert dialled(sandbox) == numbers("Mom")


# Alert these contacts until one confirms (announce calls, Twilio's sandbox).


@pytest.fixture
async def announcing(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    blueprints: None,
    hass_client_no_auth: ClientSessionGenerator,
) -> MockConfigEntry:
    """A Twilio account with three contacts; its sandbox plays calls out."""
    entry = await setup_entry(twilio_data(sandbox), {CONF_REPEAT_INTERVAL: 0})
    for name, number in (
        ("Ann", "+14155550111"),
        ("Ben", "+14155550112"),
        ("Cat", "+14155550113"),
    ):
        await add_contact(hass, entry, name, number)
    await serve_webhooks(hass, hass_client_no_auth)
    sandbox.sandbox.progress = (0.02, 0.05)
    return entry


def twilio_calls(sandbox: SandboxServer) -> list[dict[str, list[str]]]:
    """Return the forms of the calls Twilio was asked to place, in order."""
    return [
        parse_qs(item.body.decode())
        for item in sandbox.sandbox.received("twilio")
        if item.path.endswith("/Calls.json")
    ]


def announced(sandbox: SandboxServer) -> list[str]:
    return [form["To"][0] for form in twilio_calls(sandbox)]


def bridged_to(sandbox: SandboxServer) -> list[str]:
    """Return the B numbers Twilio was asked to bridge, in order."""
    return [
        re.findall(r"<Number[^>]*>([^<]+)</Number>", form["Twiml"][0])[0]
        for form in twilio_calls(sandbox)
    ]


async def in_real_time(until: Callable[[], bool], steps: int = 300) -> None:
    """Let the sandbox's reports come (in real time) until `until()` holds,
    or `steps` times 10 ms have passed; the test's assertions then judge."""
    for _ in range(steps):
        await asyncio.sleep(0.01)
        if until():
            return


async def skips(hass: HomeAssistant) -> list[str]:
    """The reasons the run's trace gives for each contact skipped.

    Read as the trace page reads it (the trace integration's own helpers:
    its storage differs between releases).
    """
    from homeassistant.components.trace.util import (
        async_get_trace,
        async_list_traces,
    )

    [run] = await async_list_traces(hass, "automation", AUTOMATION)
    trace = await async_get_trace(hass, AUTOMATION, run["run_id"])
    # The "Skipped" step (the `else` of each contact's outcome), in time.
    return [
        skipped
        for _, skipped in sorted(
            (step["timestamp"], step["changed_variables"]["skipped"])
            for path, steps in trace["trace"].items()
            if path.endswith("/else/0")
            for step in steps
        )
    ]


async def test_the_alert_skips_a_voicemail_and_no_answer_and_stops_at_a_confirmation(
    hass: HomeAssistant,
    announcing: MockConfigEntry,
    sandbox: SandboxServer,
) -> None:
    await use_blueprint(
        hass,
        ALERT_UNTIL_CONFIRMED,
        contacts=["notify.ann_announce", "notify.ben_announce", "notify.cat_announce"],
        message="Water leak in the kitchen.",
        rounds=2,
        answer_timeout=120,
        pause=0,
        cooldown=0,
    )
    # Each call plays out as the sandbox is told when it is placed: Ann's
    # voicemail, Ben does not answer, Cat presses 1.
    outcomes = iter(["no_answer", "press_1"])

    @callback
    def next_outcome(event: Event) -> None:
        if event.data["status"] in ("voicemail", "no_answer"):
            sandbox.sandbox.announce_outcome = next(outcomes)

    hass.bus.async_listen(EVENT_CALL_UPDATED, next_outcome)
    sandbox.sandbox.announce_outcome = "voicemail"

    await ring(hass)
    await in_real_time(lambda: not running(hass))

    assert not running(hass)
    assert announced(sandbox) == ["+14155550111", "+14155550112", "+14155550113"]
    assert hass.states.get("sensor.cat_last_call_status").state == "acknowledged"  # type: ignore[union-attr]
    assert await skips(hass) == [
        "Ann: a voicemail or machine answered",
        "Ben: did not answer",
    ]


async def test_the_alert_calls_the_list_again_in_rounds(
    hass: HomeAssistant,
    announcing: MockConfigEntry,
    sandbox: SandboxServer,
) -> None:
    """Nobody confirms: answered without the key, each round; two rounds."""
    await use_blueprint(
        hass,
        ALERT_UNTIL_CONFIRMED,
        contacts=["notify.ann_announce", "notify.ben_announce"],
        message="Smoke in the hall.",
        rounds=2,
        pause=0,
        cooldown=0,
    )
    sandbox.sandbox.announce_outcome = "no_digit"
    await ring(hass)
    await in_real_time(lambda: not running(hass), steps=500)

    assert not running(hass)
    assert announced(sandbox) == ["+14155550111", "+14155550112"] * 2
    assert (
        await skips(hass)
        == [
            "Ann: answered, but did not press 1",
            "Ben: answered, but did not press 1",
        ]
        * 2
    )


async def test_call_until_answered_moves_on_from_a_voicemail_that_connected(
    hass: HomeAssistant,
    announcing: MockConfigEntry,
    sandbox: SandboxServer,
) -> None:
    """Twilio: Ann's call connects and a machine is detected on her side, so
    the next contact is called; Ben's connects, no machine is detected in
    40 s, and that is an answer."""
    await use_blueprint(
        hass, CALL_UNTIL_ANSWERED, contacts=["Ann", "Ben", "Cat"], cooldown=0
    )
    sandbox.sandbox.ending = "voicemail"

    @callback
    def then_a_person(event: Event) -> None:
        if event.data["status"] == "voicemail":
            sandbox.sandbox.ending = "completed"

    hass.bus.async_listen(EVENT_CALL_UPDATED, then_a_person)
    ben = "sensor.ben_last_call_status"
    await ring(hass)
    await in_real_time(lambda: hass.states.get(ben).state == "completed")  # type: ignore[union-attr]

    assert bridged_to(sandbox) == ["+14155550111", "+14155550112"]
    assert hass.states.get("sensor.ann_last_call_status").state == "voicemail"  # type: ignore[union-attr]
    assert running(hass) == 1  # Ben's call: a machine may still be told
    # 41 s on (not with the freezer: it would stop the sandbox's real time).
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=41))
    await settle(hass, until=lambda: not running(hass))
    assert bridged_to(sandbox) == ["+14155550111", "+14155550112"]


async def test_call_until_answered_catches_a_machine_told_right_after_the_answer(
    hass: HomeAssistant,
    announcing: MockConfigEntry,
    sandbox: SandboxServer,
) -> None:
    """Twilio may tell the machine in the same moment as the answer: the
    report is applied before the automation's run wakes from its wait for an
    answer, and Ann is still not taken as answered."""
    await use_blueprint(hass, CALL_UNTIL_ANSWERED, contacts=["Ann", "Ben"], cooldown=0)

    @callback
    def machine_next(event: Event) -> None:
        if (event.data["contact"], event.data["status"]) == ("Ann", "connected"):
            # Queued before the automation's run wakes from its first wait.
            hass.loop.call_soon(
                announcing.runtime_data.async_apply,
                CallUpdate(
                    CallStatus.VOICEMAIL,
                    call_id=event.data["call_id"],
                    answered_by=AnsweredBy.MACHINE,
                ),
            )

    hass.bus.async_listen(EVENT_CALL_UPDATED, machine_next)
    await ring(hass)
    await in_real_time(lambda: len(bridged_to(sandbox)) == 2)

    assert hass.states.get("sensor.ann_last_call_status").state == "voicemail"  # type: ignore[union-attr]
    assert bridged_to(sandbox) == ["+14155550111", "+14155550112"]
