"""The call guard on its own: limits hold for any sequence of calls, and a
guard rebuilt from what it stored decides as the one it replaced."""

from __future__ import annotations

from hypothesis import given, strategies as st

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
