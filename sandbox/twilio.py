"""Twilio's Programmable Voice API (2010-04-01), as its fact sheets describe it.

A click-to-call is one call to party A whose inline TwiML dials party B:
`POST .../Accounts/{AccountSid}/Calls.json` answers 201 with a queued Call
resource, or a JSON error with Twilio's code. When `Sandbox.progress` is set
the call plays out (outcome by `Sandbox.ending`): A's status callbacks go to
the request's StatusCallback, B's to the `<Number statusCallback>` (and, with
`<Number machineDetection>`, who answered to its amdStatusCallback), and the
`<Dial action>` is requested when B's leg ends.

An announce call is one call whose TwiML speaks (`<Say>`, in a `<Gather>`
that takes a digit, or not); it plays out by `Sandbox.announce_outcome`:
status callbacks, the answering-machine detection's result to the
AsyncAmdStatusCallback, and the digit to the `<Gather action>` (pressed by
the outcome, or by hand with `Sandbox.press`). `POST .../Calls/{CallSid}.json`
changes a live call: hangs it up (Status) or has it speak new TwiML.

Every callback is signed (X-Twilio-Signature) and form-encoded, POST unless
its method says GET. `GET .../Accounts/{AccountSid}.json` checks credentials.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import partial
import hashlib
import hmac
from math import ceil, inf
import re
import secrets
from typing import Any, Final
from urllib.parse import urlencode, urlsplit
from xml.etree.ElementTree import Element

from aiohttp import BasicAuth, web
from defusedxml.ElementTree import ParseError, fromstring

from .core import Sandbox, SimulatedCall, take_digit, wait_for

TITLE = "Twilio"
REPORTS_TO_WEBHOOK = False
# How calls report back, shown on the sandbox page.
REPORTING = "Posts status callbacks to the URL sent with each call."
# The integration's API URL for the sandbox is the base URL + API_PATH.
API_PATH = "/twilio"

API_VERSION = "2010-04-01"
ACCOUNTS_PATH = f"{API_PATH}/{API_VERSION}/Accounts"
MAX_TWIML = 4000
MIN_TIMEOUT, MAX_TIMEOUT = 1, 600
EVENTS = ("initiated", "ringing", "answered", "completed")
# Without StatusCallbackEvent (or statusCallbackEvent) only the end is posted.
DEFAULT_EVENTS = frozenset({"completed"})
# Numbers the sandbox's Voice Geo Permissions do not allow.
BLOCKED_PREFIX = "+999"
CALLBACK_SOURCE = "call-progress-events"
# The SIP answer reported with each final CallStatus.
SIP_RESPONSE_CODES = {
    "completed": "200",
    "busy": "486",
    "no-answer": "487",
    "canceled": "487",
    "failed": "404",
}
# MachineDetection's values, and what a machine is reported as by each
# (Enable says so when it starts talking; DetectMessageEnd after its beep).
MACHINE_RESULTS: Final = {
    "Enable": "machine_start",
    "DetectMessageEnd": "machine_end_beep",
}
METHODS: Final = ("GET", "POST")
# Characters a <Say> may speak, by voice (error 13521): Amazon Polly's,
# Google's, and the basic voices (man, woman, alice and any other).
SAY_LIMITS: Final = {"Polly.": 3000, "Google.": 5000}
BASIC_SAY_LIMIT: Final = 4096
FINISH_KEYS: Final = frozenset("0123456789#*")
# Statuses that end a call.
FINAL: Final = frozenset(SIP_RESPONSE_CODES)
# Twilio dates the account at its creation; the sandbox's is fixed.
ACCOUNT_CREATED = "Tue, 31 Aug 2010 20:36:28 +0000"
DEFAULT_FRIENDLY_NAME = "My first Twilio account"
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")


def signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """Return the X-Twilio-Signature of a form POST to `url`.

    HMAC-SHA1, keyed with the auth token, over the URL exactly as given and
    then each parameter's name and value, sorted by name and then value;
    repeated pairs count once (as twilio-python's RequestValidator does).
    """
    message = url + "".join(name + value for name, value in sorted(set(params.items())))
    digest = hmac.new(auth_token.encode(), message.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def rfc2822(moment: datetime) -> str:
    """Return a date as Twilio writes it: "Tue, 31 Aug 2010 20:36:28 +0000"."""
    return format_datetime(moment.astimezone(UTC))


def new_call_sid() -> str:
    """Return a fresh Call SID: "CA" and 32 lowercase hex digits."""
    return f"CA{secrets.token_hex(16)}"


@dataclass(frozen=True, slots=True)
class Refusal:
    """A Twilio error answer."""

    status: int
    code: int
    message: str

    def response(self) -> web.Response:
        """Return the error in Twilio's JSON layout."""
        return web.json_response(
            {
                "code": self.code,
                "message": self.message,
                "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
                "status": self.status,
            },
            status=self.status,
            headers={"WWW-Authenticate": 'Basic realm="Twilio API"'}
            if self.status == 401
            else None,
        )


UNAUTHENTICATED = Refusal(401, 20003, "Authenticate")


def not_found(path: str) -> Refusal:
    """Return the 404 for a path on the API (without the sandbox's prefix)."""
    return Refusal(404, 20404, f"The requested resource {path} was not found")


@dataclass(frozen=True, slots=True)
class Dial:
    """What the sandbox plays of a TwiML `<Dial>`: one `<Number>`."""

    number: str
    caller_id: str | None = None
    action: str | None = None
    status_callback: str | None = None
    events: frozenset[str] = DEFAULT_EVENTS
    # <Number machineDetection amdStatusCallback amdStatusCallbackMethod>
    machine_detection: str | None = None
    amd_status_callback: str | None = None
    amd_method: str = "POST"


@dataclass(frozen=True, slots=True)
class Say:
    """A `<Say>`: its text as parsed (entities and SSML tags undone)."""

    text: str
    language: str | None = None
    voice: str | None = None
    # As written: a whole number from 0 (0 repeats until the call ends).
    loop: str | None = None
    # Inside a <Gather>.
    gathered: bool = False


@dataclass(frozen=True, slots=True)
class Gather:
    """A `<Gather>` and where its digits go."""

    action: str | None
    method: str = "POST"
    input: str = "dtmf"
    num_digits: str | None = None
    timeout: str | None = None
    finish_on_key: str | None = None

    @property
    def takes_digits(self) -> bool:
        """Whether a digit pressed is posted somewhere."""
        return self.action is not None and "dtmf" in self.input.split()


@dataclass(frozen=True, slots=True)
class Twiml:
    """What the sandbox plays of a TwiML document."""

    dial: Dial | None = None
    says: tuple[Say, ...] = ()
    gather: Gather | None = None

    @property
    def announces(self) -> bool:
        """Whether it speaks to the party called, rather than dial another."""
        return self.dial is None and bool(self.says)


def read_twiml(twiml: str) -> Twiml:
    """Return what the sandbox plays of a TwiML document.

    Its first `<Dial>`, every `<Say>` in document order and its first
    `<Gather>`. Raises ValueError if it is not a TwiML document (defusedxml
    refuses entity and DTD tricks with a ValueError too).
    """
    try:
        root = fromstring(twiml)
    except ParseError as err:
        raise ValueError(str(err)) from err
    if root.tag != "Response":
        raise ValueError("the root element is not <Response>")
    gather = root.find(".//Gather")
    in_gather = set() if gather is None else set(gather.iter("Say"))
    return Twiml(
        _dial(root),
        tuple(_say(say, gathered=say in in_gather) for say in root.iter("Say")),
        None
        if gather is None
        else Gather(
            gather.get("action"),
            (gather.get("method") or "POST").upper(),
            gather.get("input") or "dtmf",
            gather.get("numDigits"),
            gather.get("timeout"),
            gather.get("finishOnKey"),
        ),
    )


def parse_twiml(twiml: str) -> Dial | None:
    """Return the TwiML's first `<Dial>`, or None if it dials no one.

    Raises ValueError if it is not a TwiML document.
    """
    return read_twiml(twiml).dial


def _dial(root: Element) -> Dial | None:
    dial = root.find(".//Dial")
    if dial is None:
        return None
    caller_id, action = dial.get("callerId"), dial.get("action")
    number = dial.find("Number")
    if number is None:
        # <Dial>+1555...</Dial> is TwiML's short form of a single <Number>.
        return Dial((dial.text or "").strip(), caller_id, action)
    return Dial(
        (number.text or "").strip(),
        caller_id,
        action,
        number.get("statusCallback"),
        _events((number.get("statusCallbackEvent") or "").split()),
        number.get("machineDetection"),
        number.get("amdStatusCallback"),
        (number.get("amdStatusCallbackMethod") or "POST").upper(),
    )


def _say(say: Element, *, gathered: bool) -> Say:
    return Say(
        "".join(say.itertext()),
        say.get("language"),
        say.get("voice"),
        say.get("loop"),
        gathered,
    )


def twiml_warnings(twiml: Twiml) -> list[str]:
    """Return what Twilio's debugger would log about a document as it plays.

    These are warnings: Twilio plays the document anyway (the verb's
    default for a bad value, a <Say> cut short).
    """
    warnings = []
    for say in twiml.says:
        limit = next(
            (
                n
                for prefix, n in SAY_LIMITS.items()
                if (say.voice or "").startswith(prefix)
            ),
            BASIC_SAY_LIMIT,
        )
        if len(say.text) > limit:
            warnings.append(
                f"13521 <Say> character limit exceeded: {len(say.text)} "
                f"characters, at most {limit} for voice {say.voice or 'man'}"
            )
        if not say.text.strip():
            warnings.append("13520 <Say> has no text to speak")
        if say.loop is not None and not say.loop.isdecimal():
            code = 13322 if say.gathered else 13510
            warnings.append(f"{code} <Say> invalid loop value {say.loop!r}")
    gather = twiml.gather
    if gather is None:
        return warnings
    checks = (
        (gather.method in METHODS, 13312, f"invalid method value {gather.method!r}"),
        (_positive(gather.timeout), 13313, f"invalid timeout value {gather.timeout!r}"),
        (
            _positive(gather.num_digits),
            13314,
            f"invalid numDigits value {gather.num_digits!r}",
        ),
        (
            gather.finish_on_key is None
            or gather.finish_on_key == ""
            or gather.finish_on_key in FINISH_KEYS,
            13310,
            f"invalid finishOnKey value {gather.finish_on_key!r}",
        ),
        (
            gather.action is not None,
            0,
            "<Gather> has no action: with inline TwiML its digits go nowhere",
        ),
    )
    warnings += [
        f"{code} <Gather> {text}" if code else text
        for ok, code, text in checks
        if not ok
    ]
    return warnings


def _positive(value: str | None) -> bool:
    """Whether an attribute is absent or a positive whole number."""
    return value is None or (value.isdecimal() and int(value) > 0)


def _events(values: list[str]) -> frozenset[str]:
    """Return the events asked for; unknown ones are ignored, none means the default."""
    return frozenset(values) & frozenset(EVENTS) or DEFAULT_EVENTS


def _valid_url(url: str) -> bool:
    """Whether Twilio could request this URL: absolute http(s), no "_" in the host."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    host = parts.hostname or ""
    return parts.scheme in ("http", "https") and bool(host) and "_" not in host


def _numbers(value: str) -> set[str]:
    """Return the numbers of an account field that may list several."""
    return set(re.split(r"[\s,]+", value.strip())) - {""}


@dataclass(frozen=True, slots=True)
class CallRequest:
    """A call the sandbox accepted, with what it needs to play it out."""

    sid: str
    account_sid: str
    to: str
    from_: str
    status_callback: str | None
    events: frozenset[str]
    # None for a call whose TwiML is at a Url (the sandbox does not fetch it).
    twiml: Twiml | None = None
    # Seconds the call may last (TimeLimit), if given.
    time_limit: int | None = None
    # MachineDetection (Enable or DetectMessageEnd), None without.
    machine_detection: str | None = None
    async_amd: bool = False
    amd_callback: str | None = None
    amd_method: str = "POST"

    @property
    def dial(self) -> Dial | None:
        """The `<Dial>` of its TwiML, if it dials."""
        return None if self.twiml is None else self.twiml.dial

    @property
    def announces(self) -> bool:
        """Whether it speaks to the party called (an announce call)."""
        return self.twiml is not None and self.twiml.announces


def check(
    form: Mapping[str, str], events: list[str], account: Mapping[str, str]
) -> CallRequest | Refusal:
    """Validate a create-call form as Twilio does; return the call or the refusal."""
    to, from_ = form.get("To", ""), form.get("From", "")
    verified = _numbers(account.get("verified", ""))
    if not to:
        return Refusal(400, 21201, "No 'To' number is specified")
    if not _E164.fullmatch(to):
        return Refusal(400, 21211, f"The 'To' number {to} is not a valid phone number.")
    if not from_:
        return Refusal(400, 21213, "No 'From' number is specified")
    if not _E164.fullmatch(from_):
        return Refusal(
            400,
            21212,
            f"The 'From' number {from_} is not a valid phone number, shortcode, "
            "or alphanumeric sender ID.",
        )
    if from_ not in verified | {account["from_number"]}:
        return Refusal(
            400,
            21210,
            f"The source phone number provided, {from_}, is not yet verified for "
            "your account. You may only make calls from phone numbers that you've "
            "verified or purchased from Twilio.",
        )
    if to == from_:
        return Refusal(400, 21211, f"The 'To' number {to} is not a valid phone number.")
    twiml = _instructions(form)
    if isinstance(twiml, Refusal):
        return twiml
    dial = None if twiml is None else twiml.dial
    status_callback = form.get("StatusCallback") or None
    if status_callback is not None and not _valid_url(status_callback):
        return Refusal(
            400, 21205, f"StatusCallback is not a valid URL: {status_callback}"
        )
    timeout = form.get("Timeout")
    if timeout is not None and not (
        re.fullmatch("[0-9]+", timeout) and MIN_TIMEOUT <= int(timeout) <= MAX_TIMEOUT
    ):
        return Refusal(
            400, 21208, f"Timeout must be between {MIN_TIMEOUT} and {MAX_TIMEOUT}"
        )
    machine = _machine_detection(form)
    if isinstance(machine, Refusal):
        return machine
    if dial is not None and (refusal := _check_dial(dial, to, from_, account)):
        return refusal
    if twiml is not None and (refusal := _check_gather(twiml.gather)):
        return refusal
    parties = [to] if dial is None else [to, dial.number]
    for number in parties:
        if account["type"] == "Trial" and number not in verified:
            return Refusal(
                400,
                21219,
                f"The number {number} is unverified. Trial accounts may only make "
                "calls to verified numbers.",
            )
        if number.startswith(BLOCKED_PREFIX):
            return Refusal(
                400,
                21215,
                f"Account not authorized to call {number}. Perhaps you need to "
                "enable some international permissions: "
                "https://www.twilio.com/console/voice/calls/geo-permissions/low-risk",
            )
    time_limit = form.get("TimeLimit", "")
    return CallRequest(
        sid=new_call_sid(),
        account_sid=account["account_sid"],
        to=to,
        from_=from_,
        status_callback=status_callback,
        events=_events(events),
        twiml=twiml,
        time_limit=int(time_limit) if time_limit.isdecimal() else None,
        **machine,
    )


def _machine_detection(form: Mapping[str, str]) -> dict[str, Any] | Refusal:
    """Return the call's answering-machine detection, or the refusal (21234)."""
    detection = form.get("MachineDetection")
    async_amd = form.get("AsyncAmd", "false")
    callback = form.get("AsyncAmdStatusCallback") or None
    method = form.get("AsyncAmdStatusCallbackMethod", "POST")
    if detection is not None and detection not in MACHINE_RESULTS:
        return Refusal(
            400,
            21234,
            f"Invalid Machine Detection configuration value: MachineDetection "
            f"{detection!r} is not one of {', '.join(MACHINE_RESULTS)}",
        )
    if async_amd not in ("true", "false"):
        return Refusal(
            400,
            21234,
            f"Invalid Machine Detection configuration value: AsyncAmd {async_amd!r}",
        )
    if method not in METHODS:
        return Refusal(
            400,
            21234,
            "Invalid Machine Detection configuration value: "
            f"AsyncAmdStatusCallbackMethod {method!r}",
        )
    if callback is not None and not _valid_url(callback):
        return Refusal(
            400, 21205, f"AsyncAmdStatusCallback is not a valid URL: {callback}"
        )
    if form.get("SendDigits"):
        detection = None  # SendDigits wins: no machine detection
    return {
        "machine_detection": detection,
        "async_amd": async_amd == "true",
        "amd_callback": callback,
        "amd_method": method,
    }


def _instructions(form: Mapping[str, str]) -> Twiml | Refusal | None:
    """Return the call's TwiML (None for a Url), or a refusal."""
    twiml, url = form.get("Twiml"), form.get("Url")
    if twiml is None:
        if url is None:
            return Refusal(400, 21205, "Either a Url or Twiml is required")
        if not _valid_url(url):
            return Refusal(400, 21205, f"Url is not a valid URL: {url}")
        # The sandbox does not fetch TwiML: a Url call rings A only.
        return None
    if url is not None:
        return Refusal(400, 21205, "Only one of Url and Twiml may be given")
    return _twiml(twiml)


def _twiml(twiml: str) -> Twiml | Refusal:
    """Read inline TwiML: at most 4000 characters (32018), a document (12100)."""
    if len(twiml) > MAX_TWIML:
        return Refusal(
            400,
            32018,
            f"Twiml size exceeded maximum allowed value of {MAX_TWIML} "
            f"characters: {len(twiml)}",
        )
    try:
        return read_twiml(twiml)
    except ValueError as err:
        return Refusal(400, 12100, f"Document parse failure: {err}")


def _check_gather(gather: Gather | None) -> Refusal | None:
    """Refuse a `<Gather action>` Twilio could not request (as a Dial's action)."""
    if gather is None or gather.action is None or _valid_url(gather.action):
        return None
    return Refusal(400, 21205, f"Gather action is not a valid URL: {gather.action}")


def _check_dial(
    dial: Dial, to: str, from_: str, account: Mapping[str, str]
) -> Refusal | None:
    """Refuse a `<Dial>` the sandbox could not play.

    Twilio itself finds these when it runs the TwiML, after A answered; the
    sandbox says so at once (and so for B's trial and geo checks).
    """
    if not _E164.fullmatch(dial.number):
        return Refusal(
            400, 13224, f"Dial: Invalid phone number format: '{dial.number}'"
        )
    allowed_caller_ids = _numbers(account.get("verified", "")) | {
        account["from_number"],
        to,
        from_,
    }
    if dial.caller_id is not None and dial.caller_id not in allowed_caller_ids:
        return Refusal(400, 13214, f"Dial: Invalid callerId value: {dial.caller_id}")
    if (
        dial.machine_detection is not None
        and dial.machine_detection not in MACHINE_RESULTS
    ) or dial.amd_method not in METHODS:
        return Refusal(
            400,
            21234,
            "Invalid Machine Detection configuration value: Number machineDetection "
            f"{dial.machine_detection!r}, amdStatusCallbackMethod {dial.amd_method!r}",
        )
    for name, url in (
        ("Dial action", dial.action),
        ("Number statusCallback", dial.status_callback),
        ("Number amdStatusCallback", dial.amd_status_callback),
    ):
        if url is not None and not _valid_url(url):
            return Refusal(400, 21205, f"{name} is not a valid URL: {url}")
    return None


def call_resource(
    call: CallRequest,
    created: datetime,
    *,
    status: str = "queued",
    answered_by: str | None = None,
    duration: int | None = None,
    updated: datetime | None = None,
) -> dict[str, Any]:
    """Return the Call resource: just created (queued), or as it is now."""
    uri = f"/{API_VERSION}/Accounts/{call.account_sid}/Calls/{call.sid}"
    date = rfc2822(created)
    return {
        "account_sid": call.account_sid,
        "annotation": None,
        "answered_by": answered_by,
        "api_version": API_VERSION,
        "caller_name": None,
        "date_created": date,
        "date_updated": date if updated is None else rfc2822(updated),
        "direction": "outbound-api",
        "duration": None if duration is None else str(duration),
        "end_time": None,
        "forwarded_from": None,
        "from": call.from_,
        "from_formatted": call.from_,
        "group_sid": None,
        "parent_call_sid": None,
        "phone_number_sid": None,
        "price": None,
        "price_unit": "USD",
        "queue_time": "0",
        "sid": call.sid,
        "start_time": None,
        "status": status,
        "subresource_uris": {
            name: f"{uri}/{name.title().replace('_', '')}.json"
            for name in ("events", "notifications", "recordings", "streams")
        },
        "to": call.to,
        "to_formatted": call.to,
        "trunk_sid": None,
        "uri": f"{uri}.json",
    }


def account_resource(account: Mapping[str, str]) -> dict[str, Any]:
    """Return the Account resource, auth token included as Twilio sends it."""
    sid = account["account_sid"]
    uri = f"/{API_VERSION}/Accounts/{sid}"
    return {
        "auth_token": account["auth_token"],
        "date_created": ACCOUNT_CREATED,
        "date_updated": ACCOUNT_CREATED,
        "friendly_name": account.get("friendly_name", DEFAULT_FRIENDLY_NAME),
        "owner_account_sid": sid,
        "sid": sid,
        "status": "active",
        "subresource_uris": {
            "calls": f"{uri}/Calls.json",
            "incoming_phone_numbers": f"{uri}/IncomingPhoneNumbers.json",
            "outgoing_caller_ids": f"{uri}/OutgoingCallerIds.json",
        },
        "type": account["type"],
        "uri": f"{uri}.json",
    }


@dataclass(frozen=True, slots=True)
class Step:
    """One moment of a played call.

    `leg` is "A", "B", "dial" (the `<Dial action>` request) or "B amd" (B's
    machine detection); `status` is the CallStatus, the DialCallStatus for
    "dial", the AnsweredBy for "B amd"; `duration` (whole seconds, rounded
    up) comes with a leg's end.
    """

    at: float
    leg: str
    status: str
    duration: int | None = None


def plan(
    ending: str,
    connect_after: float,
    end_after: float,
    *,
    dials: bool = True,
    machine_detection: str | None = None,
) -> list[Step]:
    """Return a call's steps, in order: A rings and answers, then B is dialled.

    B answers at `connect_after`; every ending arrives at `end_after`. An
    unknown ending plays as "failed". "voicemail" plays as "completed", B
    answered by a machine: with `machine_detection` (B's <Number
    machineDetection>), who answered B is told as B answers, a person for
    every other ending where B answers.
    """
    machine = ending == "voicemail"
    if machine:
        ending = "completed"
    a_answers = connect_after / 2
    rings = [Step(0, "A", "initiated"), Step(connect_after / 4, "A", "ringing")]
    if ending in ("no_answer", "cancelled"):
        status = "no-answer" if ending == "no_answer" else "canceled"
        return [*rings, Step(end_after, "A", status, 0)]
    answered = [*rings, Step(a_answers, "A", "in-progress")]
    a_ends = Step(end_after, "A", "completed", ceil(end_after - a_answers))
    if not dials:
        return [*answered, a_ends]
    b_rings = Step(connect_after * 3 / 4, "B", "ringing")
    if ending == "completed":
        bridged = ceil(end_after - connect_after)
        b_answers = [b_rings, Step(connect_after, "B", "in-progress")]
        if machine_detection is not None:
            answered_by = MACHINE_RESULTS.get(machine_detection, "machine_start")
            b_answers.append(
                Step(connect_after, "B amd", answered_by if machine else "human")
            )
        b_leg = [
            *b_answers,
            Step(end_after, "B", "completed", bridged),
            Step(end_after, "dial", "completed", bridged),
        ]
    elif ending == "busy":
        b_leg = [
            b_rings,
            Step(end_after, "B", "busy", 0),
            Step(end_after, "dial", "busy", 0),
        ]
    else:
        b_leg = [
            Step(end_after, "B", "failed", 0),
            Step(end_after, "dial", "failed", 0),
        ]
    return [*answered, Step(a_answers, "B", "initiated"), *b_leg, a_ends]


def _event(status: str) -> str:
    """Return the StatusCallbackEvent that a CallStatus is posted for."""
    return {
        "initiated": "initiated",
        "ringing": "ringing",
        "in-progress": "answered",
    }.get(status, "completed")


@dataclass(frozen=True, slots=True)
class Leg:
    """One leg of a played call, and where its status callbacks go."""

    sid: str
    from_: str
    to: str
    direction: str
    parent_sid: str | None
    status_callback: str | None
    events: frozenset[str]


def call_legs(call: CallRequest, b_sid: str) -> dict[str, Leg]:
    """Return the call's legs: A (the API call) and, if it dials, B."""
    legs = {
        "A": Leg(
            call.sid,
            call.from_,
            call.to,
            "outbound-api",
            None,
            call.status_callback,
            call.events,
        )
    }
    if call.dial is not None:
        legs["B"] = Leg(
            b_sid,
            # Without a callerId, B sees the caller id A was called from.
            call.dial.caller_id or call.from_,
            call.dial.number,
            "outbound-dial",
            call.sid,
            call.dial.status_callback,
            call.dial.events,
        )
    return legs


def status_fields(
    account_sid: str, leg: Leg, step: Step, *, sequence: int, moment: datetime
) -> dict[str, str]:
    """Return the form fields of a leg's status callback."""
    fields = {
        "AccountSid": account_sid,
        "ApiVersion": API_VERSION,
        "CallSid": leg.sid,
        "CallStatus": step.status,
        "Direction": leg.direction,
        "From": leg.from_,
        "To": leg.to,
        "Timestamp": rfc2822(moment),
        "CallbackSource": CALLBACK_SOURCE,
        "SequenceNumber": str(sequence),
    }
    if leg.parent_sid is not None:
        fields["ParentCallSid"] = leg.parent_sid
    if step.duration is not None:
        fields |= {
            "CallDuration": str(step.duration),
            # Billed minutes: a started minute counts.
            "Duration": str(ceil(step.duration / 60)),
            "SipResponseCode": SIP_RESPONSE_CODES[step.status],
        }
    return fields


def dial_fields(call: CallRequest, step: Step, *, b_sid: str) -> dict[str, str]:
    """Return the form fields of the `<Dial action>` request (A is still up)."""
    return {
        "AccountSid": call.account_sid,
        "ApiVersion": API_VERSION,
        "CallSid": call.sid,
        "CallStatus": "in-progress",
        "Direction": "outbound-api",
        "From": call.from_,
        "To": call.to,
        "DialCallStatus": step.status,
        "DialCallSid": b_sid,
        "DialCallDuration": str(step.duration or 0),
        "DialBridged": "true" if step.status == "completed" else "false",
    }


@dataclass(eq=False, slots=True)
class Live:
    """A call as it plays: where A is, and how it is stopped from outside."""

    request: CallRequest
    call: SimulatedCall
    created: datetime
    legs: dict[str, Leg]
    b_sid: str
    # A's CallStatus.
    status: str = "queued"
    # The event loop's time when A answered.
    answered_at: float | None = None
    # SequenceNumber counts a leg's callbacks, not the events left out.
    sequences: dict[str, int] = field(default_factory=lambda: {"A": 0, "B": 0})
    # Set when A's call ended: the player stops.
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def talked(self) -> int:
        """Return A's whole seconds since it answered, rounded up (0 if it did not)."""
        if self.answered_at is None:
            return 0
        return ceil(asyncio.get_running_loop().time() - self.answered_at)

    def close(self, status: str) -> bool:
        """End A's call now with this status; False if it had ended already."""
        if self.call.ended:
            return False
        self.call.ended = True
        self.status = status
        self.stop.set()
        return True


def _sync_answered_by(live: Live) -> str | None:
    """AnsweredBy in A's callbacks: synchronous detection reports it there."""
    request = live.request
    if request.machine_detection is None or request.async_amd:
        return None
    return live.call.answered_by


async def _send(
    sandbox: Sandbox, method: str, url: str, fields: dict[str, str]
) -> tuple[int, str]:
    """Send a signed callback: a form POST, or GET with the fields in the URL.

    The signature covers the URL exactly as requested, then (for POST) the
    fields, as Twilio signs them.
    """
    token = sandbox.accounts["twilio"]["auth_token"]
    if method == "GET":
        url = f"{url}{'&' if '?' in url else '?'}{urlencode(fields)}"
        headers = {"X-Twilio-Signature": signature(token, url, {})}
        return await sandbox.exchange("GET", url, headers=headers)
    headers = {"X-Twilio-Signature": signature(token, url, fields)}
    return await sandbox.exchange("POST", url, data=fields, headers=headers)


async def _post_status(
    sandbox: Sandbox, live: Live, leg_name: str, status: str, duration: int | None
) -> None:
    """Post a leg's status callback, if its events include this one."""
    leg = live.legs[leg_name]
    if leg_name == "A":
        live.status = status
    if _event(status) not in leg.events:
        return
    fields = status_fields(
        live.request.account_sid,
        leg,
        Step(0, leg_name, status, duration),
        sequence=live.sequences[leg_name],
        moment=datetime.now(UTC),
    )
    live.sequences[leg_name] += 1
    if (
        leg_name == "A"
        and status not in ("initiated", "ringing")
        and (answered_by := _sync_answered_by(live))
    ):
        fields["AnsweredBy"] = answered_by
    if leg.status_callback is None:
        return
    live.call.reported.append(f"{leg_name} {status}")
    await _send(sandbox, "POST", leg.status_callback, fields)


async def _finish(sandbox: Sandbox, live: Live, status: str) -> None:
    """End A's call with this status and post it (once)."""
    if live.close(status):
        await _post_status(sandbox, live, "A", status, live.talked())


def amd_fields(
    account_sid: str, call_sid: str, answered_by: str, milliseconds: int
) -> dict[str, str]:
    """Return the form of an answering-machine detection's result."""
    return {
        "AccountSid": account_sid,
        "AnsweredBy": answered_by,
        "CallSid": call_sid,
        "MachineDetectionDuration": str(milliseconds),
    }


async def _play(sandbox: Sandbox, live: Live, progress: tuple[float, float]) -> None:
    """Post a dial's callbacks as it plays out, each signed with the auth token."""
    connect_after, end_after = progress
    call, legs = live.request, live.legs
    dial = call.dial
    elapsed = 0.0
    steps = plan(
        sandbox.ending,
        connect_after,
        end_after,
        dials="B" in legs,
        machine_detection=None if dial is None else dial.machine_detection,
    )
    for step in steps:
        if await wait_for(live.stop, step.at - elapsed):
            return  # A's call was ended from outside
        elapsed = step.at
        if step.leg == "B amd":
            live.call.answered_by = step.status
            if dial is not None and dial.amd_status_callback is not None:
                live.call.reported.append(f"B answered by {step.status}")
                milliseconds = round((step.at - connect_after) * 1000)
                await _send(
                    sandbox,
                    dial.amd_method,
                    dial.amd_status_callback,
                    amd_fields(call.account_sid, live.b_sid, step.status, milliseconds),
                )
            continue
        if step.leg == "dial":
            if dial is None or dial.action is None:
                continue
            live.call.reported.append(f"dial {step.status}")
            await _send(
                sandbox, "POST", dial.action, dial_fields(call, step, b_sid=live.b_sid)
            )
            continue
        if step.leg == "A":
            if step.status == "in-progress":
                live.answered_at = asyncio.get_running_loop().time()
            if step.status in FINAL:
                live.close(step.status)
        await _post_status(sandbox, live, step.leg, step.status, step.duration)


async def _announce(
    sandbox: Sandbox, live: Live, outcome: str, progress: tuple[float, float]
) -> None:
    """Play an announce call out by `outcome` (see Sandbox.announce_outcome).

    It rings at once, answers at `connect_after` / 2; the machine detection
    tells a person at 3/4 of `connect_after`, a machine's beep at
    `connect_after`; the digit is pressed at `connect_after`, and the call
    ends at `end_after` (or, after a digit pressed by hand, as long after
    it as from `connect_after` to `end_after`). A call ended from outside
    (Calls/{CallSid}.json) stops at once.
    """
    connect_after, end_after = progress
    loop = asyncio.get_running_loop()
    start = loop.time()
    request, call = live.request, live.call

    def left(moment: float) -> float:
        return start + moment - loop.time()

    async def until(moment: float) -> bool:
        """Wait until `moment` s after the call was placed; False if it ended."""
        return not await wait_for(live.stop, left(moment))

    for moment, status in ((0.0, "initiated"), (connect_after / 4, "ringing")):
        if not await until(moment):
            return
        await _post_status(sandbox, live, "A", status, None)
    if outcome == "no_answer":
        if await until(end_after):
            await _finish(sandbox, live, "no-answer")
        return
    if not await until(connect_after / 2):
        return
    answered = live.answered_at = loop.time()
    machine = outcome == "voicemail"
    detection = request.machine_detection
    if detection is not None:
        call.answered_by = MACHINE_RESULTS[detection] if machine else "human"
    await _post_status(sandbox, live, "A", "in-progress", None)
    if detection is not None and request.async_amd:
        answered_by = MACHINE_RESULTS[detection] if machine else "human"
        beep = answered_by == "machine_end_beep"
        if not await until(connect_after if beep else connect_after * 3 / 4):
            return
        await _machine_result(sandbox, live, answered_by, loop.time() - answered)
    gather = None if request.twiml is None else request.twiml.gather
    action = gather.action if gather is not None and gather.takes_digits else None
    if machine or gather is None or action is None:
        # Nobody presses (a machine cannot; there is nothing to press): the
        # TwiML plays to its end, or until the call is changed from outside.
        if await until(end_after):
            await _finish(sandbox, live, "completed")
        return
    auto = {"press_1": "1", "press_2": "2"}.get(outcome)
    if outcome == "by_hand":
        wait = min(sandbox.digit_timeout, request.time_limit or inf)
    else:
        wait = left(connect_after if auto else end_after)
    digit = await take_digit(
        call,
        partial(_gathered, sandbox, live, gather.method, action),
        wait=wait,
        stop=live.stop,
        auto=auto,
    )
    if digit is not None:
        # The answer to the digit is spoken; then the call hangs up.
        await wait_for(live.stop, end_after - connect_after)
    await _finish(sandbox, live, "completed")  # nothing if it had ended


async def _machine_result(
    sandbox: Sandbox, live: Live, answered_by: str, took: float
) -> None:
    """Post who answered (found in `took` seconds) to the AsyncAmdStatusCallback."""
    request, call = live.request, live.call
    if request.amd_callback is None:
        call.warnings.append(
            "21262 machine detection without an AsyncAmdStatusCallback: "
            f"{answered_by} is only in the Call resource"
        )
        return
    call.reported.append(f"A answered by {answered_by}")
    await _send(
        sandbox,
        request.amd_method,
        request.amd_callback,
        amd_fields(request.account_sid, request.sid, answered_by, round(took * 1000)),
    )


def gather_fields(live: Live, digits: str) -> dict[str, str]:
    """Return the form of a `<Gather action>` request: the digits pressed."""
    request = live.request
    fields = {
        "AccountSid": request.account_sid,
        "ApiVersion": API_VERSION,
        "CallSid": request.sid,
        "CallStatus": "in-progress",
        "Digits": digits,
        "Direction": "outbound-api",
        "FinishedOnKey": "",
        "From": request.from_,
        "To": request.to,
    }
    if answered_by := _sync_answered_by(live):
        fields["AnsweredBy"] = answered_by
    return fields


async def _gathered(
    sandbox: Sandbox, live: Live, method: str, action: str, digit: str
) -> int:
    """Request the `<Gather action>` with a digit; keep what it answers.

    An invalid method is POST (Twilio's default, with warning 13312).
    """
    call = live.call
    method = "GET" if method == "GET" else "POST"
    status, text = await _send(sandbox, method, action, gather_fields(live, digit))
    call.reported.append(f"A pressed {digit} (HTTP {status})")
    call.answers.append(text)
    if not 200 <= status < 300:
        call.warnings.append(
            f"11200 HTTP retrieval failure: the action answered {status}"
        )
        return status
    try:
        answer = read_twiml(text)
    except ValueError as err:
        call.warnings.append(
            f"12100 Document parse failure in the action's answer: {err}"
        )
        return status
    call.spoken.extend(say.text for say in answer.says)
    return status


def _authorized(sandbox: Sandbox, request: web.Request) -> bool:
    account = sandbox.accounts["twilio"]
    try:
        auth = BasicAuth.decode(request.headers.get("Authorization", ""))
    except ValueError:
        return False
    return (auth.login, auth.password) == (
        account["account_sid"],
        account["auth_token"],
    )


def _refuse_access(sandbox: Sandbox, request: web.Request) -> Refusal | None:
    """Refuse bad credentials (401), then another account's SID in the path (404)."""
    if not _authorized(sandbox, request):
        return UNAUTHENTICATED
    if request.match_info["account_sid"] != sandbox.accounts["twilio"]["account_sid"]:
        return not_found(request.path.removeprefix(API_PATH))
    return None


def routes(sandbox: Sandbox) -> list[web.RouteDef]:
    """Return the Twilio routes."""
    lives: dict[str, Live] = {}

    async def create_call(request: web.Request) -> web.Response:
        if refusal := _refuse_access(sandbox, request):
            return refusal.response()
        # A body that is not a form reads as no parameters, as at Twilio.
        posted = await request.post()
        form = {name: str(value) for name, value in posted.items()}
        events = [str(value) for value in posted.getall("StatusCallbackEvent", [])]
        call = check(form, events, sandbox.accounts["twilio"])
        if isinstance(call, Refusal):
            return call.response()
        twiml = call.twiml
        if call.dial is not None:
            placed = sandbox.place("twilio", call.sid, call.dial.number, call.to)
        else:
            placed = sandbox.place(
                "twilio",
                call.sid,
                call.to,
                call.from_,
                kind="announce" if call.announces else "dial",
                spoken=[] if twiml is None else [say.text for say in twiml.says],
            )
        if twiml is not None:
            placed.warnings.extend(twiml_warnings(twiml))
        created = datetime.now(UTC)
        b_sid = new_call_sid()
        live = lives[call.sid] = Live(
            call, placed, created, call_legs(call, b_sid), b_sid
        )
        if sandbox.progress is not None:
            if call.announces:
                sandbox.spawn(
                    _announce(sandbox, live, sandbox.announce_outcome, sandbox.progress)
                )
            else:
                sandbox.spawn(_play(sandbox, live, sandbox.progress))
        return web.json_response(call_resource(call, created), status=201)

    async def update_call(request: web.Request) -> web.Response:
        """Change a live call: hang it up, or have it play new TwiML."""
        if refusal := _refuse_access(sandbox, request):
            return refusal.response()
        live = lives.get(request.match_info["call_sid"])
        if live is None:
            return not_found(request.path.removeprefix(API_PATH)).response()
        posted = await request.post()
        form = {name: str(value) for name, value in posted.items()}
        change = _change(form)
        if isinstance(change, Refusal):
            return change.response()
        answered = live.status == "in-progress"
        if change.twiml is not None or change.url is not None:
            if live.call.ended or not answered:
                return Refusal(
                    400, 21220, "Call is not in-progress. Cannot redirect."
                ).response()
            if change.twiml is not None:
                live.call.spoken.extend(say.text for say in change.twiml.says)
                live.call.warnings.extend(twiml_warnings(change.twiml))
                live.call.reported.append("A given new TwiML")
            else:
                live.call.reported.append(f"A redirected to {change.url} (not fetched)")
            # The sandbox plays what it was given, then the call hangs up.
            _end_soon(sandbox, live, "completed")
        elif change.status == "completed":
            _end_soon(sandbox, live, "completed" if answered else "canceled")
        elif change.status == "canceled" and not answered:
            # canceled ends a call not yet answered, and leaves one in progress
            _end_soon(sandbox, live, "canceled")
        return web.json_response(
            call_resource(
                live.request,
                live.created,
                status=live.status,
                answered_by=live.call.answered_by,
                duration=live.talked() if live.call.ended else None,
                updated=datetime.now(UTC),
            )
        )

    async def fetch_account(request: web.Request) -> web.Response:
        if refusal := _refuse_access(sandbox, request):
            return refusal.response()
        return web.json_response(account_resource(sandbox.accounts["twilio"]))

    return [
        web.post(
            ACCOUNTS_PATH + "/{account_sid}/Calls.json",
            sandbox.wrap("twilio", create_call),
        ),
        web.post(
            ACCOUNTS_PATH + "/{account_sid}/Calls/{call_sid}.json",
            sandbox.wrap("twilio", update_call),
        ),
        web.get(
            ACCOUNTS_PATH + "/{account_sid}.json",
            sandbox.wrap("twilio", fetch_account),
        ),
    ]


UPDATE_STATUSES: Final = ("canceled", "completed")


@dataclass(frozen=True, slots=True)
class Change:
    """What an update of a call asks: a Status, or new TwiML (inline or a Url)."""

    status: str | None = None
    twiml: Twiml | None = None
    url: str | None = None


def _change(form: Mapping[str, str]) -> Change | Refusal:
    """Read an update's form; a Status goes before any TwiML."""
    status, twiml, url = form.get("Status"), form.get("Twiml"), form.get("Url")
    if status is not None:
        if status not in UPDATE_STATUSES:
            return Refusal(
                400,
                20001,
                f"Status must be one of {', '.join(UPDATE_STATUSES)}, not {status!r}",
            )
        return Change(status=status)
    if twiml is not None and url is not None:
        return Refusal(400, 21205, "Only one of Url and Twiml may be given")
    if twiml is not None:
        read = _twiml(twiml)
        return read if isinstance(read, Refusal) else Change(twiml=read)
    if url is not None and not _valid_url(url):
        return Refusal(400, 21205, f"Url is not a valid URL: {url}")
    return Change(url=url)


def _end_soon(sandbox: Sandbox, live: Live, status: str) -> None:
    """End A's call now; its last callback is posted after the answer."""
    if live.close(status):
        sandbox.spawn(_post_status(sandbox, live, "A", status, live.talked()))
