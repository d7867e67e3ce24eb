"""The click2call.php voice panel (voicepanel.txt).

GET requests with uid and pin; comma-separated text answers. Status comes
only from the report endpoint, which the integration polls.
"""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import Any, Final

from .base import (
    Answer,
    AuthenticationError,
    CallRefusedError,
    CallStatus,
    CallUpdate,
    DialField,
    DialRequest,
    DialResult,
    NumberFormat,
    PolledCall,
    ProviderClient,
    ProviderError,
    ProviderUnavailableError,
    UnexpectedAnswerError,
    account_at_host,
)

DIAL_PATH: Final = "/api/voice/click2call.php"
REPORT_PATH: Final = "/api/voice/report-click2call.php"
# Polling: when the report stops changing for SETTLE_SECONDS the call is over;
# durations of 0 only count as "not answered" once RING_SECONDS have passed.
# Without a maximum duration, a call is followed for at most an hour.
POLL_INTERVAL = 10.0
SETTLE_SECONDS = 25.0
RING_SECONDS = 90.0
DEFAULT_MAX_DURATION: Final = 3600
DEADLINE_MARGIN = 120.0
_AUTHENTICATION = re.compile(r"\b(uid|pin|auth\w*|unauthori[sz]ed)\b", re.IGNORECASE)

type Report = tuple[int, int, float | str]


class VoicePanelClient(ProviderClient):
    """A click2call.php panel: number 1 rings first, then number 2."""

    provider = "voice_panel"
    title = "Voice panel"
    number_format = NumberFormat.DIGITS
    supported_fields = frozenset({DialField.FROM, DialField.MAX_DURATION})
    default_from_key = "number1"
    poll_interval = POLL_INTERVAL

    @classmethod
    def account_of(cls, config: Mapping[str, Any]) -> str:
        """Return the API user and the panel's host."""
        return account_at_host(config["uid"], config["api_url"])

    async def async_check_credentials(self) -> None:
        """Ask for the report of a call that does not exist: nothing is dialled."""
        answer = await self._get(REPORT_PATH, uniqueid="credential-check")
        if answer.status >= 500:
            raise ProviderUnavailableError(f"the panel answered HTTP {answer.status}")
        if error := _refusal(answer):
            raise error

    async def async_dial(self, request: DialRequest) -> DialResult:
        """Place the call; our call id goes along as `uniqueid`."""
        params = {
            "number1": request.from_ or self._config["number1"],
            "number2": request.to,
            "uniqueid": request.call_id,
        }
        if self._config.get("holdfile"):
            params["holdfile"] = str(self._config["holdfile"])
        if duration := request.max_duration or self._config.get("duration"):
            params["duration"] = str(duration)
        answer = await self._get(DIAL_PATH, **params)
        if answer.status >= 500:
            raise ProviderUnavailableError(f"the panel answered HTTP {answer.status}")
        first = answer.text.strip().split(",", 1)[0].strip()
        if answer.status != 200 or not _is_digits(first):
            raise _refusal(answer) or CallRefusedError(
                answer.excerpt or "the panel gave an empty answer",
                reason="panel_refused",
            )
        return DialResult(provider_call_id=first)

    def poll_deadline(self, call: PolledCall) -> float:
        """Follow a call for its maximum duration, plus a margin."""
        longest = (
            call.max_duration or self._config.get("duration") or DEFAULT_MAX_DURATION
        )
        return call.placed_at + float(longest) + DEADLINE_MARGIN

    async def async_poll(self, call: PolledCall, now: float) -> CallUpdate | None:
        """Read the report; judge the call once its durations settle."""
        final = now >= self.poll_deadline(call)
        try:
            report = _read_report(
                await self._get(REPORT_PATH, uniqueid=call.call_id), call
            )
        except AuthenticationError:
            if not final:
                raise  # the caller asks for new credentials
            report = None
        except ProviderError:
            report = None  # a failed poll is tried again at the next one
        if report is not None and report != call.last_report:
            call.last_report = report
            call.unchanged_since = now
        return judge(call, now, final)

    async def _get(self, path: str, **params: str) -> Answer:
        base = str(self._config["api_url"]).rstrip("/")
        return await self._request(
            "GET",
            f"{base}{path}",
            params={"uid": self._config["uid"], "pin": self._config["pin"], **params},
        )


def judge(call: PolledCall, now: float, final: bool) -> CallUpdate | None:
    """Turn the last report into a status: durations of number 1 and 2."""
    report: Report | None = call.last_report
    if report is None:
        if final:
            return CallUpdate(
                CallStatus.FAILED,
                call_id=call.call_id,
                error="The panel never reported on the call",
            )
        return None
    first, second, credit = report
    attributes = {
        "credit_used": credit,
        "number1_duration": first,
        "number2_duration": second,
    }
    settled = final or (
        call.unchanged_since is not None
        and now - call.unchanged_since >= SETTLE_SECONDS
        and (second > 0 or now - call.placed_at >= RING_SECONDS)
    )
    if not settled:
        if second > 0:
            return CallUpdate(
                CallStatus.CONNECTED, call_id=call.call_id, attributes=attributes
            )
        return None
    if first == 0 or second == 0:
        party = "Number 1 (party A)" if first == 0 else "Number 2 (party B)"
        return CallUpdate(
            CallStatus.NO_ANSWER,
            call_id=call.call_id,
            error=f"{party} did not answer",
            attributes=attributes,
        )
    return CallUpdate(
        CallStatus.COMPLETED,
        call_id=call.call_id,
        duration=second,
        attributes=attributes,
    )


def _read_report(answer: Answer, call: PolledCall) -> Report | None:
    """Find the call's line: `id, duration 1, duration 2, credit used`."""
    if answer.status >= 500:
        raise ProviderUnavailableError(f"the panel answered HTTP {answer.status}")
    if error := _refusal(answer):
        raise error
    for line in answer.text.splitlines():
        fields = [field.strip() for field in line.split(",")]
        if len(fields) != 4 or fields[0] not in (call.call_id, call.provider_call_id):
            continue
        if not (_is_digits(fields[1]) and _is_digits(fields[2])):
            raise UnexpectedAnswerError(f"the panel reported {line!r}")
        try:
            credit: float | str = float(fields[3])
        except ValueError:
            credit = fields[3]
        return int(fields[1]), int(fields[2]), credit
    return None


def _is_digits(text: str) -> bool:
    """Return whether text is ASCII digits (str.isdigit also takes "²")."""
    return text.isascii() and text.isdigit()


def _refusal(answer: Answer) -> ProviderError | None:
    """Return the error an answer about credentials stands for, if it is one."""
    if answer.status in (401, 403) or _AUTHENTICATION.search(answer.text):
        return AuthenticationError(answer.excerpt or f"HTTP {answer.status}")
    return None
