"""Twilio's Programmable Voice API (2010-04-01), as its fact sheet describes it.

A click-to-call is one call to party A whose inline TwiML dials party B:
`POST .../Accounts/{AccountSid}/Calls.json` answers 201 with a queued Call
resource, or a JSON error with Twilio's code. When `Sandbox.progress` is set
the call plays out (outcome by `Sandbox.ending`): A's status callbacks go to
the request's StatusCallback, B's to the `<Number statusCallback>`, and the
`<Dial action>` is requested when B's leg ends. Every callback is a signed,
form-encoded POST. `GET .../Accounts/{AccountSid}.json` checks credentials.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
import hashlib
import hmac
from math import ceil
import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from aiohttp import BasicAuth, web
from defusedxml.ElementTree import ParseError, fromstring

from .core import Sandbox

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


def parse_twiml(twiml: str) -> Dial | None:
    """Return the TwiML's first `<Dial>`, or None if it dials no one.

    Raises ValueError if it is not a TwiML document (defusedxml refuses
    entity and DTD tricks with a ValueError too).
    """
    try:
        root = fromstring(twiml)
    except ParseError as err:
        raise ValueError(str(err)) from err
    if root.tag != "Response":
        raise ValueError("the root element is not <Response>")
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
    )


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
    dial: Dial | None


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
    dial = _instructions(form)
    if isinstance(dial, Refusal):
        return dial
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
    if dial is not None and (refusal := _check_dial(dial, to, from_, account)):
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
    return CallRequest(
        sid=new_call_sid(),
        account_sid=account["account_sid"],
        to=to,
        from_=from_,
        status_callback=status_callback,
        events=_events(events),
        dial=dial,
    )


def _instructions(form: Mapping[str, str]) -> Dial | Refusal | None:
    """Return the Dial of the call's TwiML (None for a Url or no Dial), or a refusal."""
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
    if len(twiml) > MAX_TWIML:
        return Refusal(
            400,
            21205,
            f"Twiml is too long: {len(twiml)} characters, at most {MAX_TWIML}",
        )
    try:
        return parse_twiml(twiml)
    except ValueError as err:
        return Refusal(400, 12100, f"Document parse failure: {err}")


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
    for name, url in (
        ("Dial action", dial.action),
        ("Number statusCallback", dial.status_callback),
    ):
        if url is not None and not _valid_url(url):
            return Refusal(400, 21205, f"{name} is not a valid URL: {url}")
    return None


def call_resource(call: CallRequest, created: datetime) -> dict[str, Any]:
    """Return the Call resource of a just-created (queued) call."""
    uri = f"/{API_VERSION}/Accounts/{call.account_sid}/Calls/{call.sid}"
    date = rfc2822(created)
    return {
        "account_sid": call.account_sid,
        "annotation": None,
        "answered_by": None,
        "api_version": API_VERSION,
        "caller_name": None,
        "date_created": date,
        "date_updated": date,
        "direction": "outbound-api",
        "duration": None,
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
        "status": "queued",
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

    `leg` is "A", "B" or "dial" (the `<Dial action>` request); `status` is the
    CallStatus, or the DialCallStatus for "dial"; `duration` (whole seconds,
    rounded up) comes with a leg's end.
    """

    at: float
    leg: str
    status: str
    duration: int | None = None


def plan(
    ending: str, connect_after: float, end_after: float, *, dials: bool = True
) -> list[Step]:
    """Return a call's steps, in order: A rings and answers, then B is dialled.

    B answers at `connect_after`; every ending arrives at `end_after`. An
    unknown ending plays as "failed".
    """
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
        b_leg = [
            b_rings,
            Step(connect_after, "B", "in-progress"),
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


async def _play(
    sandbox: Sandbox, call: CallRequest, progress: tuple[float, float]
) -> None:
    """Post a call's callbacks as it plays out, each signed with the auth token."""
    connect_after, end_after = progress
    b_sid = new_call_sid()
    legs = call_legs(call, b_sid)
    # SequenceNumber counts a leg's callbacks, not the events left out.
    sequences = dict.fromkeys(legs, 0)
    elapsed = 0.0
    for step in plan(sandbox.ending, connect_after, end_after, dials="B" in legs):
        await asyncio.sleep(step.at - elapsed)
        elapsed = step.at
        if step.leg == "dial":
            url = call.dial.action if call.dial is not None else None
            fields = dial_fields(call, step, b_sid=b_sid)
        else:
            leg = legs[step.leg]
            if _event(step.status) not in leg.events:
                continue
            url = leg.status_callback
            fields = status_fields(
                call.account_sid,
                leg,
                step,
                sequence=sequences[step.leg],
                moment=datetime.now(UTC),
            )
            sequences[step.leg] += 1
        if url is None:
            continue
        sandbox.calls[call.sid].reported.append(f"{step.leg} {step.status}")
        token = sandbox.accounts["twilio"]["auth_token"]
        await sandbox.post(
            url,
            data=fields,
            headers={"X-Twilio-Signature": signature(token, url, fields)},
        )


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
        if call.dial is not None:
            sandbox.place("twilio", call.sid, call.dial.number, call.to)
        else:
            sandbox.place("twilio", call.sid, call.to, call.from_)
        if sandbox.progress is not None:
            sandbox.spawn(_play(sandbox, call, sandbox.progress))
        return web.json_response(call_resource(call, datetime.now(UTC)), status=201)

    async def fetch_account(request: web.Request) -> web.Response:
        if refusal := _refuse_access(sandbox, request):
            return refusal.response()
        return web.json_response(account_resource(sandbox.accounts["twilio"]))

    return [
        web.post(
            ACCOUNTS_PATH + "/{account_sid}/Calls.json",
            sandbox.wrap("twilio", create_call),
        ),
        web.get(
            ACCOUNTS_PATH + "/{account_sid}.json",
            sandbox.wrap("twilio", fetch_account),
        ),
    ]
