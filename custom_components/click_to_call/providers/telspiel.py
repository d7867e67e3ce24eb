"""telSpiel click to call (telspiel.txt).

POST JSON with an `api-key` header. No status callback: a placed call stays
`initiated`.
"""

from __future__ import annotations

from collections.abc import Mapping
import json
from typing import Any, Final

from .base import (
    Answer,
    AuthenticationError,
    DialField,
    DialRequest,
    DialResult,
    InvalidRequestError,
    NumberFormat,
    ProviderClient,
    ProviderUnavailableError,
    UnexpectedAnswerError,
)

DEFAULT_API_URL: Final = "https://app.habitic.in/api/click-to-call"
# telSpiel's field names, in the dial action's words.
FIELD_NAMES: Final = {"customer_phone": "to", "agent_phone": "from"}


class TelspielClient(ProviderClient):
    """telSpiel: the agent phone rings first, then the customer."""

    provider = "telspiel"
    title = "telSpiel"
    number_format = NumberFormat.NATIONAL
    supported_fields = frozenset({DialField.FROM, DialField.CAMPAIGN})
    default_from_key = "agent_phone"

    @classmethod
    def account_of(cls, config: Mapping[str, Any]) -> str:
        """Return the telSpiel username."""
        return str(config["username"])

    async def async_check_credentials(self) -> None:
        """Send a job without a customer phone: telSpiel checks the key first."""
        body = self._body(None, self._config["agent_phone"], None)
        await self._send(body, missing_customer_expected=True)

    async def async_dial(self, request: DialRequest) -> DialResult:
        """Create a click to call job."""
        body = self._body(
            request.to,
            request.from_ or self._config["agent_phone"],
            request.campaign or self._config.get("campaign_name"),
        )
        answer = await self._send(body)
        return DialResult(message=answer.get("message"))

    def _body(
        self, customer: str | None, agent: str, campaign: str | None
    ) -> dict[str, str]:
        """Build the job in the order the document gives."""
        body = {"username": self._config["username"]}
        if campaign:
            body["campaign_name"] = campaign
        body["agent_phone"] = agent
        if customer is not None:
            body["customer_phone"] = customer
        return body

    async def _send(
        self, body: dict[str, str], *, missing_customer_expected: bool = False
    ) -> dict[str, Any]:
        answer = await self._request(
            "POST",
            self._config.get("api_url") or DEFAULT_API_URL,
            json=body,
            headers={"accept": "application/json", "api-key": self._config["api_key"]},
        )
        return parse_answer(answer, missing_customer_expected=missing_customer_expected)


def parse_answer(
    answer: Answer, *, missing_customer_expected: bool = False
) -> dict[str, Any]:
    """Map a telSpiel answer to its JSON body or a ProviderError.

    With `missing_customer_expected` (the credential probe), a 422 that only
    misses the customer phone is a success: the key was accepted.
    """
    if answer.status >= 500:
        raise ProviderUnavailableError(f"telSpiel answered HTTP {answer.status}")
    try:
        data = answer.json()
    except UnexpectedAnswerError:
        if answer.status in (401, 403):
            raise AuthenticationError(f"HTTP {answer.status}") from None
        raise
    if not isinstance(data, dict):
        raise UnexpectedAnswerError(f"telSpiel answered {answer.excerpt}")
    code = data.get("code", answer.status)
    message = str(data.get("message") or data.get("status") or answer.excerpt)
    if code == 200 and answer.status == 200 and data.get("status") == "success":
        return data
    if code in (401, 403) or answer.status in (401, 403):
        raise AuthenticationError(message)
    if code == 422 or answer.status == 422:
        errors = _errors(data.get("errors"))
        if missing_customer_expected:
            if set(errors) == {"to"}:
                return data
            errors.pop("to", None)
        field, detail = next(iter(errors.items()), (None, message))
        raise InvalidRequestError(detail, field=field)
    raise UnexpectedAnswerError(f"telSpiel answered HTTP {answer.status}: {message}")


def _errors(errors: Any) -> dict[str | None, str]:
    """Read telSpiel's `errors`, a JSON object sent as a JSON-encoded string.

    Returns the first problem of each field, by the dial action's field names.
    """
    if isinstance(errors, str):
        try:
            errors = json.loads(errors)
        except ValueError:
            return {None: errors} if errors else {}
    if not isinstance(errors, dict):
        return {}
    found: dict[str | None, str] = {}
    for name, problems in errors.items():
        first = problems[0] if isinstance(problems, list) and problems else problems
        found[FIELD_NAMES.get(name, name)] = str(first)
    return found
