"""Spokn click to call.

POST form-encoded with HTTP Basic auth; XML answers with return codes.
Enterprise accounts get a callback per leg (leg 1 = A, leg 2 = B) on the
entry's webhook, matched to the call by `token` (our call id).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qs
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from .client import ProviderClient
from .errors import (
    AuthenticationError,
    CallbackError,
    CallRefusedError,
    ErrorKey,
    InvalidRequestError,
    NotSentError,
    ProviderError,
    ProviderUnavailableError,
    UnexpectedAnswerError,
)
from .fields import said
from .http import FORM, HttpAnswer, basic_authorization
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

DEFAULT_API_URL: Final = "https://api.spokn.com/c2c/1.0/call"
MAX_TOKEN: Final = 128
MAX_MINUTES: Final = 60
MAX_RETRIES: Final = 3
MAX_RETRY_TIME: Final = 10
# Extra parameters the dial action may pass through, and who may set them.
EXTRA_KEYS: Final = frozenset({"retrytime", "apartycid"})
# Callback values beyond these are not a real call's (seconds, US cents).
MAX_SECONDS: Final = 10**7
MAX_COST: Final = 10**9

# Return code (100 to 109) → (error class, translation key, field).
_CODES: Final[dict[str, tuple[type[ProviderError], ErrorKey, str | None]]] = {
    "100": (UnexpectedAnswerError, ErrorKey.NOT_FOUND, None),
    "101": (AuthenticationError, ErrorKey.AUTH_FAILED, None),
    "102": (InvalidRequestError, ErrorKey.INVALID_INPUT, None),
    "103": (InvalidRequestError, ErrorKey.BAD_NUMBER, "from"),
    "104": (InvalidRequestError, ErrorKey.BAD_NUMBER, "to"),
    "105": (ProviderUnavailableError, ErrorKey.CREDITS_UNAVAILABLE, None),
    "106": (CallRefusedError, ErrorKey.DESTINATION_NOT_SUPPORTED, "from"),
    "107": (CallRefusedError, ErrorKey.DESTINATION_NOT_SUPPORTED, "to"),
    "108": (CallRefusedError, ErrorKey.INSUFFICIENT_CREDIT, None),
    "109": (InvalidRequestError, ErrorKey.TOKEN_TOO_LONG, "token"),
}
# What Spokn answers a request without the B party once the login is
# accepted: "invalid input" (102), or "bad bparty number" (104).
_PROBE_PASSED: Final = frozenset(
    {(ErrorKey.INVALID_INPUT, None), (ErrorKey.BAD_NUMBER, "to")}
)
# Callback status → the call status, for the leg it reports on.
_LEG_STATUSES: Final = {
    "1": CallStatus.BUSY,
    "2": CallStatus.NO_ANSWER,
    "3": CallStatus.FAILED,
    "4": CallStatus.CANCELLED,
    "5": CallStatus.REJECTED,
    "6": CallStatus.FAILED,
    "7": CallStatus.BUSY,
}
_LEG_ERRORS: Final = {
    "1": "number busy",
    "2": "no answer",
    "3": "route congested",
    "4": "call cancelled before answer",
    "5": "invalid number",
    "6": "other error",
    "7": "call already in progress",
}
_PARTIES: Final = {"1": "a_party", "2": "b_party"}


@dataclass(frozen=True, slots=True, kw_only=True)
class SpoknConfig(ProviderConfig):
    """A Spokn login."""

    username: str = setting(Kind.TEXT)
    password: str = setting(Kind.SECRET)
    aparty: str = setting(Kind.PHONE)
    enterprise: bool = setting(Kind.BOOLEAN, False)
    api_url: str = setting(Kind.URL, DEFAULT_API_URL)


class SpoknClient(ProviderClient[SpoknConfig]):
    """Spokn: the A party rings first, then Spokn dials and bridges B."""

    provider = "spokn"
    title = "Spokn"
    config_class = SpoknConfig
    number_format = NumberFormat.E164
    supported_fields = frozenset(
        {
            DialField.FROM,
            DialField.CALLER_ID,
            DialField.MAX_DURATION,
            DialField.RETRIES,
            DialField.EXTRA,
        }
    )
    default_from = "aparty"
    accepts_account_ids = True
    number_extras = frozenset({"apartycid"})
    outcome = Outcome.WEBHOOK

    @classmethod
    def account_of(cls, config: SpoknConfig) -> str:
        """Return the Spokn username."""
        return config.username

    @property
    def enterprise(self) -> bool:
        """Return whether the account may set caller ids and a callback URL."""
        return self.config.enterprise

    @property
    def reports_to_webhook(self) -> bool:
        """Return whether calls report back: only Enterprise accounts' do."""
        return self.enterprise

    def validate(self, request: DialRequest) -> None:
        """Check every limit Spokn documents, before anything is sent."""
        super().validate(request)
        extra = dict(request.extra or {})
        if request.caller_id is not None and not self.enterprise:
            raise NotSentError(
                "only Enterprise accounts may set it",
                field="caller_id",
                translation_key=ErrorKey.ENTERPRISE_ONLY,
            )
        if request.max_duration is not None and (
            request.max_duration % 60 or request.max_duration > MAX_MINUTES * 60
        ):
            raise NotSentError(
                "whole minutes up to 60 (60, 120, … 3600 seconds)",
                field="max_duration",
                translation_key=ErrorKey.DURATION_MINUTES,
            )
        if request.retries is not None and not 0 <= request.retries <= MAX_RETRIES:
            raise NotSentError(
                "0 to 3", field="retries", translation_key=ErrorKey.OUT_OF_RANGE
            )
        for key, value in extra.items():
            if key not in EXTRA_KEYS:
                raise NotSentError(
                    "not a Spokn parameter",
                    field=f"extra.{key}",
                    translation_key=ErrorKey.EXTRA_NOT_SUPPORTED,
                )
            if key == "apartycid" and not self.enterprise:
                raise NotSentError(
                    "only Enterprise accounts may set it",
                    field="extra.apartycid",
                    translation_key=ErrorKey.ENTERPRISE_ONLY,
                )
            if key == "retrytime" and not (
                isinstance(value, int)
                and not isinstance(value, bool)
                and 0 <= value <= MAX_RETRY_TIME
            ):
                raise NotSentError(
                    "0 to 10 seconds",
                    field="extra.retrytime",
                    translation_key=ErrorKey.OUT_OF_RANGE,
                )
        if len(request.call_id) > MAX_TOKEN:
            raise NotSentError(
                "at most 128 characters",
                field="token",
                translation_key=ErrorKey.TOKEN_TOO_LONG,
            )

    async def async_check_credentials(self) -> None:
        """Send the A party alone: Spokn checks the login before the input."""
        try:
            await self._send({"aparty": self.config.aparty})
        except InvalidRequestError as err:
            if (err.translation_key, err.field) not in _PROBE_PASSED:
                raise

    async def async_dial(self, request: DialRequest) -> DialResult:
        """Place the call."""
        extra = dict(request.extra or {})
        form = {"aparty": request.from_ or self.config.aparty, "bparty": request.to}
        if "apartycid" in extra:
            form["apartycid"] = str(extra["apartycid"])
        if request.caller_id is not None:
            form["bpartycid"] = request.caller_id
        if request.max_duration is not None:
            form["duration"] = str(request.max_duration // 60)
        if request.retries is not None:
            form["maxretries"] = str(request.retries)
        if "retrytime" in extra:
            form["retrytime"] = str(extra["retrytime"])
        if self.enterprise and request.callback_url:
            form["token"] = request.call_id
            form["url"] = request.callback_url
        try:
            await self._send(form)
        except ProviderError as err:
            _say_how_parties_went(err, form)
            raise
        return DialResult()

    def parse_callback(self, callback: Callback) -> CallUpdate | None:
        """Read Spokn's form-encoded leg report."""
        if callback.content_type != FORM:
            return None
        return parse_leg_report(callback.body, self.config.username)

    async def _send(self, form: dict[str, str]) -> None:
        answer = await self._request(
            "POST",
            self.config.api_url,
            data=form,
            headers={
                "Authorization": basic_authorization(
                    self.config.username, self.config.password
                )
            },
        )
        parse_answer(answer)


def parse_answer(answer: HttpAnswer) -> None:
    """Return for code 200; raise the ProviderError any other answer means."""
    if answer.status == 401:
        raise AuthenticationError("authentication failed (HTTP 401)")
    if answer.status == 404:
        raise UnexpectedAnswerError(
            "resource not found (HTTP 404)", translation_key=ErrorKey.NOT_FOUND
        )
    if answer.status == 415:
        raise UnexpectedAnswerError(
            "content type refused (HTTP 415)",
            translation_key=ErrorKey.UNSUPPORTED_MEDIA_TYPE,
        )
    if answer.server_error:
        raise ProviderUnavailableError(f"Spokn answered HTTP {answer.status}")
    try:
        root = fromstring(answer.text)
    except (DefusedXmlException, ParseError) as err:
        raise UnexpectedAnswerError(f"Spokn answered {answer.excerpt}") from err
    code = _child_text(root, "code")
    description = _child_text(root, "desc") or f"code {code}"
    if code == "200" and answer.status == 200:
        return
    if code in _CODES:
        error, key, field = _CODES[code]
        raise error(description, field=field, translation_key=key)
    raise UnexpectedAnswerError(
        f"Spokn answered HTTP {answer.status}: {answer.excerpt}"
    )


def parse_leg_report(body: bytes, username: str) -> CallUpdate:
    """Map one leg's report to an update of the call its token names."""
    try:
        fields = {
            key: values[0]
            for key, values in parse_qs(
                body.decode(), strict_parsing=True, max_num_fields=20
            ).items()
        }
    except (UnicodeDecodeError, ValueError) as err:
        raise CallbackError("body is not a form") from err
    token, leg, status = fields.get("token"), fields.get("leg"), fields.get("status")
    if not token:
        raise CallbackError("no token: not a call placed from here")
    if fields.get("userid", username) != username:
        raise CallbackError("the report is for another Spokn account")
    if leg not in _PARTIES:
        raise CallbackError(f"unknown leg {said(leg)}")
    if status != "0" and status not in _LEG_STATUSES:
        raise CallbackError(f"unknown status {said(status)}")
    try:
        duration = int(fields.get("duration") or 0)
        cost = float(fields.get("cost") or 0)
    except ValueError as err:
        raise CallbackError("duration or cost is not a number") from err
    # Bounds keep nonsense out of stored calls and recorded states.
    if not 0 <= duration < MAX_SECONDS or not 0 <= cost < MAX_COST:
        raise CallbackError("duration or cost is out of range")
    party = _PARTIES[leg]
    attributes = {f"{party}_duration": duration, f"{party}_cost": cost}
    if status == "0":
        if leg == "1":
            return CallUpdate(
                CallStatus.CONNECTED, call_id=token, attributes=attributes
            )
        return CallUpdate(
            CallStatus.COMPLETED,
            call_id=token,
            duration=duration,
            attributes=attributes,
        )
    who = "A party" if leg == "1" else "B party"
    return CallUpdate(
        _LEG_STATUSES[status],
        call_id=token,
        error=f"{who}: {_LEG_ERRORS[status]}",
        attributes=attributes,
    )


def _say_how_parties_went(err: ProviderError, form: dict[str, str]) -> None:
    """Add to an error about a party how it was sent: a number, or a Spokn ID.

    Bare digits that are not a phone number of the home country go as a
    Spokn ID; the user must see which, to fix the right thing.
    """
    sent = {"from": form["aparty"], "to": form["bparty"]}.get(err.field or "")
    if sent is not None:
        how = "the phone number" if sent.startswith("+") else "the Spokn ID"
        err.message = f"{err.message} (sent as {how} {sent})"
        err.args = (err.message,)


def _child_text(root: Any, name: str) -> str | None:
    """Find an element by local name, whatever its namespace."""
    for element in root.iter():
        if element.tag == name or element.tag.endswith(f"}}{name}"):
            return str(element.text or "").strip()
    return None


CLIENT = SpoknClient
