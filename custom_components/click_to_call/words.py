"""Times said as people say them, in messages and the logbook."""

from __future__ import annotations

import math


def spoken_duration(seconds: float) -> str:
    """Return a duration as people say it: 45 s, 2 min 3 s, 1 h 5 min.

    Whole seconds, rounded up: "in 1 s" rather than "in 0 s".
    """
    hours, rest = divmod(max(math.ceil(seconds), 1), 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    return f"{seconds} s"
