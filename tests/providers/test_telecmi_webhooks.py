"""TeleCMI's live events and call detail records, read without Home Assistant.

Every sample of telecmi-webhooks.txt, and those it describes by their
differences, maps to the status the sheet's mapping gives.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any
from urllib.parse import urlencode

from hypothesis import given, strategies as st
import pytest

from custom_components.click_to_call.providers.errors import CallbackError
from custom_components.click_to_call.providers.models import (
    Callback,
    CallStatus,
    CallUpdate,
)
from custom_components.click_to_call.providers.telecmi import (
    TelecmiClient,
    TelecmiConfig,
    parse_notification,
)
from sandbox import samples

URL = "https://ha.example/api/webhook/telecmi-webhook"
A_STARTED_ID = "bvS68LlqtFunYMQO0db6g9klSdfS0UHHDoK9S9Qvaed"
B_ANSWERED_ID = "c0Sq3mbykoHgVgLfyWTr6cV6HB5Z0Fk4AXpZFkOClSr"
A_MISSED_ID = "D8qpRb27mpXEYgEdAMY6arnQ2ONAB04Y86QrfKbOWZQ"


def derived(sample: str, **changes: Any) -> str:
    """A sample the sheet describes by its differences from a printed one."""
    return json.dumps(json.loads(sample) | changes)


# (b) leg B answered: "same shape, differs in leg, cmiuuid, status".
EVENT_B_ANSWERED = derived(
    samples.TELECMI_EVENT_A_STARTED,
    leg="b",
    cmiuuid="81b3d612-3473-4ac3-ba6e-030ee508036f",
    status="answered",
)
# "hangup events have the same shape again".
EVENT_A_HANGUP = derived(samples.TELECMI_EVENT_A_STARTED, status="hangup")
# (c) "leg A answered CDR: same keys, leg a, its own cmiuuid, to 442000000000,
# answeredsec 15, recv_bye".
CDR_A_ANSWERED = derived(
    samples.TELECMI_CDR_B_ANSWERED,
    leg="a",
    cmiuuid="9a1c7d0e-0000-4000-8000-000000000001",
    to=442000000000,
    answeredsec=15,
    hangup_reason="recv_bye",
)
# (d) "leg B missed sample: leg b, to 442000000001, hangup_reason sent_reject".
CDR_B_MISSED = derived(
    samples.TELECMI_CDR_A_MISSED, leg="b", to=442000000001, hangup_reason="sent_reject"
)
# (e) "missed variant: status missed, no answeredsec/record/filename".
INDIA_CDR_MISSED = json.dumps(
    {
        key: value
        for key, value in json.loads(samples.TELECMI_INDIA_CDR).items()
        if key not in ("answeredsec", "record", "filename")
    }
    | {"status": "missed"}
)

# Every sample, and the update it is read as.
SAMPLES: list[tuple[str, str, CallUpdate]] = [
    (
        "a: event, leg A started",
        samples.TELECMI_EVENT_A_STARTED,
        CallUpdate(
            CallStatus.INITIATED, provider_call_id=A_STARTED_ID, to="442000000001"
        ),
    ),
    (
        "b: event, leg B answered",
        EVENT_B_ANSWERED,
        CallUpdate(
            CallStatus.CONNECTED, provider_call_id=A_STARTED_ID, to="442000000001"
        ),
    ),
    (
        "b: event, hangup",
        EVENT_A_HANGUP,
        CallUpdate(
            CallStatus.INITIATED, provider_call_id=A_STARTED_ID, to="442000000001"
        ),
    ),
    (
        "c: record, leg B answered",
        samples.TELECMI_CDR_B_ANSWERED,
        CallUpdate(
            CallStatus.COMPLETED,
            provider_call_id=B_ANSWERED_ID,
            to="442000000001",
            duration=6,
        ),
    ),
    (
        "c: record, leg A answered",
        CDR_A_ANSWERED,
        CallUpdate(
            CallStatus.INITIATED, provider_call_id=B_ANSWERED_ID, to="442000000000"
        ),
    ),
    (
        "d: record, leg A missed",
        samples.TELECMI_CDR_A_MISSED,
        CallUpdate(
            CallStatus.NO_ANSWER,
            provider_call_id=A_MISSED_ID,
            to="442000000000",
            error="A party (the TeleCMI user): missed (recv_cancel)",
        ),
    ),
    (
        "d: record, leg B missed",
        CDR_B_MISSED,
        CallUpdate(
            CallStatus.REJECTED,
            provider_call_id=A_MISSED_ID,
            to="442000000001",
            error="B party: missed (sent_reject)",
        ),
    ),
    (
        "e: older format, event",
        samples.TELECMI_INDIA_EVENT,
        CallUpdate(CallStatus.INITIATED, to="9100000000"),
    ),
    (
        "e: older format, record",
        samples.TELECMI_INDIA_CDR,
        CallUpdate(CallStatus.COMPLETED, to="9100000000", duration=13),
    ),
    (
        "e: older format, missed record",
        INDIA_CDR_MISSED,
        CallUpdate(
            CallStatus.NO_ANSWER, to="9100000000", error="B party: missed (missed)"
        ),
    ),
]


def client(user_id: str = "101_1111112") -> TelecmiClient:
    return TelecmiClient(None, TelecmiConfig(user_id=user_id, secret="s"))  # type: ignore[arg-type]


def user_of(body: str) -> str:
    """The TeleCMI user a sample is about (the samples' users differ)."""
    return str(json.loads(body)["user"])


def read(body: str, update: CallUpdate | None) -> CallUpdate | None:
    """An update as the expectations above give it: without the report's own
    time and id, which each sample's `time` and `cmiuuid` decide, and how an
    announce call would read it (tests/providers/test_telecmi_announce.py)."""
    if update is None:
        return None
    data = json.loads(body)
    assert update.reported_at == data["time"] / 1000
    assert update.report_id is not None
    assert update.report_id.endswith(data["cmiuuid"])
    return dataclasses.replace(
        update, reported_at=None, report_id=None, announce_status=None
    )


def post(body: str | bytes, content_type: str = "application/json") -> Callback:
    return Callback(
        method="POST",
        url=URL,
        query_string="",
        headers={"Content-Type": content_type},
        body=body.encode() if isinstance(body, str) else body,
    )


def get(fields: dict[str, Any]) -> Callback:
    return Callback(
        method="GET", url=URL, query_string=urlencode(fields), headers={}, body=b""
    )


def as_text(body: str) -> dict[str, str]:
    """The sample's keys with every value as text, as a query string carries them."""
    return {key: str(value) for key, value in json.loads(body).items()}


@pytest.mark.parametrize(
    ("body", "expected"),
    [(body, expected) for _, body, expected in SAMPLES],
    ids=[name for name, _, _ in SAMPLES],
)
def test_every_sample_posted_as_json(body: str, expected: CallUpdate) -> None:
    assert read(body, client(user_of(body)).parse_callback(post(body))) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [(body, expected) for _, body, expected in SAMPLES],
    ids=[name for name, _, _ in SAMPLES],
)
def test_every_sample_delivered_by_get(body: str, expected: CallUpdate) -> None:
    """A GET carries the same keys in its query, every value as text."""
    update = client(user_of(body)).parse_callback(get(as_text(body)))
    assert read(body, update) == expected


def test_a_form_post_is_read_like_a_query() -> None:
    sample = samples.TELECMI_CDR_B_ANSWERED
    update = client(user_of(sample)).parse_callback(
        post(urlencode(as_text(sample)), "application/x-www-form-urlencoded")
    )
    assert read(sample, update) == SAMPLES[3][2]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
def test_json_in_any_unicode_encoding(encoding: str) -> None:
    sample = samples.TELECMI_CDR_B_ANSWERED
    update = client(user_of(sample)).parse_callback(post(sample.encode(encoding)))
    assert read(sample, update) == SAMPLES[3][2]


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        ("recv_cancel", CallStatus.NO_ANSWER),
        ("sent_reject", CallStatus.REJECTED),
        ("recv_bye", CallStatus.CANCELLED),
        ("sent_bye", CallStatus.CANCELLED),
        ("busy", CallStatus.BUSY),
        ("failed", CallStatus.FAILED),
        ("something_new", CallStatus.FAILED),
    ],
)
@pytest.mark.parametrize("leg", ["a", "b"])
def test_missed_legs_by_hangup_reason(
    leg: str, reason: str, status: CallStatus
) -> None:
    data = json.loads(samples.TELECMI_CDR_A_MISSED) | {
        "leg": leg,
        "hangup_reason": reason,
    }
    assert parse_notification(data).status is status


def test_leg_a_answering_is_not_connected() -> None:
    data = json.loads(samples.TELECMI_EVENT_A_STARTED) | {"status": "answered"}
    assert parse_notification(data).status is CallStatus.INITIATED


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"leg": "c"}, "unknown leg"),
        ({"request_id": None}, "not a click-to-call report"),
        (
            {"request_id": None, "click_to_call": "true", "to": "+91 12"},
            "neither a request_id",
        ),
        (
            {"request_id": None, "click_to_call": True, "to": True},
            "neither a request_id",
        ),
        (
            {"request_id": "", "click_to_call": "true", "to": None},
            "neither a request_id",
        ),
        ({"answeredsec": "six"}, "not a number"),
        ({"answeredsec": float("inf")}, "not a finite number"),
        ({"answeredsec": float("nan")}, "not a finite number"),
        ({"answeredsec": "9" * 5000}, "not a number"),
        ({"time": float("-inf")}, "not a finite number"),
        ({"time": -1}, "out of range"),
        ({"answeredsec": -1}, "out of range"),
        ({"answeredsec": 10**9}, "out of range"),
    ],
)
def test_unusable_notifications(changes: dict[str, Any], reason: str) -> None:
    data = json.loads(samples.TELECMI_CDR_B_ANSWERED) | changes
    with pytest.raises(CallbackError, match=reason):
        parse_notification(data)


@pytest.mark.parametrize(
    "callback",
    [
        post(b'{"call_id": "x", "status": "connected"}'),  # the generic format
        post(b"[1, 2]"),
        post(b"not json"),
        post(b"\xff\xfe"),
        post(b"[" * 100_000),
        get({"call_id": "x", "status": "connected"}),
    ],
)
def test_anything_else_is_left_to_the_generic_format(callback: Callback) -> None:
    assert client().parse_callback(callback) is None


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)
KEYS = st.sampled_from(
    ["type", "leg", "status", "request_id", "to", "answeredsec", "hangup_reason"]
)


@given(
    fields=st.dictionaries(KEYS | st.text(max_size=8), JSON_VALUES, max_size=8),
    kind=st.sampled_from(["event", "cdr", "other"]),
)
def test_any_json_object_is_read_or_refused_cleanly(
    fields: dict[str, Any], kind: str
) -> None:
    """Whatever the values' types, the answer is an update, None or CallbackError."""
    body = json.dumps(fields | {"type": kind})
    try:
        update = client().parse_callback(post(body))
    except CallbackError:
        return
    assert update is None or isinstance(update.status, CallStatus)
    if update is not None:
        assert update.provider_call_id is not None or update.to is not None
        assert update.duration is None or 0 <= update.duration < 10**7


@given(query=st.dictionaries(KEYS, st.text(max_size=30), max_size=7))
def test_any_query_is_read_or_refused_cleanly(query: dict[str, str]) -> None:
    try:
        update = client().parse_callback(get(query))
    except CallbackError:
        return
    assert update is None or isinstance(update.status, CallStatus)


def test_an_answered_record_without_its_seconds_still_completes() -> None:
    data = json.loads(samples.TELECMI_CDR_B_ANSWERED)
    del data["answeredsec"]
    update = parse_notification(data)
    assert update.status is CallStatus.COMPLETED
    assert update.duration is None
