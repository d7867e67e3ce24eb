"""Never twice, never lost: hard inputs and faults, through real Home Assistant.

Each test here failed before its fix; the module docstring of each group says
which defect it covers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
import json
import logging
from typing import Any

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.json import json_bytes
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.click_to_call.const import (
    CONF_MAX_CALLS_PER_HOUR,
    CONF_REPEAT_INTERVAL,
    DOMAIN,
    EVENT_CALL_UPDATED,
)
from custom_components.click_to_call.providers import ameyo, telspiel
from sandbox import Canned, samples, voice_panel as sandbox_voice_panel
from tests.conftest import (
    EntryFactory,
    SandboxServer,
    ameyo_data,
    dial,
    spokn_data,
    telecmi_data,
    telspiel_data,
    voice_panel_data,
)
from tests.test_config_flow import form_input, start

pytestmark = pytest.mark.usefixtures("integration")

# Several tests below run many hypothesis examples on one Home Assistant.
ON_ONE_HASS = settings(
    max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
NO_GUARD = {CONF_MAX_CALLS_PER_HOUR: 0, CONF_REPEAT_INTERVAL: 0}
TELECMI_STATUS = "sensor.telecmi_test_last_call_status"
TELECMI_EVENT = "event.telecmi_test_call"


@pytest.fixture
async def web(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator
) -> TestClient:
    """A client of Home Assistant's own web server (for webhooks).

    Notify is set up first: the test client freezes the web server's routes,
    which Home Assistant itself never does, and notify's repairs adds some.
    """
    assert await async_setup_component(hass, "webhook", {})
    assert await async_setup_component(hass, "notify", {})
    return await hass_client_no_auth()


def status_of(hass: HomeAssistant, entity_id: str) -> Any:
    state = hass.states.get(entity_id)
    assert state is not None
    return state


# 1. Voice panel: one dial, two requests.


def dial_requests(sandbox: SandboxServer) -> int:
    return sum(
        item.path == sandbox_voice_panel.DIAL_PATH
        for item in sandbox.sandbox.received("voice_panel")
    )


@pytest.mark.parametrize("connection", ["new", "reused"])
async def test_voice_panel_dial_is_sent_once_when_the_connection_drops(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    connection: str,
) -> None:
    """aiohttp resends an idempotent GET when its connection fails: not ours.

    The call may be ringing: it is `unconfirmed`, not an error.
    """
    await setup_entry(voice_panel_data(sandbox), NO_GUARD)
    if connection == "reused":
        await dial(hass)  # leaves a kept-alive connection to the panel
    before = dial_requests(sandbox)
    sandbox.sandbox.queue("voice_panel", Canned(200, "", disconnect=True))

    response = await dial(hass, to="91234 56789")

    assert dial_requests(sandbox) == before + 1
    assert response["status"] == "unconfirmed"
    state = status_of(hass, "sensor.voice_panel_test_last_call_status")
    assert (state.state, state.attributes["reason"]) == ("unconfirmed", "answer_lost")


# 2. The call guard forgets.


async def test_guard_counts_dials_still_in_flight_across_a_reload(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    """10 slow dials, a reload, then 50 more: the hour allows 10, not 20."""
    entry = await setup_entry(
        telspiel_data(sandbox), {CONF_MAX_CALLS_PER_HOUR: 10, CONF_REPEAT_INTERVAL: 0}
    )
    sandbox.sandbox.queue(
        "telspiel", *[Canned(200, samples.TELSPIEL_SUCCESS, delay=0.3)] * 10
    )
    slow = [hass.async_create_task(dial(hass)) for _ in range(10)]
    for _ in range(100):
        if len(sandbox.sandbox.received("telspiel")) == 10:
            break
        await asyncio.sleep(0.01)

    assert await hass.config_entries.async_reload(entry.entry_id)
    refused = 0
    for _ in range(50):
        with pytest.raises(ServiceValidationError):
            await dial(hass)
        refused += 1
    await asyncio.gather(*slow)

    assert refused == 50
    assert len(sandbox.sandbox.received("telspiel")) == 10


@pytest.mark.parametrize("how", ["reload", "restart"])
async def test_guard_counts_more_calls_than_the_history_keeps(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    how: str,
) -> None:
    """A limit of 150 an hour holds although only 100 finished calls are kept."""
    entry = await setup_entry(
        telspiel_data(sandbox), {CONF_MAX_CALLS_PER_HOUR: 150, CONF_REPEAT_INTERVAL: 0}
    )
    # Every call fails at the provider: sent, counted, and finished at once.
    sandbox.sandbox.queue("telspiel", *[Canned(503, "busy")] * 120)
    refused = 0
    for number in range(200):
        if number == 120:
            if how == "reload":
                assert await hass.config_entries.async_reload(entry.entry_id)
            else:  # what a restart does: the calls file is read again
                assert await hass.config_entries.async_unload(entry.entry_id)
                assert await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done()
            # Queued after the set-up, whose credential check must succeed.
            sandbox.sandbox.queue("telspiel", *[Canned(503, "busy")] * 80)
        try:
            await dial(hass)
        except ServiceValidationError:
            refused += 1
        except HomeAssistantError:
            pass  # the provider's 503

    assert len(sandbox.sandbox.received("telspiel")) == 150
    assert refused == 50


# 3. A lone surrogate in text from outside.

WITH_SURROGATE = st.tuples(
    st.text(max_size=8),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
    st.text(max_size=8),
).map("".join)


@ON_ONE_HASS
@given(error=WITH_SURROGATE)
async def test_surrogates_in_a_callback_are_made_safe(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    web: TestClient,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    error: str,
) -> None:
    """The state stays serialisable and the calls file can still be written."""
    entries = hass.config_entries.async_entries(DOMAIN)
    entry = (
        entries[0] if entries else await setup_entry(telecmi_data(sandbox), NO_GUARD)
    )
    call = await dial(hass)

    answer = await web.post(
        "/api/webhook/telecmi-webhook",
        data=json.dumps(
            {"call_id": call["call_id"], "status": "failed", "error": error}
        ),
    )
    assert answer.status == 200
    await hass.async_block_till_done()

    state = status_of(hass, TELECMI_STATUS)
    assert state.state == "failed"
    json_bytes(state.as_dict())  # what the frontend, recorder and restore do
    assert "\ufffd" in state.attributes["error"]
    freezer.tick(timedelta(seconds=10))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    stored = hass_storage[f"{DOMAIN}.calls.{entry.entry_id}"]["data"]["calls"]
    assert stored[-1]["call_id"] == call["call_id"]
    assert stored[-1]["status"] == "failed"


@ON_ONE_HASS
@given(message=WITH_SURROGATE)
async def test_surrogates_in_a_provider_answer_are_made_safe(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    message: str,
) -> None:
    """A refusal carrying a lone surrogate is still a clear, recorded error."""
    if not hass.config_entries.async_entries(DOMAIN):
        await setup_entry(telspiel_data(sandbox), NO_GUARD)
    body = json.dumps(
        {"code": 422, "errors": json.dumps({"customer_phone": [message]})}
    )
    sandbox.sandbox.queue("telspiel", Canned(422, body))

    with pytest.raises(HomeAssistantError) as raised:
        await dial(hass)

    json_bytes({"message": str(raised.value)})
    state = status_of(hass, "sensor.telspiel_test_last_call_status")
    assert state.state == "rejected"
    json_bytes(state.as_dict())


async def test_spokn_answer_in_utf7_with_a_surrogate(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    """UTF-7 can spell a lone surrogate (+2AA-): the XML parser must not see it."""
    await setup_entry(spokn_data(sandbox))
    answer = samples.SPOKN_SUCCESS.replace("<code>200</code>", "<code>108</code>")
    answer = answer.replace("Request Successful", "No credit +2AA-")
    sandbox.sandbox.queue(
        "spokn", Canned(200, answer, content_type="text/xml", charset="utf-7")
    )

    with pytest.raises(HomeAssistantError) as raised:
        await dial(hass)

    assert raised.value.translation_key == "provider_insufficient_credit"
    json_bytes({"message": str(raised.value)})


# 4. Exceptions other than the provider errors.


@pytest.mark.parametrize("charset", ["idna", "utf-7", "punycode", "base64", "uu"])
async def test_odd_charsets_end_as_provider_errors_or_answers(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    charset: str,
) -> None:
    await setup_entry(telspiel_data(sandbox), NO_GUARD)
    sandbox.sandbox.queue(
        "telspiel", Canned(200, samples.TELSPIEL_SUCCESS, charset=charset)
    )
    try:
        response = await dial(hass)
    except HomeAssistantError as err:
        assert err.translation_key is not None
    else:
        assert response["status"] == "initiated"


CONTROL = st.characters(categories=["Cc"])
WITH_CONTROL = st.tuples(
    st.text("abc123", max_size=5), CONTROL, st.text(max_size=5)
).map("".join)


@pytest.mark.parametrize(
    ("provider", "data", "field"),
    [
        ("telspiel", telspiel_data, "api_key"),
        ("telspiel", telspiel_data, "username"),
        ("ameyo", ameyo_data, "hash_key"),
        ("ameyo", ameyo_data, "requesting_host"),
        ("ameyo", ameyo_data, "policy_name"),
        ("voice_panel", voice_panel_data, "pin"),
        ("spokn", spokn_data, "password"),
        ("telecmi", telecmi_data, "secret"),
    ],
)
@ON_ONE_HASS
@given(value=WITH_CONTROL)
async def test_a_setting_with_a_control_character_is_a_form_error(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    provider: str,
    data: Any,
    field: str,
    value: str,
) -> None:
    """A line break in a key would break the request's headers: say so on the field."""
    result = await start(hass, provider)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form_input(data(sandbox, **{field: value}))
    )
    assert result["errors"] == {field: "invalid_characters"}
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_a_stored_key_with_a_line_break_is_a_clear_error(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    """An entry saved before the form checked it: the dial says what is wrong.

    Nothing is sent (the header would be broken), and Ameyo's background wait
    is never started with the call left open. (Ameyo's set-up cannot check the
    key; the other providers refuse it at set-up, see test_setup_checks.)
    """
    field, name = "hash_key", "ameyo_test"
    await setup_entry(ameyo_data(sandbox, **{field: "demo\r\nX-Injected: 1"}))

    with pytest.raises(ServiceValidationError) as raised:
        await dial(hass)

    assert raised.value.translation_key == "provider_invalid_setting"
    assert field in str(raised.value)
    assert status_of(hass, f"sensor.{name}_last_call_status").state == "unknown"
    assert status_of(hass, f"event.{name}_call").attributes["event_type"] == "rejected"
    assert not sandbox.sandbox.requests


async def test_a_background_task_that_fails_ends_its_call(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An error nobody foresaw, in Ameyo's wait, ends the call `failed`."""

    def broken(answer: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(ameyo, "parse_outcome", broken)
    sandbox.sandbox.ameyo_delay = 0
    await setup_entry(ameyo_data(sandbox))
    await dial(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    state = status_of(hass, "sensor.ameyo_test_last_call_status")
    assert state.state == "failed"
    assert "unexpected error" in state.attributes["error"]
    assert "a bug" in caplog.text


# 5. Webhook vs unload.


async def test_a_callback_still_arriving_when_the_entry_unloads(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    web: TestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = await setup_entry(telecmi_data(sandbox))
    call = await dial(hass)
    unloaded = asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        yield b'{"call_id": "'
        await unloaded.wait()
        yield call["call_id"].encode() + b'", "status": "completed"}'

    posting = asyncio.ensure_future(
        web.post("/api/webhook/telecmi-webhook", data=slow_body())
    )
    await asyncio.sleep(0.1)  # the handler is reading the body
    assert await hass.config_entries.async_unload(entry.entry_id)
    unloaded.set()
    answer = await posting

    assert answer.status == 200
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert entry.state is ConfigEntryState.NOT_LOADED


# Refused attempts keep the sensors on the last call sent.


async def test_refused_attempts_leave_the_sensors_on_the_last_call(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    web: TestClient,
) -> None:
    """Double-tap: the second tap is refused; the first call stays on show."""
    await setup_entry(telecmi_data(sandbox))
    events = async_capture_events(hass, EVENT_CALL_UPDATED)
    first = await dial(hass)

    with pytest.raises(ServiceValidationError):
        await dial(hass)  # the same number again within a minute
    with pytest.raises(ServiceValidationError):
        await dial(hass, to="12")

    state = status_of(hass, TELECMI_STATUS)
    assert state.state == "initiated"
    assert state.attributes["call_id"] == first["call_id"]
    assert status_of(hass, TELECMI_EVENT).attributes["event_type"] == "rejected"
    assert [event.data["status"] for event in events] == [
        "initiated",
        "rejected",
        "rejected",
    ]
    assert events[1].data["error"]

    await web.post(
        "/api/webhook/telecmi-webhook",
        json={"call_id": first["call_id"], "status": "completed", "duration": 9},
    )
    await hass.async_block_till_done()
    state = status_of(hass, TELECMI_STATUS)
    assert state.state == "completed"
    assert state.attributes["call_id"] == first["call_id"]


# Diagnostics redact the webhook id.


async def test_diagnostics_mask_the_webhook_id(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
) -> None:
    entry = await setup_entry(telecmi_data(sandbox))

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert "telecmi-webhook" not in json.dumps(diagnostics)
    assert diagnostics["webhook_url"].endswith("/api/webhook/**REDACTED**")


# Follow calls on Home Assistant's clock.


async def test_voice_panel_polling_runs_on_home_assistants_clock(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        sandbox_voice_panel, "clock", lambda: dt_util.utcnow().timestamp()
    )
    await setup_entry(voice_panel_data(sandbox))
    await dial(hass)
    status = "sensor.voice_panel_test_last_call_status"
    assert status_of(hass, status).state == "initiated"

    for _ in range(5):  # a poll every 10 s; the report settles after 25 s
        freezer.tick(timedelta(seconds=10))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)

    assert status_of(hass, status).state == "completed"


async def test_ameyo_deadline_runs_on_home_assistants_clock(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    freezer: FrozenDateTimeFactory,
) -> None:
    await setup_entry(ameyo_data(sandbox))
    sandbox.sandbox.ameyo_delay = 3600  # Ameyo never answers
    await dial(hass)
    assert status_of(hass, "sensor.ameyo_test_last_call_status").state == "initiated"

    freezer.tick(timedelta(seconds=181))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    state = status_of(hass, "sensor.ameyo_test_last_call_status")
    assert state.state == "failed"
    assert state.attributes["error"] == "Ameyo gave no outcome within 180 s"


# Numbers with an extension or DTMF digits; Spokn's extra parameters.


@ON_ONE_HASS
@given(
    number=st.sampled_from(["98765 43210", "+91 98765 43210", "9876543210"]),
    separator=st.sampled_from([" ext. ", ";ext=", ",,", " x", "#", " extension "]),
    extension=st.text("0123456789", min_size=1, max_size=6),
    end=st.sampled_from(["", "#"]),
)
async def test_numbers_with_an_extension_are_refused(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    number: str,
    separator: str,
    extension: str,
    end: str,
) -> None:
    if not hass.config_entries.async_entries(DOMAIN):
        await setup_entry(telecmi_data(sandbox), NO_GUARD)

    with pytest.raises(ServiceValidationError) as raised:
        await dial(hass, to=f"{number}{separator}{extension}{end}")

    assert raised.value.translation_key == "number_has_extension"
    assert not sandbox.sandbox.received("telecmi")


async def test_spokn_apartycid_is_checked_as_a_number(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    await setup_entry(spokn_data(sandbox), NO_GUARD)

    with pytest.raises(ServiceValidationError) as raised:
        await dial(hass, extra={"apartycid": "not a number"})
    assert raised.value.translation_key == "invalid_number"
    assert not sandbox.sandbox.received("spokn")

    await dial(hass, extra={"apartycid": "91234 56789"})
    [sent] = sandbox.sandbox.received("spokn")
    assert b"apartycid=%2B919123456789" in sent.body


async def test_extra_values_are_bounded(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    await setup_entry(telecmi_data(sandbox), NO_GUARD)
    with pytest.raises(Exception, match="256"):
        await dial(hass, extra={"note": "x" * 257})
    await dial(hass, extra={"note": "x" * 256})
    assert len(sandbox.sandbox.received("telecmi")) == 1


# A voice-panel redirect.


async def test_a_redirect_is_an_unexpected_answer_not_bad_credentials(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    """Following it would drop the query (and with it uid and pin), or dial twice."""
    await setup_entry(voice_panel_data(sandbox))
    sandbox.sandbox.queue(
        "voice_panel",
        Canned(302, "", headers={"Location": sandbox_voice_panel.DIAL_PATH}),
    )

    with pytest.raises(HomeAssistantError) as raised:
        await dial(hass)

    assert raised.value.translation_key == "provider_redirected"
    assert dial_requests(sandbox) == 1
    assert not hass.config_entries.flow.async_progress_by_handler(
        DOMAIN, match_context={"source": SOURCE_REAUTH}
    )


# Spokn's credential probe may be answered 104.


async def test_spokn_probe_answered_104_proves_the_login(
    hass: HomeAssistant, sandbox: SandboxServer
) -> None:
    answer = samples.SPOKN_SUCCESS.replace("<code>200</code>", "<code>104</code>")
    answer = answer.replace("Request Successful", "Bad bparty number")
    sandbox.sandbox.queue("spokn", Canned(200, answer, content_type="text/xml"))
    result = await start(hass, "spokn")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form_input(spokn_data(sandbox))
    )
    assert result["type"] == "create_entry"


# 7. Corrupt or wrongly typed stored calls.


def stored_call(call_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "call_id": call_id,
        "provider": "telspiel",
        "to": "+919876543210",
        "from_": "+919999999999",
        "reference": None,
        "status": "initiated",
        "created": dt_util.utcnow().timestamp(),
        "provider_call_id": None,
        "duration": None,
        "error": None,
        "max_duration": None,
        "attributes": {},
        **changes,
    }


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
FIELDS = sorted(stored_call("x"))


async def set_up_with_stored(
    hass: HomeAssistant, storage_dir: Any, sandbox: SandboxServer, content: str
) -> MockConfigEntry:
    """Write the calls file on disk, then set up an entry that reads it."""
    entry = MockConfigEntry(domain=DOMAIN, data=telspiel_data(sandbox), title="t")
    storage_dir.mkdir(exist_ok=True)
    path = storage_dir / f"{DOMAIN}.calls.{entry.entry_id}"
    await hass.async_add_executor_job(path.write_text, content)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def calls_file(calls: Any, version: Any = 1, **top: Any) -> str:
    return json.dumps(
        {"version": version, "key": "k", "data": {"calls": calls, **top}},
        allow_nan=True,
    )


@pytest.mark.parametrize(
    "content",
    [
        calls_file([stored_call("good")], version=2),
        json.dumps([stored_call("good")]),
        calls_file(7),
        calls_file([stored_call(["x"])]),
        calls_file([stored_call("c", created="yesterday")]),
        calls_file([stored_call("c", attributes=[1, 2])]),
        calls_file([stored_call("c", duration="12")]),
        calls_file([stored_call("c", status="ringing")]),
        calls_file([stored_call("c", provider_call_id=["p"])]),
        calls_file([stored_call("c", created=float("nan"))]),
        calls_file(["not a call"]),
        json.dumps({"version": 1, "data": "text"}),
        json.dumps("just text"),
        json.dumps({"data": {"calls": []}}),
        "{not json",
        "",
        "\x00\xff",
    ],
)
async def test_corrupt_calls_files_never_break_the_entry(
    hass: HomeAssistant,
    real_storage: Any,
    sandbox: SandboxServer,
    content: str,
) -> None:
    entry = await set_up_with_stored(hass, real_storage, sandbox, content)

    assert entry.state is ConfigEntryState.LOADED
    response = await dial(hass, config_entry_id=entry.entry_id, to="91234 56789")
    assert response["status"] == "initiated"
    tracker = entry.runtime_data.tracker
    assert tracker.latest is not None
    assert tracker.latest.call_id == response["call_id"]
    json_bytes(status_of(hass, "sensor.t_last_call_status").as_dict())


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(FIELDS), value=JSON_VALUES)
async def test_any_wrongly_typed_field_drops_that_call_only(
    hass: HomeAssistant,
    real_storage: Any,
    sandbox: SandboxServer,
    caplog: pytest.LogCaptureFixture,
    field: str,
    value: Any,
) -> None:
    """A bad record is dropped with one warning; the others load; dials work."""
    bad = {**stored_call("bad"), field: value}
    content = calls_file([stored_call("before-call"), bad, stored_call("after-call")])
    caplog.clear()
    entry = await set_up_with_stored(hass, real_storage, sandbox, content)

    assert entry.state is ConfigEntryState.LOADED
    kept = [call.call_id for call in entry.runtime_data.tracker]
    assert kept[0] == "before-call"
    assert kept[-1] == "after-call"
    warnings = [
        record
        for record in caplog.records
        if (record.levelno == logging.WARNING and record.name.startswith(DOMAIN))
        or record.name.startswith("custom_components.click_to_call")
    ]
    assert len(warnings) == (0 if len(kept) == 3 else 1)
    await dial(hass, config_entry_id=entry.entry_id, to="91234 56789")
    await hass.config_entries.async_unload(entry.entry_id)


async def test_the_guard_still_counts_what_it_can_read(
    hass: HomeAssistant, real_storage: Any, sandbox: SandboxServer
) -> None:
    """Two readable calls and a broken one: a limit of 3 allows one more."""
    content = calls_file(
        [stored_call("a"), stored_call("b", created="x"), stored_call("c")]
    )
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=telspiel_data(sandbox),
        title="t",
        options={CONF_MAX_CALLS_PER_HOUR: 3, CONF_REPEAT_INTERVAL: 0},
    )
    real_storage.mkdir(exist_ok=True)
    path = real_storage / f"{DOMAIN}.calls.{entry.entry_id}"
    await hass.async_add_executor_job(path.write_text, content)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)

    await dial(hass)
    with pytest.raises(ServiceValidationError):
        await dial(hass)


async def test_calls_and_the_guard_survive_a_restart_on_disk(
    hass: HomeAssistant, real_storage: Any, sandbox: SandboxServer
) -> None:
    """The file on disk holds every call sent in the hour, past the history bound."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=telspiel_data(sandbox),
        title="t",
        options={CONF_MAX_CALLS_PER_HOUR: 3, CONF_REPEAT_INTERVAL: 0},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    for _ in range(3):
        await dial(hass)
    assert await hass.config_entries.async_unload(entry.entry_id)
    path = real_storage / f"{DOMAIN}.calls.{entry.entry_id}"
    assert path.is_file()

    assert await hass.config_entries.async_setup(entry.entry_id)
    with pytest.raises(ServiceValidationError):
        await dial(hass)
    assert len(sandbox.sandbox.received("telspiel")) == 3


async def test_an_unforeseen_error_in_a_dial_is_recorded_and_translated(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bug in a parser: the call was sent, so it is recorded `failed`."""

    def broken(answer: object, **_: object) -> None:
        raise RuntimeError("a bug")

    await setup_entry(telspiel_data(sandbox))
    monkeypatch.setattr(telspiel, "parse_answer", broken)

    with pytest.raises(HomeAssistantError) as raised:
        await dial(hass)

    assert raised.value.translation_key == "provider_unexpected_answer"
    assert "RuntimeError" in str(raised.value)
    state = status_of(hass, "sensor.telspiel_test_last_call_status")
    assert state.state == "failed"
    assert "unexpected error" in state.attributes["error"]
    assert "a bug" in caplog.text
