"""TeleCMI click to call.

POST JSON with the credentials in the body and `to` as a JSON number. Status
comes back through the entry's webhook, matched by `request_id`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from .client import ProviderClient
from .errors import (
    AuthenticationError,
    ErrorKey,
    InvalidRequestError,
    NotSentError,
    ProviderUnavailableError,
    UnexpectedAnswerError,
)
from .http import HttpAnswer
from .models import DialField, DialRequest, DialResult, NumberFormat, Outcome
from .settings import Kind, ProviderConfig, setting
from .text import is_ascii_digits

DEFAULT_API_URL: Final = "https://rest.telecmi.com/v2/webrtc/click2call"


@dataclass(frozen=True, slots=True, kw_only=True)
class TelecmiConfig(ProviderConfig):
    """A TeleCMI user."""

    user_id: str = setting(Kind.TEXT)
    secret: str = setting(Kind.SECRET)
    webrtc: bool = setting(Kind.BOOLEAN, True)
    followme: bool = setting(Kind.BOOLEAN, False)
    api_url: str = setting(Kind.URL, DEFAULT_API_URL)


class TelecmiClient(ProviderClient[TelecmiConfig]):
    """TeleCMI: the user's softphone (or mobile, with followme) rings first."""

    provider = "telecmi"
    title = "TeleCMI"
    config_class = TelecmiConfig
    number_format = NumberFormat.DIGITS
    supported_fields = frozenset({DialField.EXTRA})
    outcome = Outcome.WEBHOOK

    @classmethod
    def account_of(cls, config: TelecmiConfig) -> str:
        """Return the TeleCMI user id."""
        return config.user_id

    async def async_check_credentials(self) -> None:
        """Send the credentials without `to`: 404 means they are wrong."""
        try:
            await self._send(self._credentials())
        except InvalidRequestError:
            return  # the credentials passed; only the missing `to` was refused

    def validate(self, request: DialRequest) -> None:
        """TeleCMI's `to` is a JSON number."""
        super().validate(request)
        if not is_ascii_digits(request.to.lstrip("+")):
            raise NotSentError(
                "TeleCMI takes digits only",
                field="to",
                translation_key=ErrorKey.NOT_DIGITS,
            )

    async def async_dial(self, request: DialRequest) -> DialResult:
        """Place the call; TeleCMI's `request_id` identifies it in callbacks."""
        body: dict[str, Any] = self._credentials()
        body["to"] = int(request.to.lstrip("+"))
        if request.extra:
            body["extra_params"] = dict(request.extra)
        body["webrtc"] = self.config.webrtc
        body["followme"] = self.config.followme
        data = await self._send(body)
        request_id = data.get("request_id")
        return DialResult(provider_call_id=str(request_id) if request_id else None)

    def _credentials(self) -> dict[str, Any]:
        return {"user_id": self.config.user_id, "secret": self.config.secret}

    async def _send(self, body: dict[str, Any]) -> dict[str, Any]:
        answer = await self._request("POST", self.config.api_url, json=body)
        return parse_answer(answer)


def parse_answer(answer: HttpAnswer) -> dict[str, Any]:
    """Map a TeleCMI answer to its JSON body or a ProviderError."""
    if answer.status == 404:
        raise AuthenticationError(_message(answer, "invalid user id or secret"))
    if answer.status == 400:
        raise InvalidRequestError(_message(answer, "a required parameter is missing"))
    if answer.server_error:
        raise ProviderUnavailableError(f"TeleCMI answered HTTP {answer.status}")
    data = answer.json()
    if answer.status != 200 or not isinstance(data, dict) or data.get("code") != 200:
        raise UnexpectedAnswerError(
            f"TeleCMI answered HTTP {answer.status}: {answer.excerpt}"
        )
    return data


def _message(answer: HttpAnswer, default: str) -> str:
    """Return TeleCMI's `msg` where the error body has one."""
    try:
        data = answer.json()
    except UnexpectedAnswerError:
        return default
    if isinstance(data, dict) and isinstance(data.get("msg"), str) and data["msg"]:
        return str(data["msg"])
    return default


CLIENT = TelecmiClient
