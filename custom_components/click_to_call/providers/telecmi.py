"""TeleCMI click to call (telecmi.txt).

POST JSON with the credentials in the body and `to` as a JSON number. Status
comes back through the generic JSON webhook, matched by `request_id`.
"""

from __future__ import annotations

from collections.abc import Mapping
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

DEFAULT_API_URL: Final = "https://rest.telecmi.com/v2/webrtc/click2call"


class TelecmiClient(ProviderClient):
    """TeleCMI: the user's softphone (or mobile, with followme) rings first."""

    provider = "telecmi"
    title = "TeleCMI"
    number_format = NumberFormat.DIGITS
    supported_fields = frozenset({DialField.EXTRA})

    @classmethod
    def account_of(cls, config: Mapping[str, Any]) -> str:
        """Return the TeleCMI user id."""
        return str(config["user_id"])

    async def async_check_credentials(self) -> None:
        """Send the credentials without `to`: 404 means they are wrong."""
        try:
            await self._send(self._credentials())
        except InvalidRequestError:
            return  # the credentials passed; only the missing `to` was refused

    def validate(self, request: DialRequest) -> None:
        """TeleCMI's `to` is a JSON number."""
        digits = request.to.lstrip("+")
        if not (digits.isascii() and digits.isdigit()):
            raise InvalidRequestError("TeleCMI takes digits only", field="to")

    async def async_dial(self, request: DialRequest) -> DialResult:
        """Place the call; TeleCMI's `request_id` identifies it in callbacks."""
        body: dict[str, Any] = self._credentials()
        body["to"] = int(request.to.lstrip("+"))
        if request.extra:
            body["extra_params"] = dict(request.extra)
        body["webrtc"] = bool(self._config.get("webrtc", True))
        body["followme"] = bool(self._config.get("followme", False))
        data = await self._send(body)
        request_id = data.get("request_id")
        return DialResult(
            provider_call_id=str(request_id) if request_id else None,
            message=str(data.get("msg", "")) or None,
        )

    def _credentials(self) -> dict[str, Any]:
        return {"user_id": self._config["user_id"], "secret": self._config["secret"]}

    async def _send(self, body: dict[str, Any]) -> dict[str, Any]:
        answer = await self._request(
            "POST", self._config.get("api_url") or DEFAULT_API_URL, json=body
        )
        return parse_answer(answer)


def parse_answer(answer: Answer) -> dict[str, Any]:
    """Map a TeleCMI answer to its JSON body or a ProviderError."""
    if answer.status == 404:
        raise AuthenticationError(_message(answer, "invalid user id or secret"))
    if answer.status == 400:
        raise InvalidRequestError(_message(answer, "a required parameter is missing"))
    if answer.status >= 500:
        raise ProviderUnavailableError(f"TeleCMI answered HTTP {answer.status}")
    data = answer.json()
    if answer.status != 200 or not isinstance(data, dict) or data.get("code") != 200:
        raise UnexpectedAnswerError(
            f"TeleCMI answered HTTP {answer.status}: {answer.excerpt}"
        )
    return data


def _message(answer: Answer, default: str) -> str:
    """Return TeleCMI's `msg` where the error body has one."""
    try:
        data = answer.json()
    except UnexpectedAnswerError:
        return default
    if isinstance(data, dict) and isinstance(data.get("msg"), str) and data["msg"]:
        return str(data["msg"])
    return default
