"""Announcement requests and reports, read and written without Home Assistant.

Twilio's TwiML and TeleCMI's PCMO call carry the message as written: markup,
quotes, emoji and 1,000 characters are spoken, and none becomes a verb or an
action. Their reports (the digit, the machine) map to the statuses.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from defusedxml.ElementTree import fromstring
from hypothesis import given, strategies as st
import pytest

from custom_components.click_to_call.providers.errors import (
    CallbackError,
    NotSentError,
)
from custom_components.click_to_call.providers.models import (
    Announcement,
    AnsweredBy,
    Callback,
    CallStatus,
    DialRequest,
    Voicemail,
)
from custom_components.click_to_call.providers.telecmi import (
    TelecmiClient,
    TelecmiConfig,
)
from custom_components.click_to_call.providers.twilio import (
    TwilioClient,
    TwilioConfig,
    signature,
)

URL = "https://ha.example/api/webhook/hook"
TOKEN = "demo-auth-token"
HOSTILE = [
    "Leak & fire <Hangup/> \"quoted\" 'single'",
    "</Say><Dial>+15550000000</Dial><Say>",
    "Wasser im Keller 💧🔥 — ça déborde",
    "x" * 1000,
    "]]><!-- -->&amp;&#60;",
]


def twilio() -> TwilioClient:
    return TwilioClient(
        None,  # type: ignore[arg-type]
        TwilioConfig(
            account_sid="AC00000000000000000000000000000001",
            auth_token=TOKEN,
            from_number="+14155550100",
            a_party="+14155550101",
        ),
    )


def telecmi(caller_id: str | None = "919100000000") -> TelecmiClient:
    return TelecmiClient(
        None,  # type: ignore[arg-type]
        TelecmiConfig(user_id="101_1111112", secret="s", caller_id=caller_id),
    )


def announce(message: str, **changes: Any) -> DialRequest:
    return DialRequest(
        call_id="c1",
        to="+14155550102",
        callback_url=URL,
        announcement=Announcement(
            message=message,
            language=changes.pop("language", "en-IN"),
            voice=changes.pop("voice", None),
            report_key="k3y",
            **changes,
        ),
    )


def form(request: DialRequest) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, value in twilio().call_form(request):
        fields.setdefault(name, []).append(value)
    return fields


@pytest.mark.parametrize("message", HOSTILE)
def test_twilio_speaks_the_message_as_written_and_nothing_else(message: str) -> None:
    request = announce(message, voice="Polly.Aditi")
    twilio().validate(request)
    twiml = form(request)["Twiml"][0]
    root = fromstring(twiml)
    assert [element.tag for element in root.iter()] == [
        "Response",
        "Gather",
        "Say",
        "Hangup",
    ]
    say = root.find("Gather/Say")
    assert say is not None
    assert say.text == f"{message} Press 1 to confirm."
    assert say.attrib == {"language": "en-IN", "voice": "Polly.Aditi", "loop": "2"}
    gather = root.find("Gather")
    assert gather is not None
    assert gather.attrib["numDigits"] == "1"
    assert gather.attrib["action"] == f"{URL}?call=c1&leg=digits"


def test_twilios_announce_form_asks_for_machine_detection() -> None:
    fields = form(announce("Leak"))
    assert fields["To"] == ["+14155550102"]
    assert fields["From"] == ["+14155550100"]
    assert fields["StatusCallback"] == [f"{URL}?call=c1&leg=one"]
    assert fields["MachineDetection"] == ["Enable"]
    assert fields["AsyncAmd"] == ["true"]
    assert fields["AsyncAmdStatusCallback"] == [f"{URL}?call=c1&leg=amd"]
    leave = form(announce("Leak", voicemail=Voicemail.LEAVE_MESSAGE))
    assert leave["MachineDetection"] == ["DetectMessageEnd"]


def test_twilio_without_asking_speaks_and_hangs_up() -> None:
    twiml = form(announce("Dinner", acknowledge=False, repeat=3))["Twiml"][0]
    assert (
        twiml
        == '<Response><Say language="en-IN" loop="3">Dinner</Say><Hangup/></Response>'
    )


def test_twilio_refuses_twiml_over_its_limit() -> None:
    with pytest.raises(NotSentError) as caught:
        twilio().validate(announce("&" * 1000))
    assert caught.value.field == "message"


def test_a_dial_asks_for_machine_detection_on_b_only_when_told() -> None:
    plain = DialRequest(call_id="c1", to="+14155550102", callback_url=URL)
    assert "machineDetection" not in form(plain)["Twiml"][0]
    detected = DialRequest(
        call_id="c1", to="+14155550102", callback_url=URL, detect_machine=True
    )
    number = fromstring(form(detected)["Twiml"][0]).find("Dial/Number")
    assert number is not None
    assert number.attrib["machineDetection"] == "Enable"
    assert number.attrib["amdStatusCallback"] == f"{URL}?call=c1&leg=b-amd"


def signed(leg: str, fields: dict[str, str]) -> Callback:
    query = f"call=c1&leg={leg}"
    body = "&".join(f"{name}={value}" for name, value in fields.items())
    return Callback(
        "POST",
        URL,
        query,
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature(
                TOKEN, f"{URL}?{query}", parse_qsl(body, keep_blank_values=True)
            ),
        },
        body.encode(),
    )


@pytest.mark.parametrize(
    ("leg", "fields", "status", "answered_by", "digits"),
    [
        ("digits", {"Digits": "1"}, CallStatus.ACKNOWLEDGED, AnsweredBy.HUMAN, "1"),
        ("digits", {"Digits": "2"}, CallStatus.CONNECTED, AnsweredBy.HUMAN, "2"),
        ("amd", {"AnsweredBy": "human"}, CallStatus.CONNECTED, AnsweredBy.HUMAN, None),
        (
            "amd",
            {"AnsweredBy": "unknown"},
            CallStatus.CONNECTED,
            AnsweredBy.UNKNOWN,
            None,
        ),
        (
            "amd",
            {"AnsweredBy": "machine_start"},
            CallStatus.VOICEMAIL,
            AnsweredBy.MACHINE,
            None,
        ),
        (
            "amd",
            {"AnsweredBy": "machine_end_beep"},
            CallStatus.VOICEMAIL,
            AnsweredBy.MACHINE,
            None,
        ),
        ("amd", {"AnsweredBy": "fax"}, CallStatus.VOICEMAIL, AnsweredBy.MACHINE, None),
        (
            "b-amd",
            {"AnsweredBy": "machine_start"},
            CallStatus.VOICEMAIL,
            AnsweredBy.MACHINE,
            None,
        ),
        ("one", {"CallStatus": "in-progress"}, CallStatus.CONNECTED, None, None),
        (
            "one",
            {"CallStatus": "completed", "CallDuration": "20"},
            CallStatus.COMPLETED,
            None,
            None,
        ),
        ("one", {"CallStatus": "no-answer"}, CallStatus.NO_ANSWER, None, None),
    ],
)
def test_twilio_announce_reports(
    leg: str,
    fields: dict[str, str],
    status: CallStatus,
    answered_by: AnsweredBy | None,
    digits: str | None,
) -> None:
    update = twilio().parse_callback(signed(leg, fields))
    assert (update.status, update.answered_by, update.digits) == (
        status,
        answered_by,
        digits,
    )
    assert update.call_id == "c1"


@pytest.mark.parametrize(("leg", "fields"), [("digits", {}), ("amd", {})])
def test_twilio_reports_that_say_nothing_are_refused(
    leg: str, fields: dict[str, str]
) -> None:
    with pytest.raises(CallbackError):
        twilio().parse_callback(signed(leg, fields))


def test_twilio_is_told_what_to_say_after_the_digit() -> None:
    client = twilio()
    thanks = client.answer_to(client.parse_callback(signed("digits", {"Digits": "1"})))
    bye = client.answer_to(client.parse_callback(signed("digits", {"Digits": "7"})))
    status = client.answer_to(
        client.parse_callback(signed("one", {"CallStatus": "ringing"}))
    )
    assert thanks == (
        "<Response><Say>Thank you. Goodbye.</Say><Hangup/></Response>",
        "text/xml",
    )
    assert bye == ("<Response><Say>Goodbye.</Say><Hangup/></Response>", "text/xml")
    assert status == ("<Response/>", "text/xml")


@pytest.mark.parametrize("message", HOSTILE)
def test_telecmi_carries_the_message_as_json(message: str) -> None:
    request = announce_to(message)
    client = telecmi()
    client.validate(request)
    assert request.announcement is not None
    decoded = json.loads(json.dumps(client.pcmo_body(request, request.announcement)))
    assert [action["action"] for action in decoded["pcmo"]] == [
        "speak",
        "input",
        "speak",
        "input",
        "hangup",
    ]
    assert decoded["pcmo"][0]["text"] == f"{message} Press 1 to confirm."
    assert decoded["pcmo"][1]["action_url"] == f"{URL}?call=c1&key=k3y"
    assert (decoded["appid"], decoded["from"], decoded["to"]) == (
        1111112,
        919100000000,
        919876543210,
    )


def announce_to(message: str) -> DialRequest:
    return DialRequest(
        call_id="c1",
        to="919876543210",
        callback_url=URL,
        announcement=Announcement(message=message, report_key="k3y"),
    )


def test_telecmi_picks_indias_endpoint_by_the_app_number() -> None:
    assert telecmi("919100000000").pcmo_url().endswith("/v2/ind_pcmo_make_call")
    assert telecmi("14155550100").pcmo_url().endswith("/v2/global_pcmo_make_call")


def test_telecmi_announcing_needs_the_apps_number() -> None:
    with pytest.raises(NotSentError) as caught:
        telecmi(None).validate(announce_to("Leak"))
    assert caught.value.field == "caller_id"


def digit_report(body: Any, query: str = "call=c1&key=k3y") -> Callback:
    return Callback(
        "POST",
        URL,
        query,
        {"Content-Type": "application/json"},
        json.dumps(body).encode(),
    )


@pytest.mark.parametrize(
    ("dtmf", "status"),
    [
        ("1", CallStatus.ACKNOWLEDGED),
        (1, CallStatus.ACKNOWLEDGED),
        ("2", CallStatus.CONNECTED),
    ],
)
def test_telecmi_digit_reports(dtmf: Any, status: CallStatus) -> None:
    body = {"from": 919100000000, "to": 919876543210, "dtmf": dtmf, "cmuuid": "u"}
    update = telecmi().parse_callback(digit_report(body))
    assert update is not None
    assert (update.status, update.digits, update.call_id, update.report_key) == (
        status,
        str(dtmf),
        "c1",
        "k3y",
    )


@pytest.mark.parametrize("dtmf", [None, "", True, [], "1" * 40])
def test_telecmi_digit_reports_without_a_digit_are_refused(dtmf: Any) -> None:
    with pytest.raises(CallbackError):
        telecmi().parse_callback(digit_report({"dtmf": dtmf}))


def test_a_telecmi_digit_without_its_key_carries_an_empty_one() -> None:
    update = telecmi().parse_callback(digit_report({"dtmf": "1"}, "call=c1"))
    assert update is not None
    assert update.report_key == ""


def test_telecmi_is_told_what_to_do_after_the_digit() -> None:
    client = telecmi()
    update = client.parse_callback(digit_report({"dtmf": "1"}))
    assert update is not None
    body, content_type = client.answer_to(update) or ("", "")
    assert content_type == "application/json"
    assert json.loads(body) == [
        {"action": "speak", "text": "Thank you. Goodbye."},
        {"action": "hangup"},
    ]


@given(message=st.text(min_size=1, max_size=1000))
def test_any_message_is_spoken_as_written(message: str) -> None:
    """Whatever the text, the TwiML is one Gather, one Say, one Hangup, and
    the Say reads back the message (less what XML cannot hold: control
    characters), or the request is refused before sending; JSON carries it
    whole."""
    request = announce(message)
    try:
        twilio().validate(request)
    except NotSentError:
        pass
    else:
        root = fromstring(form(request)["Twiml"][0])
        assert [element.tag for element in root.iter()] == [
            "Response",
            "Gather",
            "Say",
            "Hangup",
        ]
        say = root.find("Gather/Say")
        assert say is not None
        kept = "".join(char for char in message if char in "\t\n\r" or ord(char) >= 32)
        assert (say.text or "").replace("\r\n", "\n") == (
            f"{kept} Press 1 to confirm.".replace("\r\n", "\n").replace("\r", "\n")
        )
    request = announce_to(message)
    assert request.announcement is not None
    body = telecmi().pcmo_body(request, request.announcement)
    assert json.loads(json.dumps(body))["pcmo"][0]["text"] == (
        f"{message} Press 1 to confirm."
    )
