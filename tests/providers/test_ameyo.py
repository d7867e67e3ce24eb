"""Ameyo's answers, parsed without Home Assistant or a network."""

from __future__ import annotations

from hypothesis import given, strategies as st
import pytest

from custom_components.click_to_call.providers.ameyo import parse_outcome
from custom_components.click_to_call.providers.errors import (
    AuthenticationError,
    CallEndedError,
    CallRefusedError,
    ErrorKey,
    InvalidRequestError,
    ProviderError,
    ProviderUnavailableError,
    UnexpectedAnswerError,
)
from custom_components.click_to_call.providers.http import HttpAnswer
from custom_components.click_to_call.providers.models import CallStatus
from sandbox import samples


def test_the_connected_sample_is_connected() -> None:
    result = parse_outcome(HttpAnswer(200, samples.AMEYO_CONNECTED))
    assert result.status is CallStatus.CONNECTED


@pytest.mark.parametrize(
    ("sample", "error", "key", "status"),
    [
        (
            samples.AMEYO_ON_BREAK,
            CallRefusedError,
            ErrorKey.AGENT_ON_BREAK,
            CallStatus.REJECTED,
        ),
        (
            samples.AMEYO_NOT_LOGGED_IN,
            CallRefusedError,
            ErrorKey.AGENT_NOT_LOGGED_IN,
            CallStatus.REJECTED,
        ),
        (
            samples.AMEYO_CHANNEL_UNAVAILABLE,
            CallEndedError,
            ErrorKey.CHANNEL_UNAVAILABLE,
            CallStatus.FAILED,
        ),
        (
            samples.AMEYO_AGENT_NO_ANSWER,
            CallEndedError,
            ErrorKey.AGENT_NO_ANSWER,
            CallStatus.NO_ANSWER,
        ),
        (
            samples.AMEYO_CUSTOMER_NO_ANSWER,
            CallEndedError,
            ErrorKey.CUSTOMER_NO_ANSWER,
            CallStatus.NO_ANSWER,
        ),
    ],
)
def test_every_documented_refusal_byte_for_byte(
    sample: str, error: type[ProviderError], key: ErrorKey, status: CallStatus
) -> None:
    """The samples are not valid JSON; they are read by their markers."""
    with pytest.raises(error) as caught:
        parse_outcome(HttpAnswer(200, sample))
    assert caught.value.translation_key is key
    assert caught.value.status is status


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        (
            HttpAnswer(401, '{"reason": "Invalid token"}'),
            AuthenticationError,
            "Invalid token",
        ),
        (HttpAnswer(403, "forbidden"), AuthenticationError, "HTTP 403"),
        (HttpAnswer(502, "down"), ProviderUnavailableError, "HTTP 502"),
        (
            HttpAnswer(
                400, '{"status": "error", "reason": "Invalid data", "details": "phone"}'
            ),
            InvalidRequestError,
            "phone",
        ),
        (HttpAnswer(400, "plain"), InvalidRequestError, "plain"),
        (
            HttpAnswer(200, '{"status": "error", "reason": "Campaign   closed"}'),
            CallRefusedError,
            "Campaign closed",
        ),
        (
            HttpAnswer(200, '{"result": "FAILURE", "reason": "x"}'),
            CallEndedError,
            "Ameyo reported a failure",
        ),
        (
            HttpAnswer(200, "<html>login</html>"),
            UnexpectedAnswerError,
            "Ameyo answered",
        ),
    ],
)
def test_other_answers(
    answer: HttpAnswer, error: type[ProviderError], message: str
) -> None:
    with pytest.raises(error, match=message):
        parse_outcome(answer)


@given(status=st.sampled_from([200, 400, 401, 403, 404, 500]), text=st.text())
def test_any_answer_is_a_result_or_a_provider_error(status: int, text: str) -> None:
    try:
        result = parse_outcome(HttpAnswer(status, text))
    except ProviderError as err:
        assert err.message
    else:
        assert result.status is CallStatus.CONNECTED
