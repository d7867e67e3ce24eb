"""The call guard: a looping automation must not place hundreds of paid calls."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from .const import MAX_CALLS_PER_HOUR_LIMIT
from .errors import DialRefused, Refusal
from .words import spoken_duration

HOUR = 3600.0


class CallGuard:
    """At most N calls per hour, and S seconds between calls to one number.

    It counts every call sent in the last hour, not the calls kept in the
    history, and its count is stored with the calls: a reload or a restart
    does not reset it.
    """

    def __init__(self, sent: Iterable[tuple[float, str]] = ()) -> None:
        """Start from calls already sent: (time, number)."""
        self._sent: deque[tuple[float, str]] = deque(sorted(sent))
        self._last_by_number: dict[str, float] = {}
        for when, number in self._sent:
            self._last_by_number[number] = when

    @property
    def sent(self) -> list[tuple[float, str]]:
        """Return the calls counted, oldest first (what is stored)."""
        return list(self._sent)

    def check_and_record(
        self, number: str, now: float, max_per_hour: int, repeat_interval: int
    ) -> None:
        """Refuse a call over a limit, else count it; a limit of 0 is off."""
        # What each limit looks back over (the options cap the interval at an
        # hour); with both off, nothing needs counting.
        window = HOUR if max_per_hour else repeat_interval
        while self._sent and self._sent[0][0] <= now - window:
            self._forget_oldest()
        if max_per_hour and len(self._sent) >= max_per_hour:
            # Allowed again once enough of the calls counted leave the hour.
            frees = self._sent[len(self._sent) - max_per_hour][0] + HOUR
            raise DialRefused(
                Refusal.CALL_GUARD_HOURLY,
                limit=str(max_per_hour),
                wait=spoken_duration(frees - now),
            )
        last = self._last_by_number.get(number)
        if repeat_interval and last is not None and now - last < repeat_interval:
            raise DialRefused(
                Refusal.CALL_GUARD_REPEAT,
                limit=str(repeat_interval),
                wait=spoken_duration(last + repeat_interval - now),
            )
        if not window:
            return
        self._sent.append((now, number))
        self._last_by_number[number] = now
        # More than the highest hourly limit is never needed to judge one.
        if len(self._sent) > MAX_CALLS_PER_HOUR_LIMIT:
            self._forget_oldest()

    def _forget_oldest(self) -> None:
        when, number = self._sent.popleft()
        if self._last_by_number.get(number) == when:
            del self._last_by_number[number]
