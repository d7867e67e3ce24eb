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
from urllib.parse import parse_qsl, urlsplit

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
from .fields import epoch_ms, seconds, short_text
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
DIAL_PATH: Final = "/v2/webrtc/click2call"
# Reads the user's settings: proves the app secret and the user, rings nothing.
CHECK_PATH: Final = "/v3/user/get"
FORM: Final = "application/x-www-form-urlencoded"
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
        """Read the user's settings (TeleCMI's user API): nothing can ring.

        Never the dial endpoint: its 404 also means an invalid number, and a
        change to its checks could place a call. Where the user API is not
        found (an account on a platform without it), nothing can tell: the
        first call will.
        """
        user_id = self.config.user_id
        app_id = user_id.rpartition("_")[2]
        if "_" not in user_id or not is_ascii_digits(app_id):
            raise InvalidRequestError(
                "a TeleCMI user id is <extension>_<app id>, such as 101_1111112",
                field="user_id",
                translation_key=ErrorKey.INVALID_SETTING,
            )
        answer = await self._request(
            "POST",
            check_url(self.config.api_url),
            json={
                "appid": int(app_id),
                "secret": self.config.secret,
                "agent_id": user_id,
            },
        )
        # The answer holds the user's password: only its code is read.
        if answer.status == 404 and not _says_authentication(answer):
            return
        parse_answer(answer, excerpt=False)

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
        query, as text. TeleCMI posts every user of an app to one webhook:
        another user's report is not ours.
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
        user = data.get("user")
        if user is not None and str(user) != self.config.user_id:
            raise CallbackError("the report is about another TeleCMI user's call")
        return parse_notification(data)

    def _credentials(self) -> dict[str, Any]:
        return {"user_id": self.config.user_id, "secret": self.config.secret}

    async def _send(self, body: dict[str, Any]) -> dict[str, Any]:
        answer = await self._request("POST", self.config.api_url, json=body)
        return parse_answer(answer)


def check_url(api_url: str) -> str:
    """Return the user API's URL beside the click-to-call URL."""
    base = api_url.rstrip("/").removesuffix(DIAL_PATH)
    if base == api_url.rstrip("/"):
        parts = urlsplit(api_url)
        base = f"{parts.scheme}://{parts.netloc}"
    return f"{base}{CHECK_PATH}"


def parse_answer(answer: HttpAnswer, *, excerpt: bool = True) -> dict[str, Any]:
    """Map a TeleCMI answer to its JSON body or a ProviderError.

    Without `excerpt`, no error quotes the body (it may hold a secret).
    """
    if answer.status == 404:
        raise AuthenticationError(_message(answer, "invalid user id or secret"))
    if answer.status == 400:
        raise InvalidRequestError(_message(answer, "a required parameter is missing"))
    if answer.server_error:
        raise ProviderUnavailableError(f"TeleCMI answered HTTP {answer.status}")
    data = answer.json() if excerpt else _json_or_none(answer)
    if answer.status != 200 or not isinstance(data, dict) or data.get("code") != 200:
        shown = f": {answer.excerpt}" if excerpt else ""
        raise UnexpectedAnswerError(f"TeleCMI answered HTTP {answer.status}{shown}")
    return data


def _json_or_none(answer: HttpAnswer) -> Any:
    try:
        return answer.json()
    except UnexpectedAnswerError:
        return None


def _says_authentication(answer: HttpAnswer) -> bool:
    """Return whether a 404 is TeleCMI's "Authentication Failed"."""
    return "authenticat" in _message(answer, "").lower()


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
    link = {
        **_link(data),
        "reported_at": epoch_ms(data.get("time"), "time"),
        "report_id": _report_id(data, leg, status),
    }
    if data["type"] == "event":
        connected = status == "answered" and leg == "b"
        status_now = CallStatus.CONNECTED if connected else CallStatus.INITIATED
        return CallUpdate(status_now, **link)
    if status == "answered":
        talked = seconds(data.get("answeredsec"), "answeredsec")
        # Leg A answering says nothing of B: leg B's own record decides.
        if leg == "a":
            return CallUpdate(CallStatus.INITIATED, **link)
        return CallUpdate(CallStatus.COMPLETED, duration=talked, **link)
    reason = str(data.get("hangup_reason") or status).lower()
    return CallUpdate(
        _MISSED.get(reason, CallStatus.FAILED),
        error=f"{_PARTY[leg]}: {status or 'ended'} ({reason})",
        **link,
    )


def _link(data: dict[str, Any]) -> dict[str, Any]:
    """Say how to find the call: by request_id, else by the number dialled.

    The number goes with a request_id too: the call whose dial's answer (and
    so its request_id) was lost is found by it. The older format (chub-india)
    has no request_id; its `to` is the number the dial sent, and only
    reports marked as click to call are ours (the user's other calls reach
    the same webhook).
    """
    request_id = short_text(data.get("request_id"))
    to = short_text(data.get("to"))
    if to is not None and not is_ascii_digits(to):
        to = None
    if request_id is None and str(data.get("click_to_call")).lower() != "true":
        raise CallbackError("not a click-to-call report")
    if request_id is None and to is None:
        raise CallbackError("neither a request_id nor the number dialled")
    return {"provider_call_id": request_id, "to": to}


def _report_id(data: dict[str, Any], leg: str, status: str) -> str | None:
    """Return what tells this report from any other: its kind, leg and status."""
    cmiuuid = short_text(data.get("cmiuuid"))
    if cmiuuid is None:
        return None
    return f"{data['type']}:{leg}:{status}:{cmiuuid}"
