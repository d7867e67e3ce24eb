"""Spokn click to call (spokn.txt).

POST form-encoded with HTTP Basic auth; XML answers with return codes.
Enterprise accounts get a callback per leg (leg 1 = A, leg 2 = B) on the
entry's webhook, matched to the call by `token` (our call id).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import parse_qs
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from .base import (
    Answer,
    AuthenticationError,
    CallbackError,
    CallRefusedError,
    CallStatus,
    CallUpdate,
    DialField,
    DialRequest,
    DialResult,
    InvalidRequestError,
    NumberFormat,
    ProviderClient,
    ProviderError,
    ProviderUnavailableError,
    UnexpectedAnswerError,
    parse_generic_callback,
)

DEFAULT_API_URL: Final = "https://api.spokn.com/c2c/1.0/call"
FORM: Final = "application/x-www-form-urlencoded"
MAX_TOKEN: Final = 128
MAX_MINUTES: Final = 60
MAX_RETRIES: Final = 3
MAX_RETRY_TIME: Final = 10
# Extra parameters the dial action may pass through, and who may set them.
EXTRA_KEYS: Final = frozenset({"retrytime", "apartycid"})
# Callback values beyond these are not a real call's (seconds, US cents).
MAX_SECONDS: Final = 10**7
MAX_COST: Final = 10**9

# Return code (100 to 109) → (error class, reason, field).
_CODES: Final[dict[str, tuple[type[ProviderError], str, str | None]]] = {
    "100": (UnexpectedAnswerError, "not_found", None),
    "101": (AuthenticationError, "auth_failed", None),
    "102": (InvalidRequestError, "invalid_input", None),
    "103": (InvalidRequestError, "bad_number", "from"),
    "104": (InvalidRequestError, "bad_number", "to"),
    "105": (ProviderUnavailableError, "credits_unavailable", None),
    "106": (CallRefusedError, "destination_not_supported", "from"),
    "107": (CallRefusedError, "destination_not_supported", "to"),
    "108": (CallRefusedError, "insufficient_credit", None),
    "109": (InvalidRequestError, "token_too_long", "token"),
}
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


class SpoknClient(ProviderClient):
    """Spokn: the A party rings first, then Spokn dials and bridges B."""

    provider = "spokn"
    title = "Spokn"
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
    default_from_key = "aparty"
    accepts_account_ids = True
    uses_callback_url = True

    @classmethod
    def account_of(cls, config: Mapping[str, Any]) -> str:
        """Return the Spokn username."""
        return str(config["username"])

    @property
    def enterprise(self) -> bool:
        """Return whether the account may set caller ids and a callback URL."""
        return bool(self._config.get("enterprise", False))

    def validate(self, request: DialRequest) -> None:
        """Check every limit spokn.txt gives, before anything is sent."""
        extra = dict(request.extra or {})
        if request.caller_id is not None and not self.enterprise:
            raise InvalidRequestError(
                "only Enterprise accounts may set it",
                field="caller_id",
                reason="enterprise_only",
            )
        if request.max_duration is not None and (
            request.max_duration % 60 or request.max_duration > MAX_MINUTES * 60
        ):
            raise InvalidRequestError(
                "whole minutes up to 60 (60, 120, … 3600 seconds)",
                field="max_duration",
                reason="duration_minutes",
            )
        if request.retries is not None and not 0 <= request.retries <= MAX_RETRIES:
            raise InvalidRequestError("0 to 3", field="retries", reason="out_of_range")
        for key, value in extra.items():
            if key not in EXTRA_KEYS:
                raise InvalidRequestError(
                    "not a Spokn parameter",
                    field=f"extra.{key}",
                    reason="extra_not_supported",
                )
            if key == "apartycid" and not self.enterprise:
                raise InvalidRequestError(
                    "only Enterprise accounts may set it",
                    field="extra.apartycid",
                    reason="enterprise_only",
                )
            if key == "retrytime" and not (
                isinstance(value, int)
                and not isinstance(value, bool)
                and 0 <= value <= MAX_RETRY_TIME
            ):
                raise InvalidRequestError(
                    "0 to 10 seconds", field="extra.retrytime", reason="out_of_range"
                )
        if len(request.call_id) > MAX_TOKEN:
            raise InvalidRequestError(
                "at most 128 characters", field="token", reason="token_too_long"
            )

    async def async_check_credentials(self) -> None:
        """Send the A party alone: Spokn checks the login before the input."""
        try:
            await self._send({"aparty": self._config["aparty"]})
        except InvalidRequestError as err:
            if err.reason != "invalid_input":
                raise

    async def async_dial(self, request: DialRequest) -> DialResult:
        """Place the call."""
        extra = dict(request.extra or {})
        form = {"aparty": request.from_ or self._config["aparty"], "bparty": request.to}
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
        await self._send(form)
        return DialResult()

    def parse_callback(self, content_type: str, body: bytes) -> CallUpdate:
        """Read Spokn's form-encoded leg report, or the generic JSON."""
        if content_type != FORM:
            return parse_generic_callback(body)
        return parse_leg_report(body, str(self._config["username"]))

    async def _send(self, form: dict[str, str]) -> None:
        answer = await self._request(
            "POST",
            self._config.get("api_url") or DEFAULT_API_URL,
            data=form,
            headers={
                "Authorization": basic_authorization(
                    self._config["username"], self._config["password"]
                )
            },
        )
        parse_answer(answer)


def basic_authorization(login: str, password: str) -> str:
    """Return the HTTP Basic Authorization header value.

    aiohttp deprecates its BasicAuth helper in newer releases; this is the
    same encoding (RFC 7617, UTF-8).
    """
    credentials = base64.b64encode(f"{login}:{password}".encode()).decode()
    return f"Basic {credentials}"


def parse_answer(answer: Answer) -> None:
    """Return for code 200; raise the ProviderError any other answer means."""
    if answer.status == 401:
        raise AuthenticationError("authentication failed (HTTP 401)")
    if answer.status == 404:
        raise UnexpectedAnswerError("resource not found (HTTP 404)", reason="not_found")
    if answer.status == 415:
        raise UnexpectedAnswerError(
            "content type refused (HTTP 415)", reason="unsupported_media_type"
        )
    if answer.status >= 500:
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
        error, reason, field = _CODES[code]
        raise error(description, field=field, reason=reason)
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
        raise CallbackError(f"unknown leg {leg!r}")
    if status != "0" and status not in _LEG_STATUSES:
        raise CallbackError(f"unknown status {status!r}")
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


def _child_text(root: Any, name: str) -> str | None:
    """Find an element by local name, whatever its namespace."""
    for element in root.iter():
        if element.tag == name or element.tag.endswith(f"}}{name}"):
            return str(element.text or "").strip()
    return None
