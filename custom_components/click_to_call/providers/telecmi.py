"""TeleCMI click to call.

POST JSON with the credentials in the body and `to` as a JSON number. Status
comes back through the entry's webhook, set once in TeleCMI's dashboard:
TeleCMI's own live events (`type: event`) and call detail records (`type:
cdr`), one per leg, matched to the call by `request_id` (the dial's answer).
The generic JSON format is taken too.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
from typing import Any, Final
from urllib.parse import parse_qsl

from .client import ProviderClient
from .errors import (
    AuthenticationError,
    CallbackError,
    ErrorKey,
    InvalidRequestError,
    NotSentError,
    ProviderUnavailableError,
    UnexpectedAnswerError,
)
from .http import HttpAnswer
from .models import (
    Callback,
    CallStatus,
    CallUpdate,
    DialField,
    DialRequest,
    DialResult,
    NumberFormat,
    Outcome,
)
from .settings import Kind, ProviderConfig, setting
from .text import is_ascii_digits, safe_json

DEFAULT_API_URL: Final = "https://rest.telecmi.com/v2/webrtc/click2call"
FORM: Final = "application/x-www-form-urlencoded"
MAX_SECONDS: Final = 10**7
# A missed leg's hangup_reason -> the call's status. recv_cancel: the phone
# rang out; sent_reject: it declined; recv_bye/sent_bye: one side gave up
# before the answer. TeleCMI documents no busy or failed leg: those are guesses.
_MISSED: Final = {
    "recv_cancel": CallStatus.NO_ANSWER,
    "sent_reject": CallStatus.REJECTED,
    "recv_bye": CallStatus.CANCELLED,
    "sent_bye": CallStatus.CANCELLED,
    "busy": CallStatus.BUSY,
    # The older format's missed record gives no reason: it rang out.
    "missed": CallStatus.NO_ANSWER,
}
_PARTY: Final = {"a": "A party (the TeleCMI user)", "b": "B party"}


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
    # TeleCMI's pages allow "POST or GET" for their webhooks.
    callback_methods = ("POST", "GET")

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

    def parse_callback(self, callback: Callback) -> CallUpdate | None:
        """Read TeleCMI's live event or call detail record; None if not one.

        POST with JSON, as TeleCMI's examples read it; a GET (which TeleCMI's
        newer pages allow, without showing it) carries the same keys in its
        query, as text.
        """
        if callback.method == "GET":
            data: Any = callback.query
        elif callback.content_type == FORM:
            data = dict(parse_qsl(callback.body.decode("utf-8", "replace")))
        else:
            try:
                data = safe_json(json.loads(callback.body))
            except (ValueError, RecursionError):
                return None
        if not isinstance(data, dict) or data.get("type") not in ("event", "cdr"):
            return None
        return parse_notification(data)

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


def parse_notification(data: dict[str, Any]) -> CallUpdate:
    """Map one leg's live event or call detail record to an update.

    Raises CallbackError for one that cannot be linked to a call. Leg A
    answering alone is not `connected`; a hangup event only announces the
    detail records that give the outcome.
    """
    leg = str(data.get("leg") or "").lower()
    status = str(data.get("status", "")).lower()
    if leg not in _PARTY:
        if leg:
            raise CallbackError(f"unknown leg {leg!r}")
        # The older format's detail records carry no leg: one per call, read
        # as the call's outcome (leg B's); its events, as leg A's.
        leg = "b" if data["type"] == "cdr" else "a"
    request_id, to = _link(data)
    if data["type"] == "event":
        connected = status == "answered" and leg == "b"
        status_now = CallStatus.CONNECTED if connected else CallStatus.INITIATED
        return CallUpdate(status_now, provider_call_id=request_id, to=to)
    if status == "answered":
        seconds = _seconds(data.get("answeredsec"))
        # Leg A answering says nothing of B: leg B's own record decides.
        if leg == "a":
            return CallUpdate(CallStatus.INITIATED, provider_call_id=request_id, to=to)
        return CallUpdate(
            CallStatus.COMPLETED, provider_call_id=request_id, to=to, duration=seconds
        )
    reason = str(data.get("hangup_reason") or status).lower()
    return CallUpdate(
        _MISSED.get(reason, CallStatus.FAILED),
        provider_call_id=request_id,
        to=to,
        error=f"{_PARTY[leg]}: {status or 'ended'} ({reason})",
    )


def _link(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """Say how to find the call: (request_id, None), else (None, the number).

    The older format (chub-india) has no request_id; its `to` is the number
    the dial sent, so the newest open call to it is the one.
    """
    request_id = _text(data.get("request_id"))
    if request_id is not None:
        return request_id, None
    to = _text(data.get("to"))
    if to is None or not is_ascii_digits(to):
        raise CallbackError("neither a request_id nor the number dialled")
    return None, to


def _text(value: Any) -> str | None:
    """Return a short text or number as text; None for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and 0 < len(value) <= 256:
        return value
    return None


def _seconds(value: Any) -> int | None:
    if value is None:
        return None
    try:
        seconds = int(value)
    except (TypeError, ValueError) as err:
        raise CallbackError("answeredsec is not a number of seconds") from err
    if not 0 <= seconds < MAX_SECONDS:
        raise CallbackError("answeredsec is out of range")
    return seconds
