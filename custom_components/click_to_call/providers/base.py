"""What every provider client shares: requests, results, statuses and errors.

Plain async Python on aiohttp: nothing here imports Home Assistant, so the
clients can be tested and reused on their own.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
import json
from typing import Any, ClassVar, Final
from urllib.parse import urlsplit

import aiohttp

REQUEST_TIMEOUT: Final = aiohttp.ClientTimeout(total=10)
# A provider answer is a few hundred bytes; anything much larger is not one.
MAX_ANSWER_BYTES: Final = 64 * 1024
# Attempts for a request that certainly never left this machine.
CONNECT_ATTEMPTS: Final = 3
CONNECT_RETRY_DELAY: Final = 0.2


class CallStatus(StrEnum):
    """One status vocabulary for all providers."""

    INITIATED = "initiated"
    CONNECTED = "connected"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        """Return True when the call can no longer change."""
        return self not in (CallStatus.INITIATED, CallStatus.CONNECTED)

    @property
    def rank(self) -> int:
        """Order statuses so that they only ever move forward."""
        if self is CallStatus.INITIATED:
            return 0
        if self is CallStatus.CONNECTED:
            return 1
        return 2


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


@dataclass(frozen=True, slots=True)
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
    callback_url: str | None = None


@dataclass(frozen=True, slots=True)
class DialResult:
    """What the provider said to a dial request it accepted."""

    status: CallStatus = CallStatus.INITIATED
    provider_call_id: str | None = None
    message: str | None = None


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


@dataclass(frozen=True, slots=True)
class CallUpdate:
    """A status report about one call, from a callback or a poll."""

    status: CallStatus
    call_id: str | None = None
    provider_call_id: str | None = None
    duration: int | None = None
    error: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)


class ProviderError(Exception):
    """A dial or check that did not succeed; `status` is what the call becomes.

    `reason`, where set, names a more precise translated error than the class
    gives (such as "insufficient_credit").
    """

    status: CallStatus = CallStatus.FAILED

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        reason: str | None = None,
        status: CallStatus | None = None,
    ) -> None:
        """Keep the message, and where known the field at fault and the reason."""
        super().__init__(message)
        self.message = message
        self.field = field
        self.reason = reason
        if status is not None:
            self.status = status


class AuthenticationError(ProviderError):
    """The provider does not accept the credentials."""

    status = CallStatus.REJECTED


class InvalidRequestError(ProviderError):
    """The provider (or its documented limits) refuses a field of the request."""

    status = CallStatus.REJECTED


class CallRefusedError(ProviderError):
    """The provider refuses the call itself: credit, unsupported destination."""

    status = CallStatus.REJECTED


class ProviderUnavailableError(ProviderError):
    """The provider could not be reached or failed on its side."""


class CallEndedError(ProviderError):
    """The call was placed and ended without being connected (busy, no answer)."""


class UnexpectedAnswerError(ProviderError):
    """The provider answered something its documentation does not describe."""


class CallbackError(ValueError):
    """A callback body that does not say anything usable."""


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer, read in full (bounded)."""

    status: int
    text: str
    content_type: str

    def json(self) -> Any:
        """Decode the body as JSON or raise UnexpectedAnswerError."""
        try:
            return json.loads(self.text)
        except (ValueError, RecursionError) as err:
            raise UnexpectedAnswerError(
                f"HTTP {self.status} with a body that is not JSON: {self.excerpt}"
            ) from err

    @property
    def excerpt(self) -> str:
        """Return the start of the body, for an error message."""
        text = " ".join(self.text.split())
        return text if len(text) <= 200 else f"{text[:200]}…"


class ProviderClient(ABC):
    """A provider's click-to-call API, on an injected aiohttp session."""

    provider: ClassVar[str]
    title: ClassVar[str]
    number_format: ClassVar[NumberFormat]
    supported_fields: ClassVar[frozenset[DialField]]
    # Whether `async_check_credentials` can tell good credentials from bad.
    can_check_credentials: ClassVar[bool] = True
    # The entry setting that holds the default A party, where there is one.
    default_from_key: ClassVar[str | None] = None
    # Whether the A party is a phone number (Ameyo's is an agent's user id).
    from_is_number: ClassVar[bool] = True
    # Whether bare digits (no "+", no spaces) are account ids, not numbers.
    accepts_account_ids: ClassVar[bool] = False
    # Whether the dial answer only comes once the call's outcome is known;
    # then the dial action does not wait for it.
    answers_when_call_ends: ClassVar[bool] = False
    # Seconds between status polls; None when the provider is not polled.
    poll_interval: ClassVar[float | None] = None
    # Whether requests carry the entry's webhook URL for status callbacks.
    uses_callback_url: ClassVar[bool] = False

    def __init__(
        self, session: aiohttp.ClientSession, config: Mapping[str, Any]
    ) -> None:
        """Keep the session and the entry's settings."""
        self._session = session
        self._config = config

    @classmethod
    @abstractmethod
    def account_of(cls, config: Mapping[str, Any]) -> str:
        """Return what identifies the account at the provider."""

    @abstractmethod
    async def async_check_credentials(self) -> None:
        """Check the credentials without placing a call.

        Raises AuthenticationError, InvalidRequestError (a setting the
        provider refuses) or ProviderUnavailableError.
        """

    @abstractmethod
    async def async_dial(self, request: DialRequest) -> DialResult:
        """Place a call; raise a ProviderError when it is not placed."""

    @classmethod
    def is_account_id(cls, text: str) -> bool:
        """Return whether a party is an account id (bare ASCII digits), not a number."""
        return cls.accepts_account_ids and text.isascii() and text.isdigit()

    def validate(self, request: DialRequest) -> None:  # noqa: B027 - optional hook
        """Check the request against the provider's documented limits.

        Raises InvalidRequestError, before anything is sent. Most providers
        document no limits beyond the fields they take.
        """

    def parse_callback(self, content_type: str, body: bytes) -> CallUpdate:
        """Read a callback posted to the entry's webhook."""
        return parse_generic_callback(body)

    def poll_deadline(self, call: PolledCall) -> float:
        """Return when polling a call stops at the latest."""
        raise NotImplementedError

    async def async_poll(self, call: PolledCall, now: float) -> CallUpdate | None:
        """Ask the provider about a call; None when there is nothing new.

        At or after the deadline the answer must be a final status.
        """
        raise NotImplementedError

    async def _request(
        self,
        method: str,
        url: str,
        *,
        client_timeout: aiohttp.ClientTimeout | None = None,
        **kwargs: Any,
    ) -> Answer:
        """Send one request and read its answer.

        Only a failure to connect is retried: then nothing left this machine.
        Anything later may have reached the provider, and sending again could
        ring a real phone twice.
        """
        for attempt in range(1, CONNECT_ATTEMPTS + 1):
            try:
                async with self._session.request(
                    method, url, timeout=client_timeout or REQUEST_TIMEOUT, **kwargs
                ) as response:
                    if (
                        response.content_length is not None
                        and response.content_length <= MAX_ANSWER_BYTES
                    ):
                        body: bytes | None = await response.read()  # the usual case
                    else:
                        body = await read_bounded(response.content, MAX_ANSWER_BYTES)
                    if body is None:
                        raise UnexpectedAnswerError(
                            f"HTTP {response.status} with an answer over "
                            f"{MAX_ANSWER_BYTES} bytes"
                        )
                    return Answer(
                        response.status,
                        _decode(body, response.charset),
                        response.content_type,
                    )
            except aiohttp.ClientSSLError as err:
                raise ProviderUnavailableError(
                    f"secure connection to the provider failed: {err}"
                ) from err
            except aiohttp.ClientConnectorError as err:
                if attempt == CONNECT_ATTEMPTS:
                    raise ProviderUnavailableError(
                        f"cannot connect to the provider: {err.os_error}"
                    ) from err
                await asyncio.sleep(CONNECT_RETRY_DELAY * attempt)
            except TimeoutError as err:
                raise ProviderUnavailableError(
                    "the provider did not answer in time"
                ) from err
            except aiohttp.ClientError as err:
                # Only the error's kind: its text can hold the URL, and with
                # it credentials sent as query parameters.
                raise ProviderUnavailableError(
                    f"the connection to the provider failed ({type(err).__name__})"
                ) from err
        raise AssertionError("unreachable")  # the loop always returns or raises


async def read_bounded(stream: aiohttp.StreamReader, limit: int) -> bytes | None:
    """Read a whole body of at most `limit` bytes; None when it is longer."""
    body = bytearray()
    while len(body) <= limit:
        chunk = await stream.read(limit + 1 - len(body))
        if not chunk:
            return bytes(body)
        body += chunk
    return None


def _decode(body: bytes, charset: str | None) -> str:
    """Decode an answer; an unknown or missing charset counts as UTF-8."""
    try:
        return body.decode(charset or "utf-8", "replace")
    except LookupError:
        return body.decode("utf-8", "replace")


def account_at_host(user: object, api_url: str) -> str:
    """Name an account on a customer's own server: user@host."""
    return f"{user}@{urlsplit(api_url).hostname or api_url}"


def parse_generic_callback(body: bytes) -> CallUpdate:
    """Read the documented generic JSON callback.

    {"call_id" or "provider_call_id": str, "status": one of CallStatus,
     "duration": seconds (optional), "error": str (optional)}
    """
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as err:
        raise CallbackError("body is not JSON") from err
    if not isinstance(data, dict):
        raise CallbackError("body is not a JSON object")
    call_id = _optional_text(data, "call_id")
    provider_call_id = _optional_text(data, "provider_call_id")
    if call_id is None and provider_call_id is None:
        raise CallbackError("neither call_id nor provider_call_id is given")
    status = data.get("status")
    if not isinstance(status, str) or status not in CallStatus.__members__.values():
        raise CallbackError(f"unknown status {status!r}")
    duration = data.get("duration")
    if duration is not None and (
        isinstance(duration, bool)
        or not isinstance(duration, int | float)
        or not 0 <= duration < 10**7
    ):
        raise CallbackError("duration is not a number of seconds")
    return CallUpdate(
        status=CallStatus(status),
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
    if not isinstance(value, str) or not value or len(value) > 256:
        raise CallbackError(f"{key} is not a short text")
    return value
