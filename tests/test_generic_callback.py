"""The generic JSON callback format, read without Home Assistant."""

from __future__ import annotations

import json

from hypothesis import given, strategies as st
import pytest

from custom_components.click_to_call.providers.errors import CallbackError
from custom_components.click_to_call.providers.generic import parse_generic_callback
from custom_components.click_to_call.providers.models import CallStatus, CallUpdate


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            b'{"call_id": "01J", "status": "connected"}',
            CallUpdate(status=CallStatus.CONNECTED, call_id="01J"),
        ),
        (
            b'{"provider_call_id": 42, "status": "completed", "duration": 61.6, "error": null}',
            CallUpdate(status=CallStatus.COMPLETED, provider_call_id="42", duration=62),
        ),
        (
            b'{"call_id": "a", "status": "failed", "error": "line dead"}',
            CallUpdate(status=CallStatus.FAILED, call_id="a", error="line dead"),
        ),
    ],
)
def test_generic_callback(body: bytes, expected: CallUpdate) -> None:
    assert parse_generic_callback(body) == expected


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"status=connected", "not JSON"),
        (b"[1]", "not a JSON object"),
        (b'{"status": "connected"}', "neither call_id"),
        (b'{"call_id": "a", "status": "ringing"}', "unknown status"),
        (b'{"call_id": "a", "status": 3}', "unknown status"),
        (b'{"call_id": "a", "status": "completed", "duration": "10"}', "duration"),
        (b'{"call_id": "a", "status": "completed", "duration": -1}', "duration"),
        (b'{"call_id": "a", "status": "completed", "duration": true}', "duration"),
        (b'{"call_id": ["a"], "status": "completed"}', "call_id is not"),
        (b'{"call_id": "", "status": "completed"}', "call_id is not"),
        (b'{"call_id": true, "status": "completed"}', "call_id is not"),
    ],
)
def test_generic_callback_refuses(body: bytes, reason: str) -> None:
    with pytest.raises(CallbackError, match=reason):
        parse_generic_callback(body)


@given(st.binary(max_size=300))
def test_generic_callback_never_raises_anything_else(body: bytes) -> None:
    """Any bytes from the internet either parse or raise CallbackError."""
    try:
        update = parse_generic_callback(body)
    except CallbackError:
        return
    assert isinstance(update.status, CallStatus)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=10,
)


@given(
    st.dictionaries(
        st.sampled_from(["call_id", "provider_call_id", "status", "duration", "error"]),
        json_values,
    )
)
def test_generic_callback_on_any_json_object(data: dict[str, object]) -> None:
    try:
        update = parse_generic_callback(json.dumps(data).encode())
    except CallbackError:
        return
    assert update.call_id or update.provider_call_id
    assert update.duration is None or update.duration >= 0


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 16000,
        # Parsed by Python 3.14's json, then too deep to make safe.
        b"[" * 5000 + b'"\\ud800"' + b"]" * 5000,
    ],
)
def test_deeply_nested_callback_is_refused(body: bytes) -> None:
    with pytest.raises(CallbackError, match="not JSON"):
        parse_generic_callback(body)


@given(text=st.text())
def test_callback_text_is_made_safe(text: str) -> None:
    update = parse_generic_callback(
        json.dumps(
            {"call_id": "c", "status": "failed", "error": text[:256] or "x"}
        ).encode()
    )
    assert update.error is not None
    update.error.encode()
