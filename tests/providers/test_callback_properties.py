"""Every report parser, driven with anything the internet can send.

Each provider's callback parser, the generic format, and the webhook's key
and signature checks get arbitrary methods, queries, headers and bodies:
numbers that are Infinity, NaN or thousands of digits long, text that is not
ASCII (lone surrogates too), nesting, and the documents' own samples with any
field replaced. What comes out is a status, "not mine" (None) or
CallbackError: nothing else, ever (the webhook turns the last two into
"ignored, one debug line").
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.click_to_call.providers import client_class
from custom_components.click_to_call.providers.client import ProviderClient
from custom_components.click_to_call.providers.errors import CallbackError
from custom_components.click_to_call.providers.generic import parse_generic_callback
from custom_components.click_to_call.providers.models import (
    Callback,
    CallStatus,
    CallUpdate,
)
from custom_components.click_to_call.providers.twilio import is_signed
from custom_components.click_to_call.webhook import has_callback_key
from sandbox import samples
from tests.providers.test_exotel import one_line

URL = "https://ha.example/api/webhook/0123456789abcdef"
SETTINGS = {
    "telspiel": {"username": "demo", "api_key": "k", "agent_phone": "+919999999999"},
    "telecmi": {"user_id": "202_2222223", "secret": "s"},
    "ameyo": {
        "api_url": "https://ameyo.example",
        "hash_key": "h",
        "requesting_host": "ha",
        "policy_name": "p",
        "campaign_id": "1",
        "user_id": "agent1",
    },
    "voice_panel": {
        "api_url": "https://panel.example",
        "uid": "u",
        "pin": "1",
        "number1": "+919999999999",
    },
    "spokn": {"username": "demo", "password": "p", "aparty": "+919999999999"},
    "twilio": {
        "account_sid": "AC00000000000000000000000000000001",
        "auth_token": "demo-auth-token",
        "from_number": "+14155550100",
        "a_party": "+14155550101",
    },
    "exotel": {
        "api_key": "k",
        "api_token": "t",
        "account_sid": "sid",
        "caller_id": "+918047110000",
        "a_party": "+919900000001",
    },
}
CLIENTS: dict[str, ProviderClient[Any]] = {
    provider: client_class(provider).from_data(None, settings)  # type: ignore[arg-type]
    for provider, settings in SETTINGS.items()
}

# Numbers the way JSON and text can carry them: the hard ones first.
HARD_NUMBERS = st.sampled_from(
    [
        float("inf"),
        float("-inf"),
        float("nan"),
        10**400,
        -(10**400),
        2**63,
        -1,
        1e308,
        "Infinity",
        "NaN",
        "9" * 5000,
        "1e999",
        "٣",
        "",
        True,
    ]
)
TEXT = st.text(max_size=40) | st.sampled_from(["\ud800", "é", "\u200b", "\x00"])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | HARD_NUMBERS
    | TEXT
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3)
    ),
    max_leaves=12,
)

# The samples every parser is built for, as field maps a strategy can spoil.
JSON_SAMPLES = [
    json.loads(sample)
    for sample in (
        samples.TELECMI_EVENT_A_STARTED,
        samples.TELECMI_CDR_B_ANSWERED,
        samples.TELECMI_CDR_A_MISSED,
        samples.TELECMI_INDIA_EVENT,
        samples.TELECMI_INDIA_CDR,
        samples.EXOTEL_TERMINAL,
    )
] + [
    {"call_id": "01J0000000000000000000000", "status": "completed", "duration": 5},
    {"provider_call_id": "p", "status": "busy", "error": "x"},
]
FORM_SAMPLES = [
    dict(line.split("=", 1) for line in one_line(sample).split("&"))
    for sample in (
        samples.TWILIO_STATUS_COMPLETED,
        samples.EXOTEL_ANSWERED_A,
        samples.EXOTEL_TERMINAL_NO_ANSWER,
    )
] + [
    {
        "token": "01J0000000000000000000000",
        "userid": "demo",
        "leg": "2",
        "status": "0",
        "duration": "30",
        "cost": "0.5",
    },
    {"DialCallStatus": "completed", "DialCallDuration": "9", "DialBridged": "true"},
]


@st.composite
def spoiled(draw: st.DrawFn, originals: list[dict[str, Any]], values: Any) -> Any:
    """A sample with some fields replaced, dropped or added."""
    fields = dict(draw(st.sampled_from(originals)))
    for key in draw(st.lists(st.sampled_from(sorted(fields)), max_size=4)):
        if draw(st.booleans()):
            fields[key] = draw(values)
        else:
            fields.pop(key, None)
    fields.update(draw(st.dictionaries(TEXT, values, max_size=2)))
    return fields


def as_json(fields: Any) -> bytes:
    # Python writes Infinity and NaN, as a hostile sender may.
    try:
        return json.dumps(fields, allow_nan=True).encode("utf-8", "surrogatepass")
    except ValueError:  # a number too long to write
        return b"{}"


def as_form(fields: dict[str, Any]) -> bytes:
    return urlencode(
        {str(key): str(value) for key, value in fields.items()}, errors="surrogatepass"
    ).encode()


CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=b",
        "multipart/form-data",
        "text/xml; charset=utf-7",
        "",
    ]
) | st.text(max_size=30)
BODIES = st.one_of(
    spoiled(JSON_SAMPLES, JSON_VALUES).map(as_json),
    spoiled(FORM_SAMPLES, SCALARS).map(as_form),
    JSON_VALUES.map(as_json),
    st.binary(max_size=300),
    st.sampled_from([b"[" * 3000, b'{"a":' * 3000, b"--b\r\n\r\n--b--"]),
)
QUERIES = st.one_of(
    st.dictionaries(
        st.sampled_from(["key", "call", "leg", "status", "to", "type"]) | TEXT,
        TEXT,
        max_size=4,
    ).map(lambda query: urlencode(query, errors="surrogatepass")),
    TEXT,
)
HEADER_VALUES = TEXT | st.sampled_from(["RSOYDt4T1cUTdK1PDd93/VVr8B8=", "é" * 40])


@st.composite
def callbacks(draw: st.DrawFn) -> Callback:
    headers = {"Content-Type": draw(CONTENT_TYPES)}
    if draw(st.booleans()):
        headers["X-Twilio-Signature"] = draw(HEADER_VALUES)
    headers.update(draw(st.dictionaries(TEXT, HEADER_VALUES, max_size=2)))
    return Callback(
        method=draw(st.sampled_from(["POST", "GET", "PUT", "HEAD"])),
        url=URL,
        query_string=draw(QUERIES),
        headers=headers,
        body=draw(BODIES),
    )


def assert_a_status_or_nothing(update: CallUpdate | None) -> None:
    if update is None:
        return
    assert isinstance(update.status, CallStatus)
    assert update.duration is None or 0 <= update.duration < 10**7
    assert update.reported_at is None or 0 <= update.reported_at < 10**11
    for text in (update.call_id, update.provider_call_id, update.to, update.error):
        assert text is None or (isinstance(text, str) and len(text) < 1000)


@pytest.mark.parametrize("provider", sorted(CLIENTS))
@settings(max_examples=300)
@given(callback=callbacks())
def test_every_parser_gives_a_status_none_or_callback_error(
    provider: str, callback: Callback
) -> None:
    try:
        update = CLIENTS[provider].parse_callback(callback)
    except CallbackError:
        return
    assert_a_status_or_nothing(update)


@settings(max_examples=500)
@given(body=BODIES)
def test_the_generic_format_gives_a_status_or_callback_error(body: bytes) -> None:
    try:
        update = parse_generic_callback(body)
    except CallbackError:
        return
    assert_a_status_or_nothing(update)


@given(query=QUERIES, key=st.none() | TEXT | st.integers())
def test_the_key_check_answers_yes_or_no(query: str, key: Any) -> None:
    callback = Callback("POST", URL, query, {}, b"")
    assert isinstance(has_callback_key(callback.query, {"callback_key": key}), bool)


def test_the_key_check_takes_the_right_key_only() -> None:
    assert has_callback_key({"key": "k3y"}, {"callback_key": "k3y"})
    for given_key in ("k3Y", "é", "\ud800", ""):
        assert not has_callback_key({"key": given_key}, {"callback_key": "k3y"})


@given(callback=callbacks(), token=TEXT)
def test_the_signature_check_answers_yes_or_no(callback: Callback, token: str) -> None:
    params = [("a", "b")]
    signature = callback.headers.get("X-Twilio-Signature", "")
    assert isinstance(is_signed(token, callback, params, signature), bool)
