"""Fields of provider reports, read strictly: whatever comes, a value or CallbackError.

Reports reach the webhook from the internet: a number may be `Infinity`, a
thousand digits long or a text; nothing here raises anything else.
"""

from __future__ import annotations

import math
from typing import Any, Final

from .errors import CallbackError

# Beyond these, a value is not a real call's (seconds; milliseconds since 1970).
MAX_SECONDS: Final = 10**7
MAX_EPOCH_MS: Final = 10**14
MAX_TEXT: Final = 256


def seconds(value: Any, name: str) -> int | None:
    """Return a whole number of seconds; None where the field is empty."""
    if value is None or value == "":
        return None
    number = _whole(value, name)
    if not 0 <= number < MAX_SECONDS:
        raise CallbackError(f"{name} is out of range")
    return number


def epoch_ms(value: Any, name: str) -> float | None:
    """Return a time given in milliseconds since 1970, in seconds; None if empty."""
    if value is None or value == "":
        return None
    number = _whole(value, name)
    if not 0 <= number < MAX_EPOCH_MS:
        raise CallbackError(f"{name} is out of range")
    return number / 1000


def short_text(value: Any) -> str | None:
    """Return a short text, or a whole number as text; None for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value) if -(10**18) < value < 10**18 else None
    if isinstance(value, str) and 0 < len(value) <= MAX_TEXT:
        return value
    return None


def said(value: Any, longest: int = 40) -> str:
    """Return a value a report gave, short enough to repeat in a message or log."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= longest else f"{text[:longest]}…"


def _whole(value: Any, name: str) -> int:
    """Return a whole number from JSON or text: int, float or digits."""
    if isinstance(value, bool):
        raise CallbackError(f"{name} is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CallbackError(f"{name} is not a finite number")
        return int(value)
    if isinstance(value, str) and len(value) <= 32:
        try:
            return int(value)
        except ValueError:
            pass
    raise CallbackError(f"{name} is not a number")
