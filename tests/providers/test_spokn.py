"""Spokn's answers and leg reports, parsed without Home Assistant or a network."""

from __future__ import annotations

from urllib.parse import urlencode

from hypothesis import given, strategies as st
import pytest

from custom_components.click_to_call.providers.errors import (
    AuthenticationError,
    CallbackError,
    CallRefusedError,
    ErrorKey,
    InvalidRequestError,
    ProviderError,
    ProviderUnavailableError,
    UnexpectedAnswerError,
)
from custom_components.click_to_call.providers.http import HttpAnswer
from custom_components.click_to_call.providers.models import CallStatus, CallUpdate
from custom_components.click_to_call.providers.spokn import (
    parse_answer,
    parse_leg_report,
)
from sandbox import samples


def answer_with(code: str, desc: str = "description") -> HttpAnswer:
    text = samples.SPOKN_SUCCESS.replace("<code>200</code>", f"<code>{code}</code>")
    return HttpAnswer(200, text.replace("Request Successful", desc))


def test_the_sample_success_answer() -> None:
    parse_answer(HttpAnswer(200, samples.SPOKN_SUCCESS))


@pytest.mark.parametrize(
    ("code", "error", "key", "field"),
    [
        ("100", UnexpectedAnswerError, ErrorKey.NOT_FOUND, None),
        ("101", AuthenticationError, ErrorKey.AUTH_FAILED, None),
        ("102", InvalidRequestError, ErrorKey.INVALID_INPUT, None),
        ("103", InvalidRequestError, ErrorKey.BAD_NUMBER, "from"),
        ("104", InvalidRequestError, ErrorKey.BAD_NUMBER, "to"),
        ("105", ProviderUnavailableError, ErrorKey.CREDITS_UNAVAILABLE, None),
        ("106", CallRefusedError, ErrorKey.DESTINATION_NOT_SUPPORTED, "from"),
        ("107", CallRefusedError, ErrorKey.DESTINATION_NOT_SUPPORTED, "to"),
        ("108", CallRefusedError, ErrorKey.INSUFFICIENT_CREDIT, None),
        ("109", InvalidRequestError, ErrorKey.TOKEN_TOO_LONG, "token"),
    ],
)
def test_every_return_code(
    code: str, error: type[ProviderError], key: ErrorKey, field: str | None
) -> None:
    with pytest.raises(error) as caught:
        parse_answer(answer_with(code, "what Spokn says"))
    assert caught.value.translation_key is key
    assert caught.value.field == field
    assert caught.value.message == "what Spokn says"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, AuthenticationError),
        (404, UnexpectedAnswerError),
        (415, UnexpectedAnswerError),
        (500, ProviderUnavailableError),
    ],
)
def test_http_statuses(status: int, error: type[ProviderError]) -> None:
    with pytest.raises(error):
        parse_answer(HttpAnswer(status, ""))


@given(text=st.text())
def test_any_answer_is_success_or_a_provider_error(text: str) -> None:
    try:
        parse_answer(HttpAnswer(200, text))
    except ProviderError as err:
        assert err.message


def report(**fields: str) -> bytes:
    return urlencode({"userid": "demo", **fields}).encode()


@pytest.mark.parametrize(
    ("leg", "status", "expected"),
    [
        ("1", "0", CallStatus.CONNECTED),
        ("2", "0", CallStatus.COMPLETED),
        ("1", "1", CallStatus.BUSY),
        ("2", "2", CallStatus.NO_ANSWER),
        ("1", "3", CallStatus.FAILED),
        ("2", "4", CallStatus.CANCELLED),
        ("1", "5", CallStatus.REJECTED),
        ("2", "6", CallStatus.FAILED),
        ("1", "7", CallStatus.BUSY),
    ],
)
def test_leg_reports(leg: str, status: str, expected: CallStatus) -> None:
    update = parse_leg_report(
        report(token="c1", leg=leg, status=status, duration="33", cost="0.6"), "demo"
    )
    party = "a_party" if leg == "1" else "b_party"
    assert update.status is expected
    assert update.call_id == "c1"
    assert update.attributes == {f"{party}_duration": 33, f"{party}_cost": 0.6}
    if status != "0":
        assert update.error is not None
        assert update.error.startswith("A party:" if leg == "1" else "B party:")


def test_leg_2_success_carries_the_duration() -> None:
    assert parse_leg_report(
        report(token="c1", leg="2", status="0", duration="40"), "demo"
    ) == CallUpdate(
        CallStatus.COMPLETED,
        call_id="c1",
        duration=40,
        attributes={"b_party_duration": 40, "b_party_cost": 0.0},
    )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\xff\xfe", "not a form"),
        (b"a", "not a form"),
        (report(leg="1", status="0"), "no token"),
        (report(token="c", leg="1", status="0", userid="other"), "another Spokn"),
        (report(token="c", leg="3", status="0"), "unknown leg"),
        (report(token="c", leg="1", status="9"), "unknown status"),
        (report(token="c", leg="1", status="0", duration="x"), "not a number"),
        (report(token="c", leg="1", status="0", duration="-1"), "out of range"),
        (report(token="c", leg="1", status="0", cost="1e12"), "out of range"),
    ],
)
def test_leg_reports_that_say_nothing_usable(body: bytes, reason: str) -> None:
    with pytest.raises(CallbackError, match=reason):
        parse_leg_report(body, "demo")


@given(body=st.binary(max_size=200))
def test_any_body_is_an_update_or_a_callback_error(body: bytes) -> None:
    try:
        update = parse_leg_report(body, "demo")
    except CallbackError:
        return
    assert update.call_id
