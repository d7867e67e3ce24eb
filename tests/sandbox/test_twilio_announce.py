"""The sandbox's Twilio announce calls, machine detection and call updates."""

from __future__ import annotations

import asyncio
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import aiohttp
from aiohttp import web
import pytest

from custom_components.click_to_call.providers import (
    announce as words,
    models,
    twilio as integration,
)
from custom_components.click_to_call.providers.http import basic_authorization
from sandbox import twilio
from tests.conftest import SandboxServer
from tests.sandbox.home import Hit, Home
from tests.sandbox.test_twilio import (
    ALL_EVENTS,
    AUTH,
    CALLS,
    END_FIELDS,
    SID,
    STATUS_FIELDS,
    TOKEN,
)

TO, FROM, B = "+14155550101", "+14155550100", "+14155550102"
MESSAGE = "The washing machine has finished. Press 1 to confirm."
# Every character XML and forms treat specially, and some that are not ASCII.
AWKWARD = "Tom & Jerry <3 \"quoted\" 'single' a>b &amp; 🎉 naïve\tend"
THANKS = "<Response><Say>Thank you. Goodbye.</Say><Hangup/></Response>"
PROGRESS = (0.04, 0.1)
GATHER_FIELDS = {
    "AccountSid",
    "ApiVersion",
    "CallSid",
    "CallStatus",
    "Digits",
    "Direction",
    "FinishedOnKey",
    "From",
    "To",
}
AMD_FIELDS = {"AccountSid", "CallSid", "AnsweredBy", "MachineDetectionDuration"}


def say(
    message: str = MESSAGE,
    *,
    language: str = "en-US",
    voice: str | None = None,
    loop: str | None = "2",
) -> str:
    attributes = f" language={quoteattr(language)}"
    if voice is not None:
        attributes += f" voice={quoteattr(voice)}"
    if loop is not None:
        attributes += f" loop={quoteattr(loop)}"
    return f"<Say{attributes}>{escape(message)}</Say>"


def announce(
    message: str = MESSAGE,
    *,
    action: str | None = None,
    method: str = "POST",
    **say_attributes: Any,
) -> str:
    """The announce TwiML as the integration writes it (a Gather with an action)."""
    spoken = say(message, **say_attributes)
    if action is None:
        return f"<Response>{spoken}<Hangup/></Response>"
    return (
        '<Response><Gather input="dtmf" numDigits="1" timeout="5" '
        f"action={quoteattr(action)} method={quoteattr(method)}>"
        f"{spoken}</Gather><Hangup/></Response>"
    )


def hook(home: Home, leg: str) -> str:
    """The integration's callback URL of one report (its query included)."""
    return home.url("/hook", call="c1", leg=leg)


def announce_form(
    home: Home,
    *,
    machine_detection: str | None = "Enable",
    gather: bool = True,
    **changes: str | None,
) -> list[tuple[str, str]]:
    """A create-call form as the integration sends an announce call."""
    fields: dict[str, str | None] = {
        "To": TO,
        "From": FROM,
        "Twiml": announce(action=hook(home, "digits") if gather else None),
        "StatusCallback": hook(home, "one"),
    }
    if machine_detection is not None:
        fields |= {
            "MachineDetection": machine_detection,
            "AsyncAmd": "true",
            "AsyncAmdStatusCallback": hook(home, "amd"),
            "AsyncAmdStatusCallbackMethod": "POST",
        }
    fields |= changes
    form = [(name, value) for name, value in fields.items() if value is not None]
    return form + [("StatusCallbackEvent", event) for event in ALL_EVENTS]


async def post(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    path: str,
    form: list[tuple[str, str]] | dict[str, str],
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    async with session.post(
        sandbox.url(path), data=form, headers=AUTH if headers is None else headers
    ) as answer:
        return answer.status, await answer.json()


async def create(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    form: list[tuple[str, str]],
) -> str:
    status, body = await post(sandbox, session, CALLS, form)
    assert status == 201, body
    return str(body["sid"])


def update_path(sid: str) -> str:
    return f"/twilio/2010-04-01/Accounts/{SID}/Calls/{sid}.json"


def assert_signed(hit: Hit, url: str) -> None:
    """Signed over the URL exactly as given (with the form for a POST)."""
    assert hit.url == url
    params = {} if hit.method == "GET" else hit.form
    given = hit.headers["X-Twilio-Signature"]
    assert given == twilio.signature(TOKEN, url, params)
    # The integration's own implementation agrees.
    assert given == integration.signature(TOKEN, url, list(params.items()))
    assert given != twilio.signature("another-token", url, params)


def played(home: Home) -> list[tuple[str, str]]:
    """What reached Home Assistant: (leg, CallStatus / AnsweredBy / Digits)."""
    shown = []
    for hit in home.hits:
        form = hit.form
        value = form.get("Digits") or form.get("AnsweredBy") or form["CallStatus"]
        if hit.leg == "one" and "AnsweredBy" in form:  # synchronous detection
            value = form["CallStatus"]
        shown.append((hit.leg, value))
    return shown


def check_callbacks(home: Home, sid: str) -> None:
    """Every callback: its fields, its URL and its signature."""
    sequence = 0
    for hit in home.hits:
        form = hit.form
        assert hit.headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert_signed(hit, hook(home, hit.leg))
        assert (form["AccountSid"], form["CallSid"]) == (SID, sid)
        if hit.leg == "one":
            final = form["CallStatus"] in twilio.FINAL
            assert set(form) - {"AnsweredBy"} == STATUS_FIELDS | (
                END_FIELDS if final else set()
            )
            assert form["SequenceNumber"] == str(sequence)
            sequence += 1
            assert (form["From"], form["To"], form["Direction"]) == (
                FROM,
                TO,
                "outbound-api",
            )
        elif hit.leg == "amd":
            assert set(form) == AMD_FIELDS
            assert form["MachineDetectionDuration"].isdecimal()
        else:
            assert hit.leg == "digits"
            assert set(form) - {"AnsweredBy"} == GATHER_FIELDS
            assert form | {"Digits": ""} == {
                "AccountSid": SID,
                "ApiVersion": "2010-04-01",
                "CallSid": sid,
                "CallStatus": "in-progress",
                "Digits": "",
                "Direction": "outbound-api",
                "FinishedOnKey": "",
                "From": FROM,
                "To": TO,
            } | ({"AnsweredBy": form["AnsweredBy"]} if "AnsweredBy" in form else {})


def digits_answer(text: str = THANKS, status: int = 200) -> Any:
    def reply(hit: Hit) -> web.Response:
        return web.Response(text=text, status=status, content_type="text/xml")

    return reply


RINGS = [("one", "initiated"), ("one", "ringing")]
ANSWERED = [*RINGS, ("one", "in-progress")]


@pytest.mark.parametrize(
    ("outcome", "expected", "digits"),
    [
        (
            "press_1",
            [*ANSWERED, ("amd", "human"), ("digits", "1"), ("one", "completed")],
            ["1"],
        ),
        (
            "press_2",
            [*ANSWERED, ("amd", "human"), ("digits", "2"), ("one", "completed")],
            ["2"],
        ),
        ("no_digit", [*ANSWERED, ("amd", "human"), ("one", "completed")], []),
        ("no_answer", [*RINGS, ("one", "no-answer")], []),
    ],
)
async def test_each_outcome_plays_in_order_signed(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    home: Home,
    outcome: str,
    expected: list[tuple[str, str]],
    digits: list[str],
) -> None:
    sandbox.sandbox.progress = PROGRESS
    sandbox.sandbox.announce_outcome = outcome
    home.replies["digits"] = digits_answer()
    sid = await create(sandbox, session, announce_form(home))
    call = sandbox.sandbox.calls[sid]
    assert (call.kind, call.to, call.from_) == ("announce", TO, FROM)
    await home.wait_for(len(expected))
    await home.quiet()
    assert played(home) == expected
    check_callbacks(home, sid)
    assert call.digits == digits
    assert call.ended
    assert not call.awaits_digit
    if digits:
        assert call.answers == [THANKS]
        assert call.spoken == [MESSAGE, "Thank you. Goodbye."]
    else:
        assert call.answers == []
        assert call.spoken == [MESSAGE]
    end = home.hits[-1].form
    if outcome == "no_answer":
        assert call.answered_by is None
        assert (end["CallDuration"], end["SipResponseCode"]) == ("0", "487")
    else:
        assert call.answered_by == "human"
        assert (end["CallDuration"], end["SipResponseCode"]) == ("1", "200")
    labels = {
        "one": "A {}",
        "amd": "A answered by {}",
        "digits": "A pressed {} (HTTP 200)",
    }
    assert call.reported == [labels[leg].format(value) for leg, value in expected]


@pytest.mark.parametrize(
    ("detection", "answered_by"),
    [("Enable", "machine_start"), ("DetectMessageEnd", "machine_end_beep")],
)
@pytest.mark.parametrize(
    "change",
    [
        {"Status": "completed"},
        {"Twiml": f"<Response>{say(AWKWARD, loop=None)}<Hangup/></Response>"},
        None,
    ],
    ids=["hang-up", "leave-message", "no-update"],
)
async def test_voicemail_waits_for_the_update_then_completes(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    home: Home,
    detection: str,
    answered_by: str,
    change: dict[str, str] | None,
) -> None:
    """After the machine's report the call waits (up to its end) for an update."""
    sandbox.sandbox.progress = (0.04, 0.4 if change is None else 5.0)
    sandbox.sandbox.announce_outcome = "voicemail"
    updates: list[tuple[int, Any]] = []

    async def on_machine(hit: Hit) -> web.Response:
        if change is not None:
            path = update_path(hit.form["CallSid"])
            updates.append(await post(sandbox, session, path, change))
        return web.Response(text="<Response/>", content_type="text/xml")

    home.replies["amd"] = on_machine
    sid = await create(
        sandbox, session, announce_form(home, machine_detection=detection)
    )
    await home.wait_for(5)
    await home.quiet()
    assert played(home) == [
        *ANSWERED,
        ("amd", answered_by),
        ("one", "completed"),
    ]
    check_callbacks(home, sid)
    call = sandbox.sandbox.calls[sid]
    assert call.answered_by == answered_by
    assert call.digits == []
    assert call.ended
    if change is None:
        assert call.spoken == [MESSAGE]
        return
    [(status, resource)] = updates
    assert status == 200
    assert (resource["sid"], resource["answered_by"]) == (sid, answered_by)
    assert resource["status"] == "completed"
    assert call.spoken == [MESSAGE, *([AWKWARD] if "Twiml" in change else [])]
    # Ended by the update: long before the call's own end (5 s).
    assert home.hits[-1].form["CallDuration"] == "1"


async def test_by_hand_waits_for_a_digit_pressed_on_the_sandbox(
    sandbox: SandboxServer, session: aiohttp.ClientSession, home: Home
) -> None:
    sandbox.sandbox.progress = (0.04, 0.08)
    sandbox.sandbox.announce_outcome = "by_hand"
    home.replies["digits"] = digits_answer()
    sid = await create(sandbox, session, announce_form(home))
    call = sandbox.sandbox.calls[sid]
    await home.wait_for(4)
    for _ in range(200):
        if call.awaits_digit:
            break
        await asyncio.sleep(0.005)
    await home.quiet(0.15)  # it waits past the call's usual end
    assert call.awaits_digit
    assert played(home) == [*ANSWERED, ("amd", "human")]
    assert await sandbox.sandbox.press(sid, "7") == 200
    assert not call.awaits_digit
    with pytest.raises(ValueError, match="not waiting for a digit"):
        await sandbox.sandbox.press(sid, "8")
    await home.wait_for(6)
    await home.quiet()
    assert played(home)[-2:] == [("digits", "7"), ("one", "completed")]
    check_callbacks(home, sid)
    assert (call.digits, call.answers) == (["7"], [THANKS])


@pytest.mark.parametrize(
    ("digit_timeout", "time_limit"),
    [(0.05, None), (60.0, "1")],
    ids=["timeout", "TimeLimit"],
)
async def test_by_hand_without_a_digit_completes_after_the_shorter_wait(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    home: Home,
    digit_timeout: float,
    time_limit: str | None,
) -> None:
    sandbox.sandbox.progress = (0.02, 0.04)
    sandbox.sandbox.announce_outcome = "by_hand"
    sandbox.sandbox.digit_timeout = digit_timeout
    loop = asyncio.get_running_loop()
    started = loop.time()
    sid = await create(
        sandbox,
        session,
        announce_form(home, machine_detection=None, TimeLimit=time_limit),
    )
    await home.wait_for(4, seconds=3)
    took = loop.time() - started
    assert played(home) == [*ANSWERED, ("one", "completed")]
    assert (digit_timeout if time_limit is None else 1.0) <= took < 2.5
    call = sandbox.sandbox.calls[sid]
    assert (call.digits, call.ended, call.awaits_digit) == ([], True, False)


async def test_a_person_pressing_first_wins_over_the_outcome(
    sandbox: SandboxServer, session: aiohttp.ClientSession, home: Home
) -> None:
    """A digit pressed by hand before the outcome's own is the one reported."""
    sandbox.sandbox.progress = (0.8, 0.9)  # answered at 0.4 s, 1 pressed at 0.8 s
    sandbox.sandbox.announce_outcome = "press_1"
    sid = await create(sandbox, session, announce_form(home, machine_detection=None))
    call = sandbox.sandbox.calls[sid]
    for _ in range(400):
        if call.awaits_digit:
            break
        await asyncio.sleep(0.005)
    assert await sandbox.sandbox.press(sid, "#") == 200
    await home.wait_for(4)
    assert played(home)[-1] == ("digits", "#")
    assert call.digits == ["#"]


async def test_press_refuses_unknown_calls_and_keys(
    sandbox: SandboxServer, session: aiohttp.ClientSession, home: Home
) -> None:
    sid = await create(sandbox, session, announce_form(home))  # progress is None
    with pytest.raises(KeyError):
        await sandbox.sandbox.press("CA-unknown", "1")
    for key in ("", "12", "a", "½"):
        with pytest.raises(ValueError, match="not a key"):
            await sandbox.sandbox.press(sid, key)
    with pytest.raises(ValueError, match="not waiting"):
        await sandbox.sandbox.press(sid, "1")
    assert home.hits == []


async def test_synchronous_detection_reports_in_the_callbacks(
    sandbox: SandboxServer, session: aiohttp.ClientSession, home: Home
) -> None:
    """Without AsyncAmd, AnsweredBy comes with the answered call's callbacks."""
    sandbox.sandbox.progress = PROGRESS
    form = [
        item
        for item in announce_form(home)
        if item[0] not in ("AsyncAmd", "AsyncAmdStatusCallback")
    ]
    sid = await create(sandbox, session, form)
    await home.wait_for(5)
    await home.quiet()
    assert [(hit.leg, hit.form.get("AnsweredBy")) for hit in home.hits] == [
        ("one", None),
        ("one", None),
        ("one", "human"),
        ("digits", "human"),
        ("one", "human"),
    ]
    check_callbacks(home, sid)


async def test_detection_without_its_callback_is_a_warning(
    sandbox: SandboxServer, session: aiohttp.ClientSession, home: Home
) -> None:
    sandbox.sandbox.progress = PROGRESS
    sandbox.sandbox.announce_outcome = "voicemail"
    sid = await create(
        sandbox, session, announce_form(home, AsyncAmdStatusCallback=None)
    )
    await home.wait_for(4)
    await home.quiet()
    assert played(home) == [*ANSWERED, ("one", "completed")]
    [warning] = sandbox.sandbox.calls[sid].warnings
    assert warning.startswith("21262 ")
    assert "machine_start" in warning


async def test_send_digits_turns_detection_off(
    sandbox: SandboxServer, session: aiohttp.ClientSession, home: Home
) -> None:
    sandbox.sandbox.progress = PROGRESS
    sid = await create(sandbox, session, announce_form(home, SendDigits="1234"))
    await home.wait_for(5)
    await home.quiet()
    assert "amd" not in [leg for leg, _ in played(home)]
    assert sandbox.sandbox.calls[sid].answered_by is None


async def test_the_gather_action_by_get(
    sandbox: SandboxServer, session: aiohttp.ClientSession, home: Home
) -> None:
    """A GET action carries the fields in its query; the signature covers it."""
    sandbox.sandbox.progress = PROGRESS
    action = hook(home, "digits")
    sid = await create(
        sandbox,
        session,
        announce_form(
            home,
            machine_detection=None,
            Twiml=announce(action=action, method="GET"),
        ),
    )
    await home.wait_for(5)
    [hit] = home.by("digits")
    assert hit.method == "GET"
    assert hit.body == b""
    assert hit.url.startswith(action + "&")
    assert hit.query["Digits"] == "1"
    assert hit.headers["X-Twilio-Signature"] == twilio.signature(TOKEN, hit.url, {})
    assert sandbox.sandbox.calls[sid].digits == ["1"]


@pytest.mark.parametrize(
    ("status", "text", "warning"),
    [(500, THANKS, "11200 "), (200, "Thanks!", "12100 ")],
)
async def test_an_answer_twilio_cannot_play_is_a_warning(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    home: Home,
    status: int,
    text: str,
    warning: str,
) -> None:
    sandbox.sandbox.progress = PROGRESS
    home.replies["digits"] = digits_answer(text, status)
    sid = await create(sandbox, session, announce_form(home, machine_detection=None))
    await home.wait_for(5)
    await home.quiet()
    call = sandbox.sandbox.calls[sid]
    assert call.answers == [text]
    assert call.spoken == [MESSAGE]
    [found] = call.warnings
    assert found.startswith(warning)
    assert call.reported[-2] == f"A pressed 1 (HTTP {status})"


# What is accepted, kept and refused.


@pytest.mark.parametrize("gather", [True, False])
async def test_the_message_is_kept_as_written(
    sandbox: SandboxServer, session: aiohttp.ClientSession, home: Home, gather: bool
) -> None:
    """Escaped for XML and for the form; kept unescaped, exactly."""
    twiml = announce(
        AWKWARD, action=hook(home, "digits") if gather else None, voice="Polly.Joanna"
    )
    assert "&amp;amp;" in twiml
    sid = await create(sandbox, session, announce_form(home, Twiml=twiml))
    call = sandbox.sandbox.calls[sid]
    assert call.spoken == [AWKWARD]
    assert call.kind == "announce"
    assert call.warnings == []
    parsed = twilio.read_twiml(twiml)
    assert parsed.says == (
        twilio.Say(AWKWARD, "en-US", "Polly.Joanna", "2", gathered=gather),
    )
    assert (parsed.gather is not None) is gather


def test_every_say_is_read_with_its_ssml_text() -> None:
    twiml = (
        "<Response><Say>One <emphasis>two</emphasis> three</Say>"
        '<Gather action="https://h/x"><Say loop="0">Four</Say></Gather>'
        "<Say>Five</Say></Response>"
    )
    read = twilio.read_twiml(twiml)
    assert [(item.text, item.gathered) for item in read.says] == [
        ("One two three", False),
        ("Four", True),
        ("Five", False),
    ]
    assert read.announces
    assert read.gather == twilio.Gather("https://h/x")
    assert read.gather.takes_digits
    assert not twilio.Gather("https://h/x", input="speech").takes_digits
    assert not twilio.Gather(None).takes_digits


async def test_twiml_of_exactly_4000_characters_is_taken(
    sandbox: SandboxServer, session: aiohttp.ClientSession, home: Home
) -> None:
    """Characters, not bytes: an emoji counts once."""
    shell = announce("", action=hook(home, "digits"))
    message = "🎉" * (4000 - len(shell))
    twiml = announce(message, action=hook(home, "digits"))
    assert len(twiml) == 4000
    sid = await create(sandbox, session, announce_form(home, Twiml=twiml))
    assert sandbox.sandbox.calls[sid].spoken == [message]


@pytest.mark.parametrize(
    ("changes", "code", "message"),
    [
        (
            {"Twiml": announce("x" * 4000)},
            32018,
            "Twiml size exceeded maximum allowed value of 4000 characters",
        ),
        ({"Twiml": "<Response><Say>Hi</Response>"}, 12100, "Document parse failure"),
        ({"Twiml": "Hello there"}, 12100, "Document parse failure"),
        ({"Twiml": "<Say>Hi</Say>"}, 12100, "the root element is not <Response>"),
        (
            {"Twiml": announce(action="/digits")},
            21205,
            "Gather action is not a valid URL: /digits",
        ),
        ({"MachineDetection": "Sometimes"}, 21234, "MachineDetection 'Sometimes'"),
        ({"MachineDetection": "enable"}, 21234, "Invalid Machine Detection"),
        ({"AsyncAmd": "yes"}, 21234, "AsyncAmd 'yes'"),
        ({"AsyncAmdStatusCallbackMethod": "PUT"}, 21234, "Method 'PUT'"),
        (
            {"AsyncAmdStatusCallback": "https://my_ha/amd"},
            21205,
            "AsyncAmdStatusCallback is not a valid URL",
        ),
    ],
)
async def test_refusals(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    home: Home,
    changes: dict[str, str],
    code: int,
    message: str,
) -> None:
    status, body = await post(sandbox, session, CALLS, announce_form(home, **changes))
    assert status == 400
    assert body["code"] == code
    assert body["status"] == 400
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    assert message in body["message"]
    assert sandbox.sandbox.calls == {}


@pytest.mark.parametrize(
    ("twiml", "code"),
    [
        (announce(loop="-1"), 13510),
        (
            "<Response><Gather action='https://h/x'><Say loop='x'>Hi</Say></Gather></Response>",
            13322,
        ),
        (announce("x" * 3001, voice="Polly.Joanna", loop=None), 13521),
        (announce("   "), 13520),
        (
            "<Response><Gather action='https://h/x' numDigits='0'><Say>Hi</Say></Gather></Response>",
            13314,
        ),
        (
            "<Response><Gather action='https://h/x' timeout='soon'><Say>Hi</Say></Gather></Response>",
            13313,
        ),
        (
            "<Response><Gather action='https://h/x' method='PUT'><Say>Hi</Say></Gather></Response>",
            13312,
        ),
        (
            "<Response><Gather action='https://h/x' finishOnKey='x'><Say>Hi</Say></Gather></Response>",
            13310,
        ),
    ],
)
async def test_what_twilio_plays_with_a_warning(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    home: Home,
    twiml: str,
    code: int,
) -> None:
    """Twilio plays these, and its debugger logs a warning: so does the sandbox."""
    sid = await create(sandbox, session, announce_form(home, Twiml=twiml))
    [warning] = sandbox.sandbox.calls[sid].warnings
    assert warning.startswith(f"{code} ")


def test_a_say_within_every_voice_s_limit_has_no_warning() -> None:
    for voice, limit in (
        ("Polly.Amy", 3000),
        ("Google.en-GB-Standard-A", 5000),
        ("man", 4096),
    ):
        fits = twilio.Twiml(says=(twilio.Say("x" * limit, voice=voice),))
        over = twilio.Twiml(says=(twilio.Say("x" * (limit + 1), voice=voice),))
        assert twilio.twiml_warnings(fits) == []
        assert twilio.twiml_warnings(over)[0].startswith("13521 ")
    no_action = twilio.Twiml(says=(twilio.Say("Hi"),), gather=twilio.Gather(None))
    assert twilio.twiml_warnings(no_action) == [
        "<Gather> has no action: with inline TwiML its digits go nowhere"
    ]


# Updating a call: POST .../Calls/{CallSid}.json


async def test_update_needs_the_account_and_a_known_call(
    sandbox: SandboxServer, session: aiohttp.ClientSession, home: Home
) -> None:
    sid = await create(sandbox, session, announce_form(home))
    status, body = await post(
        sandbox,
        session,
        update_path(sid),
        {"Status": "completed"},
        headers={"Authorization": basic_authorization(SID, "wrong")},
    )
    assert (status, body["code"]) == (401, 20003)
    unknown = "CA" + "0" * 32
    status, body = await post(
        sandbox, session, update_path(unknown), {"Status": "completed"}
    )
    assert status == 404
    assert body == {
        "code": 20404,
        "message": f"The requested resource /2010-04-01/Accounts/{SID}/Calls/"
        f"{unknown}.json was not found",
        "more_info": "https://www.twilio.com/docs/errors/20404",
        "status": 404,
    }
    other = f"/twilio/2010-04-01/Accounts/AC99/Calls/{sid}.json"
    status, body = await post(sandbox, session, other, {"Status": "completed"})
    assert (status, body["code"]) == (404, 20404)
    assert not sandbox.sandbox.calls[sid].ended


@pytest.mark.parametrize(
    ("form", "code", "message"),
    [
        ({"Status": "hangup"}, 20001, "Status must be one of canceled, completed"),
        (
            {"Twiml": THANKS, "Url": "https://h/t"},
            21205,
            "Only one of Url and Twiml may be given",
        ),
        ({"Twiml": announce("x" * 4000)}, 32018, "exceeded maximum allowed value"),
        ({"Twiml": "<Response>"}, 12100, "Document parse failure"),
        ({"Url": "/twiml"}, 21205, "Url is not a valid URL: /twiml"),
    ],
)
async def test_update_refusals(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    home: Home,
    form: dict[str, str],
    code: int,
    message: str,
) -> None:
    sid = await create(sandbox, session, announce_form(home))
    status, body = await post(sandbox, session, update_path(sid), form)
    assert (status, body["code"]) == (400, code)
    assert message in body["message"]
    assert not sandbox.sandbox.calls[sid].ended


async def test_update_of_a_queued_call(
    sandbox: SandboxServer, session: aiohttp.ClientSession, home: Home
) -> None:
    """Not answered: new TwiML is refused, canceled ends it, as completed does."""
    sid = await create(sandbox, session, announce_form(home))  # progress None: queued
    status, body = await post(sandbox, session, update_path(sid), {"Twiml": THANKS})
    assert (status, body["code"]) == (400, 21220)
    assert body["message"] == "Call is not in-progress. Cannot redirect."
    status, body = await post(sandbox, session, update_path(sid), {})
    assert (status, body["status"]) == (200, "queued")
    status, body = await post(
        sandbox, session, update_path(sid), {"Status": "canceled"}
    )
    assert (status, body["status"], body["duration"]) == (200, "canceled", "0")
    await home.wait_for(1)
    [hit] = home.hits
    assert (hit.leg, hit.form["CallStatus"], hit.form["SipResponseCode"]) == (
        "one",
        "canceled",
        "487",
    )
    assert_signed(hit, hook(home, "one"))
    # Ended: another hang-up changes nothing, new TwiML is refused.
    status, body = await post(
        sandbox, session, update_path(sid), {"Status": "completed"}
    )
    assert (status, body["status"]) == (200, "canceled")
    status, body = await post(
        sandbox, session, update_path(sid), {"Url": "https://h/t"}
    )
    assert (status, body["code"]) == (400, 21220)
    await home.quiet()
    assert sandbox.sandbox.calls[sid].spoken == [MESSAGE]


async def test_update_of_a_call_in_progress(
    sandbox: SandboxServer, session: aiohttp.ClientSession, home: Home
) -> None:
    """canceled leaves it; a Url redirects it (not fetched), then it ends."""
    sandbox.sandbox.progress = (0.02, 5.0)
    sandbox.sandbox.announce_outcome = "no_digit"
    sid = await create(sandbox, session, announce_form(home))
    await home.wait_for(4)  # answered, and told a person answered
    status, body = await post(
        sandbox, session, update_path(sid), {"Status": "canceled"}
    )
    assert (status, body["status"], body["answered_by"]) == (
        200,
        "in-progress",
        "human",
    )
    await home.quiet()
    status, body = await post(
        sandbox, session, update_path(sid), {"Url": "https://h/t"}
    )
    assert (status, body["status"]) == (200, "completed")
    await home.wait_for(5)
    await home.quiet()
    assert played(home)[-1] == ("one", "completed")
    call = sandbox.sandbox.calls[sid]
    assert call.reported[-2] == "A redirected to https://h/t (not fetched)"
    assert call.spoken == [MESSAGE]


@pytest.mark.parametrize(
    ("outcome", "after", "status"),
    [
        ("press_1", "initiated", "canceled"),
        ("no_answer", "ringing", "canceled"),
        ("press_1", "in-progress", "completed"),
    ],
)
async def test_an_update_stops_the_play_at_once(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    home: Home,
    outcome: str,
    after: str,
    status: str,
) -> None:
    """Hung up while it rings, or before the machine detection: nothing more."""
    sandbox.sandbox.progress = (1.0, 1.6)  # rings at 0.25 s, answers at 0.5 s
    sandbox.sandbox.announce_outcome = outcome
    sid = await create(sandbox, session, announce_form(home))
    for _ in range(400):
        if home.hits and home.hits[-1].form["CallStatus"] == after:
            break
        await asyncio.sleep(0.005)
    answer, body = await post(
        sandbox, session, update_path(sid), {"Status": "completed"}
    )
    assert (answer, body["status"]) == (200, status)
    await home.wait_for(len(home.hits) + 1)
    await home.quiet(0.9)
    assert played(home)[-2:] == [("one", after), ("one", status)]
    assert sandbox.sandbox.calls[sid].digits == []


async def test_a_dial_s_detection_without_its_callback(
    sandbox: SandboxServer, session: aiohttp.ClientSession, home: Home
) -> None:
    sandbox.sandbox.progress = (0.02, 0.04)
    twiml = f'<Response><Dial><Number machineDetection="Enable">{B}</Number></Dial></Response>'
    sid = await create(sandbox, session, [("To", TO), ("From", FROM), ("Twiml", twiml)])
    call = sandbox.sandbox.calls[sid]
    for _ in range(200):
        if call.answered_by:
            break
        await asyncio.sleep(0.005)
    assert call.answered_by == "human"
    assert home.hits == []
    assert call.reported == []


async def test_update_ends_a_dial_too(
    sandbox: SandboxServer, session: aiohttp.ClientSession, home: Home
) -> None:
    sandbox.sandbox.progress = (0.02, 5.0)
    twiml = f"<Response><Dial><Number>{B}</Number></Dial></Response>"
    form = [
        ("To", TO),
        ("From", FROM),
        ("Twiml", twiml),
        ("StatusCallback", hook(home, "a")),
    ]
    events = [("StatusCallbackEvent", event) for event in ("answered", "completed")]
    sid = await create(sandbox, session, [*form, *events])
    await home.wait_for(1)
    status, body = await post(
        sandbox, session, update_path(sid), {"Status": "completed"}
    )
    assert (status, body["status"]) == (200, "completed")
    await home.wait_for(2)
    await home.quiet()
    assert [hit.form["CallStatus"] for hit in home.hits] == ["in-progress", "completed"]
    assert sandbox.sandbox.calls[sid].kind == "dial"


# A dial's machine detection on B.


def dial_twiml(
    home: Home, detection: str | None = "Enable", method: str = "POST"
) -> str:
    number = f" statusCallback={quoteattr(hook(home, 'b'))}"
    number += ' statusCallbackEvent="initiated ringing answered completed"'
    if detection is not None:
        number += (
            f' machineDetection="{detection}"'
            f" amdStatusCallback={quoteattr(hook(home, 'b-amd'))}"
            f' amdStatusCallbackMethod="{method}"'
        )
    return (
        f'<Response><Dial callerId="{FROM}" answerOnBridge="true" '
        f'action={quoteattr(hook(home, "dial"))} method="POST">'
        f"<Number{number}>{B}</Number></Dial></Response>"
    )


@pytest.mark.parametrize(
    ("detection", "ending", "answered_by"),
    [
        ("Enable", "completed", "human"),
        ("Enable", "voicemail", "machine_start"),
        ("DetectMessageEnd", "voicemail", "machine_end_beep"),
        (None, "voicemail", None),
    ],
)
async def test_a_dial_tells_who_answered_b(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    home: Home,
    detection: str | None,
    ending: str,
    answered_by: str | None,
) -> None:
    sandbox.sandbox.progress = (0.04, 0.08)
    sandbox.sandbox.ending = ending
    form = [("To", TO), ("From", FROM), ("Twiml", dial_twiml(home, detection))]
    sid = await create(sandbox, session, form)
    expected = 5 if answered_by is None else 6
    await home.wait_for(expected)
    await home.quiet()
    legs = [
        (
            hit.leg,
            hit.form.get("AnsweredBy")
            or hit.form.get("DialCallStatus")
            or hit.form["CallStatus"],
        )
        for hit in home.hits
    ]
    b_answers = [("b", "initiated"), ("b", "ringing"), ("b", "in-progress")]
    if answered_by is not None:
        b_answers.append(("b-amd", answered_by))
    assert legs == [*b_answers, ("b", "completed"), ("dial", "completed")]
    call = sandbox.sandbox.calls[sid]
    assert call.answered_by == answered_by
    if answered_by is None:
        return
    [amd] = home.by("b-amd")
    b_sid = home.by("b")[0].form["CallSid"]
    assert amd.form == {
        "AccountSid": SID,
        "AnsweredBy": answered_by,
        "CallSid": b_sid,
        "MachineDetectionDuration": "0",
    }
    assert_signed(amd, hook(home, "b-amd"))
    assert f"B answered by {answered_by}" in call.reported


@pytest.mark.parametrize("ending", ["busy", "no_answer", "failed"])
async def test_no_detection_report_when_b_does_not_answer(
    sandbox: SandboxServer, session: aiohttp.ClientSession, home: Home, ending: str
) -> None:
    sandbox.sandbox.progress = (0.02, 0.04)
    sandbox.sandbox.ending = ending
    form = [("To", TO), ("From", FROM), ("Twiml", dial_twiml(home))]
    await create(sandbox, session, form)
    await asyncio.sleep(0.1)
    assert home.by("b-amd") == []


@pytest.mark.parametrize(
    ("twiml", "code"),
    [
        ('<Number machineDetection="Maybe">{B}</Number>', 21234),
        (
            '<Number machineDetection="Enable" amdStatusCallbackMethod="PUT">{B}</Number>',
            21234,
        ),
        (
            '<Number machineDetection="Enable" amdStatusCallback="/amd">{B}</Number>',
            21205,
        ),
    ],
)
async def test_a_dial_s_detection_refusals(
    sandbox: SandboxServer, session: aiohttp.ClientSession, twiml: str, code: int
) -> None:
    document = f"<Response><Dial>{twiml.format(B=B)}</Dial></Response>"
    status, body = await post(
        sandbox, session, CALLS, [("To", TO), ("From", FROM), ("Twiml", document)]
    )
    assert (status, body["code"]) == (400, code)


def test_plan_with_machine_detection() -> None:
    steps = twilio.plan("voicemail", 4.0, 10.0, machine_detection="DetectMessageEnd")
    assert steps == [
        *twilio.plan("completed", 4.0, 10.0)[:6],
        twilio.Step(4.0, "B amd", "machine_end_beep"),
        *twilio.plan("completed", 4.0, 10.0)[6:],
    ]
    assert twilio.plan("voicemail", 4.0, 10.0) == twilio.plan("completed", 4.0, 10.0)
    human = twilio.plan("completed", 4.0, 10.0, machine_detection="Enable")
    assert twilio.Step(4.0, "B amd", "human") in human
    assert all(
        step.leg != "B amd"
        for step in twilio.plan("busy", 4.0, 10.0, machine_detection="Enable")
    )


# The integration's own requests, and its reading of every callback.


def integration_client(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> integration.TwilioClient:
    config = integration.TwilioConfig(
        account_sid=SID,
        auth_token=TOKEN,
        from_number=FROM,
        a_party=B,
        api_url=sandbox.url("/twilio"),
    )
    return integration.TwilioClient(session, config)


@pytest.mark.parametrize(
    ("outcome", "voicemail", "statuses"),
    [
        (
            "press_1",
            "hang_up",
            [
                "initiated",
                "initiated",
                "connected",
                "connected",
                "acknowledged",
                "completed",
            ],
        ),
        (
            "press_2",
            "hang_up",
            [
                "initiated",
                "initiated",
                "connected",
                "connected",
                "connected",
                "completed",
            ],
        ),
        (
            "no_digit",
            "hang_up",
            ["initiated", "initiated", "connected", "connected", "completed"],
        ),
        ("no_answer", "hang_up", ["initiated", "initiated", "no_answer"]),
        (
            "voicemail",
            "hang_up",
            ["initiated", "initiated", "connected", "voicemail", "completed"],
        ),
        (
            "voicemail",
            "leave_message",
            ["initiated", "initiated", "connected", "voicemail", "completed"],
        ),
    ],
)
async def test_the_integration_s_announce_call_plays_out(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    home: Home,
    outcome: str,
    voicemail: str,
    statuses: list[str],
) -> None:
    """Placed by the integration's client; each callback read by its parser."""
    sandbox.sandbox.progress = PROGRESS
    sandbox.sandbox.announce_outcome = outcome
    client = integration_client(sandbox, session)
    announcement = models.Announcement(
        message=AWKWARD, voicemail=models.Voicemail(voicemail)
    )
    request = models.DialRequest(
        call_id="c1",
        to=TO,
        callback_url=home.url("/hook"),
        announcement=announcement,
        max_duration=600,
    )
    client.validate(request)
    updates: list[models.CallUpdate] = []

    def read(hit: Hit) -> models.CallUpdate:
        update = client.parse_callback(
            models.Callback(
                hit.method,
                home.url(hit.path),
                hit.url.partition("?")[2],
                hit.headers,
                hit.body,
            )
        )
        updates.append(update)
        return update

    async def on_report(hit: Hit) -> web.Response:
        update = read(hit)
        if update.status is models.CallStatus.VOICEMAIL:
            await client.async_machine_answered(update_sid[0], announcement)
        if hit.leg == "digits":
            text, content_type = client.answer_to(update) or ("", "")
            return web.Response(text=text, content_type=content_type)
        return web.Response(text="<Response/>", content_type="text/xml")

    for leg in ("one", "amd", "digits"):
        home.replies[leg] = on_report
    update_sid: list[str] = []
    result = await client.async_dial(request)
    assert result.provider_call_id is not None
    update_sid.append(result.provider_call_id)
    await home.wait_for(len(statuses))
    await home.quiet()
    assert [update.status.value for update in updates] == statuses
    assert {update.call_id for update in updates} == {"c1"}
    call = sandbox.sandbox.calls[result.provider_call_id]
    spoken = f"{AWKWARD} {words.PROMPT}"
    if outcome == "voicemail" and voicemail == "leave_message":
        assert call.spoken == [spoken, AWKWARD]
    elif outcome in ("press_1", "press_2"):
        said = words.after_digits("1" if outcome == "press_1" else "2")
        assert call.spoken == [spoken, said]
        assert call.answers == [f"<Response><Say>{said}</Say><Hangup/></Response>"]
    else:
        assert call.spoken == [spoken]
    assert call.warnings == []
    updated = [
        item for item in sandbox.sandbox.received("twilio") if "/Calls/" in item.path
    ]
    assert len(updated) == (outcome == "voicemail")


async def test_callbacks_go_to_the_url_as_given_and_are_signed_over_it(
    sandbox: SandboxServer, session: aiohttp.ClientSession, home: Home
) -> None:
    """Escapes in the query are kept on the wire, as in the signature."""
    sandbox.sandbox.progress = PROGRESS
    url = home.url("/hook", call="c%2F1%2B2", leg="one")
    form = announce_form(home, machine_detection=None, StatusCallback=url)
    await create(sandbox, session, form)
    await home.wait_for(5)
    for hit in home.by("one"):
        assert hit.url == url
        assert hit.headers["X-Twilio-Signature"] == twilio.signature(
            TOKEN, url, hit.form
        )
