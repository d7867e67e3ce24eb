"""The voice panel's reports and how a polled call is judged, without a network."""

from __future__ import annotations

from hypothesis import given, strategies as st
import pytest

from custom_components.click_to_call.providers.errors import (
    AuthenticationError,
    ProviderError,
    ProviderUnavailableError,
    UnexpectedAnswerError,
)
from custom_components.click_to_call.providers.http import HttpAnswer
from custom_components.click_to_call.providers.models import CallStatus, PolledCall
from custom_components.click_to_call.providers.voice_panel import (
    RING_SECONDS,
    SETTLE_SECONDS,
    judge,
    read_report,
)
from sandbox import samples


def polled(report: object = None, unchanged_since: float | None = None) -> PolledCall:
    return PolledCall("c1", "1231", 0.0, 300, report, unchanged_since)


def test_the_documented_report_line() -> None:
    """The panel's call id 1231 and the document's report "1231,23,45,12"."""
    assert read_report(HttpAnswer(200, samples.VOICE_PANEL_REPORT), polled()) == (
        23,
        45,
        12.0,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("No Record Found", None),
        ("other,1,2,3\nc1,4,5,free", (4, 5, "free")),
        ("c1,4,5", None),
    ],
)
def test_report_lines(text: str, expected: object) -> None:
    assert read_report(HttpAnswer(200, text), polled()) == expected


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (HttpAnswer(200, "Invalid UID or PIN"), AuthenticationError),
        (HttpAnswer(401, ""), AuthenticationError),
        (HttpAnswer(503, ""), ProviderUnavailableError),
        (HttpAnswer(200, "c1,²,5,1"), UnexpectedAnswerError),
    ],
)
def test_reports_that_are_errors(
    answer: HttpAnswer, error: type[ProviderError]
) -> None:
    with pytest.raises(error):
        read_report(answer, polled())


@given(text=st.text())
def test_any_report_is_a_line_none_or_a_provider_error(text: str) -> None:
    try:
        read_report(HttpAnswer(200, text), polled())
    except ProviderError as err:
        assert err.message


def test_no_report_is_nothing_until_the_deadline() -> None:
    assert judge(polled(), now=50, final=False) is None
    update = judge(polled(), now=500, final=True)
    assert update is not None
    assert update.status is CallStatus.FAILED


def test_growing_durations_are_connected_then_settle_completed() -> None:
    live = judge(polled((10, 5, 0.0), unchanged_since=20), now=21, final=False)
    assert live is not None
    assert live.status is CallStatus.CONNECTED
    done = judge(
        polled((10, 5, 12.0), unchanged_since=20), now=20 + SETTLE_SECONDS, final=False
    )
    assert done is not None
    assert done.status is CallStatus.COMPLETED
    assert done.duration == 5
    assert done.attributes == {
        "credit_used": 12.0,
        "number1_duration": 10,
        "number2_duration": 5,
    }


@pytest.mark.parametrize(
    ("report", "who"),
    [((0, 0, 0.0), "Number 1 (party A)"), ((12, 0, 3.0), "Number 2 (party B)")],
)
def test_zero_durations_only_settle_after_the_ring_time(
    report: tuple[int, int, float], who: str
) -> None:
    early = judge(polled(report, unchanged_since=0), now=SETTLE_SECONDS, final=False)
    assert early is None or early.status is not CallStatus.NO_ANSWER
    late = judge(polled(report, unchanged_since=0), now=RING_SECONDS, final=False)
    assert late is not None
    assert late.status is CallStatus.NO_ANSWER
    assert late.error == f"{who} did not answer"
