"""Exotel click to call: "connect two numbers" (Voice v1).

One form POST to `Calls/connect.json`: Exotel rings party A (`From`) and,
once it answers, dials party B (`To`) from the ExoPhone (`CallerId`). Its
StatusCallback, asked for in JSON with the `answered` and `terminal` events,
comes to the entry's webhook. Exotel does not sign callbacks: the URL
carries the entry's secret key (checked by the webhook), and only the
CallSids of calls placed here are taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
import json
import re
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

from .client import ProviderClient
from .errors import (
    AuthenticationError,
    CallbackError,
    CallRefusedError,
    ErrorKey,
    InvalidRequestError,
    ProviderError,
    ProviderUnavailableError,
    UnexpectedAnswerError,
)
from .fields import said, seconds, short_text
from .http import FORM, JSON, HttpAnswer, basic_authorization
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
from .text import safe_json

SINGAPORE: Final = "api.exotel.com"
MUMBAI: Final = "api.in.exotel.com"
# The region's API host → how the form names it (place names, not translated).
REGIONS: Final = {
    SINGAPORE: "Singapore (api.exotel.com)",
    MUMBAI: "Mumbai (api.in.exotel.com)",
}
MULTIPART: Final = "multipart/form-data"
MAX_DURATION: Final = 14400
MAX_FIELDS: Final = 100
_LEG_FIELD: Final = re.compile(r"Legs\[([01])\]\[(\w+)\]")
# A leg's (or the call's) final status → the call's status.
_ENDED: Final = {
    "busy": CallStatus.BUSY,
    "no-answer": CallStatus.NO_ANSWER,
    "canceled": CallStatus.CANCELLED,
    "failed": CallStatus.FAILED,
}
_PARTY: Final = ("A party", "B party")

# HTTP status → (error class, translation key, the setting at fault).
_STATUSES: Final[dict[int, tuple[type[ProviderError], ErrorKey, str | None]]] = {
    400: (InvalidRequestError, ErrorKey.INVALID_REQUEST, None),
    401: (AuthenticationError, ErrorKey.AUTH_FAILED, None),
    402: (CallRefusedError, ErrorKey.INSUFFICIENT_CREDIT, None),
    403: (CallRefusedError, ErrorKey.EXOTEL_FORBIDDEN, None),
    404: (AuthenticationError, ErrorKey.ACCOUNT_NOT_FOUND, "account_sid"),
    429: (ProviderUnavailableError, ErrorKey.RATE_LIMITED, None),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ExotelConfig(ProviderConfig):
    """An Exotel account and its ExoPhone."""

    api_key: str = setting(Kind.TEXT)
    api_token: str = setting(Kind.SECRET)
    account_sid: str = setting(Kind.TEXT)
    caller_id: str = setting(Kind.PHONE)
    a_party: str = setting(Kind.PHONE)
    region: str = setting(Kind.CHOICE, SINGAPORE, choices=REGIONS)
    api_url: str | None = setting(Kind.URL, None)


class ExotelClient(ProviderClient[ExotelConfig]):
    """Exotel: party A rings first; once it answers, Exotel dials B."""

    provider = "exotel"
    title = "Exotel"
    config_class = ExotelConfig
    number_format = NumberFormat.E164
    supported_fields = frozenset({DialField.FROM, DialField.MAX_DURATION})
    max_duration_limit = MAX_DURATION
    default_from = "a_party"
    outcome = Outcome.WEBHOOK
    callback_key = True
    # Its API speaks no message of ours: announcing needs a call flow built
    # in Exotel's dashboard (exotel-announce.txt), not set up here.
    announce_refusal = "announce_needs_flow"
    # Reports A answering, or the call ending once A stops ringing.
    first_report_within = 300.0

    @classmethod
    def called_from(cls, config: Any) -> str | None:
        """Return the number calls come from (the account's own)."""
        return str(config.caller_id)

    @classmethod
    def account_of(cls, config: ExotelConfig) -> str:
        """Return the account SID."""
        return config.account_sid

    async def async_check_credentials(self) -> None:
        """List the account's calls (Exotel's own credential test; no call)."""
        answer = await self._request(
            "GET", f"{self._account_url}/Calls.json", headers=self._auth
        )
        _checked(answer)

    async def async_dial(self, request: DialRequest) -> DialResult:
        """Connect A and B."""
        answer = await self._request(
            "POST",
            f"{self._account_url}/Calls/connect.json",
            # Encoded here: aiohttp's FormData costs more than the request.
            data=urlencode(self.connect_form(request)),
            headers={**self._auth, "Content-Type": FORM},
        )
        call = _checked(answer).get("Call")
        sid = call.get("Sid") if isinstance(call, dict) else None
        if not isinstance(sid, str) or not sid:
            raise UnexpectedAnswerError(f"Exotel answered {answer.excerpt}")
        return DialResult(provider_call_id=sid)

    def connect_form(self, request: DialRequest) -> list[tuple[str, str]]:
        """Return the form of connect.json for this call, in the order it is sent."""
        form = [
            ("From", request.from_ or self.config.a_party),
            ("To", request.to),
            ("CallerId", self.config.caller_id),
            ("CallType", "trans"),
        ]
        if request.max_duration is not None:
            form.append(("TimeLimit", str(request.max_duration)))
        if request.callback_url is not None:
            form += [
                ("StatusCallback", request.callback_url),
                ("StatusCallbackEvents[0]", "terminal"),
                ("StatusCallbackEvents[1]", "answered"),
                ("StatusCallbackContentType", JSON),
            ]
        form.append(("CustomField", request.call_id))
        return form

    def parse_callback(self, callback: Callback) -> CallUpdate | None:
        """Read a StatusCallback (JSON, or a form); None if it is not one."""
        fields = _fields(callback)
        if fields is None or not isinstance(fields.get("CallSid"), str):
            return None
        return parse_status(fields)

    @property
    def _account_url(self) -> str:
        base = (self.config.api_url or f"https://{self.config.region}").rstrip("/")
        return f"{base}/v1/Accounts/{self.config.account_sid}"

    @property
    def _auth(self) -> dict[str, str]:
        return {
            "Authorization": basic_authorization(
                self.config.api_key, self.config.api_token
            )
        }


CLIENT = ExotelClient


def _checked(answer: HttpAnswer) -> dict[str, Any]:
    """Return a 2xx answer's JSON object; raise what a RestException means."""
    if answer.status == 200:
        data = answer.json()
        if isinstance(data, dict):
            return data
        raise UnexpectedAnswerError(f"Exotel answered {answer.excerpt}")
    if answer.server_error:
        raise ProviderUnavailableError(f"Exotel answered HTTP {answer.status}")
    try:
        exception = answer.json().get("RestException") or {}
        message = str(exception.get("Message") or answer.excerpt)
    except (UnexpectedAnswerError, AttributeError):
        message = answer.excerpt
    if answer.status in _STATUSES:
        error_class, key, field = _STATUSES[answer.status]
        raise error_class(message, field=field, translation_key=key)
    raise UnexpectedAnswerError(f"Exotel answered HTTP {answer.status}: {message}")


def _fields(callback: Callback) -> dict[str, Any] | None:
    """Return a callback's fields, Legs as a list; None if not JSON or a form."""
    if callback.content_type == JSON:
        try:
            data = safe_json(json.loads(callback.body))
        except (ValueError, RecursionError):
            return None
        return data if isinstance(data, dict) else None
    if callback.content_type == FORM:
        try:
            pairs = parse_qsl(
                callback.body.decode(),
                keep_blank_values=True,
                max_num_fields=MAX_FIELDS,
            )
        except (UnicodeDecodeError, ValueError):
            return None
    elif callback.content_type == MULTIPART:
        pairs = _multipart(callback)
    else:
        return None
    return _unflatten(pairs)


def _multipart(callback: Callback) -> list[tuple[str, str]]:
    """Read multipart/form-data with the standard library's MIME parser."""
    head = f"Content-Type: {callback.headers.get('Content-Type', '')}\r\n\r\n"
    message = BytesParser(policy=HTTP).parsebytes(head.encode() + callback.body)
    if not message.is_multipart():
        raise CallbackError("a multipart body without its parts")
    pairs: list[tuple[str, str]] = []
    for part in message.iter_parts():
        if not isinstance(part, Message) or len(pairs) >= MAX_FIELDS:
            break
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            pairs.append((name, payload.decode("utf-8", "replace")))
    return pairs


def _unflatten(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Turn `Legs[0][Status]`-style fields back into a list of legs."""
    fields: dict[str, Any] = {}
    legs: list[dict[str, str]] = [{}, {}]
    for name, value in pairs:
        if match := _LEG_FIELD.fullmatch(name):
            legs[int(match[1])][match[2]] = value
        else:
            fields[name] = value
    if any(legs):
        fields["Legs"] = legs
    return fields


def parse_status(fields: dict[str, Any]) -> CallUpdate:
    """Map a StatusCallback to an update of the call with that CallSid.

    `answered` comes when A answers (B's leg empty) and again when B does;
    `terminal` names each leg's end, and the failing leg decides. The call
    is also named by our id, sent as CustomField: a call whose dial's answer
    (and so its CallSid) was lost is found by it.
    """
    ids: dict[str, Any] = {
        "provider_call_id": str(fields["CallSid"]),
        "call_id": short_text(fields.get("CustomField")),
    }
    legs = _legs(fields.get("Legs"))
    event = fields.get("EventType")
    if event == "answered":
        connected = legs[1][0] == "in-progress"
        status = CallStatus.CONNECTED if connected else CallStatus.INITIATED
        return CallUpdate(status, **ids)
    if event not in ("terminal", None):
        raise CallbackError(f"unknown event {said(event)}")
    overall = str(fields.get("Status") or "")
    talked = seconds(fields.get("ConversationDuration"), "ConversationDuration")
    if legs[1][0] == "completed" or (overall == "completed" and talked):
        return CallUpdate(CallStatus.COMPLETED, duration=talked or legs[1][1], **ids)
    if fields.get("Legs") is None and overall != "completed":
        # The four default fields only: the call's own status.
        if overall not in _ENDED:
            raise CallbackError(f"unknown status {said(overall)}")
        return CallUpdate(_ENDED[overall], error=overall, **ids)
    if fields.get("Legs") is None and talked is None:
        # Completed, and nothing says whether anybody talked: as reported.
        return CallUpdate(CallStatus.COMPLETED, **ids)
    # A's leg first: if it did not answer, B was never dialled.
    index = 0 if legs[0][0] in _ENDED else 1
    leg_status = legs[index][0]
    if leg_status not in _ENDED:
        # Completed with nobody talking (or no leg that says why): B was
        # not reached.
        return CallUpdate(
            CallStatus.FAILED,
            error=f"{said(overall) or 'ended'}: B party not reached",
            **ids,
        )
    return CallUpdate(_ENDED[leg_status], error=f"{_PARTY[index]}: {leg_status}", **ids)


def _legs(value: Any) -> tuple[tuple[str, int | None], tuple[str, int | None]]:
    """Return (status, seconds on the call) for leg 0 (A) and leg 1 (B)."""
    legs = value if isinstance(value, list) else []
    found: list[tuple[str, int | None]] = []
    for index in (0, 1):
        leg = legs[index] if index < len(legs) and isinstance(legs[index], dict) else {}
        found.append(
            (
                str(leg.get("Status") or ""),
                seconds(leg.get("OnCallDuration"), "OnCallDuration"),
            )
        )
    return found[0], found[1]
