"""Outcomes you can trust: no report lost, misread or forged, no status that lies.

Each test here failed before its fix (the issue "Outcomes you can trust");
its docstring says which case it is.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import json
import logging
import re
import time
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.click_to_call.calls import CallRecord, CallTracker
from custom_components.click_to_call.const import (
    CONF_REPEAT_INTERVAL,
    DOMAIN,
    EVENT_CALL_UPDATED,
    MAX_FINISHED_KEPT,
)
from custom_components.click_to_call.inbox import Inbox
from custom_components.click_to_call.providers.models import CallStatus
from custom_components.click_to_call.providers.twilio import signature
from sandbox import Canned, samples
from tests.conftest import (
    EntryFactory,
    SandboxServer,
    dial,
    serve_webhooks,
    spokn_data,
    telecmi_data,
    twilio_data,
    wait_for_request,
)
from tests.providers.test_telecmi_webhooks import INDIA_CDR_MISSED
from tests.test_contacts import add_contact

pytestmark = pytest.mark.usefixtures("integration")

TWILIO = "sensor.twilio_test_last_call_status"
TELECMI = "sensor.telecmi_test_last_call_status"
TWILIO_HOOK = "/api/webhook/twilio-webhook"
TELECMI_HOOK = "/api/webhook/telecmi-webhook"
USER = "101_1111112"
TO, TO_DIGITS = "98765 43210", "919876543210"
B = "+14155550102"
NO_GUARD = {CONF_REPEAT_INTERVAL: 0}


def state(hass: HomeAssistant, entity_id: str) -> Any:
    current = hass.states.get(entity_id)
    assert current is not None
    return current


@pytest.fixture
async def twilio(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> tuple[MockConfigEntry, TestClient]:
    entry = await setup_entry(twilio_data(sandbox), NO_GUARD)
    return entry, await serve_webhooks(hass, hass_client_no_auth)


@pytest.fixture
async def telecmi(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> TestClient:
    await setup_entry(telecmi_data(sandbox), NO_GUARD)
    return await hass_client_no_auth()


async def twilio_report(
    hass: HomeAssistant,
    home: TestClient,
    call_id: str,
    leg: str,
    fields: dict[str, str],
    signed_for: str | None = None,
) -> None:
    """Post a status callback signed as Twilio signs it (for the URL it used)."""
    query = urlencode({"call": call_id, "leg": leg})
    url = f"{signed_for or hass.config.internal_url}{TWILIO_HOOK}?{query}"
    answer = await home.post(
        f"{TWILIO_HOOK}?{query}",
        data=fields,
        headers={
            "X-Twilio-Signature": signature(
                "demo-auth-token", url, list(fields.items())
            )
        },
    )
    assert answer.status == 200
    await hass.async_block_till_done()


def telecmi_record(sample: str, **changes: Any) -> dict[str, Any]:
    """The older format's sample as TeleCMI would send it now, for our user
    and the number dialled."""
    record: dict[str, Any] = json.loads(sample)
    now = {"user": USER, "time": int(time.time() * 1000), "to": int(TO_DIGITS)}
    return record | now | changes


async def deliver(hass: HomeAssistant, home: TestClient, body: dict[str, Any]) -> None:
    answer = await home.post(TELECMI_HOOK, json=body)
    assert answer.status == 200
    await hass.async_block_till_done()


# 2. TeleCMI's older format moves another user's call.


async def test_another_telecmi_users_record_changes_nothing(
    hass: HomeAssistant, telecmi: TestClient
) -> None:
    """TeleCMI posts every user of an app to one webhook: a record of another
    extension of the same app, to the same number, is not about our call."""
    await dial(hass, to=TO)
    events = async_capture_events(hass, EVENT_CALL_UPDATED)

    other = telecmi_record(samples.TELECMI_INDIA_CDR, user="102_1111112")
    await deliver(hass, telecmi, other)
    assert state(hass, TELECMI).state == "initiated"
    assert events == []

    await deliver(hass, telecmi, telecmi_record(samples.TELECMI_INDIA_CDR))
    assert state(hass, TELECMI).state == "completed"


# 3. A TeleCMI record delivered twice ends the next call.


async def test_a_record_delivered_again_does_not_end_the_next_call(
    hass: HomeAssistant, telecmi: TestClient
) -> None:
    """The same record (same cmiuuid, its time before call 2) delivered again
    after call 2 to the same number was placed."""
    first = await dial(hass, to=TO)
    record = telecmi_record(samples.TELECMI_INDIA_CDR)
    await deliver(hass, telecmi, record)
    await asyncio.sleep(0.01)
    second = await dial(hass, to=TO)
    events = async_capture_events(hass, EVENT_CALL_UPDATED)

    await deliver(hass, telecmi, record)  # TeleCMI retries its records

    assert state(hass, TELECMI).attributes["call_id"] == second["call_id"]
    assert state(hass, TELECMI).state == "initiated"
    assert events == []
    assert first["call_id"] != second["call_id"]


async def test_a_record_applied_once_is_not_applied_again_even_later(
    hass: HomeAssistant, telecmi: TestClient
) -> None:
    """A record whose cmiuuid was applied is never applied again, whatever
    its time says."""
    await dial(hass, to=TO)
    missed = telecmi_record(INDIA_CDR_MISSED)
    await deliver(hass, telecmi, missed)
    await dial(hass, to=TO)

    await deliver(hass, telecmi, missed | {"time": int(time.time() * 1000) + 60_000})

    assert state(hass, TELECMI).state == "initiated"


async def test_a_record_older_than_the_call_is_not_about_it(
    hass: HomeAssistant, telecmi: TestClient
) -> None:
    await dial(hass, to=TO)
    old = telecmi_record(
        samples.TELECMI_INDIA_CDR,
        cmiuuid="never-seen",
        time=int((time.time() - 600) * 1000),
    )
    await deliver(hass, telecmi, old)
    assert state(hass, TELECMI).state == "initiated"


# 4. Reports lost while an account sets up again.


@pytest.mark.setup_probes
async def test_a_report_during_a_slow_set_up_check_is_applied(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    twilio: tuple[MockConfigEntry, TestClient],
) -> None:
    """A signed `completed` arriving while the reload's probe takes 0.5 s."""
    entry, home = twilio
    call = await dial(hass, to=B)
    account = json.dumps({"status": "active", "type": "Full"})
    sandbox.sandbox.queue("twilio", Canned(200, account, delay=0.5))
    before = len(sandbox.sandbox.received("twilio"))
    reload = hass.async_create_task(hass.config_entries.async_reload(entry.entry_id))
    for _ in range(100):
        if len(sandbox.sandbox.received("twilio")) > before:
            break
        await asyncio.sleep(0.01)
    assert entry.state is ConfigEntryState.SETUP_IN_PROGRESS

    await twilio_report(
        hass,
        home,
        call["call_id"],
        "b",
        {"CallStatus": "completed", "CallDuration": "7"},
    )
    assert await reload

    assert state(hass, TWILIO).state == "completed"
    assert hass.states.get("sensor.twilio_test_last_call_duration").state == "7"  # type: ignore[union-attr]


async def test_a_report_while_set_up_waits_for_the_provider_is_applied(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    twilio: tuple[MockConfigEntry, TestClient],
) -> None:
    """The probe gets a 503: the entry waits in SETUP_RETRY, and a signed
    `completed` that comes meanwhile is held until it loads."""
    entry, home = twilio
    call = await dial(hass, to=B)
    sandbox.sandbox.queue("twilio", Canned(503, "down"))
    await hass.config_entries.async_reload(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY

    await twilio_report(
        hass,
        home,
        call["call_id"],
        "b",
        {"CallStatus": "completed", "CallDuration": "3"},
    )
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    assert state(hass, TWILIO).state == "completed"


async def test_held_reports_are_kept_over_a_restart(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    sandbox: SandboxServer,
    twilio: tuple[MockConfigEntry, TestClient],
) -> None:
    entry, home = twilio
    call = await dial(hass, to=B)
    sandbox.sandbox.queue("twilio", Canned(503, "down"))
    await hass.config_entries.async_reload(entry.entry_id)
    await twilio_report(hass, home, call["call_id"], "b", {"CallStatus": "busy"})
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=2))
    await hass.async_block_till_done()

    assert entry.entry_id in hass_storage["click_to_call.held_reports"]["data"]
    restarted = Inbox(hass)
    await restarted.async_load()
    [held] = restarted.async_take(entry.entry_id)
    assert held.query["call"] == call["call_id"]
    assert held.headers["X-Twilio-Signature"]
    assert dict(parse_qsl(held.body.decode())) == {"CallStatus": "busy"}


async def test_a_held_report_with_a_wrong_key_is_not_kept(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from tests.conftest import exotel_data

    caplog.set_level(logging.DEBUG, logger="custom_components.click_to_call")
    entry = await setup_entry(exotel_data(sandbox))
    home = await hass_client_no_auth()
    assert await hass.config_entries.async_unload(entry.entry_id)
    await home.post("/api/webhook/exotel-webhook?key=wrong", json={"CallSid": "x"})
    await hass.async_block_till_done()
    assert "no or wrong key" in caplog.text
    runtime = hass.data[DOMAIN]
    assert runtime.inbox.async_take(entry.entry_id) == []


# 5. A dial whose answer was lost is recorded as final.


async def test_a_lost_answer_is_unconfirmed_and_later_reports_apply(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    twilio: tuple[MockConfigEntry, TestClient],
) -> None:
    _, home = twilio
    sandbox.sandbox.queue("twilio", Canned(201, "", disconnect=True))

    response = await dial(hass, to=B)

    assert response["status"] == "unconfirmed"
    status = state(hass, TWILIO)
    assert (status.state, status.attributes["reason"]) == ("unconfirmed", "answer_lost")
    assert len(sandbox.sandbox.received("twilio")) == 1  # never sent again

    await twilio_report(
        hass, home, response["call_id"], "b", {"CallStatus": "in-progress"}
    )
    assert state(hass, TWILIO).state == "connected"
    assert state(hass, TWILIO).attributes["reason"] is None
    await twilio_report(
        hass,
        home,
        response["call_id"],
        "b",
        {"CallStatus": "completed", "CallDuration": "5"},
    )
    assert state(hass, TWILIO).state == "completed"


async def test_an_unconfirmed_call_fails_only_once_its_time_is_up(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    twilio: tuple[MockConfigEntry, TestClient],
    freezer: FrozenDateTimeFactory,
) -> None:
    sandbox.sandbox.queue("twilio", Canned(201, "", disconnect=True))
    await dial(hass, to=B, max_duration=60)

    freezer.tick(timedelta(seconds=150))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert state(hass, TWILIO).state == "unconfirmed"

    freezer.tick(timedelta(seconds=60))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    status = state(hass, TWILIO)
    assert (status.state, status.attributes["reason"]) == ("failed", "no_report")
    assert status.attributes["error"].startswith("the connection dropped")


async def test_an_unconfirmed_call_with_a_report_is_not_failed_later(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    twilio: tuple[MockConfigEntry, TestClient],
    freezer: FrozenDateTimeFactory,
) -> None:
    _, home = twilio
    sandbox.sandbox.queue("twilio", Canned(201, "", disconnect=True))
    response = await dial(hass, to=B, max_duration=60)
    await twilio_report(hass, home, response["call_id"], "a", {"CallStatus": "ringing"})
    assert state(hass, TWILIO).state == "initiated"

    freezer.tick(timedelta(minutes=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert state(hass, TWILIO).state == "initiated"


async def test_a_dial_cancelled_while_waiting_is_unconfirmed_and_counted(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
) -> None:
    """Whoever asked stopped waiting (an automation's timeout): the request
    may have left, so the call is recorded, and the guard counts it."""
    await setup_entry(telecmi_data(sandbox), {"max_calls_per_hour": 1})
    sandbox.sandbox.queue("telecmi", Canned(200, samples.TELECMI_SUCCESS, delay=2))
    task = hass.async_create_task(dial(hass, to="98765 43210"))
    await wait_for_request(sandbox, "telecmi")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert state(hass, TELECMI).state == "unconfirmed"
    with pytest.raises(Exception, match="Call guard"):
        await dial(hass, to="91234 56789")


# 6. Voice after that same drop.


async def test_voice_says_the_call_may_have_been_placed(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    from homeassistant.helpers import llm

    from tests.test_voice import MOM, assist as _assist, our_tool, result_data, say

    del _assist
    from homeassistant.setup import async_setup_component

    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    entry = await setup_entry(telecmi_data(sandbox), NO_GUARD)
    await add_contact(hass, entry, MOM)

    sandbox.sandbox.queue("telecmi", Canned(200, "", disconnect=True))
    answer = await say(hass, "call Mom")
    assert answer == (
        "I may have called Mom: TeleCMI did not confirm the call. "
        "I will not place it again now."
    )
    assert "did not call" not in answer

    sandbox.sandbox.queue("telecmi", Canned(200, "", disconnect=True))
    api, tool = await our_tool(hass)
    result = await api.async_call_tool(
        llm.ToolInput(tool_name=tool.name, tool_args={"contact": "Mom"})
    )
    data = result_data(result)
    answer_data = data.get("speech_slots", data)
    assert answer_data["status"] == "unconfirmed"
    assert "error" not in data
    assert len(sandbox.sandbox.received("telecmi")) == 2


# 8. A report that overtakes the dial's own answer is dropped.


async def test_a_report_that_beats_the_dials_answer_is_applied(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    twilio: tuple[MockConfigEntry, TestClient],
) -> None:
    """Twilio's signed `busy` for leg A arrives before Calls.json's 201."""
    _, home = twilio
    sandbox.sandbox.queue("twilio", Canned(201, samples.TWILIO_CALL_ANSWER, delay=0.5))
    events = async_capture_events(hass, EVENT_CALL_UPDATED)
    pending = hass.async_create_task(dial(hass, to=B))
    await wait_for_request(sandbox, "twilio")
    [sent] = sandbox.sandbox.received("twilio")
    callback = parse_qs(sent.body.decode())["StatusCallback"][0]
    call_id = parse_qs(urlsplit(callback).query)["call"][0]

    await twilio_report(hass, home, call_id, "a", {"CallStatus": "busy"})
    response = await pending
    await hass.async_block_till_done()

    assert response["call_id"] == call_id
    assert response["status"] == "busy"
    assert [event.data["status"] for event in events] == ["initiated", "busy"]
    assert state(hass, TWILIO).state == "busy"


# 9. The webhook id reaches non-admin users.


async def test_the_webhook_id_is_in_no_log_line_attribute_or_repair(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Repairs, log lines at INFO or above and entity attributes are open to
    any user; with the id, one could forge reports. A whole life: calls,
    reports, a reload, a report while reloading, and both repairs."""
    caplog.set_level(logging.DEBUG)
    await hass.config.async_update(external_url="https://home.example.com")
    entry = await setup_entry(telecmi_data(sandbox), NO_GUARD)
    home = await hass_client_no_auth()
    calls = [(await dial(hass, to=f"98765 4321{n}"))["call_id"] for n in range(3)]
    await deliver(hass, home, {"call_id": calls[0], "status": "connected"})
    assert await hass.config_entries.async_unload(entry.entry_id)
    await deliver(hass, home, {"call_id": calls[0], "status": "completed"})
    await home.post(TELECMI_HOOK, data=b"\xff")
    assert await hass.config_entries.async_setup(entry.entry_id)
    for n in range(3):
        await dial(hass, to=f"91234 5678{n}")
    freezer.tick(timedelta(hours=2))
    async_fire_time_changed(hass)
    await hass.config.async_update(external_url=None)
    await hass.async_block_till_done()

    webhook_id = entry.data["webhook_id"]
    issues = [
        found
        for (domain, _), found in ir.async_get(hass).issues.items()
        if domain == DOMAIN
    ]
    assert {found.translation_key for found in issues} == {
        "calls_stay_open_telecmi",
        "no_callback_url",
    }
    for found in issues:
        assert webhook_id not in json.dumps(found.translation_placeholders)
    for entity_state in hass.states.async_all():
        assert webhook_id not in json.dumps(dict(entity_state.attributes), default=str)
    loud = [
        record
        for record in caplog.records
        if record.levelno >= logging.INFO
        and record.name.startswith(("custom_components", "homeassistant"))
    ]
    assert all(webhook_id not in record.getMessage() for record in loud)
    assert state(hass, TELECMI).state == "initiated"  # the three calls since


# 10. Spokn: a national number is sent as a Spokn ID.


async def test_spokn_takes_a_home_number_as_a_number_and_other_digits_as_an_id(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    await setup_entry(spokn_data(sandbox), NO_GUARD)

    await dial(hass, to="9876543210")
    await dial(hass, to="1234567")

    sent = [
        parse_qs(item.body.decode())["bparty"]
        for item in sandbox.sandbox.received("spokn")
    ]
    assert sent == [["+919876543210"], ["1234567"]]


@pytest.mark.parametrize(
    ("to", "said"),
    [
        ("1234567", "sent as the Spokn ID 1234567"),
        ("9876543210", "sent as the phone number +919876543210"),
    ],
)
async def test_spokn_errors_say_how_the_party_was_taken(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    to: str,
    said: str,
) -> None:
    await setup_entry(spokn_data(sandbox), NO_GUARD)
    refusal = (
        '<?xml version="1.0"?><spokn><c2c version="1.0"><code>104</code>'
        "<desc>bad bparty number</desc></c2c></spokn>"
    )
    sandbox.sandbox.queue("spokn", Canned(200, refusal, "text/xml"))
    with pytest.raises(Exception, match=re.escape(said)):
        await dial(hass, to=to)


# Found while trying it.


async def test_cloud_coming_up_is_learned_at_once(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    """Remote access fires no configuration event: its connection signal."""
    entry = await setup_entry(twilio_data(sandbox))
    assert ir.async_get(hass).async_get_issue(
        DOMAIN, f"no_callback_url_{entry.entry_id}"
    )

    hass.config.external_url = "https://remote.example.com"  # no event
    async_dispatcher_send(hass, "CLOUD_CONNECTION_STATE", "cloud_connected")
    await hass.async_block_till_done()

    assert not ir.async_get(hass).async_get_issue(
        DOMAIN, f"no_callback_url_{entry.entry_id}"
    )
    assert entry.runtime_data.webhook_url.startswith("https://remote.example.com/")


async def test_a_dial_finds_an_address_that_came_without_notice(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Looked for again at a dial, at most every few seconds (it costs)."""
    await setup_entry(twilio_data(sandbox))
    hass.config.external_url = "https://remote.example.com"  # no event, no signal
    freezer.tick(timedelta(seconds=6))

    await dial(hass, to=B)

    [sent] = sandbox.sandbox.received("twilio")
    callback = parse_qs(sent.body.decode())["StatusCallback"][0]
    assert callback.startswith("https://remote.example.com/api/webhook/twilio-webhook?")


async def test_a_call_keeps_the_address_it_was_placed_with(
    hass: HomeAssistant, twilio: tuple[MockConfigEntry, TestClient]
) -> None:
    """Twilio signs the URL it was given with the call: a later change of
    Home Assistant's address must not make its reports look forged."""
    _, home = twilio
    placed_with = hass.config.internal_url
    response = await dial(hass, to=B)
    await hass.config.async_update(internal_url="http://192.0.2.9:8123")
    await hass.async_block_till_done()

    await twilio_report(
        hass, home, response["call_id"], "b", {"CallStatus": "in-progress"}, placed_with
    )

    assert state(hass, TWILIO).state == "connected"


async def test_calls_open_past_their_end_at_start_up_say_so(
    hass: HomeAssistant,
    twilio: tuple[MockConfigEntry, TestClient],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Home Assistant was down when the call's reports came: after a restart
    the call says its outcome is unknown, with a translated reason."""
    entry, _ = twilio
    await dial(hass, to=B, max_duration=60)
    assert await hass.config_entries.async_unload(entry.entry_id)
    freezer.tick(timedelta(minutes=10))

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    status = state(hass, TWILIO)
    assert (status.state, status.attributes["reason"]) == ("initiated", "no_report")


async def test_a_contacts_last_call_outlives_the_history(hass: HomeAssistant) -> None:
    """A contact's sensor went unknown once its last call left the history
    of the last 100 calls."""

    def record(call_id: str, contact_id: str | None = None) -> CallRecord:
        return CallRecord(
            call_id=call_id,
            provider="telecmi",
            to="+919876543210",
            from_=None,
            reference=None,
            status=CallStatus.COMPLETED,
            created=time.time(),
            contact_id=contact_id,
        )

    tracker = CallTracker(hass, "entry", [record("mom", "mom-id")], lambda: None)
    for number in range(MAX_FINISHED_KEPT + 5):
        tracker.async_add(record(f"other-{number:03}"))

    mom = tracker.latest_for("mom-id")
    assert mom is not None
    assert mom.call_id == "mom"
    assert tracker.get("other-000") is None


async def test_aliases_are_bounded_and_invisible_differences_are_one_name(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    entry = await setup_entry(telecmi_data(sandbox))
    await add_contact(hass, entry, {"name": "Mom", "number": "98765 43210"})

    many = await add_contact(
        hass,
        entry,
        {
            "name": "Dad",
            "number": "91234 56789",
            "aliases": [f"a{n}" for n in range(11)],
        },
    )
    assert many["errors"] == {"aliases": "too_many_aliases"}
    long_alias = await add_contact(
        hass, entry, {"name": "Dad", "number": "91234 56789", "aliases": ["x" * 65]}
    )
    assert long_alias["errors"] == {"aliases": "invalid_alias"}
    for same in ("M\u200bom", "\uff2d\uff4f\uff4d", "MOM\u2060"):
        taken = await add_contact(hass, entry, {"name": same, "number": "91234 56789"})
        assert taken["errors"] == {"name": "name_taken"}

    # A contact stored with more (an older version): only 10 are used.
    subentry = next(iter(entry.subentries.values()))
    hass.config_entries.async_update_subentry(
        entry,
        subentry,
        data={**subentry.data, "aliases": [f"alias {n}" for n in range(50)]},
    )
    await hass.async_block_till_done()
    [contact] = entry.runtime_data.contacts.values()
    assert len(contact.aliases) == 10


def a_call(call_id: str, created: float, **changes: Any) -> CallRecord:
    return CallRecord(
        call_id=call_id,
        provider="telecmi",
        to="+919876543210",
        from_=None,
        reference=None,
        status=CallStatus.INITIATED,
        created=created,
        **changes,
    )


async def test_a_report_older_than_its_call_is_refused_by_any_link(
    hass: HomeAssistant,
) -> None:
    """Matched by request_id, by our id or by number: never before the call."""
    from custom_components.click_to_call.providers.models import CallUpdate

    now = time.time()
    tracker = CallTracker(
        hass, "entry", [a_call("c1", now, provider_call_id="r1")], lambda: None
    )
    old = now - 60
    for update in (
        CallUpdate(CallStatus.COMPLETED, provider_call_id="r1", reported_at=old),
        CallUpdate(CallStatus.COMPLETED, call_id="c1", reported_at=old),
        CallUpdate(CallStatus.COMPLETED, to="919876543210", reported_at=old),
    ):
        assert tracker.async_apply(update) is None
    assert tracker.ignored in (
        "it is older than the call",
        "it is about no call placed from here",
    )
    # A provider's clock a second behind ours is not "older".
    assert tracker.async_apply(
        CallUpdate(CallStatus.CONNECTED, call_id="c1", reported_at=now - 1)
    )


async def test_an_unloading_tracker_takes_no_report(hass: HomeAssistant) -> None:
    from custom_components.click_to_call.providers.models import CallUpdate

    tracker = CallTracker(hass, "entry", [a_call("c1", time.time())], lambda: None)
    tracker.async_close()
    assert tracker.async_apply(CallUpdate(CallStatus.COMPLETED, call_id="c1")) is None
    assert tracker.ignored == "the account is unloading"


async def test_a_report_names_our_call_but_another_provider_call(
    hass: HomeAssistant,
) -> None:
    from custom_components.click_to_call.providers.models import CallUpdate

    tracker = CallTracker(
        hass, "entry", [a_call("c1", time.time(), provider_call_id="p1")], lambda: None
    )
    update = CallUpdate(CallStatus.COMPLETED, call_id="c1", provider_call_id="p2")
    assert tracker.async_apply(update) is None
    assert tracker.get("c1").status is CallStatus.INITIATED  # type: ignore[union-attr]
