"""Ameyo click to dial with token.

The answer only comes once the call's outcome is known (seconds to minutes),
so the dial action does not wait for it (Outcome.SLOW_ANSWER). The
documented answers are often not valid JSON (raw newlines inside strings,
stray backslashes, unbalanced quotes), so they are read by their markers.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
import re
from typing import Any, Final

import aiohttp

from .client import ProviderClient, account_at_host
from .errors import (
    AuthenticationError,
    CallEndedError,
    CallRefusedError,
    ErrorKey,
    InvalidRequestError,
    ProviderUnavailableError,
    UnexpectedAnswerError,
)
from .http import HttpAnswer
from .models import (
    CallStatus,
    DialField,
    DialRequest,
    DialResult,
    NumberFormat,
    Outcome,
)
from .settings import Kind, ProviderConfig, setting

# The longest Ameyo may take to tell the outcome: agent ring, customer ring.
# Home Assistant's clock ends the wait; the request's own timeout is a backstop.
ANSWER_DEADLINE: Final = 180.0
REQUEST_TIMEOUT: Final = aiohttp.ClientTimeout(total=ANSWER_DEADLINE + 30)
COMMAND_PATH: Final = "/ameyowebaccess/command"
_TEXT_FIELD = r'"{}"\s*:\s*"([^"]*)"'
_UNANSWERED_PARTY = re.compile(r'Party\.did\.not\.answer\\?"\s*,\s*\\?"([^"\\]*)')


@dataclass(frozen=True, slots=True, kw_only=True)
class AmeyoConfig(ProviderConfig):
    """An agent on an Ameyo server."""

    api_url: str = setting(Kind.URL)
    hash_key: str = setting(Kind.SECRET)
    requesting_host: str = setting(Kind.TEXT)
    policy_name: str = setting(Kind.TEXT)
    campaign_id: str = setting(Kind.TEXT)
    user_id: str = setting(Kind.TEXT)
    verify_ssl: bool = setting(Kind.BOOLEAN, True)


class AmeyoClient(ProviderClient[AmeyoConfig]):
    """Ameyo: the agent's phone rings first, then the customer."""

    provider = "ameyo"
    title = "Ameyo"
    config_class = AmeyoConfig
    number_format = NumberFormat.NATIONAL
    supported_fields = frozenset({DialField.FROM, DialField.CAMPAIGN, DialField.EXTRA})
    default_from = "user_id"
    from_is_number = False
    outcome = Outcome.SLOW_ANSWER
    answer_deadline = ANSWER_DEADLINE
    checks_credentials = False

    @classmethod
    def account_of(cls, config: AmeyoConfig) -> str:
        """Return the agent and the Ameyo server."""
        return account_at_host(config.user_id, config.api_url)

    async def async_check_credentials(self) -> None:
        """Check that the server answers (and its certificate, where verified).

        The token itself cannot be checked without placing a call.
        """
        try:
            await self._request("GET", f"{self._base_url}/ameyowebaccess/")
        except UnexpectedAnswerError as err:
            # The web access page may send a browser on to its login page.
            if err.translation_key is not ErrorKey.REDIRECTED:
                raise

    async def async_dial(self, request: DialRequest) -> DialResult:
        """Dial and wait for the outcome; only a connected call returns."""
        data: dict[str, Any] = {
            "userId": request.from_ or self.config.user_id,
            "campaignId": request.campaign or self.config.campaign_id,
            "phone": request.to,
        }
        if request.extra:
            data["additionalParams"] = dict(request.extra)
        answer = await self._request(
            "POST",
            f"{self._base_url}{COMMAND_PATH}",
            params={"command": "clickToDialWithToken"},
            data={"data": json.dumps(data)},
            headers={
                "hash-key": self.config.hash_key,
                "requesting-host": self.config.requesting_host,
                "policy-name": self.config.policy_name,
            },
            client_timeout=REQUEST_TIMEOUT,
        )
        return parse_outcome(answer)

    @property
    def _base_url(self) -> str:
        return self.config.api_url.rstrip("/")


def parse_outcome(answer: HttpAnswer) -> DialResult:
    """Map Ameyo's answer, valid JSON or not, to a result or a ProviderError."""
    if answer.refused_credentials:
        raise AuthenticationError(
            _text_field(answer.text, "reason") or f"HTTP {answer.status}"
        )
    if answer.server_error:
        raise ProviderUnavailableError(f"Ameyo answered HTTP {answer.status}")
    text = answer.text
    if answer.status != 200:
        raise InvalidRequestError(
            _text_field(text, "details")
            or _text_field(text, "reason")
            or answer.excerpt
        )
    result = _text_field(text, "result")
    if result == "SUCCESS":
        return DialResult(status=CallStatus.CONNECTED)
    if party := _UNANSWERED_PARTY.search(text):
        if party.group(1) == "agent":
            raise CallEndedError(
                "The agent (party A) did not answer",
                translation_key=ErrorKey.AGENT_NO_ANSWER,
                status=CallStatus.NO_ANSWER,
            )
        raise CallEndedError(
            "The customer (party B) did not answer",
            translation_key=ErrorKey.CUSTOMER_NO_ANSWER,
            status=CallStatus.NO_ANSWER,
        )
    if "Requested channel not available" in text:
        raise CallEndedError(
            "Ameyo had no telephony channel available",
            translation_key=ErrorKey.CHANNEL_UNAVAILABLE,
        )
    if _text_field(text, "status") == "error":
        if "not working in campaign" in text:
            raise CallRefusedError(
                "The agent is on break (not working in the campaign)",
                translation_key=ErrorKey.AGENT_ON_BREAK,
            )
        if "not available to take the call" in text:
            raise CallRefusedError(
                "The agent is not logged in (not available to take the call)",
                translation_key=ErrorKey.AGENT_NOT_LOGGED_IN,
            )
        raise CallRefusedError(" ".join((_text_field(text, "reason") or text).split()))
    if result == "FAILURE":
        raise CallEndedError(f"Ameyo reported a failure: {answer.excerpt}")
    raise UnexpectedAnswerError(f"Ameyo answered {answer.excerpt}")


def _text_field(text: str, name: str) -> str | None:
    """Find `"name": "value"` in an answer that may not be valid JSON."""
    found = re.search(_TEXT_FIELD.format(re.escape(name)), text)
    return found.group(1).strip() if found else None


CLIENT = AmeyoClient
