"""Ameyo click to dial with token (ameyo.txt).

The answer only comes once the call's outcome is known (seconds to minutes),
so the dial action does not wait for it: see `answers_when_call_ends`. The
documented answers are often not valid JSON (raw newlines inside strings,
stray backslashes, unbalanced quotes), so they are read by their markers.
"""

from __future__ import annotations

from collections.abc import Mapping
import json
import re
from typing import Any, Final

import aiohttp

from .base import (
    Answer,
    AuthenticationError,
    CallEndedError,
    CallRefusedError,
    CallStatus,
    DialField,
    DialRequest,
    DialResult,
    InvalidRequestError,
    NumberFormat,
    ProviderClient,
    ProviderUnavailableError,
    UnexpectedAnswerError,
    account_at_host,
)

# The longest Ameyo may take to tell the outcome: agent ring, customer ring.
OUTCOME_TIMEOUT = aiohttp.ClientTimeout(total=180)
COMMAND_PATH: Final = "/ameyowebaccess/command"
_TEXT_FIELD = r'"{}"\s*:\s*"([^"]*)"'
_UNANSWERED_PARTY = re.compile(r'Party\.did\.not\.answer\\?"\s*,\s*\\?"([^"\\]*)')


class AmeyoClient(ProviderClient):
    """Ameyo: the agent's phone rings first, then the customer."""

    provider = "ameyo"
    title = "Ameyo"
    number_format = NumberFormat.NATIONAL
    supported_fields = frozenset({DialField.FROM, DialField.CAMPAIGN, DialField.EXTRA})
    default_from_key = "user_id"
    from_is_number = False
    answers_when_call_ends = True
    # Ameyo has no request that checks the token without dialling.
    can_check_credentials = False

    @classmethod
    def account_of(cls, config: Mapping[str, Any]) -> str:
        """Return the agent and the Ameyo server."""
        return account_at_host(config["user_id"], config["api_url"])

    async def async_check_credentials(self) -> None:
        """Check that the server answers (and its certificate, where verified)."""
        await self._request("GET", f"{self._base_url}/ameyowebaccess/")

    async def async_dial(self, request: DialRequest) -> DialResult:
        """Dial and wait for the outcome; only a connected call returns."""
        data: dict[str, Any] = {
            "userId": request.from_ or self._config["user_id"],
            "campaignId": request.campaign or self._config["campaign_id"],
            "phone": request.to,
        }
        if request.extra:
            data["additionalParams"] = dict(request.extra)
        try:
            answer = await self._request(
                "POST",
                f"{self._base_url}{COMMAND_PATH}",
                params={"command": "clickToDialWithToken"},
                data={"data": json.dumps(data)},
                headers={
                    "hash-key": self._config["hash_key"],
                    "requesting-host": self._config["requesting_host"],
                    "policy-name": self._config["policy_name"],
                },
                client_timeout=OUTCOME_TIMEOUT,
            )
        except ProviderUnavailableError as err:
            if "in time" in err.message:
                raise ProviderUnavailableError(
                    f"Ameyo gave no outcome within {OUTCOME_TIMEOUT.total:g} s",
                    reason="outcome_timeout",
                ) from err
            raise
        return parse_outcome(answer)

    @property
    def _base_url(self) -> str:
        return str(self._config["api_url"]).rstrip("/")


def parse_outcome(answer: Answer) -> DialResult:
    """Map Ameyo's answer, valid JSON or not, to a result or a ProviderError."""
    if answer.status in (401, 403):
        raise AuthenticationError(
            _text_field(answer.text, "reason") or f"HTTP {answer.status}"
        )
    if answer.status >= 500:
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
        return DialResult(status=CallStatus.CONNECTED, message="connected")
    if party := _UNANSWERED_PARTY.search(text):
        if party.group(1) == "agent":
            raise CallEndedError(
                "The agent (party A) did not answer",
                reason="agent_no_answer",
                status=CallStatus.NO_ANSWER,
            )
        raise CallEndedError(
            "The customer (party B) did not answer",
            reason="customer_no_answer",
            status=CallStatus.NO_ANSWER,
        )
    if "Requested channel not available" in text:
        raise CallEndedError(
            "Ameyo had no telephony channel available", reason="channel_unavailable"
        )
    if _text_field(text, "status") == "error":
        if "not working in campaign" in text:
            raise CallRefusedError(
                "The agent is on break (not working in the campaign)",
                reason="agent_on_break",
            )
        if "not available to take the call" in text:
            raise CallRefusedError(
                "The agent is not logged in (not available to take the call)",
                reason="agent_not_logged_in",
            )
        raise CallRefusedError(" ".join((_text_field(text, "reason") or text).split()))
    if result == "FAILURE":
        raise CallEndedError(f"Ameyo reported a failure: {answer.excerpt}")
    raise UnexpectedAnswerError(f"Ameyo answered {answer.excerpt}")


def _text_field(text: str, name: str) -> str | None:
    """Find `"name": "value"` in an answer that may not be valid JSON."""
    found = re.search(_TEXT_FIELD.format(re.escape(name)), text)
    return found.group(1).strip() if found else None
