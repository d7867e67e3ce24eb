"""Exotel's "connect two numbers" API (Voice v1), as its fact sheet describes it.

A POST to `.../Calls/connect.json` answers at once with the Call (Status
"in-progress"). The call then plays out (timing by `Sandbox.progress`, outcome
by `Sandbox.ending`) as status callbacks to the request's StatusCallback URL:
"answered" when A picks up and again when B does, "terminal" at the end, in
JSON or multipart form as the request asked. `GET .../Calls.json` is Exotel's
own credential check.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email import message_from_bytes
from email.policy import HTTP
from math import ceil
import re
import secrets
from typing import Any
import uuid

from aiohttp import BasicAuth, FormData, hdrs, web
from multidict import MultiDict
from yarl import URL

from .core import Sandbox

TITLE = "Exotel"
REPORTS_TO_WEBHOOK = False
# How calls report back, shown on the sandbox page.
REPORTING = "Posts status callbacks to the URL sent with each call."
# The integration's API URL for the sandbox is the base URL + API_PATH.
API_PATH = "/exotel"
ACCOUNT_PATH = API_PATH + "/v1/Accounts/{account_sid}"
CONNECT_PATH = ACCOUNT_PATH + "/Calls/connect.json"
CALLS_PATH = ACCOUNT_PATH + "/Calls.json"

JSON = "application/json"
MULTIPART = "multipart/form-data"
ANSWERED = "answered"
TERMINAL = "terminal"
DIRECTION = "outbound-api"
MAX_TIME_LIMIT = 14400
MAX_CUSTOM_FIELD = 128
# Exotel's times carry no zone; the sandbox's account lives in India.
IST = timezone(timedelta(hours=5, minutes=30), "IST")
# A callback that is not answered 2xx is sent again, up to this many times.
RETRIES = 2
RETRY_DELAY = 1.0
# To prefix -> the refusal it meets once the request is otherwise valid.
_REFUSED_PREFIXES = (
    ("+999", 402, "Insufficient balance to make the call"),
    ("+998", 403, "Account suspended or not permitted to make this call"),
)
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")
# An Indian number in Exotel's legacy format: 0, then 10 digits.
_INDIAN = re.compile(r"0[1-9][0-9]{9}")
_EVENTS_KEY = re.compile(r"StatusCallbackEvents(\[[0-9]*\])?")
_POSITIVE = re.compile(r"[1-9][0-9]*")
# Letters no hex digit uses: real CallSids may end in one.
_NON_HEX = "ghijklmnopqrstuvwxyz"


def rest_exception(status: int, message: str) -> web.Response:
    """Return an error in Exotel's JSON layout (Code: the HTTP status)."""
    return web.json_response(
        {"RestException": {"Status": status, "Message": message, "Code": status}},
        status=status,
    )


def valid_number(number: str) -> bool:
    """Return whether a number is E.164, or Indian with a leading 0."""
    return bool(_E164.fullmatch(number) or _INDIAN.fullmatch(number))


def exotel_number(number: str) -> str:
    """Return a number as Exotel shows it: Indian numbers as 0 + 10 digits."""
    if number.startswith("+91") and len(number) == 13:
        return "0" + number[3:]
    return number


def _national(number: str) -> str:
    """Return an Indian number without +91 or 0 in front."""
    if number.startswith("+91"):
        return number[3:]
    return number.removeprefix("0")


def is_exophone(caller_id: str, exophone: str) -> bool:
    """Return whether a CallerId is the account's ExoPhone.

    Accepted as 0 + 10 digits, +91 + 10 digits or the bare 10 digits.
    """
    return bool(
        re.fullmatch(r"(\+91|0)?[0-9]{10}", caller_id)
        and _national(caller_id) == _national(exophone)
    )


def _web_url(text: str) -> bool:
    try:
        url = URL(text)
    except ValueError:
        return False
    return url.scheme in ("http", "https") and bool(url.host)


def callback_events(form: MultiDict[str]) -> list[str]:
    """Return the StatusCallbackEvents asked for, in any array syntax."""
    return [value for name, value in form.items() if _EVENTS_KEY.fullmatch(name)]


def check(form: MultiDict[str], exophone: str) -> tuple[int, str] | None:
    """Return the (HTTP status, message) that refuses a connect, or None."""
    for name in ("From", "To"):
        if not form.get(name):
            return 400, f"Missing parameter {name}"
        if not valid_number(form[name]):
            return 400, f"Invalid {name} number: {form[name]}"
    caller_id = form.get("CallerId", "")
    if not caller_id:
        return 400, "Missing parameter CallerId"
    if not is_exophone(caller_id, exophone):
        return 400, f"CallerId {caller_id} is not an ExoPhone of this account"
    if form.get("CallType", "trans") != "trans":
        return 400, "Invalid CallType: only trans is supported"
    time_limit = form.get("TimeLimit", "1")
    if not _POSITIVE.fullmatch(time_limit) or int(time_limit) > MAX_TIME_LIMIT:
        return 400, f"Invalid TimeLimit: 1 to {MAX_TIME_LIMIT} seconds"
    if not _POSITIVE.fullmatch(form.get("TimeOut", "1")):
        return 400, "Invalid TimeOut: a number of seconds"
    if form.get("StatusCallbackContentType", MULTIPART) not in (JSON, MULTIPART):
        return 400, f"Invalid StatusCallbackContentType: {MULTIPART} or {JSON}"
    if not set(callback_events(form)) <= {ANSWERED, TERMINAL}:
        return 400, "Invalid StatusCallbackEvents: terminal or answered"
    if (callback := form.get("StatusCallback")) and not _web_url(callback):
        return 400, f"Invalid StatusCallback URL: {callback}"
    if len(form.get("CustomField", "")) > MAX_CUSTOM_FIELD:
        return 400, f"CustomField longer than {MAX_CUSTOM_FIELD} characters"
    for prefix, status, message in _REFUSED_PREFIXES:
        if form["To"].startswith(prefix):
            return status, message
    return None


def new_call_sid() -> str:
    """Return a fresh 32-character lower-case alphanumeric CallSid."""
    return uuid.uuid4().hex[:31] + secrets.choice(_NON_HEX)


def timestamp(moment: datetime) -> str:
    """Return a time as Exotel writes it: account-local, no zone."""
    return moment.astimezone(IST).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True, slots=True)
class Placed:
    """What a callback needs to know about an accepted connect."""

    sid: str
    from_: str
    to: str
    exophone: str
    created: str
    custom_field: str | None
    record: bool
    events: frozenset[str]
    content_type: str


def call_resource(placed: Placed, account_sid: str) -> dict[str, Any]:
    """Return the connect answer, in the layout of the fact sheet's sample."""
    return {
        "Call": {
            "Sid": placed.sid,
            "ParentCallSid": None,
            "DateCreated": placed.created,
            "DateUpdated": placed.created,
            "AccountSid": account_sid,
            "To": placed.to,
            "From": placed.from_,
            "PhoneNumberSid": placed.exophone,
            "Status": "in-progress",
            "StartTime": placed.created,
            "EndTime": None,
            "Duration": None,
            "Price": None,
            "Direction": DIRECTION,
            "AnsweredBy": None,
            "ForwardedFrom": None,
            "CallerName": None,
            "Uri": f"/v1/Accounts/{account_sid}/Calls/{placed.sid}",
            "RecordingUrl": None,
        }
    }


@dataclass(frozen=True, slots=True)
class Leg:
    """One leg as a callback reports it (leg 0: From, leg 1: To)."""

    status: str | None
    on_call: int = 0
    answered_by: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """A status callback of a playing call."""

    at: float  # seconds after the connect
    kind: str
    status: str
    legs: tuple[Leg, Leg]
    conversation: int = 0

    @property
    def label(self) -> str:
        """Return how the sandbox page lists the event."""
        if self.kind == ANSWERED:
            return f"answered ({'B' if self.legs[1].status else 'A'})"
        return f"terminal: {self.status}"


def plan(ending: str, connect_after: float, end_after: float) -> list[Event]:
    """Return the callbacks of a call with this ending, oldest first.

    A picks up halfway to `connect_after`, B at `connect_after`; the end
    comes at `end_after`. Durations are whole seconds, rounded up.
    """
    a_answers = connect_after / 2
    # Leg 0's AnsweredBy is always "NA"; only leg 1 is classified.
    a_answered = Event(
        a_answers, ANSWERED, "in-progress", (Leg("in-progress", 0, "NA"), Leg(None))
    )
    a_on_call = ceil(end_after - a_answers)
    if ending == "completed":
        talk = max(1, ceil(end_after - connect_after))
        b_answered = Event(
            connect_after,
            ANSWERED,
            "in-progress",
            (
                Leg("in-progress", ceil(connect_after - a_answers), "NA"),
                Leg("in-progress", 0, "Human"),
            ),
        )
        legs = (
            Leg("completed", max(talk, a_on_call), "NA"),
            Leg("completed", talk, "Human"),
        )
        return [
            a_answered,
            b_answered,
            Event(end_after, TERMINAL, "completed", legs, talk),
        ]
    if ending in ("no_answer", "cancelled"):
        # The top-level Status knows no "canceled" (fact sheet, ambiguity 7):
        # only Legs[0] tells a cancelled call from an unanswered one.
        a_status = "no-answer" if ending == "no_answer" else "canceled"
        legs = (Leg(a_status, 0, "NA"), Leg(None))
        return [Event(end_after, TERMINAL, "no-answer", legs)]
    # B's leg failed: busy, or failed for any other ending.
    b_status = "busy" if ending == "busy" else "failed"
    legs = (Leg("completed", a_on_call, "NA"), Leg(b_status))
    return [a_answered, Event(end_after, TERMINAL, b_status, legs)]


def callback_body(
    placed: Placed, event: Event, *, full: bool, now: str
) -> dict[str, Any]:
    """Return a callback's fields, in JSON shape.

    Without events asked for (`full` False) only the four default fields.
    """
    recording = None
    if placed.record and event.kind == TERMINAL and event.conversation:
        recording = f"https://recordings.exotel.invalid/{placed.sid}.mp3"
    body: dict[str, Any] = {
        "CallSid": placed.sid,
        "DateUpdated": now,
        "Status": event.status,
        "RecordingUrl": recording,
    }
    if not full:
        return body
    body |= {
        "EventType": event.kind,
        "DateCreated": placed.created,
        "To": placed.to,
        "From": placed.from_,
        "PhoneNumberSid": placed.exophone,
        "StartTime": placed.created,
        "EndTime": now if event.kind == TERMINAL else None,
        "ConversationDuration": event.conversation,
        "Direction": DIRECTION,
    }
    # Documented for the terminal callback only (fact sheet, ambiguity 6).
    if event.kind == TERMINAL:
        body["CustomField"] = placed.custom_field
    body["Legs"] = [
        {
            "OnCallDuration": leg.on_call,
            "Status": leg.status,
            "AnsweredBy": leg.answered_by,
        }
        for leg in event.legs
    ]
    return body


def form_fields(body: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Return a callback body as form fields: Legs flattened, null as empty."""

    def text(value: Any) -> str:
        return "" if value is None else str(value)

    fields: list[tuple[str, str]] = []
    for name, value in body.items():
        if name == "Legs":
            fields.extend(
                (f"Legs[{index}][{key}]", text(item))
                for index, leg in enumerate(value)
                for key, item in leg.items()
            )
        else:
            fields.append((name, text(value)))
    return fields


async def _deliver(
    sandbox: Sandbox, url: URL, content_type: str, body: dict[str, Any]
) -> None:
    """POST a callback; send it again while it is not answered 2xx."""
    for attempt in range(1 + RETRIES):
        if attempt:
            await asyncio.sleep(RETRY_DELAY)
        # The URL as the request spelled it: its query is the integration's
        # secret and call id. Sandbox.post hands it on to aiohttp unchanged.
        if content_type == JSON:
            status = await sandbox.post(url, json=body)
        else:
            data = FormData(form_fields(body), default_to_multipart=True)
            status = await sandbox.post(url, data=data)
        if 200 <= status < 300:
            return


async def _play(
    sandbox: Sandbox, placed: Placed, url: URL, progress: tuple[float, float]
) -> None:
    """Post a call's status callbacks as it plays out."""
    elapsed = 0.0
    for event in plan(sandbox.plain_ending, *progress):
        await asyncio.sleep(event.at - elapsed)
        elapsed = event.at
        full = event.kind in placed.events
        # The end of the call is always reported; "answered" only on request.
        if event.kind == ANSWERED and not full:
            continue
        sandbox.calls[placed.sid].reported.append(event.label)
        body = callback_body(placed, event, full=full, now=timestamp(datetime.now(IST)))
        await _deliver(sandbox, url, placed.content_type, body)


async def _form(request: web.Request) -> MultiDict[str]:
    """Return a request's form fields, url-encoded or multipart; files left out.

    Any other body has no fields.
    """
    if request.content_type != MULTIPART:
        posted = await request.post()
        return MultiDict((name, str(value)) for name, value in posted.items())
    # Sandbox.wrap has read the body already, and aiohttp's multipart reader
    # reads only from the stream: parse the body as the MIME message it is.
    head = f"Content-Type: {request.headers[hdrs.CONTENT_TYPE]}\r\n\r\n".encode()
    message = message_from_bytes(head + await request.read(), policy=HTTP)
    form: MultiDict[str] = MultiDict()
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        # Nested multipart parts decode to None.
        if (
            not isinstance(name, str)
            or part.get_filename()
            or not isinstance(payload, bytes)
        ):
            continue
        # Form clients send UTF-8, whatever a part may claim.
        form.add(name, payload.decode(errors="replace"))
    return form


def _authorized(sandbox: Sandbox, request: web.Request) -> bool:
    account = sandbox.accounts["exotel"]
    try:
        auth = BasicAuth.decode(request.headers.get("Authorization", ""))
    except ValueError:
        return False
    return (auth.login, auth.password) == (account["api_key"], account["api_token"])


def _refusal(sandbox: Sandbox, request: web.Request) -> web.Response | None:
    """Return the 401 or 404 that refuses a request, or None."""
    if not _authorized(sandbox, request):
        return rest_exception(401, "Authentication failed: invalid API key or token")
    account_sid = request.match_info["account_sid"]
    if account_sid != sandbox.accounts["exotel"]["account_sid"]:
        return rest_exception(404, f"Account {account_sid} not found")
    return None


def routes(sandbox: Sandbox) -> list[web.RouteDef]:
    """Return the Exotel routes."""

    async def connect(request: web.Request) -> web.Response:
        if (refusal := _refusal(sandbox, request)) is not None:
            return refusal
        account = sandbox.accounts["exotel"]
        form = await _form(request)
        if (problem := check(form, account["caller_id"])) is not None:
            return rest_exception(*problem)
        placed = Placed(
            sid=new_call_sid(),
            from_=exotel_number(form["From"]),
            to=exotel_number(form["To"]),
            exophone=account["caller_id"],
            created=timestamp(datetime.now(IST)),
            custom_field=form.get("CustomField"),
            record=form.get("Record") == "true",
            events=frozenset(callback_events(form)),
            content_type=form.get("StatusCallbackContentType", MULTIPART),
        )
        sandbox.place("exotel", placed.sid, form["To"], form["From"])
        if (url := form.get("StatusCallback")) and sandbox.progress is not None:
            callback_url = URL(url, encoded=True)
            sandbox.spawn(_play(sandbox, placed, callback_url, sandbox.progress))
        return web.json_response(call_resource(placed, account["account_sid"]))

    async def calls(request: web.Request) -> web.Response:
        if (refusal := _refusal(sandbox, request)) is not None:
            return refusal
        return web.json_response({"Calls": []})

    return [
        web.post(CONNECT_PATH, sandbox.wrap("exotel", connect)),
        web.get(CALLS_PATH, sandbox.wrap("exotel", calls)),
    ]
