"""telSpiel click to call.

POST JSON with an `api-key` header. No status callback: a placed call stays
`initiated`.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
from typing import Any, Final

from .client import ProviderClient
from .errors import (
    AuthenticationError,
    InvalidRequestError,
    ProviderUnavailableError,
    UnexpectedAnswerError,
)
from .http import HttpAnswer
from .models import DialField, DialRequest, DialResult, NumberFormat
from .settings import Kind, ProviderConfig, setting
from .text import safe_json

DEFAULT_API_URL: Final = "https://app.habitic.in/api/click-to-call"
# telSpiel's field names, in the dial action's words.
FIELD_NAMES: Final = {"customer_phone": "to", "agent_phone": "from"}


@dataclass(frozen=True, slots=True, kw_only=True)
class TelspielConfig(ProviderConfig):
    """A telSpiel account."""

    username: str = setting(Kind.TEXT)
    api_key: str = setting(Kind.SECRET)
    agent_phone: str = setting(Kind.PHONE)
    campaign_name: str | None = setting(Kind.TEXT, None)
    api_url: str = setting(Kind.URL, DEFAULT_API_URL)


class TelspielClient(ProviderClient[TelspielConfig]):
    """telSpiel: the agent phone rings first, then the customer."""

    provider = "telspiel"
    title = "telSpiel"
    config_class = TelspielConfig
    number_format = NumberFormat.NATIONAL
    supported_fields = frozenset({DialField.FROM, DialField.CAMPAIGN})
    default_from = "agent_phone"

    @classmethod
    def account_of(cls, config: TelspielConfig) -> str:
        """Return the telSpiel username."""
        return config.username

    async def async_check_credentials(self) -> None:
        """Send a job without a customer phone: telSpiel checks the key first."""
        body = self._body(None, self.config.agent_phone, None)
        await self._send(body, missing_customer_expected=True)

    async def async_dial(self, request: DialRequest) -> DialResult:
        """Create a click to call job."""
        body = self._body(
            request.to,
            request.from_ or self.config.agent_phone,
            request.campaign or self.config.campaign_name,
        )
        await self._send(body)
        return DialResult()

    def _body(
        self, customer: str | None, agent: str, campaign: str | None
    ) -> dict[str, str]:
        """Build the job in the order the document gives."""
        body = {"username": self.config.username}
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
            self.config.api_url,
            json=body,
            headers={"accept": "application/json", "api-key": self.config.api_key},
        )
        return parse_answer(answer, missing_customer_expected=missing_customer_expected)


def parse_answer(
    answer: HttpAnswer, *, missing_customer_expected: bool = False
) -> dict[str, Any]:
    """Map a telSpiel answer to its JSON body or a ProviderError.

    With `missing_customer_expected` (the credential probe), a 422 that only
    misses the customer phone is a success: the key was accepted.
    """
    if answer.server_error:
        raise ProviderUnavailableError(f"telSpiel answered HTTP {answer.status}")
    try:
        data = answer.json()
    except UnexpectedAnswerError:
        if answer.refused_credentials:
            raise AuthenticationError(f"HTTP {answer.status}") from None
        raise
    if not isinstance(data, dict):
        raise UnexpectedAnswerError(f"telSpiel answered {answer.excerpt}")
    code = data.get("code", answer.status)
    message = str(data.get("message") or data.get("status") or answer.excerpt)
    if code == 200 and answer.status == 200 and data.get("status") == "success":
        return data
    if code in (401, 403) or answer.refused_credentials:
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
            errors = safe_json(json.loads(errors))
        except (ValueError, RecursionError):
            return {None: errors} if errors else {}
    if not isinstance(errors, dict):
        return {}
    found: dict[str | None, str] = {}
    for name, problems in errors.items():
        first = problems[0] if isinstance(problems, list) and problems else problems
        found[FIELD_NAMES.get(name, name)] = str(first)
    return found


CLIENT = TelspielClient
