"""The call guard: a looping automation must not place hundreds of paid calls."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

HOUR = 3600.0


class CallGuardError(Exception):
    """A call the guard refuses; `reason` is a translation key."""

    def __init__(self, reason: str, limit: int) -> None:
        """Keep the reason and the limit that was hit."""
        super().__init__(reason)
        self.reason = reason
        self.limit = limit


class CallGuard:
    """At most N calls per hour, and S seconds between calls to one number."""

    def __init__(self, placed: Iterable[tuple[float, str]] = ()) -> None:
        """Start from calls already placed: (time, number), oldest first."""
        self._placed: deque[tuple[float, str]] = deque(placed)
        self._last_by_number: dict[str, float] = {}
        for when, number in self._placed:
            self._last_by_number[number] = when

    def check_and_record(
        self, number: str, now: float, max_per_hour: int, repeat_interval: int
    ) -> None:
        """Refuse a call over a limit, else count it; a limit of 0 is off."""
        window = HOUR if max_per_hour else repeat_interval
        while self._placed and self._placed[0][0] <= now - window:
            old_when, old_number = self._placed.popleft()
            if self._last_by_number.get(old_number) == old_when:
                del self._last_by_number[old_number]
        if max_per_hour and len(self._placed) >= max_per_hour:
            raise CallGuardError("call_guard_hourly", max_per_hour)
        last = self._last_by_number.get(number)
        if repeat_interval and last is not None and now - last < repeat_interval:
            raise CallGuardError("call_guard_repeat", repeat_interval)
        if window:
            self._placed.append((now, number))
            self._last_by_number[number] = now
