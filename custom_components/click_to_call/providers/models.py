"""What the provider clients and Home Assistant exchange: statuses, requests, updates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from functools import cached_property
from typing import Any, Final
from urllib.parse import parse_qsl


class CallStatus(StrEnum):
    """One status vocabulary for all providers."""

    # The request may have reached the provider, but its answer was lost.
    UNCONFIRMED = "unconfirmed"
    INITIATED = "initiated"
    CONNECTED = "connected"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    FAILED = "failed"
    # Announce calls, and machine detection: the digit pressed (the best
    # outcome), and a machine or voicemail that answered (not answered).
    ACKNOWLEDGED = "acknowledged"
    VOICEMAIL = "voicemail"

    @property
    def is_final(self) -> bool:
        """Return True when the call can no longer change."""
        return self not in _OPEN

    @property
    def rank(self) -> int:
        """Order statuses so that they only ever move forward.

        Unconfirmed comes first: any report about the call confirms it. A
        digit pressed is proof a person heard: it outranks every other end.
        """
        if self is CallStatus.ACKNOWLEDGED:
            return len(_OPEN) + 1
        return _OPEN.get(self, len(_OPEN))


_OPEN: Final = {
    CallStatus.UNCONFIRMED: 0,
    CallStatus.INITIATED: 1,
    CallStatus.CONNECTED: 2,
}


class CallReason(StrEnum):
    """Why a call's status is not the whole story (a translated attribute)."""

    # The provider's answer to the dial was lost: it may be ringing.
    ANSWER_LOST = "answer_lost"
    # Its time is up and no final report came: reports may have been lost.
    NO_REPORT = "no_report"
    # Home Assistant restarted while the provider's answer was awaited.
    INTERRUPTED = "interrupted"


class CallKind(StrEnum):
    """What a call is for."""

    DIAL = "dial"  # A rings, then B, bridged
    ANNOUNCE = "announce"  # one person hears a message, and confirms


class AnsweredBy(StrEnum):
    """Who answered, where the provider tells."""

    HUMAN = "human"
    MACHINE = "machine"
    UNKNOWN = "unknown"


class Voicemail(StrEnum):
    """What an announce call does when a machine answers."""

    HANG_UP = "hang_up"
    LEAVE_MESSAGE = "leave_message"


@dataclass(frozen=True, slots=True)
class Announcement:
    """The message an announce call speaks, and how."""

    message: str
    acknowledge: bool = True
    repeat: int = 2
    language: str = "en-US"
    voice: str | None = None
    voicemail: Voicemail = Voicemail.HANG_UP
    # A secret for the call's own reports (its digit), where the provider
    # does not sign them: it goes in the URL the provider is given.
    report_key: str | None = None


class NumberFormat(StrEnum):
    """How a provider wants phone numbers written."""

    E164 = "e164"  # +919876543210
    DIGITS = "digits"  # 919876543210
    NATIONAL = "national"  # 9876543210


class DialField(StrEnum):
    """Optional dial action fields, which a provider may or may not honour."""

    FROM = "from"
    CALLER_ID = "caller_id"
    CAMPAIGN = "campaign"
    MAX_DURATION = "max_duration"
    RETRIES = "retries"
    EXTRA = "extra"


class Outcome(Enum):
    """How a provider tells what became of a call after it accepted it."""

    NONE = "none"  # it never does: the call stays initiated
    WEBHOOK = "webhook"  # it posts status callbacks to the entry's webhook
    POLL = "poll"  # it is asked, with `ProviderClient.async_poll`
    SLOW_ANSWER = "slow_answer"  # the dial's answer comes once the call has ended


@dataclass(slots=True)
class DialRequest:
    """One call to place, with numbers already in the provider's format."""

    call_id: str
    to: str
    from_: str | None = None
    caller_id: str | None = None
    campaign: str | None = None
    max_duration: int | None = None
    retries: int | None = None
    extra: Mapping[str, Any] | None = None
    # The entry's webhook URL, for providers that are told where to report.
    callback_url: str | None = None
    # An announce call: the message (None: a dial that bridges A and B).
    announcement: Announcement | None = None
    # Whether to tell a machine from a person on B, where the provider can.
    detect_machine: bool = False


@dataclass(slots=True)
class DialResult:
    """What the provider said to a dial request it accepted."""

    status: CallStatus = CallStatus.INITIATED
    provider_call_id: str | None = None


@dataclass(slots=True)
class PolledCall:
    """A placed call that a polling provider reports on; kept between polls."""

    call_id: str
    provider_call_id: str | None
    placed_at: float
    max_duration: int | None
    # What the provider said last, and since when it has not changed.
    last_report: Any = None
    unchanged_since: float | None = None
    # Why the last poll got no report (None: it got one).
    poll_error: str | None = None


@dataclass(slots=True)
class CallUpdate:
    """A status report about one call, from a dial, a callback or a poll.

    The call is found by our id, else by the provider's, else (for providers
    whose reports carry neither) as the newest open call to `to`.
    """

    status: CallStatus
    call_id: str | None = None
    provider_call_id: str | None = None
    duration: int | None = None
    error: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    to: str | None = None
    # When the provider says it happened (epoch seconds): a report older than
    # the call is not about it.
    reported_at: float | None = None
    # The provider's id of this report, where it has one: a report delivered
    # twice is applied once.
    report_id: str | None = None
    # Why the status is not the whole story, where Home Assistant says so.
    reason: CallReason | None = None
    # Who answered, and the digits pressed, where the report says.
    answered_by: AnsweredBy | None = None
    digits: str | None = None
    # The status where the call is an announce call, if it reads otherwise
    # (a provider's leg A is the one person of an announce call).
    announce_status: CallStatus | None = None
    # The secret the report came with, for calls that have one.
    report_key: str | None = None


@dataclass(frozen=True)
class Callback:
    """A request that reached the entry's webhook."""

    method: str
    # The webhook's URL as the provider was given it, without a query.
    url: str
    query_string: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        """Return the media type, without its parameters."""
        return self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()

    def received_at(self, url: str) -> Callback:
        """Return the same report, with the webhook's URL as the provider had it.

        Every field is copied (and the query, if it was read): what
        dataclasses.replace returns, without its cost on every report.
        """
        report = object.__new__(Callback)
        report.__dict__.update(self.__dict__, url=url)
        return report

    @cached_property
    def query(self) -> dict[str, str]:
        """Return the query's fields (the last value of a repeated one)."""
        if not self.query_string:
            return {}  # most reports have none: no parsing
        return dict(parse_qsl(self.query_string, keep_blank_values=True))
