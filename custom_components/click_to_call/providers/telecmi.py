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
import re
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit

from .announce import PROMPT, after_digits, digits_pressed
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
from .fields import epoch_ms, said, seconds, short_text
from .http import FORM, JSON, HttpAnswer
from .models import (
    Announcement,
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
# Announce calls: PIOPIY's PCMO call (telecmi-announce.txt, API A), with the
# speak and input actions; India's numbers go to its own endpoint.
PCMO_INDIA_PATH: Final = "/v2/ind_pcmo_make_call"
PCMO_GLOBAL_PATH: Final = "/v2/global_pcmo_make_call"
_INDIA: Final = re.compile(r"91[6789]\d{9}")
# PCMO answers with a code in the body: 420 refuses the credentials, 422,
# 501 and 502 a missing or wrong property.
_PCMO_AUTH: Final = 420
_PCMO_INVALID: Final = frozenset({422, 501, 502})
# Seconds to wait for the digit after each time the message is spoken.
INPUT_TIMEOUT: Final = 8
# Reads the user's settings: proves the app secret and the user, rings nothing.
CHECK_PATH: Final = "/v3/user/get"
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
    # The app's number: the caller ID announce calls are placed from.
    caller_id: str | None = setting(Kind.PHONE, None)


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
    announces = True

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
        """TeleCMI's `to` is a JSON number; announcing needs the app's number."""
        super().validate(request)
        if not is_ascii_digits(request.to.lstrip("+")):
            raise NotSentError(
                "TeleCMI takes digits only",
                field="to",
                translation_key=ErrorKey.NOT_DIGITS,
            )
        if request.announcement is not None and not is_ascii_digits(
            (self.config.caller_id or "").lstrip("+")
        ):
            raise NotSentError(
                "an announce call is placed from the app's number: set it as "
                "the account's caller ID (Reconfigure)",
                field="caller_id",
                translation_key=ErrorKey.CALLER_ID_REQUIRED,
            )

    async def async_dial(self, request: DialRequest) -> DialResult:
        """Place the call; TeleCMI's `request_id` identifies it in callbacks."""
        if request.announcement is not None:
            return await self._async_announce(request, request.announcement)
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
        if not isinstance(data, dict):
            return None
        if "dtmf" in data and "call" in callback.query:
            return parse_digits(data, callback.query)
        if data.get("type") is None and "request_id" in data and "status" in data:
            # PIOPIY's live events of a PCMO call name no type.
            data = {**data, "type": "event"}
        if data.get("type") not in ("event", "cdr"):
            return None
        user = data.get("user")
        if user is not None and str(user) != self.config.user_id:
            raise CallbackError("the report is about another TeleCMI user's call")
        return parse_notification(data)

    async def _async_announce(
        self, request: DialRequest, announcement: Announcement
    ) -> DialResult:
        """Place a PCMO call that speaks the message and asks for a digit."""
        answer = await self._request(
            "POST", self.pcmo_url(), json=self.pcmo_body(request, announcement)
        )
        return DialResult(provider_call_id=parse_pcmo_answer(answer))

    def pcmo_url(self) -> str:
        """Return the PCMO endpoint for the app's number: India's, or global."""
        caller = (self.config.caller_id or "").lstrip("+")
        path = PCMO_INDIA_PATH if _INDIA.fullmatch(caller) else PCMO_GLOBAL_PATH
        return beside_dial(self.config.api_url, path)

    def pcmo_body(
        self, request: DialRequest, announcement: Announcement
    ) -> dict[str, Any]:
        """Return the PCMO call: speak (and ask) `repeat` times, then hang up.

        JSON carries the message as written: no text can become an action.
        The digit comes to our webhook with the call's own key.
        """
        body: dict[str, Any] = {
            "appid": int(self.config.user_id.rpartition("_")[2]),
            "secret": self.config.secret,
            "from": int((self.config.caller_id or "0").lstrip("+")),
            "to": int(request.to.lstrip("+")),
        }
        if request.max_duration is not None:
            body["duration"] = request.max_duration
        body["extra_params"] = {"ha_call_id": request.call_id}
        pcmo: list[dict[str, Any]] = []
        ask = announcement.acknowledge and request.callback_url is not None
        spoken = f"{announcement.message} {PROMPT}" if ask else announcement.message
        for _ in range(announcement.repeat):
            pcmo.append({"action": "speak", "text": spoken})
            if ask:
                pcmo.append(
                    {
                        "action": "input",
                        "action_url": digits_url(request, announcement),
                        "max_digit": 1,
                        "timeout": INPUT_TIMEOUT,
                    }
                )
        pcmo.append({"action": "hangup"})
        body["pcmo"] = pcmo
        return body

    def answer_to(
        self, update: CallUpdate, announcement: Announcement | None = None
    ) -> tuple[str, str] | None:
        """Answer the digit's report with what to do next (a PCMO array)."""
        if update.digits is None:
            return self.callback_reply
        actions = [
            {"action": "speak", "text": after_digits(update.digits)},
            {"action": "hangup"},
        ]
        return json.dumps(actions), JSON

    def _credentials(self) -> dict[str, Any]:
        return {"user_id": self.config.user_id, "secret": self.config.secret}

    async def _send(self, body: dict[str, Any]) -> dict[str, Any]:
        answer = await self._request("POST", self.config.api_url, json=body)
        return parse_answer(answer)


def beside_dial(api_url: str, path: str) -> str:
    """Return the URL of another of TeleCMI's endpoints, beside the dial's."""
    base = api_url.rstrip("/").removesuffix(DIAL_PATH)
    if base == api_url.rstrip("/"):
        parts = urlsplit(api_url)
        base = f"{parts.scheme}://{parts.netloc}"
    return f"{base}{path}"


def check_url(api_url: str) -> str:
    """Return the user API's URL beside the click-to-call URL."""
    return beside_dial(api_url, CHECK_PATH)


def digits_url(request: DialRequest, announcement: Announcement) -> str:
    """Return where the digit is posted: our webhook, the call and its key."""
    query = urlencode({"call": request.call_id, "key": announcement.report_key})
    return f"{request.callback_url}?{query}"


def parse_pcmo_answer(answer: HttpAnswer) -> str | None:
    """Return a PCMO call's request_id; raise what its code means."""
    data = _json_or_none(answer)
    code = data.get("code") if isinstance(data, dict) else None
    if answer.server_error and code not in _PCMO_INVALID:
        # (TeleCMI's own 502 says a property is missing: its JSON tells.)
        raise ProviderUnavailableError(f"TeleCMI answered HTTP {answer.status}")
    message = _message(answer, f"code {code}")
    if code == _PCMO_AUTH or answer.status in (401, 404):
        raise AuthenticationError(message)
    if code in _PCMO_INVALID or answer.status in (400, 422):
        raise InvalidRequestError(message)
    if code != 200 or not isinstance(data, dict):
        raise UnexpectedAnswerError(
            f"TeleCMI answered HTTP {answer.status}: {answer.excerpt}"
        )
    return short_text(data.get("request_id")) or short_text(
        (data.get("data") or {}).get("request_id")
        if isinstance(data.get("data"), dict)
        else None
    )


def parse_digits(data: dict[str, Any], query: dict[str, str]) -> CallUpdate:
    """Map the digit an input action posts.

    The call is named in the URL, with its key: TeleCMI signs nothing.
    """
    value = data.get("dtmf")
    # A text, or a number (the examples compare dtmf == 1).
    digits = str(value).strip() if isinstance(value, str | int) else ""
    if isinstance(value, bool) or not 0 < len(digits) <= 32:
        raise CallbackError("no digits in a digits report")
    return digits_pressed(query["call"], digits, query.get("key", ""))


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
    # PIOPIY's PCMO reports write out_started, out_answered.
    status = str(data.get("status", "")).lower().removeprefix("out_")
    if leg not in _PARTY:
        if leg:
            raise CallbackError(f"unknown leg {said(leg)}")
        # The older format's detail records carry no leg: one per call, read
        # as the call's outcome (leg B's); its events, as leg A's.
        leg = "b" if data["type"] == "cdr" else "a"
    link = {
        **_link(data),
        "reported_at": epoch_ms(data.get("time"), "time"),
        "report_id": _report_id(data, leg, status),
    }
    if data["type"] == "event":
        # The one party of an announce call answering is the call answered.
        answered = status in ("answered", "bridged")
        connected = answered and leg == "b"
        return CallUpdate(
            CallStatus.CONNECTED if connected else CallStatus.INITIATED,
            announce_status=CallStatus.CONNECTED if answered else CallStatus.INITIATED,
            **link,
        )
    if status == "answered":
        talked = seconds(data.get("answeredsec"), "answeredsec")
        if talked is None:
            talked = seconds(data.get("duration"), "duration")
        # Leg A answering says nothing of B: leg B's own record decides.
        # An announce call's one party answering is the message spoken.
        if leg == "a":
            return CallUpdate(
                CallStatus.INITIATED, announce_status=CallStatus.COMPLETED, **link
            )
        return CallUpdate(CallStatus.COMPLETED, duration=talked, **link)
    reason = str(data.get("hangup_reason") or status).lower()
    return CallUpdate(
        _MISSED.get(reason, CallStatus.FAILED),
        error=f"{_PARTY[leg]}: {said(status) or 'ended'} ({said(reason)})",
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
    return f"{data['type']}:{leg}:{status[:40]}:{cmiuuid}"
