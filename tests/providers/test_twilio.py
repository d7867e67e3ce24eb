"""The Twilio client: its requests, its answers and its signed callbacks.

Requests go to the sandbox's Twilio over HTTP; callbacks are read without
Home Assistant, signed as twilio-python's RequestValidator signs them.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode

import aiohttp
from defusedxml.ElementTree import fromstring
from hypothesis import given, strategies as st
import pytest

from custom_components.click_to_call.providers.errors import (
    AuthenticationError,
    CallbackError,
    CallRefusedError,
    ErrorKey,
    InvalidRequestError,
    NotSentError,
    ProviderError,
    ProviderUnavailableError,
    UnexpectedAnswerError,
)
from custom_components.click_to_call.providers.models import (
    Callback,
    CallStatus,
    CallUpdate,
    DialRequest,
)
from custom_components.click_to_call.providers.twilio import (
    TRIAL_NOTE,
    TwilioClient,
    TwilioConfig,
    is_signed,
    signature,
)
from sandbox import Canned, samples, twilio as twilio_sandbox
from tests.conftest import SandboxServer, twilio_data

TOKEN = "demo-auth-token"
HOOK = "https://ha.example/api/webhook/twilio-webhook"
# The SDK's own test (tests/unit/test_request_validator.py).
SDK_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
SDK_PARAMS = [
    ("CallSid", "CA1234567890ABCDE"),
    ("Caller", "+14158675309"),
    ("Digits", "1234"),
    ("From", "+14158675309"),
    ("To", "+18005551212"),
]
# The sheet's sample status callback (section 4), A's call completed, printed
# over three indented lines.
SAMPLE_COMPLETED = "".join(
    line.strip() for line in samples.TWILIO_STATUS_COMPLETED.splitlines()
)


def offline_client(token: str = TOKEN) -> TwilioClient:
    config = TwilioConfig(
        account_sid="AC1", auth_token=token, from_number="+14155550100", a_party="+1"
    )
    return TwilioClient(None, config)  # type: ignore[arg-type]


def client_for(
    session: aiohttp.ClientSession, sandbox: SandboxServer, **changes: Any
) -> TwilioClient:
    return TwilioClient.from_data(session, twilio_data(sandbox, **changes))  # type: ignore[return-value]


def signed(
    body: str,
    query: dict[str, str],
    *,
    token: str = TOKEN,
    url: str = HOOK,
    signed_url: str | None = None,
) -> Callback:
    """A callback as Twilio posts it: the form, signed over the URL with its query."""
    query_string = urlencode(query)
    full = f"{url}?{query_string}"
    mac = signature(token, signed_url or full, parse_qsl(body, keep_blank_values=True))
    return Callback(
        method="POST",
        url=url,
        query_string=query_string,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": mac,
        },
        body=body.encode(),
    )


def report(leg: str, **fields: str) -> Callback:
    return signed(urlencode(fields), {"call": "c1", "leg": leg})


def test_signature_matches_the_sdk_test_vector() -> None:
    assert signature("12345", SDK_URL, SDK_PARAMS) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    with_port = SDK_URL.replace(".com/", ".com:443/")
    assert signature("12345", with_port, SDK_PARAMS) == "kvajT1Ptam85bY51eRf/AJRuM3w="


@pytest.mark.parametrize(
    ("url", "given"),
    [
        ("https://mycompany.com/myapp.php", "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        ("https://mycompany.com/myapp.php", "kvajT1Ptam85bY51eRf/AJRuM3w="),
        ("https://mycompany.com:443/myapp.php", "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        ("https://mycompany.com:443/myapp.php", "kvajT1Ptam85bY51eRf/AJRuM3w="),
    ],
)
def test_either_port_variant_of_the_sdk_vector_is_accepted(
    url: str, given: str
) -> None:
    callback = Callback("POST", url, "foo=1&bar=2", {}, b"")
    assert is_signed("12345", callback, SDK_PARAMS, given)
    assert not is_signed("12346", callback, SDK_PARAMS, given)
    assert not is_signed("12345", callback, SDK_PARAMS[:-1], given)


def test_a_non_default_port_is_signed_with_or_without_it() -> None:
    body = urlencode({"CallStatus": "ringing"})
    for signed_url in (
        "http://ha.example:8123/api/webhook/x?call=c1&leg=a",
        "http://ha.example/api/webhook/x?call=c1&leg=a",
    ):
        callback = signed(
            body,
            {"call": "c1", "leg": "a"},
            url="http://ha.example:8123/api/webhook/x",
            signed_url=signed_url,
        )
        assert offline_client().parse_callback(callback).status is CallStatus.INITIATED


def test_the_sheets_sample_callback_leaves_the_call_as_it_is() -> None:
    """A's own "completed" follows the Dial: it says nothing of B."""
    update = offline_client().parse_callback(
        signed(SAMPLE_COMPLETED, {"call": "c1", "leg": "a"})
    )
    assert update == CallUpdate(CallStatus.INITIATED, call_id="c1")


@pytest.mark.parametrize(
    ("leg", "fields", "expected"),
    [
        ("a", {"CallStatus": "initiated"}, CallUpdate(CallStatus.INITIATED, "c1")),
        ("a", {"CallStatus": "ringing"}, CallUpdate(CallStatus.INITIATED, "c1")),
        ("a", {"CallStatus": "in-progress"}, CallUpdate(CallStatus.INITIATED, "c1")),
        (
            "a",
            {"CallStatus": "busy", "SipResponseCode": "486"},
            CallUpdate(CallStatus.BUSY, "c1", error="A party: busy, SIP 486"),
        ),
        (
            "a",
            {"CallStatus": "no-answer"},
            CallUpdate(CallStatus.NO_ANSWER, "c1", error="A party: no-answer"),
        ),
        (
            "a",
            {"CallStatus": "canceled", "SipResponseCode": "487"},
            CallUpdate(CallStatus.CANCELLED, "c1", error="A party: canceled, SIP 487"),
        ),
        (
            "a",
            {"CallStatus": "failed", "SipResponseCode": "404"},
            CallUpdate(CallStatus.FAILED, "c1", error="A party: failed, SIP 404"),
        ),
        (
            "a",
            {"CallStatus": "no-answer", "SipResponseCode": "603"},
            CallUpdate(CallStatus.REJECTED, "c1", error="A party: no-answer, SIP 603"),
        ),
        ("b", {"CallStatus": "initiated"}, CallUpdate(CallStatus.INITIATED, "c1")),
        ("b", {"CallStatus": "ringing"}, CallUpdate(CallStatus.INITIATED, "c1")),
        ("b", {"CallStatus": "in-progress"}, CallUpdate(CallStatus.CONNECTED, "c1")),
        (
            "b",
            {"CallStatus": "completed", "CallDuration": "42"},
            CallUpdate(CallStatus.COMPLETED, "c1", duration=42),
        ),
        (
            "b",
            {"CallStatus": "busy", "SipResponseCode": "603"},
            CallUpdate(CallStatus.REJECTED, "c1", error="B party: busy, SIP 603"),
        ),
        (
            "dial",
            {
                "DialCallStatus": "completed",
                "DialCallDuration": "42",
                "DialBridged": "true",
            },
            CallUpdate(CallStatus.COMPLETED, "c1", duration=42),
        ),
        (
            "dial",
            {"DialCallStatus": "answered", "DialCallDuration": "7"},
            CallUpdate(CallStatus.COMPLETED, "c1", duration=7),
        ),
        (
            "dial",
            {"DialCallStatus": "completed", "DialBridged": "false"},
            CallUpdate(
                CallStatus.FAILED, "c1", error="B party answered but was not bridged"
            ),
        ),
        (
            "dial",
            {"DialCallStatus": "busy"},
            CallUpdate(CallStatus.BUSY, "c1", error="B party: busy"),
        ),
        (
            "dial",
            {"DialCallStatus": "no-answer"},
            CallUpdate(CallStatus.NO_ANSWER, "c1", error="B party: no-answer"),
        ),
        (
            "dial",
            {"DialCallStatus": "canceled"},
            CallUpdate(CallStatus.CANCELLED, "c1", error="B party: canceled"),
        ),
        (
            "dial",
            {"DialCallStatus": "failed"},
            CallUpdate(CallStatus.FAILED, "c1", error="B party: failed"),
        ),
    ],
)
def test_mapping(leg: str, fields: dict[str, str], expected: CallUpdate) -> None:
    assert offline_client().parse_callback(report(leg, **fields)) == expected


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda c: c.headers.pop("X-Twilio-Signature"), id="unsigned"),
        pytest.param(
            lambda c: c.headers.update({"X-Twilio-Signature": "AAAA"}), id="garbage"
        ),
        pytest.param(lambda c: None, id="another-token"),
    ],
)
def test_unsigned_or_wrongly_signed_callbacks_are_refused(forge: Any) -> None:
    callback = signed(
        urlencode({"CallStatus": "in-progress"}),
        {"call": "c1", "leg": "b"},
        token="not-the-token",
    )
    callback = Callback(
        callback.method,
        callback.url,
        callback.query_string,
        dict(callback.headers),
        callback.body,
    )
    forge(callback)
    with pytest.raises(CallbackError, match="X-Twilio-Signature"):
        offline_client().parse_callback(callback)


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda c: ("dial", c.body), id="another-leg"),
        pytest.param(
            lambda c: (c.query_string, c.body.replace(b"ringing", b"in-progress")),
            id="another-status",
        ),
    ],
)
def test_a_signed_callback_changed_on_the_way_is_refused(tamper: Any) -> None:
    callback = report("b", CallStatus="ringing")
    query, body = tamper(callback)
    if query == "dial":
        query = callback.query_string.replace("leg=b", "leg=dial")
    changed = Callback("POST", callback.url, query, callback.headers, body)
    with pytest.raises(CallbackError, match="does not match"):
        offline_client().parse_callback(changed)


@pytest.mark.parametrize(
    ("query", "body", "content_type", "reason"),
    [
        ({"leg": "a"}, "CallStatus=ringing", None, "not a callback URL"),
        ({"call": "c1", "leg": "c"}, "CallStatus=ringing", None, "not a callback URL"),
        (
            {"call": "c1", "leg": "a"},
            "CallStatus=exploded",
            None,
            "unknown call status",
        ),
        (
            {"call": "c1", "leg": "b"},
            "CallStatus=completed&CallDuration=x",
            None,
            "not a number",
        ),
        (
            {"call": "c1", "leg": "b"},
            "CallStatus=completed&CallDuration=-5",
            None,
            "out of range",
        ),
        (
            {"call": "c1", "leg": "a"},
            '{"CallStatus": "ringing"}',
            "application/json",
            "not a form",
        ),
        ({"call": "c1", "leg": "a"}, "a=1&" * 101, None, "not a form"),
    ],
)
def test_unusable_signed_callbacks(
    query: dict[str, str], body: str, content_type: str | None, reason: str
) -> None:
    callback = signed(body, query)
    if content_type is not None:
        callback.headers["Content-Type"] = content_type  # type: ignore[index]
    with pytest.raises(CallbackError, match=reason):
        offline_client().parse_callback(callback)


def test_a_body_that_is_not_utf8_is_refused() -> None:
    callback = signed("CallStatus=ringing", {"call": "c1", "leg": "a"})
    broken = Callback(
        "POST", callback.url, callback.query_string, callback.headers, b"\xff"
    )
    with pytest.raises(CallbackError, match="not a form"):
        offline_client().parse_callback(broken)


FORM_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12
)


@given(
    fields=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "CallStatus",
                    "DialCallStatus",
                    "DialBridged",
                    "CallDuration",
                    "DialCallDuration",
                    "SipResponseCode",
                ]
            )
            | FORM_TEXT,
            FORM_TEXT,
        ),
        max_size=8,
    ),
    leg=st.sampled_from(["a", "b", "dial"]),
)
def test_any_signed_form_is_read_or_refused_cleanly(
    fields: list[tuple[str, str]], leg: str
) -> None:
    """Whatever is in a signed form: an update of our call, or CallbackError."""
    try:
        update = offline_client().parse_callback(
            signed(urlencode(fields), {"call": "c1", "leg": leg})
        )
    except CallbackError:
        return
    assert update.call_id == "c1"
    assert update.duration is None or 0 <= update.duration < 10**7


def test_the_request_as_sent() -> None:
    """To is A, From the Twilio number; the TwiML dials B with the same caller ID."""
    request = DialRequest(
        call_id="c1",
        to="+14155550102",
        max_duration=600,
        callback_url="https://ha.example/api/webhook/x",
    )
    form = offline_client().call_form(request)
    names = [name for name, _ in form]
    assert names == [
        "To",
        "From",
        "Twiml",
        "StatusCallback",
        *["StatusCallbackEvent"] * 4,
        "TimeLimit",
    ]
    fields = dict(form)
    assert (fields["To"], fields["From"], fields["TimeLimit"]) == (
        "+1",
        "+14155550100",
        "600",
    )
    assert fields["StatusCallback"] == "https://ha.example/api/webhook/x?call=c1&leg=a"
    assert [value for name, value in form if name == "StatusCallbackEvent"] == [
        "initiated",
        "ringing",
        "answered",
        "completed",
    ]
    assert fields["Twiml"] == (
        '<Response><Dial callerId="+14155550100" answerOnBridge="true" '
        'action="https://ha.example/api/webhook/x?call=c1&amp;leg=dial" '
        'method="POST" timeLimit="600"><Number '
        'statusCallback="https://ha.example/api/webhook/x?call=c1&amp;leg=b" '
        'statusCallbackEvent="initiated ringing answered completed">'
        "+14155550102</Number></Dial></Response>"
    )
    dial = fromstring(fields["Twiml"]).find("Dial")
    assert dial.get("action").endswith("?call=c1&leg=dial")


def test_without_a_webhook_url_the_call_still_goes_out() -> None:
    form = dict(offline_client().call_form(DialRequest(call_id="c1", to="+1555")))
    assert set(form) == {"To", "From", "Twiml"}
    assert fields_of(form["Twiml"]) == {
        "callerId": "+14155550100",
        "answerOnBridge": "true",
    }


def fields_of(twiml: str) -> dict[str, str]:
    return dict(fromstring(twiml).find("Dial").attrib)


def test_special_characters_in_numbers_are_escaped() -> None:
    twiml = dict(offline_client().call_form(DialRequest(call_id="c", to="<&>")))[
        "Twiml"
    ]
    assert fromstring(twiml).find("Dial/Number").text == "<&>"


@pytest.mark.parametrize("seconds", [0, 14401])
def test_max_duration_is_checked_before_sending(seconds: int) -> None:
    with pytest.raises(NotSentError) as caught:
        offline_client().validate(
            DialRequest(call_id="c", to="+1", max_duration=seconds)
        )
    assert caught.value.translation_key is ErrorKey.OUT_OF_RANGE


async def test_a_call_through_the_sandbox(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    result = await client_for(session, sandbox).async_dial(
        DialRequest(
            call_id="c1",
            to="+14155550102",
            from_="+14155550101",
            callback_url="https://ha.example/api/webhook/x",
        )
    )
    assert result.provider_call_id is not None
    assert result.provider_call_id.startswith("CA")
    [received] = sandbox.sandbox.received("twilio")
    assert received.path == (
        "/twilio/2010-04-01/Accounts/AC00000000000000000000000000000001/Calls.json"
    )
    assert received.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = parse_qs(received.body.decode())
    assert form["StatusCallbackEvent"] == [
        "initiated",
        "ringing",
        "answered",
        "completed",
    ]
    assert sandbox.sandbox.calls[result.provider_call_id].to == "+14155550102"


@pytest.mark.parametrize(
    ("changes", "to", "error", "key", "field"),
    [
        (
            {"auth_token": "wrong"},
            "+14155550102",
            AuthenticationError,
            ErrorKey.AUTH_FAILED,
            None,
        ),
        (
            {"account_sid": "AC00000000000000000000000000000002"},
            "+14155550102",
            AuthenticationError,
            ErrorKey.AUTH_FAILED,
            None,
        ),
        (
            {"a_party": "12"},
            "+14155550102",
            InvalidRequestError,
            ErrorKey.TWILIO_INVALID_NUMBER,
            "from",
        ),
        (
            {"from_number": "12"},
            "+14155550102",
            InvalidRequestError,
            ErrorKey.TWILIO_INVALID_FROM,
            "from_number",
        ),
        (
            {"from_number": "+15550000000"},
            "+14155550102",
            InvalidRequestError,
            ErrorKey.TWILIO_INVALID_FROM,
            "from_number",
        ),
        ({}, "+99912345678", CallRefusedError, ErrorKey.TWILIO_GEO_PERMISSION, None),
        ({}, "12", InvalidRequestError, ErrorKey.TWILIO_INVALID_NUMBER, "to"),
    ],
)
async def test_error_codes_from_the_sandbox(
    session: aiohttp.ClientSession,
    sandbox: SandboxServer,
    changes: dict[str, str],
    to: str,
    error: type[ProviderError],
    key: ErrorKey,
    field: str | None,
) -> None:
    with pytest.raises(error) as caught:
        await client_for(session, sandbox, **changes).async_dial(
            DialRequest(call_id="c1", to=to, from_=changes.get("a_party"))
        )
    assert caught.value.translation_key is key
    assert caught.value.field == field
    assert sandbox.sandbox.calls == {}


async def test_a_trial_account_calls_only_verified_numbers(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    sandbox.sandbox.accounts["twilio"]["type"] = "Trial"
    client = client_for(session, sandbox)
    assert await client.async_check_credentials() == TRIAL_NOTE
    with pytest.raises(CallRefusedError) as caught:
        await client.async_dial(DialRequest(call_id="c1", to="+14155550102"))
    assert caught.value.translation_key is ErrorKey.TWILIO_TRIAL_UNVERIFIED
    assert "21219" in caught.value.message


async def test_the_credential_check_places_no_call(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    assert await client_for(session, sandbox).async_check_credentials() is None
    [received] = sandbox.sandbox.received("twilio")
    assert received.method == "GET"
    assert received.path.endswith("/Accounts/AC00000000000000000000000000000001.json")
    assert sandbox.sandbox.calls == {}


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"auth_token": "wrong"}, ErrorKey.AUTH_FAILED),
        ({"account_sid": "AC2"}, ErrorKey.AUTH_FAILED),
    ],
)
async def test_the_credential_check_refuses_wrong_credentials(
    session: aiohttp.ClientSession,
    sandbox: SandboxServer,
    changes: dict[str, str],
    key: ErrorKey,
) -> None:
    with pytest.raises(AuthenticationError) as caught:
        await client_for(session, sandbox, **changes).async_check_credentials()
    assert caught.value.translation_key is key


def error_answer(status: int, code: int, message: str = "what Twilio says") -> Canned:
    body = {"code": code, "message": message, "more_info": "", "status": status}
    return Canned(status, json.dumps(body))


@pytest.mark.parametrize(
    ("canned", "error", "key"),
    [
        (error_answer(404, 20404), AuthenticationError, ErrorKey.ACCOUNT_NOT_FOUND),
        (error_answer(429, 20429), ProviderUnavailableError, ErrorKey.RATE_LIMITED),
        (Canned(429, ""), ProviderUnavailableError, ErrorKey.RATE_LIMITED),
        (error_answer(400, 21205), InvalidRequestError, ErrorKey.INVALID_REQUEST),
        (Canned(401, "{}"), AuthenticationError, ErrorKey.AUTH_FAILED),
        (Canned(503, "down"), ProviderUnavailableError, ErrorKey.UNAVAILABLE),
        (Canned(302, ""), UnexpectedAnswerError, ErrorKey.REDIRECTED),
        (
            Canned(201, '{"sid": "XX1"}'),
            UnexpectedAnswerError,
            ErrorKey.UNEXPECTED_ANSWER,
        ),
        (Canned(201, "[]"), UnexpectedAnswerError, ErrorKey.UNEXPECTED_ANSWER),
        (Canned(201, "<html>"), UnexpectedAnswerError, ErrorKey.UNEXPECTED_ANSWER),
        (error_answer(418, 0), InvalidRequestError, ErrorKey.INVALID_REQUEST),
    ],
)
async def test_other_answers(
    session: aiohttp.ClientSession,
    sandbox: SandboxServer,
    canned: Canned,
    error: type[ProviderError],
    key: ErrorKey,
) -> None:
    sandbox.sandbox.queue("twilio", canned)
    with pytest.raises(error) as caught:
        await client_for(session, sandbox).async_dial(
            DialRequest(call_id="c1", to="+14155550102")
        )
    assert caught.value.translation_key is key


async def test_a_suspended_account_is_said_so(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    account = twilio_sandbox.account_resource(sandbox.sandbox.accounts["twilio"])
    sandbox.sandbox.queue(
        "twilio", Canned(200, json.dumps(account | {"status": "suspended"}))
    )
    with pytest.raises(AuthenticationError) as caught:
        await client_for(session, sandbox).async_check_credentials()
    assert caught.value.translation_key is ErrorKey.ACCOUNT_SUSPENDED
    assert caught.value.message == "the account is suspended"


async def test_the_sheets_sample_answer_gives_its_sid(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    """Its subresource_uris is elided as {...}: the sid still says it was placed."""
    sandbox.sandbox.queue("twilio", Canned(201, samples.TWILIO_CALL_ANSWER))
    result = await client_for(session, sandbox).async_dial(
        DialRequest(call_id="c1", to="+14155550102")
    )
    assert result.provider_call_id == "CAxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"


async def test_the_sheets_sample_error(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    sandbox.sandbox.queue("twilio", Canned(400, samples.TWILIO_ERROR))
    with pytest.raises(InvalidRequestError) as caught:
        await client_for(session, sandbox).async_dial(
            DialRequest(call_id="c1", to="+14155550102")
        )
    assert caught.value.translation_key is ErrorKey.TWILIO_INVALID_NUMBER
    assert caught.value.message == (
        "The 'To' number +1555 is not a valid phone number. (21211)"
    )


def test_the_twiml_has_the_sheets_shape() -> None:
    """The same elements and attributes as the sheet's TwiML (but its timeout)."""
    sample = fromstring(samples.TWILIO_TWIML.strip())
    ours = fromstring(
        dict(
            offline_client().call_form(
                DialRequest(call_id="c1", to="+14155550102", callback_url=HOOK)
            )
        )["Twiml"]
    )
    for path in ("Dial", "Dial/Number"):
        expected = set(sample.find(path).attrib) - {"timeout"}
        assert set(ours.find(path).attrib) == expected
    assert ours.find("Dial/Number").get("statusCallbackEvent") == sample.find(
        "Dial/Number"
    ).get("statusCallbackEvent")
    assert ours.find("Dial").get("answerOnBridge") == "true"


@pytest.mark.parametrize(
    ("url", "signed_url"),
    [
        ("http://[::1]:8123/api/webhook/x", "http://[::1]/api/webhook/x"),
        ("http://[::1]/api/webhook/x", "http://[::1]:80/api/webhook/x"),
        (
            "https://u:p@ha.example/api/webhook/x",
            "https://u:p@ha.example:443/api/webhook/x",
        ),
    ],
)
def test_ipv6_hosts_and_credentials_in_the_url_keep_their_place(
    url: str, signed_url: str
) -> None:
    query = {"call": "c1", "leg": "b"}
    callback = signed(
        "CallStatus=in-progress",
        query,
        url=url,
        signed_url=f"{signed_url}?{urlencode(query)}",
    )
    assert offline_client().parse_callback(callback).status is CallStatus.CONNECTED
