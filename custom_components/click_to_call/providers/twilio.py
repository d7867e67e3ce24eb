"""Twilio click to call (Programmable Voice, API 2010-04-01).

One call to party A, from the account's Twilio number, whose inline TwiML
`<Dial>`s party B with the same number as caller ID. A's status callbacks,
B's `<Number statusCallback>` and the `<Dial action>` all come to the entry's
webhook, each URL naming our call and the leg; every one is checked against
its `X-Twilio-Signature` before it is read.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
import hashlib
import hmac
import re
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from xml.sax.saxutils import escape, quoteattr

from .announce import PROMPT, after_digits, digits_pressed
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
from .fields import said, seconds
from .http import FORM, HttpAnswer, basic_authorization
from .models import (
    Announcement,
    AnsweredBy,
    Callback,
    CallStatus,
    CallUpdate,
    DialField,
    DialRequest,
    DialResult,
    NumberFormat,
    Outcome,
    Voicemail,
)
from .settings import Kind, ProviderConfig, setting

DEFAULT_API_URL: Final = "https://api.twilio.com"
API_VERSION: Final = "2010-04-01"
SIGNATURE_HEADER: Final = "X-Twilio-Signature"
# Twilio's TimeLimit: at most 4 hours.
MAX_DURATION: Final = 14400
EVENTS: Final = ("initiated", "ringing", "answered", "completed")
# Our query on each callback URL: the call, and which report it is. A dial:
# A's and B's status, the Dial's end, B's machine detection. An announce
# call: the one party's status, the digit pressed, machine detection.
LEG_A, LEG_B, LEG_DIAL, LEG_B_MACHINE = "a", "b", "dial", "b-amd"
LEG_ONE, LEG_DIGITS, LEG_MACHINE = "one", "digits", "amd"
# The Twiml parameter takes at most this many characters.
MAX_TWIML: Final = 4000
# Seconds to wait for the digit once the message has been spoken.
GATHER_TIMEOUT: Final = "5"
# Characters XML 1.0 cannot hold (TwiML with one would not parse).
_XML_UNSAYABLE: Final = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]"
)
# AnsweredBy: a person, not known; everything else (machine_*, fax) is a machine.
_NOT_MACHINES: Final = {"human": AnsweredBy.HUMAN, "unknown": AnsweredBy.UNKNOWN}
# The note on the last setup page for an account that calls only verified numbers.
TRIAL_NOTE: Final = "twilio_trial"

_CALL_SID: Final = re.compile(r'"sid"\s*:\s*"(CA[0-9A-Za-z]{1,64})"')
# Twilio's final CallStatus / DialCallStatus → the call's status.
_ENDED: Final = {
    "busy": CallStatus.BUSY,
    "no-answer": CallStatus.NO_ANSWER,
    "failed": CallStatus.FAILED,
    "canceled": CallStatus.CANCELLED,
}
# SIP 603 Decline: the phone declined the call (Twilio has no "rejected").
_DECLINED: Final = "603"
_PARTY: Final = {
    LEG_A: "A party",
    LEG_B: "B party",
    LEG_DIAL: "B party",
    LEG_ONE: "The call",
}

# Error code → (error class, translation key, the setting or field at fault).
_CODES: Final[dict[int, tuple[type[ProviderError], ErrorKey, str | None]]] = {
    20003: (AuthenticationError, ErrorKey.AUTH_FAILED, None),
    20404: (AuthenticationError, ErrorKey.ACCOUNT_NOT_FOUND, "account_sid"),
    20429: (ProviderUnavailableError, ErrorKey.RATE_LIMITED, None),
    # Twilio's "To" is our party A; B is the <Dial>'s <Number>.
    21211: (InvalidRequestError, ErrorKey.TWILIO_INVALID_NUMBER, "from"),
    13224: (InvalidRequestError, ErrorKey.TWILIO_INVALID_NUMBER, "to"),
    21212: (InvalidRequestError, ErrorKey.TWILIO_INVALID_FROM, "from_number"),
    21210: (InvalidRequestError, ErrorKey.TWILIO_INVALID_FROM, "from_number"),
    13214: (InvalidRequestError, ErrorKey.TWILIO_INVALID_FROM, "from_number"),
    21215: (CallRefusedError, ErrorKey.TWILIO_GEO_PERMISSION, None),
    21219: (CallRefusedError, ErrorKey.TWILIO_TRIAL_UNVERIFIED, None),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class TwilioConfig(ProviderConfig):
    """A Twilio account and the numbers it calls from."""

    account_sid: str = setting(Kind.TEXT)
    auth_token: str = setting(Kind.SECRET)
    from_number: str = setting(Kind.PHONE)
    a_party: str = setting(Kind.PHONE)
    api_url: str = setting(Kind.URL, DEFAULT_API_URL)


class TwilioClient(ProviderClient[TwilioConfig]):
    """Twilio: party A rings first; when it answers, its TwiML dials B."""

    provider = "twilio"
    title = "Twilio"
    config_class = TwilioConfig
    number_format = NumberFormat.E164
    supported_fields = frozenset({DialField.FROM, DialField.MAX_DURATION})
    max_duration_limit = MAX_DURATION
    default_from = "a_party"
    outcome = Outcome.WEBHOOK
    # The <Dial action> must be answered with TwiML: an empty document lets
    # A's call end. Status callbacks ignore what they are answered.
    callback_reply = ("<Response/>", "text/xml")
    callback_headers = ("Content-Type", SIGNATURE_HEADER)
    # Reports "initiated" as soon as it dials A.
    first_report_within = 300.0
    announces = True
    detects_machines = True
    # The request last validated, and its TwiML.
    _checked: tuple[DialRequest | None, str] = (None, "")

    @classmethod
    def called_from(cls, config: Any) -> str | None:
        """Return the number calls come from (the account's own)."""
        return str(config.from_number)

    @classmethod
    def account_of(cls, config: TwilioConfig) -> str:
        """Return the Account SID."""
        return config.account_sid

    async def async_check_credentials(self) -> str | None:
        """Read the account (no call): its type says whether it is a trial."""
        answer = await self._request(
            "GET", f"{self._account_url}.json", headers=self._auth
        )
        account = _checked(answer)
        if account.get("status", "active") != "active":
            raise AuthenticationError(
                f"the account is {account['status']}",
                translation_key=ErrorKey.ACCOUNT_SUSPENDED,
            )
        return TRIAL_NOTE if account.get("type") == "Trial" else None

    async def async_dial(self, request: DialRequest) -> DialResult:
        """Create the call to A, with the TwiML that dials B."""
        answer = await self._request(
            "POST",
            f"{self._account_url}/Calls.json",
            # Encoded here: aiohttp's FormData costs more than the request.
            data=urlencode(self.call_form(request)),
            headers={**self._auth, "Content-Type": FORM},
        )
        if 200 <= answer.status < 300 and (sid := _CALL_SID.search(answer.text)):
            # Any 2xx naming a CA sid placed the call, even in a body that
            # is not quite JSON (as the documentation's own sample).
            return DialResult(provider_call_id=sid[1])
        _checked(answer)
        raise UnexpectedAnswerError(f"Twilio answered {answer.excerpt}")

    def validate(self, request: DialRequest) -> None:
        """Twilio takes inline TwiML of at most 4000 characters.

        The TwiML checked is kept for the request: it is sent as it was
        checked, and built once.
        """
        super().validate(request)
        self._checked = (request, twiml := self._twiml(request))
        if len(twiml) > MAX_TWIML:
            raise NotSentError(
                "the message is too long for Twilio once written as TwiML "
                f"(at most {MAX_TWIML} characters, markup and escapes included)",
                field="message",
                translation_key=ErrorKey.MESSAGE_TOO_LONG,
            )

    def call_form(self, request: DialRequest) -> list[tuple[str, str]]:
        """Return the form of Calls.json for this call, in the order it is sent.

        A dial calls A with TwiML that dials B; an announce call calls the
        one party with TwiML that speaks the message and gathers a digit,
        with machine detection (asynchronous: the message starts at once).
        """
        announcement = request.announcement
        urls = _callback_urls(request)
        checked, twiml = self._checked
        form = [
            (
                "To",
                request.to if announcement else request.from_ or self.config.a_party,
            ),
            ("From", self.config.from_number),
            ("Twiml", twiml if checked is request else self._twiml(request)),
        ]
        if urls is not None:
            form.append(("StatusCallback", urls[LEG_ONE if announcement else LEG_A]))
            form += [("StatusCallbackEvent", event) for event in EVENTS]
        if request.max_duration is not None:
            form.append(("TimeLimit", str(request.max_duration)))
        if announcement is not None and urls is not None:
            # Hanging up needs the machine known soon; a message left for it
            # waits for the beep.
            leave = announcement.voicemail is Voicemail.LEAVE_MESSAGE
            form += [
                ("MachineDetection", "DetectMessageEnd" if leave else "Enable"),
                ("AsyncAmd", "true"),
                ("AsyncAmdStatusCallback", urls[LEG_MACHINE]),
                ("AsyncAmdStatusCallbackMethod", "POST"),
            ]
        return form

    def _twiml(self, request: DialRequest) -> str:
        """Return the call's TwiML: every text escaped, so none becomes a verb."""
        if request.announcement is not None:
            return _announce_twiml(request.announcement, _callback_urls(request))
        caller = self.config.from_number
        urls = _callback_urls(request)
        dial = {"callerId": caller, "answerOnBridge": "true"}
        number = {}
        if urls is not None:
            dial |= {"action": urls[LEG_DIAL], "method": "POST"}
            number = {
                "statusCallback": urls[LEG_B],
                "statusCallbackEvent": " ".join(EVENTS),
            }
            if request.detect_machine:
                number |= {
                    "machineDetection": "Enable",
                    "amdStatusCallback": urls[LEG_B_MACHINE],
                    "amdStatusCallbackMethod": "POST",
                }
        if request.max_duration is not None:
            dial["timeLimit"] = str(request.max_duration)
        return (
            f"<Response><Dial{_attributes(dial)}>"
            f"<Number{_attributes(number)}>{escape(request.to)}</Number>"
            "</Dial></Response>"
        )

    def answer_to(
        self, update: CallUpdate, announcement: Announcement | None = None
    ) -> tuple[str, str] | None:
        """Answer the digit's report with what to say next: thanks, or goodbye.

        In the message's language and voice, where the call is known.
        """
        if update.digits is None:
            return self.callback_reply
        said = after_digits(update.digits)
        say = f"<Say>{said}</Say>" if announcement is None else _say(announcement, said)
        return (f"<Response>{say}<Hangup/></Response>", "text/xml")

    async def async_machine_answered(
        self, provider_call_id: str, announcement: Announcement
    ) -> None:
        """Hang up on the machine, or speak the message after its beep."""
        if announcement.voicemail is Voicemail.LEAVE_MESSAGE:
            change = ("Twiml", f"<Response>{_say(announcement)}<Hangup/></Response>")
        else:
            change = ("Status", "completed")
        answer = await self._request(
            "POST",
            f"{self._account_url}/Calls/{provider_call_id}.json",
            data=urlencode([change]),
            headers={**self._auth, "Content-Type": FORM},
        )
        _checked(answer)

    def parse_callback(self, callback: Callback) -> CallUpdate:
        """Read a signed status callback or Dial action.

        Raises CallbackError for anything unsigned or wrongly signed: the
        entry's webhook takes no unsigned report for a Twilio account.
        """
        params = _form(callback)
        signature = callback.headers.get(SIGNATURE_HEADER)
        if signature is None:
            raise CallbackError("no X-Twilio-Signature")
        if not is_signed(self.config.auth_token, callback, params, signature):
            raise CallbackError("X-Twilio-Signature does not match")
        call_id, leg = callback.query.get("call"), callback.query.get("leg")
        if not call_id or leg not in _LEGS:
            raise CallbackError("not a callback URL of ours")
        fields = dict(params)
        if leg == LEG_DIAL:
            return _dial_ended(call_id, fields)
        if leg == LEG_DIGITS:
            return _digits(call_id, fields)
        if leg in (LEG_MACHINE, LEG_B_MACHINE):
            return _machine(call_id, fields)
        return _leg_status(call_id, leg, fields)

    @property
    def _account_url(self) -> str:
        base = self.config.api_url.rstrip("/")
        return f"{base}/{API_VERSION}/Accounts/{self.config.account_sid}"

    @property
    def _auth(self) -> dict[str, str]:
        return {
            "Authorization": basic_authorization(
                self.config.account_sid, self.config.auth_token
            )
        }


CLIENT = TwilioClient


_LEGS: Final = (
    LEG_A,
    LEG_B,
    LEG_DIAL,
    LEG_B_MACHINE,
    LEG_ONE,
    LEG_DIGITS,
    LEG_MACHINE,
)


def _callback_urls(request: DialRequest) -> dict[str, str] | None:
    """Return the webhook URL for each report, or None without a webhook URL."""
    if request.callback_url is None:
        return None
    return {
        leg: f"{request.callback_url}?{urlencode({'call': request.call_id, 'leg': leg})}"
        for leg in _LEGS
    }


def _say(announcement: Announcement, text: str | None = None, loop: int = 1) -> str:
    """Return a <Say> of the message (or a text) in its language and voice."""
    attributes = {"language": announcement.language}
    if announcement.voice:
        attributes["voice"] = announcement.voice
    if loop > 1:
        attributes["loop"] = str(loop)
    spoken = announcement.message if text is None else text
    return (
        f"<Say{_attributes(attributes)}>{escape(_XML_UNSAYABLE.sub('', spoken))}</Say>"
    )


def _announce_twiml(announcement: Announcement, urls: dict[str, str] | None) -> str:
    """Speak the message `repeat` times; asked to, gather the digit meanwhile.

    The message and the prompt are one <Say>, looped, inside the <Gather>: a
    digit pressed at any time ends it, and the message is written once.
    Without a webhook URL no digit could be reported: the message is only
    spoken.
    """
    if not announcement.acknowledge or urls is None:
        return f"<Response>{_say(announcement, loop=announcement.repeat)}<Hangup/></Response>"
    gather = {
        "input": "dtmf",
        "numDigits": "1",
        "timeout": GATHER_TIMEOUT,
        "action": urls[LEG_DIGITS],
        "method": "POST",
    }
    spoken = f"{announcement.message} {PROMPT}"
    return (
        f"<Response><Gather{_attributes(gather)}>"
        f"{_say(announcement, spoken, announcement.repeat)}"
        "</Gather><Hangup/></Response>"
    )


def _attributes(values: dict[str, str]) -> str:
    return "".join(f" {name}={quoteattr(value)}" for name, value in values.items())


def _checked(answer: HttpAnswer) -> dict[str, Any]:
    """Return a 2xx answer's JSON object; raise what an error answer means."""
    if 200 <= answer.status < 300:
        data = answer.json()
        if isinstance(data, dict):
            return data
        raise UnexpectedAnswerError(f"Twilio answered {answer.excerpt}")
    if answer.server_error:
        raise ProviderUnavailableError(f"Twilio answered HTTP {answer.status}")
    error = _error_body(answer)
    code, message = error.get("code"), str(error.get("message") or answer.excerpt)
    if code in _CODES:
        error_class, key, field = _CODES[code]
        raise error_class(f"{message} ({code})", field=field, translation_key=key)
    if answer.status == 401:
        raise AuthenticationError(message)
    if answer.status == 429:
        raise ProviderUnavailableError(message, translation_key=ErrorKey.RATE_LIMITED)
    # Any other 4xx (redirects never get here: the HTTP layer refuses them).
    raise InvalidRequestError(f"{message} ({code})" if code else message)


def _error_body(answer: HttpAnswer) -> dict[str, Any]:
    """Return Twilio's error object ({code, message, ...}), or {} if it is not one."""
    try:
        data = answer.json()
    except UnexpectedAnswerError:
        return {}
    return data if isinstance(data, dict) else {}


def _form(callback: Callback) -> list[tuple[str, str]]:
    """Return a callback's form fields (Twilio POSTs each one as a form)."""
    if callback.content_type != FORM:
        raise CallbackError("not a form")
    try:
        return parse_qsl(
            callback.body.decode(), keep_blank_values=True, max_num_fields=100
        )
    except (UnicodeDecodeError, ValueError) as err:
        raise CallbackError("body is not a form") from err


def signature(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    """Return Twilio's signature of a request: base64 HMAC-SHA1 with the token.

    Over the URL as Twilio requested it, then each parameter name with each
    of its distinct values, names and values sorted (twilio-python's
    RequestValidator.compute_signature).
    """
    message = url + "".join(name + value for name, value in sorted(set(params)))
    digest = hmac.new(
        auth_token.encode("utf-8", "surrogatepass"),
        message.encode("utf-8", "surrogatepass"),
        hashlib.sha1,
    ).digest()
    return base64.b64encode(digest).decode()


def is_signed(
    auth_token: str, callback: Callback, params: list[tuple[str, str]], given: str
) -> bool:
    """Check a signature against the URL with and without its port.

    Twilio signs the URL it requested; as RequestValidator does, accept the
    URL with any port removed, or with the default port added.
    """
    url = (
        f"{callback.url}?{callback.query_string}"
        if callback.query_string
        else callback.url
    )
    # As bytes: compare_digest refuses text that is not ASCII.
    given_bytes = given.encode("utf-8", "surrogatepass")
    return any(
        hmac.compare_digest(
            signature(auth_token, variant, params).encode(), given_bytes
        )
        for variant in _port_variants(url)
    )


def _port_variants(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    userinfo = parts.netloc.rpartition("@")[0]
    prefix = f"{userinfo}@" if userinfo else ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    without = urlunsplit(parts._replace(netloc=f"{prefix}{host}"))
    with_port = urlunsplit(parts._replace(netloc=f"{prefix}{host}:{port}"))
    return without, with_port


def _digits(call_id: str, fields: dict[str, str]) -> CallUpdate:
    """Map the <Gather action>: the digit pressed."""
    digits = fields.get("Digits", "")
    if not (0 < len(digits) <= 32):
        raise CallbackError("no digits in a digits report")
    return digits_pressed(call_id, digits)


def _machine(call_id: str, fields: dict[str, str]) -> CallUpdate:
    """Map an answering-machine detection report: a person, a machine, or unknown."""
    answered_by = fields.get("AnsweredBy", "")
    if not answered_by:
        raise CallbackError("no AnsweredBy in a machine detection report")
    if answered_by in _NOT_MACHINES:
        return CallUpdate(
            CallStatus.CONNECTED,
            call_id=call_id,
            answered_by=_NOT_MACHINES[answered_by],
        )
    return CallUpdate(
        CallStatus.VOICEMAIL,
        call_id=call_id,
        answered_by=AnsweredBy.MACHINE,
        error=f"answered by a machine ({answered_by[:40]})",
    )


def _leg_status(call_id: str, leg: str, fields: dict[str, str]) -> CallUpdate:
    """Map a status callback of leg A or B, or of an announce call's one party.

    A's "in-progress" is A answering, and A's "completed" only follows the
    Dial: neither says how B fared. B's "in-progress" is the bridge. The one
    party of an announce call answering is the call connected; its end
    without a digit is `completed`.
    """
    status = fields.get("CallStatus", "")
    if status in ("queued", "initiated", "ringing") or (
        leg == LEG_A and status in ("in-progress", "completed")
    ):
        return CallUpdate(CallStatus.INITIATED, call_id=call_id)
    if status == "in-progress":
        return CallUpdate(CallStatus.CONNECTED, call_id=call_id)
    if status == "completed":
        return CallUpdate(
            CallStatus.COMPLETED,
            call_id=call_id,
            duration=seconds(fields.get("CallDuration"), "CallDuration"),
        )
    return _ended(call_id, leg, status, fields.get("SipResponseCode"))


def _dial_ended(call_id: str, fields: dict[str, str]) -> CallUpdate:
    """Map the <Dial action>: how B's leg ended."""
    status = fields.get("DialCallStatus", "")
    if status in ("completed", "answered"):
        if fields.get("DialBridged", "true").lower() == "false":
            return CallUpdate(
                CallStatus.FAILED,
                call_id=call_id,
                error="B party answered but was not bridged",
            )
        return CallUpdate(
            CallStatus.COMPLETED,
            call_id=call_id,
            duration=seconds(fields.get("DialCallDuration"), "DialCallDuration"),
        )
    return _ended(call_id, LEG_DIAL, status, fields.get("SipResponseCode"))


def _ended(call_id: str, leg: str, status: str, sip: str | None) -> CallUpdate:
    if status not in _ENDED:
        raise CallbackError(f"unknown call status {said(status)}")
    mapped = CallStatus.REJECTED if sip == _DECLINED else _ENDED[status]
    detail = f"{status}, SIP {said(sip, 12)}" if sip else status
    return CallUpdate(mapped, call_id=call_id, error=f"{_PARTY[leg]}: {detail}")
