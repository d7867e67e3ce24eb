"""The click2call.php voice panel.

GET requests with uid and pin; comma-separated text answers. Status comes
only from the report endpoint, which the integration polls.
"""

from __future__ import annotations

from dataclasses import dataclass
import re
from typing import Final

from .client import ProviderClient, account_at_host
from .errors import (
    AuthenticationError,
    CallRefusedError,
    ErrorKey,
    ProviderError,
    ProviderUnavailableError,
    UnexpectedAnswerError,
)
from .http import HttpAnswer
from .models import (
    CallStatus,
    CallUpdate,
    DialField,
    DialRequest,
    DialResult,
    NumberFormat,
    Outcome,
    PolledCall,
)
from .settings import Kind, ProviderConfig, setting
from .text import is_ascii_digits

DIAL_PATH: Final = "/api/voice/click2call.php"
REPORT_PATH: Final = "/api/voice/report-click2call.php"
# Polling: when the report stops changing for SETTLE_SECONDS the call is over;
# durations of 0 only count as "not answered" once RING_SECONDS have passed.
# Without a maximum duration, a call is followed for at most an hour.
SETTLE_SECONDS = 25.0
RING_SECONDS = 90.0
DEFAULT_MAX_DURATION: Final = 3600
DEADLINE_MARGIN = 120.0
_AUTHENTICATION = re.compile(r"\b(uid|pin|auth\w*|unauthori[sz]ed)\b", re.IGNORECASE)

type Report = tuple[int, int, float | str]


@dataclass(frozen=True, slots=True, kw_only=True)
class VoicePanelConfig(ProviderConfig):
    """An API user of a voice panel."""

    api_url: str = setting(Kind.URL)
    uid: str = setting(Kind.TEXT)
    pin: str = setting(Kind.SECRET)
    number1: str = setting(Kind.PHONE)
    holdfile: str | None = setting(Kind.TEXT, None)
    duration: int | None = setting(Kind.SECONDS, None)


class VoicePanelClient(ProviderClient[VoicePanelConfig]):
    """A click2call.php panel: number 1 rings first, then number 2."""

    provider = "voice_panel"
    title = "Voice panel"
    config_class = VoicePanelConfig
    number_format = NumberFormat.DIGITS
    supported_fields = frozenset({DialField.FROM, DialField.MAX_DURATION})
    default_from = "number1"
    outcome = Outcome.POLL

    @classmethod
    def account_of(cls, config: VoicePanelConfig) -> str:
        """Return the API user and the panel's host."""
        return account_at_host(config.uid, config.api_url)

    async def async_check_credentials(self) -> None:
        """Ask for the report of a call that does not exist: nothing is dialled."""
        answer = await self._get(REPORT_PATH, uniqueid="credential-check")
        if answer.server_error:
            raise ProviderUnavailableError(f"the panel answered HTTP {answer.status}")
        if error := _refusal(answer):
            raise error

    async def async_dial(self, request: DialRequest) -> DialResult:
        """Place the call; our call id goes along as `uniqueid`."""
        params = {
            "number1": request.from_ or self.config.number1,
            "number2": request.to,
            "uniqueid": request.call_id,
        }
        if self.config.holdfile:
            params["holdfile"] = self.config.holdfile
        if duration := request.max_duration or self.config.duration:
            params["duration"] = str(duration)
        answer = await self._get(DIAL_PATH, **params)
        if answer.server_error:
            raise ProviderUnavailableError(f"the panel answered HTTP {answer.status}")
        first = answer.text.strip().split(",", 1)[0].strip()
        if answer.status != 200 or not is_ascii_digits(first):
            raise _refusal(answer) or CallRefusedError(
                answer.excerpt or "the panel gave an empty answer",
                translation_key=ErrorKey.PANEL_REFUSED,
            )
        return DialResult(provider_call_id=first)

    def poll_deadline(self, call: PolledCall) -> float:
        """Follow a call for its maximum duration, plus a margin."""
        longest = call.max_duration or self.config.duration or DEFAULT_MAX_DURATION
        return call.placed_at + float(longest) + DEADLINE_MARGIN

    async def async_poll(self, call: PolledCall, now: float) -> CallUpdate | None:
        """Read the report; judge the call once its durations settle."""
        final = now >= self.poll_deadline(call)
        try:
            report = read_report(
                await self._get(REPORT_PATH, uniqueid=call.call_id), call
            )
        except AuthenticationError as err:
            call.poll_error = err.message
            if not final:
                raise  # the caller asks for new credentials
            report = None
        except ProviderError as err:
            call.poll_error = err.message
            report = None  # a failed poll is tried again at the next one
        else:
            call.poll_error = None
        if report is not None and report != call.last_report:
            call.last_report = report
            call.unchanged_since = now
        return judge(call, now, final)

    async def _get(self, path: str, **params: str) -> HttpAnswer:
        base = self.config.api_url.rstrip("/")
        return await self._request(
            "GET",
            f"{base}{path}",
            params={"uid": self.config.uid, "pin": self.config.pin, **params},
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


def read_report(answer: HttpAnswer, call: PolledCall) -> Report | None:
    """Find the call's line: `id, duration 1, duration 2, credit used`."""
    if answer.server_error:
        raise ProviderUnavailableError(f"the panel answered HTTP {answer.status}")
    if error := _refusal(answer):
        raise error
    for line in answer.text.splitlines():
        fields = [field.strip() for field in line.split(",")]
        if len(fields) != 4 or fields[0] not in (call.call_id, call.provider_call_id):
            continue
        if not (is_ascii_digits(fields[1]) and is_ascii_digits(fields[2])):
            raise UnexpectedAnswerError(f"the panel reported {line!r}")
        try:
            credit: float | str = float(fields[3])
        except ValueError:
            credit = fields[3]
        return int(fields[1]), int(fields[2]), credit
    return None


def _refusal(answer: HttpAnswer) -> ProviderError | None:
    """Return the error an answer about credentials stands for, if it is one."""
    if answer.refused_credentials or _AUTHENTICATION.search(answer.text):
        return AuthenticationError(answer.excerpt or f"HTTP {answer.status}")
    return None


CLIENT = VoicePanelClient
