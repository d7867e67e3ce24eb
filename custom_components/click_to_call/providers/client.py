"""The base of every provider client: plain async Python on an injected session.

Nothing here imports Home Assistant, so the clients can be tested and reused
on their own.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Coroutine, Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

import aiohttp

from .errors import ErrorKey, NotSentError
from .http import HttpAnswer, async_request
from .models import (
    Announcement,
    Callback,
    CallUpdate,
    DialField,
    DialRequest,
    DialResult,
    NumberFormat,
    Outcome,
    PolledCall,
)
from .settings import ProviderConfig
from .text import is_ascii_digits


class ProviderClient[ConfigT: ProviderConfig](ABC):
    """A provider's click-to-call API.

    What a provider is, declared once: its id and title, its settings (the
    `config` class), how it writes numbers, which optional dial fields it
    honours, where its A party comes from, and how outcomes come back.
    """

    provider: ClassVar[str]
    title: ClassVar[str]
    config_class: ClassVar[type[ProviderConfig]]
    number_format: ClassVar[NumberFormat]
    supported_fields: ClassVar[frozenset[DialField]]
    outcome: ClassVar[Outcome] = Outcome.NONE
    # The setting that holds the default A party, where there is one.
    default_from: ClassVar[str | None] = None
    # Whether the A party is a phone number (Ameyo's is an agent's user id).
    from_is_number: ClassVar[bool] = True
    # Whether bare digits (no "+", no spaces) are account ids, not numbers.
    accepts_account_ids: ClassVar[bool] = False
    # `extra` parameters that name a phone, read and written as numbers.
    number_extras: ClassVar[frozenset[str]] = frozenset()
    # For Outcome.WEBHOOK: whether the callback URL carries a secret key (for
    # providers that do not sign their callbacks), and what to answer them.
    callback_key: ClassVar[bool] = False
    callback_reply: ClassVar[tuple[str, str] | None] = None
    callback_methods: ClassVar[tuple[str, ...]] = ("POST",)
    # The headers its reports are read by (kept with a report held while the
    # account is not loaded).
    callback_headers: ClassVar[tuple[str, ...]] = ("Content-Type",)
    # For Outcome.WEBHOOK: the seconds within which the provider reports each
    # call at least once, where it always does (a status as soon as it
    # dials); None where its first report may come only at the call's end.
    first_report_within: ClassVar[float | None] = None
    # Whether async_check_credentials proves the credentials (Ameyo's only
    # finds the server: its token is known good only once a call is placed).
    checks_credentials: ClassVar[bool] = True
    # The longest call the provider takes, in seconds, where it documents one.
    max_duration_limit: ClassVar[int | None] = None
    # Whether it places announce calls (a message spoken, a digit asked for);
    # where it cannot, the key of the refusal that says why.
    announces: ClassVar[bool] = False
    announce_refusal: ClassVar[str] = "announce_not_supported"
    # Whether it tells a machine from a person on a dial's B party.
    detects_machines: ClassVar[bool] = False
    # For Outcome.POLL: seconds between polls.
    poll_interval: ClassVar[float] = 10.0
    # For Outcome.SLOW_ANSWER: how long the answer may take, in seconds.
    answer_deadline: ClassVar[float] = 0.0

    def __init__(self, session: aiohttp.ClientSession, config: ConfigT) -> None:
        """Keep the session and the account's settings."""
        self._session = session
        self.config = config
        self._bad_setting = config.setting_with_control_characters()

    @classmethod
    def from_data(
        cls, session: aiohttp.ClientSession, data: Mapping[str, Any]
    ) -> ProviderClient[Any]:
        """Build the client from an entry's data."""
        return cls(session, cls.config_class.from_data(data))  # type: ignore[arg-type]

    @classmethod
    @abstractmethod
    def account_of(cls, config: Any) -> str:
        """Return what identifies the account at the provider."""

    @classmethod
    def called_from(cls, config: Any) -> str | None:
        """Return the number the account's calls come from, where it has one.

        Then it names the account, rather than an id a person does not
        recognise (a Twilio Account SID).
        """
        return None

    @abstractmethod
    async def async_check_credentials(self) -> str | None:
        """Check the credentials without placing a call.

        Return a note for the setup's last page (the key of its text), if the
        account calls for one. Raises AuthenticationError, InvalidRequestError
        (a setting the provider refuses) or ProviderUnavailableError.
        """

    @abstractmethod
    async def async_dial(self, request: DialRequest) -> DialResult:
        """Place a call; raise a ProviderError when it is not placed."""

    @classmethod
    def is_account_id(cls, text: str) -> bool:
        """Return whether a party is an account id (bare ASCII digits), not a number."""
        return cls.accepts_account_ids and is_ascii_digits(text)

    @property
    def reports_to_webhook(self) -> bool:
        """Return whether the provider reports calls to the webhook (needs a URL)."""
        return self.outcome is Outcome.WEBHOOK

    def validate(self, request: DialRequest) -> None:
        """Check the request and the settings before anything is sent.

        Raises NotSentError. Providers with documented limits check them too.
        """
        self.check_settings()
        limit = self.max_duration_limit
        if (
            limit is not None
            and request.max_duration is not None
            and not 1 <= request.max_duration <= limit
        ):
            raise NotSentError(
                f"1 to {limit} seconds",
                field="max_duration",
                translation_key=ErrorKey.OUT_OF_RANGE,
            )

    def check_settings(self) -> None:
        """Raise NotSentError naming a setting that cannot be sent."""
        if self._bad_setting is not None:
            raise NotSentError(
                "it holds a character that cannot be sent, such as a line break",
                field=self._bad_setting,
                translation_key=ErrorKey.INVALID_SETTING,
            )

    def parse_callback(self, callback: Callback) -> CallUpdate | None:
        """Read a callback in the provider's own format; None if it is not one.

        Raises CallbackError for a callback in the provider's format that
        says nothing usable, or that is not the provider's (a bad signature).
        """
        return None

    def answer_to(
        self, update: CallUpdate, announcement: Announcement | None = None
    ) -> tuple[str, str] | None:
        """Return what to answer a report it sent (body, content type).

        The class's `callback_reply`; a provider that waits for instructions
        (what to say after a digit) answers by the report.
        """
        return self.callback_reply

    async def async_machine_answered(
        self, provider_call_id: str, announcement: Announcement
    ) -> None:
        """Hang up on a machine that answered an announce call, or speak to it.

        Only providers that tell a machine implement it.
        """
        raise NotImplementedError

    def poll_deadline(self, call: PolledCall) -> float:
        """Return when polling a call stops at the latest (Outcome.POLL)."""
        raise NotImplementedError

    async def async_poll(self, call: PolledCall, now: float) -> CallUpdate | None:
        """Ask the provider about a call; None when there is nothing new.

        At or after the deadline the answer must be a final status.
        """
        raise NotImplementedError

    def _request(
        self, method: str, url: str, **kwargs: Any
    ) -> Coroutine[Any, Any, HttpAnswer]:
        # The coroutine itself, not awaited here: one frame less on every dial.
        return async_request(self._session, method, url, **kwargs)


def account_at_host(user: object, api_url: str) -> str:
    """Name an account on a customer's own server: user@host."""
    return f"{user}@{urlsplit(api_url).hostname or api_url}"
