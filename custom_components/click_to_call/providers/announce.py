"""What every announcement call says around the message, and its digit's meaning.

The same for every provider that announces: the prompt after the message,
the words after a digit, and the digit that confirms.
"""

from __future__ import annotations

from typing import Final

from .models import AnsweredBy, CallStatus, CallUpdate

CONFIRM: Final = "1"
PROMPT: Final = "Press 1 to confirm."
THANKS: Final = "Thank you. Goodbye."
GOODBYE: Final = "Goodbye."


def after_digits(digits: str) -> str:
    """Return what is said once a digit is pressed: thanks for 1, else goodbye."""
    return THANKS if digits == CONFIRM else GOODBYE


def digits_pressed(
    call_id: str, digits: str, report_key: str | None = None
) -> CallUpdate:
    """Return the update a digit makes: 1 confirms; a person pressed it.

    Another digit is kept, and the call goes on to end `completed`.
    """
    return CallUpdate(
        CallStatus.ACKNOWLEDGED if digits == CONFIRM else CallStatus.CONNECTED,
        call_id=call_id,
        digits=digits,
        answered_by=AnsweredBy.HUMAN,
        report_key=report_key,
    )
