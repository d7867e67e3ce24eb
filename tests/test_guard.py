"""The call guard on its own: limits hold for any sequence of calls, and a
guard rebuilt from what it stored decides as the one it replaced."""

from __future__ import annotations

from hypothesis import given, strategies as st
import pytest

from custom_components.click_to_call.errors import DialRefused
from custom_components.click_to_call.guard import HOUR, CallGuard

CALLS = st.lists(
    st.tuples(st.floats(min_value=0, max_value=900), st.sampled_from("abc")),
    max_size=60,
)
LIMITS = st.tuples(st.integers(0, 12), st.sampled_from([0, 30, 60, 3600]))


def run(
    guard: CallGuard,
    calls: list[tuple[float, str]],
    limits: tuple[int, int],
    start: float,
) -> tuple[list[tuple[float, str]], float]:
    """Offer each call (after its gap); return the allowed ones and the time."""
    allowed = []
    now = start
    for gap, number in calls:
        now += gap
        try:
            guard.check_and_record(number, now, *limits)
        except DialRefused:
            continue
        allowed.append((now, number))
    return allowed, now


@given(calls=CALLS, limits=LIMITS)
def test_limits_hold_for_any_sequence(
    calls: list[tuple[float, str]], limits: tuple[int, int]
) -> None:
    max_per_hour, repeat = limits
    allowed, _ = run(CallGuard(), calls, limits, 0.0)
    for index, (when, number) in enumerate(allowed):
        earlier = allowed[:index]
        if max_per_hour:
            in_hour = [call for call in earlier if call[0] > when - HOUR]
            assert len(in_hour) < max_per_hour
        if repeat:
            assert all(
                when - then >= repeat for then, other in earlier if other == number
            )


@given(first=CALLS, second=CALLS, limits=LIMITS)
def test_a_rebuilt_guard_decides_as_the_one_it_replaced(
    first: list[tuple[float, str]],
    second: list[tuple[float, str]],
    limits: tuple[int, int],
) -> None:
    """A reload or restart in the middle changes no decision."""
    kept = CallGuard()
    _, now = run(kept, first, limits, 0.0)
    rebuilt = CallGuard(kept.sent)
    assert run(rebuilt, second, limits, now) == run(kept, second, limits, now)


def test_a_refusal_says_when_a_call_is_allowed_again() -> None:
    """The hour frees its oldest call at 3600 s: refused at 200 s, the wait
    said is 3400 s, and the call is allowed then, not a second before."""
    guard = CallGuard()
    guard.check_and_record("a", 0, 2, 0)
    guard.check_and_record("b", 100, 2, 0)
    with pytest.raises(DialRefused) as hourly:
        guard.check_and_record("c", 200, 2, 0)
    assert hourly.value.placeholders["wait"] == "56 min 40 s"
    with pytest.raises(DialRefused):
        guard.check_and_record("c", 3599, 2, 0)
    guard.check_and_record("c", 3600, 2, 0)

    repeat = CallGuard()
    repeat.check_and_record("a", 0, 0, 60)
    with pytest.raises(DialRefused) as again:
        repeat.check_and_record("a", 15.5, 0, 60)
    assert again.value.placeholders["wait"] == "45 s"  # 44.5 s, rounded up
    repeat.check_and_record("a", 60, 0, 60)
