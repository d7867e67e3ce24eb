"""The Exotel client: its requests and answers (over HTTP, against the sandbox)
and its status callbacks (without Home Assistant), every sheet sample included.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
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
from custom_components.click_to_call.providers.exotel import (
    MUMBAI,
    ExotelClient,
    ExotelConfig,
)
from custom_components.click_to_call.providers.models import (
    Callback,
    CallStatus,
    CallUpdate,
    DialRequest,
)
from sandbox import Canned, exotel as exotel_sandbox, samples
from tests.conftest import SandboxServer, exotel_data

HOOK = "https://ha.example/api/webhook/exotel-webhook?key=k"
FORM = "application/x-www-form-urlencoded"


def one_line(sample: str) -> str:
    """A form sample printed over indented lines, as one body."""
    return "".join(line.strip() for line in sample.splitlines())


def offline_client(**changes: Any) -> ExotelClient:
    config = ExotelConfig(
        **{
            "api_key": "k",
            "api_token": "t",
            "account_sid": "sid",
            "caller_id": "+918047110000",
            "a_party": "+919900000001",
            **changes,
        }
    )
    return ExotelClient(None, config)  # type: ignore[arg-type]


def client_for(
    session: aiohttp.ClientSession, sandbox: SandboxServer, **changes: Any
) -> ExotelClient:
    return ExotelClient.from_data(session, exotel_data(sandbox, **changes))  # type: ignore[return-value]


def posted(body: str | bytes, content_type: str) -> Callback:
    return Callback(
        method="POST",
        url="https://ha.example/api/webhook/exotel-webhook",
        query_string="key=k",
        headers={"Content-Type": content_type},
        body=body.encode() if isinstance(body, str) else body,
    )


def multipart(fields: list[tuple[str, str]], boundary: str = "b0undary") -> Callback:
    """A multipart/form-data body, as Exotel posts it by default."""
    parts = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        f"{value}\r\n"
        for name, value in fields
    )
    return posted(
        f"{parts}--{boundary}--\r\n", f"multipart/form-data; boundary={boundary}"
    )


SAMPLES = [
    (
        "terminal, JSON, both talked",
        posted(samples.EXOTEL_TERMINAL, "application/json"),
        CallUpdate(
            CallStatus.COMPLETED,
            provider_call_id="80bfbec2d78bbbf10fb851f4fa165211",
            # The sample's CustomField: our id, where we sent it.
            call_id="req-42",
            duration=320,
        ),
    ),
    (
        "answered, form, A only",
        posted(one_line(samples.EXOTEL_ANSWERED_A), FORM),
        CallUpdate(CallStatus.INITIATED, provider_call_id="..."),
    ),
    (
        "answered, form, B too",
        # Its start is elided in the sheet: the CallSid ours is put back.
        posted("CallSid=...&" + samples.EXOTEL_ANSWERED_B.removeprefix("..."), FORM),
        CallUpdate(CallStatus.CONNECTED, provider_call_id="..."),
    ),
    (
        "terminal, form, B did not answer",
        posted("CallSid=s&" + one_line(samples.EXOTEL_TERMINAL_NO_ANSWER), FORM),
        CallUpdate(
            CallStatus.NO_ANSWER, provider_call_id="s", error="B party: no-answer"
        ),
    ),
]


@pytest.mark.parametrize(
    ("callback", "expected"),
    [(callback, expected) for _, callback, expected in SAMPLES],
    ids=[name for name, _, _ in SAMPLES],
)
def test_every_sample_callback(callback: Callback, expected: CallUpdate) -> None:
    assert offline_client().parse_callback(callback) == expected


@pytest.mark.parametrize(
    ("callback", "expected"),
    [(callback, expected) for _, callback, expected in SAMPLES],
    ids=[name for name, _, _ in SAMPLES],
)
def test_every_sample_as_multipart(callback: Callback, expected: CallUpdate) -> None:
    """Exotel's default encoding: the same fields, flattened, as form-data parts."""
    if callback.content_type == FORM:
        fields = parse_qsl(callback.body.decode(), keep_blank_values=True)
    else:
        fields = exotel_sandbox.form_fields(json.loads(callback.body))
    assert offline_client().parse_callback(multipart(fields)) == expected


def legs(a: str | None, b: str | None, **fields: Any) -> dict[str, Any]:
    return {
        "CallSid": "s",
        "EventType": "terminal",
        "Legs": [{"Status": a}, {"Status": b}],
        **fields,
    }


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (
            legs("completed", "completed", Status="completed"),
            CallStatus.COMPLETED,
            None,
        ),
        (legs("completed", "busy", Status="busy"), CallStatus.BUSY, "B party: busy"),
        (
            legs("completed", "no-answer", Status="completed", ConversationDuration=0),
            CallStatus.NO_ANSWER,
            "B party: no-answer",
        ),
        (
            legs("completed", "failed", Status="failed"),
            CallStatus.FAILED,
            "B party: failed",
        ),
        (legs("completed", "canceled"), CallStatus.CANCELLED, "B party: canceled"),
        (
            legs("no-answer", None, Status="no-answer"),
            CallStatus.NO_ANSWER,
            "A party: no-answer",
        ),
        (legs("busy", None, Status="busy"), CallStatus.BUSY, "A party: busy"),
        (
            legs("canceled", None, Status="no-answer"),
            CallStatus.CANCELLED,
            "A party: canceled",
        ),
        (legs("failed", None, Status="failed"), CallStatus.FAILED, "A party: failed"),
        (
            legs("completed", None, Status="completed"),
            CallStatus.FAILED,
            "completed: B party not reached",
        ),
        (legs("completed", "completed"), CallStatus.COMPLETED, None),
        (
            {"CallSid": "s", "Status": "completed", "ConversationDuration": 12},
            CallStatus.COMPLETED,
            None,
        ),
        ({"CallSid": "s", "Status": "busy"}, CallStatus.BUSY, "busy"),
        ({"CallSid": "s", "Status": "no-answer"}, CallStatus.NO_ANSWER, "no-answer"),
        ({"CallSid": "s", "Status": "failed"}, CallStatus.FAILED, "failed"),
    ],
)
def test_terminal_mapping(
    body: dict[str, Any], status: CallStatus, error: str | None
) -> None:
    """The failing leg decides: A's first (B was then never dialled), else B's."""
    update = offline_client().parse_callback(
        posted(json.dumps(body), "application/json")
    )
    assert update is not None
    assert (update.status, update.error) == (status, error)


def test_the_default_fields_alone_say_completed_without_legs() -> None:
    body = {"CallSid": "s", "Status": "completed", "RecordingUrl": None}
    update = offline_client().parse_callback(
        posted(json.dumps(body), "application/json")
    )
    assert update == CallUpdate(CallStatus.COMPLETED, provider_call_id="s")


@pytest.mark.parametrize("legs", ["missing", None, []])
@pytest.mark.parametrize("talked", [0, "0"])
def test_completed_with_nobody_talking_is_not_answered(
    legs: object, talked: object
) -> None:
    """Status completed with ConversationDuration 0 and no Legs: B was not
    reached, as when the Legs say so (issue: it ended `completed`)."""
    body: dict[str, Any] = {
        "CallSid": "s",
        "EventType": "terminal",
        "Status": "completed",
        "ConversationDuration": talked,
    }
    if legs != "missing":
        body["Legs"] = legs
    update = offline_client().parse_callback(
        posted(json.dumps(body), "application/json")
    )
    assert update is not None
    assert update.status is CallStatus.FAILED
    assert update.error == "completed: B party not reached"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"CallSid": "s", "EventType": "ringing"}, "unknown event"),
        ({"CallSid": "s", "Status": "exploded"}, "unknown status"),
        (
            {"CallSid": "s", "Status": "completed", "ConversationDuration": "x"},
            "not a number",
        ),
        (
            {"CallSid": "s", "Status": "completed", "ConversationDuration": -1},
            "out of range",
        ),
        (
            legs("completed", "completed") | {"Legs": [{"OnCallDuration": [1]}]},
            "not a number",
        ),
    ],
)
def test_unusable_callbacks(body: dict[str, Any], reason: str) -> None:
    with pytest.raises(CallbackError, match=reason):
        offline_client().parse_callback(posted(json.dumps(body), "application/json"))


@pytest.mark.parametrize(
    "callback",
    [
        posted('{"call_id": "c", "status": "busy"}', "application/json"),
        posted("[1]", "application/json"),
        posted("{", "application/json"),
        posted(b"\xff", FORM),
        posted("a=1&" * 101, FORM),
        posted("CallSid=s", "text/plain"),
        posted('{"CallSid": 5}', "application/json"),
    ],
)
def test_anything_else_is_left_to_the_generic_format(callback: Callback) -> None:
    assert offline_client().parse_callback(callback) is None


def test_a_multipart_body_without_parts_is_refused() -> None:
    callback = posted("CallSid=s", "multipart/form-data; boundary=nothing")
    with pytest.raises(CallbackError, match="without its parts"):
        offline_client().parse_callback(callback)


def test_multipart_keeps_at_most_a_hundred_fields() -> None:
    fields = [("CallSid", "s"), ("Status", "busy")] + [
        (f"x{n}", "1") for n in range(200)
    ]
    update = offline_client().parse_callback(multipart(fields))
    assert update is not None
    assert update.status is CallStatus.BUSY


@given(
    fields=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "CallSid",
                    "EventType",
                    "Status",
                    "ConversationDuration",
                    "Legs[0][Status]",
                    "Legs[1][Status]",
                    "Legs[1][OnCallDuration]",
                ]
            ),
            st.sampled_from(
                [
                    "",
                    "terminal",
                    "answered",
                    "completed",
                    "busy",
                    "no-answer",
                    "canceled",
                    "failed",
                    "in-progress",
                    "12",
                    "-3",
                    "x",
                ]
            ),
        ),
        max_size=8,
    ),
    encoding=st.sampled_from(["form", "multipart"]),
)
def test_any_form_is_read_or_refused_cleanly(
    fields: list[tuple[str, str]], encoding: str
) -> None:
    callback = (
        posted(urlencode(fields), FORM) if encoding == "form" else multipart(fields)
    )
    try:
        update = offline_client().parse_callback(callback)
    except CallbackError:
        return
    assert update is None or update.provider_call_id == dict(fields).get("CallSid")


def test_the_request_as_sent_matches_the_sheets_curl() -> None:
    """The curl sample's fields, but TimeOut (Exotel's default ring time is kept)."""
    form = offline_client(caller_id="08047110000").connect_form(
        DialRequest(
            call_id="req-42",
            to="+919900000002",
            from_="+919900000001",
            max_duration=3600,
            callback_url="https://ha.example/api/webhook/ID?k=TOKEN",
        )
    )
    curl = dict(
        (field.strip("'").split("=", 1))
        for field in samples.EXOTEL_CURL.replace("\\\n", " ").split(" -d ")[1:]
    )
    curl = {name: value.strip().strip("'") for name, value in curl.items()}
    del curl["TimeOut"]
    assert dict(form) == curl


@pytest.mark.parametrize("seconds", [0, 14401])
def test_max_duration_is_checked_before_sending(seconds: int) -> None:
    with pytest.raises(NotSentError) as caught:
        offline_client().validate(
            DialRequest(call_id="c", to="+1", max_duration=seconds)
        )
    assert caught.value.translation_key is ErrorKey.OUT_OF_RANGE


@pytest.mark.parametrize(
    ("region", "api_url", "expected"),
    [
        ("api.exotel.com", None, "https://api.exotel.com/v1/Accounts/sid"),
        (MUMBAI, None, "https://api.in.exotel.com/v1/Accounts/sid"),
        (MUMBAI, "http://127.0.0.1:1/x/", "http://127.0.0.1:1/x/v1/Accounts/sid"),
    ],
)
def test_the_region_names_the_host(
    region: str, api_url: str | None, expected: str
) -> None:
    client = offline_client(region=region, api_url=api_url)
    assert client._account_url == expected


async def test_a_call_through_the_sandbox(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    result = await client_for(session, sandbox).async_dial(
        DialRequest(call_id="c1", to="+919900000002", callback_url=HOOK)
    )
    assert result.provider_call_id is not None
    [received] = sandbox.sandbox.received("exotel")
    assert received.path == "/exotel/v1/Accounts/demo-sid/Calls/connect.json"
    form = dict(parse_qsl(received.body.decode()))
    assert form["StatusCallback"] == HOOK
    assert form["CustomField"] == "c1"
    assert form["From"] == "+919900000001"
    assert sandbox.sandbox.calls[result.provider_call_id].to == "+919900000002"


async def test_the_sheets_sample_answer(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    sandbox.sandbox.queue("exotel", Canned(200, samples.EXOTEL_CONNECT_ANSWER))
    result = await client_for(session, sandbox).async_dial(
        DialRequest(call_id="c1", to="+919900000002")
    )
    assert result.provider_call_id == "c5797dcbaaeed7678c4062a4a3ed2f8a"


async def test_the_credential_check_places_no_call(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    assert await client_for(session, sandbox).async_check_credentials() is None
    [received] = sandbox.sandbox.received("exotel")
    assert (received.method, received.path) == (
        "GET",
        "/exotel/v1/Accounts/demo-sid/Calls.json",
    )
    assert sandbox.sandbox.calls == {}


@pytest.mark.parametrize(
    ("changes", "to", "error", "key"),
    [
        (
            {"api_token": "wrong"},
            "+919900000002",
            AuthenticationError,
            ErrorKey.AUTH_FAILED,
        ),
        (
            {"account_sid": "other"},
            "+919900000002",
            AuthenticationError,
            ErrorKey.ACCOUNT_NOT_FOUND,
        ),
        ({}, "12", InvalidRequestError, ErrorKey.INVALID_REQUEST),
        (
            {"caller_id": "+911111111111"},
            "+919900000002",
            InvalidRequestError,
            ErrorKey.INVALID_REQUEST,
        ),
        ({}, "+99912345678", CallRefusedError, ErrorKey.INSUFFICIENT_CREDIT),
        ({}, "+99812345678", CallRefusedError, ErrorKey.EXOTEL_FORBIDDEN),
    ],
)
async def test_refusals_from_the_sandbox(
    session: aiohttp.ClientSession,
    sandbox: SandboxServer,
    changes: dict[str, str],
    to: str,
    error: type[ProviderError],
    key: ErrorKey,
) -> None:
    with pytest.raises(error) as caught:
        await client_for(session, sandbox, **changes).async_dial(
            DialRequest(call_id="c1", to=to)
        )
    assert caught.value.translation_key is key
    assert caught.value.message  # Exotel's own words, kept
    assert sandbox.sandbox.calls == {}


@pytest.mark.parametrize(
    ("canned", "error", "key", "message"),
    [
        (
            Canned(400, samples.EXOTEL_ERROR),
            InvalidRequestError,
            ErrorKey.INVALID_REQUEST,
            samples.EXOTEL_ERROR,
        ),
        (Canned(429, "{}"), ProviderUnavailableError, ErrorKey.RATE_LIMITED, "{}"),
        (
            Canned(409, '{"RestException": {"Message": "busy"}}'),
            UnexpectedAnswerError,
            ErrorKey.UNEXPECTED_ANSWER,
            "Exotel answered HTTP 409: busy",
        ),
        (
            Canned(502, ""),
            ProviderUnavailableError,
            ErrorKey.UNAVAILABLE,
            "Exotel answered HTTP 502",
        ),
        (
            Canned(200, "[]"),
            UnexpectedAnswerError,
            ErrorKey.UNEXPECTED_ANSWER,
            "Exotel answered []",
        ),
        (
            Canned(200, '{"Call": {}}'),
            UnexpectedAnswerError,
            ErrorKey.UNEXPECTED_ANSWER,
            'Exotel answered {"Call": {}}',
        ),
        (
            Canned(400, '"text"'),
            InvalidRequestError,
            ErrorKey.INVALID_REQUEST,
            '"text"',
        ),
    ],
)
async def test_other_answers(
    session: aiohttp.ClientSession,
    sandbox: SandboxServer,
    canned: Canned,
    error: type[ProviderError],
    key: ErrorKey,
    message: str,
) -> None:
    sandbox.sandbox.queue("exotel", canned)
    with pytest.raises(error) as caught:
        await client_for(session, sandbox).async_dial(
            DialRequest(call_id="c1", to="+919900000002")
        )
    assert caught.value.translation_key is key
    assert caught.value.message == message


def test_multipart_parts_without_a_name_are_skipped() -> None:
    body = (
        "--b\r\nContent-Type: text/plain\r\n\r\nstray\r\n"
        '--b\r\nContent-Disposition: form-data; name="CallSid"\r\n\r\ns\r\n'
        '--b\r\nContent-Disposition: form-data; name="Status"\r\n\r\nbusy\r\n--b--\r\n'
    )
    update = offline_client().parse_callback(
        posted(body, "multipart/form-data; boundary=b")
    )
    assert update == CallUpdate(CallStatus.BUSY, provider_call_id="s", error="busy")
