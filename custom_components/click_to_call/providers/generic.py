"""The documented generic callback, for platforms that post a status anywhere.

{"call_id" or "provider_call_id": text, "status": a call status,
"duration": seconds (optional), "error": text (optional)}.
"""

from __future__ import annotations

from collections.abc import Mapping
import json
from typing import Any, Final

from .errors import CallbackError
from .fields import said
from .models import CallStatus, CallUpdate
from .text import safe_json

MAX_CALLBACK_TEXT: Final = 256
MAX_CALLBACK_SECONDS: Final = 10**7
# Each status by its text: one look-up on every report.
_STATUSES: Final = {status.value: status for status in CallStatus}


def parse_generic_callback(body: bytes) -> CallUpdate:
    """Read the documented generic JSON callback; raise CallbackError if unusable."""
    try:
        data = json.loads(body)
        # Only a JSON escape can spell a lone surrogate (UTF-8 cannot).
        if b"\\u" in body:
            data = safe_json(data)
    except (ValueError, RecursionError) as err:
        raise CallbackError("body is not JSON") from err
    if not isinstance(data, dict):
        raise CallbackError("body is not a JSON object")
    call_id = _optional_text(data, "call_id")
    provider_call_id = _optional_text(data, "provider_call_id")
    if call_id is None and provider_call_id is None:
        raise CallbackError("neither call_id nor provider_call_id is given")
    status = data.get("status")
    if not isinstance(status, str) or status not in _STATUSES:
        raise CallbackError(f"unknown status {said(status)}")
    duration = data.get("duration")
    if duration is not None and (
        isinstance(duration, bool)
        or not isinstance(duration, int | float)
        or not 0 <= duration < MAX_CALLBACK_SECONDS
    ):
        raise CallbackError("duration is not a number of seconds")
    return CallUpdate(
        status=_STATUSES[status],
        call_id=call_id,
        provider_call_id=provider_call_id,
        duration=None if duration is None else round(duration),
        error=_optional_text(data, "error"),
    )


def _optional_text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value or len(value) > MAX_CALLBACK_TEXT:
        raise CallbackError(f"{key} is not a short text")
    return value
