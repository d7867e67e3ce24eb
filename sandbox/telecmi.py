"""TeleCMI's click-to-call API and its webhooks, as their documents describe them.

A dial answers with a `request_id`. When `Sandbox.progress` is set and a
webhook URL is saved on the sandbox page, the call plays out (outcome by
`Sandbox.ending`) as TeleCMI reports it: live events (`type: event`) and call
detail records (`type: cdr`) per leg, JSON POSTed to the webhook, in the
newer format (CHUB: `request_id` in each) or the older one (chub-india: no
request_id, no legs in the detail record), by `Sandbox.telecmi_format`.

An announce call is PIOPIY's PCMO call (telecmi-announce.txt, API A): POST
`/v2/ind_pcmo_make_call` or `/v2/global_pcmo_make_call` with the app's id
and secret and the actions (speak, input, hangup, ...). It plays out by
`Sandbox.announce_outcome`: the digit (pressed by the outcome or by hand,
with `Sandbox.press`) is POSTed as JSON to the input's action_url, and leg
A's live events (out_started, out_answered) and detail record go to the
webhook saved on the page (with `type: event` in the older format only).
TeleCMI has no machine detection: a voicemail box answers and presses
nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
import json
from math import ceil, inf
import re
import secrets
import string
import time
from typing import Any, Final
from urllib.parse import urlsplit
import uuid

from aiohttp import web

from . import samples
from .core import Player, Sandbox, SimulatedCall, json_object, take_digit

TITLE = "TeleCMI"
# Calls report to the webhook URL pasted on the page, in TeleCMI's format.
REPORTS_TO_WEBHOOK = True
PATH = "/telecmi/v2/webrtc/click2call"
# The user API (telecmi-webhooks.txt, section 9): reads the user, rings nothing.
USER_PATH = "/telecmi/v3/user/get"
# The value a user types as API URL path.
API_PATH = PATH
FORMATS: Final = ("chub", "chub-india")
# The TeleCMI user's own phone (party A), as its detail records show it.
USER_PHONE: Final = 919800000000
# A missed leg's hangup_reason by ending (busy and failed are not documented).
_MISSED_REASON: Final = {
    "no_answer": "recv_cancel",
    "cancelled": "sent_bye",
    "busy": "busy",
}
_ALPHABET = string.ascii_letters + string.digits
# The documents' samples, as the shapes every notification copies.
_EVENT: Final = json.loads(samples.TELECMI_EVENT_A_STARTED)
_CDR: Final = json.loads(samples.TELECMI_CDR_B_ANSWERED)
_INDIA_EVENT: Final = json.loads(samples.TELECMI_INDIA_EVENT)
_INDIA_CDR: Final = json.loads(samples.TELECMI_INDIA_CDR)
# Keys a missed detail record does not carry.
_ANSWER_ONLY: Final = ("answeredsec", "record", "filename")
# PIOPIY's PCMO calls (telecmi-announce.txt, API A): India's numbers, others.
PCMO_INDIA_PATH: Final = "/telecmi/v2/ind_pcmo_make_call"
PCMO_GLOBAL_PATH: Final = "/telecmi/v2/global_pcmo_make_call"
# The number the SDK sends to India's endpoint (piopiy/underscore isIND).
_INDIA: Final = re.compile(r"91[6789]\d{9}")
# Its codes, answered as the HTTP status too (see pcmo_error).
PCMO_AUTH_FAILED: Final = 420
PCMO_MISSING: Final = 422
# The actions a PCMO array may hold; the sandbox plays speak and input.
PCMO_ACTIONS: Final = frozenset(
    {
        "speak",
        "play",
        "input",
        "play_get_input",
        "record",
        "hangup",
        "param",
        "bridge",
        "stream",
    }
)
# What a detail record says the call cost, per minute, and the balance left.
CALL_RATE: Final = "0.450000"
BALANCE: Final = "100.000000"

type Notification = tuple[float, str, dict[str, Any]]


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"code": status, "msg": message}, status=status)


def notifications(
    format_: str,
    ending: str,
    to: int,
    request_id: str,
    progress: tuple[float, float],
    user: str,
) -> list[Notification]:
    """Return what a call reports: (seconds after the dial, label, body).

    Each body's `time` is set again as it is posted.
    """
    if format_ == "chub-india":
        return _india(ending, to, progress, user)
    connect_after, end_after = progress
    call_id, uuid_a, uuid_b = (str(uuid.uuid4()) for _ in range(3))
    common = {
        "call_id": call_id,
        "request_id": request_id,
        "user": user,
        "time": _now(),
    }

    def event(leg: str, status: str, at: float) -> Notification:
        body = _EVENT | common | {"leg": leg, "status": status, "to": str(to)}
        body["conversation_uuid"] = uuid_a
        body["cmiuuid"] = uuid_a if leg == "a" else uuid_b
        return at, f"event {leg} {status}", body

    def cdr(leg: str, seconds: float | None, reason: str) -> Notification:
        body = _CDR | common | {"leg": leg, "hangup_reason": reason}
        body["cmiuuid"] = uuid_a if leg == "a" else uuid_b
        body["to"] = USER_PHONE if leg == "a" else to
        if seconds is None:
            body["status"] = "missed"
            for key in _ANSWER_ONLY:
                del body[key]
        else:
            body["answeredsec"] = ceil(seconds)
        label = "missed" if seconds is None else "answered"
        return end_after, f"cdr {leg} {label} ({reason})", body

    if ending == "no_answer":
        return [
            event("a", "started", 0),
            event("a", "hangup", end_after),
            cdr("a", None, "recv_cancel"),
        ]
    plan = [
        event("a", "started", 0),
        event("a", "answered", connect_after / 2),
        event("b", "started", connect_after / 2),
    ]
    if ending == "completed":
        plan.append(event("b", "answered", connect_after))
        b_cdr = cdr("b", end_after - connect_after, "sent_bye")
    else:
        b_cdr = cdr("b", None, _MISSED_REASON.get(ending, "failed"))
    return [
        *plan,
        event("b", "hangup", end_after),
        event("a", "hangup", end_after),
        b_cdr,
        cdr("a", end_after - connect_after / 2, "recv_bye"),
    ]


def _india(
    ending: str, to: int, progress: tuple[float, float], user: str
) -> list[Notification]:
    """Return the older format's plan: leg A's event, then the call's record."""
    connect_after, end_after = progress
    conversation = str(uuid.uuid4())
    base = {"to": to, "time": _now(), "cmiuuid": conversation, "user": user}
    started = _INDIA_EVENT | base | {"conversation_uuid": conversation}
    record = _INDIA_CDR | base | {"cmiuuid": str(uuid.uuid4())}
    if ending == "completed":
        record["answeredsec"] = ceil(end_after - connect_after)
    else:
        record["status"] = "missed"
        for key in _ANSWER_ONLY:
            del record[key]
    return [
        (0, "event a started", started),
        (end_after, f"cdr {record['status']}", record),
    ]


def _now() -> int:
    return int(time.time() * 1000)


def player(sandbox: Sandbox, request_id: str, to: int) -> Player:
    """Return the coroutine function that posts a call's notifications."""

    async def play(
        call: SimulatedCall, url: str, progress: tuple[float, float]
    ) -> None:
        elapsed = 0.0
        plan = notifications(
            sandbox.telecmi_format,
            sandbox.plain_ending,
            to,
            request_id,
            progress,
            sandbox.accounts["telecmi"]["user_id"],
        )
        for at, label, body in plan:
            await asyncio.sleep(at - elapsed)
            elapsed = at
            call.reported.append(label)
            await sandbox.post(
                url,
                data=json.dumps(body | {"time": _now()}, separators=(",", ":")),
                headers={"Content-Type": "application/json"},
            )

    return play


@dataclass(frozen=True, slots=True)
class Pcmo:
    """A PCMO call the sandbox accepted."""

    appid: int
    from_: int
    to: int
    actions: tuple[dict[str, Any], ...]
    duration: int | None = None
    extra_params: Mapping[str, Any] | None = None

    @property
    def spoken(self) -> list[str]:
        """The texts of its speak actions, in order."""
        return [
            str(action["text"])
            for action in self.actions
            if action["action"] == "speak"
        ]

    @property
    def action_url(self) -> str | None:
        """Where its first input action posts the digit, if it takes one."""
        return next(
            (
                str(action["action_url"])
                for action in self.actions
                if action["action"] == "input"
            ),
            None,
        )


def _number(value: Any) -> bool:
    """Whether a value is a JSON number the SDK would send: a positive integer."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _check_action(index: int, action: Any) -> str | None:
    """Return what is wrong with one PCMO action, or None."""
    where = f"pcmo[{index}]"
    if not isinstance(action, dict) or action.get("action") not in PCMO_ACTIONS:
        return f"{where}.action must be one of {', '.join(sorted(PCMO_ACTIONS))}"
    if action["action"] == "speak" and not (
        isinstance(action.get("text"), str) and action["text"].strip()
    ):
        return f"{where}.text is required"
    if action["action"] == "input":
        if not _url(action.get("action_url")):
            return f"{where}.action_url is required (an http or https URL)"
        for key in ("max_digit", "timeout"):
            if key in action and not _number(action[key]):
                return f"{where}.{key} must be a positive number"
    return None


def check_pcmo(
    body: dict[str, Any] | None, account: Mapping[str, str]
) -> Pcmo | tuple[int, str]:
    """Validate a PCMO make-call body; return the call, or (code, message).

    The credentials first (a missing one is 422, a wrong one 420), then
    every other property (422).
    """
    if body is None:
        return PCMO_MISSING, "the body must be a JSON object"
    if "appid" not in body or not body.get("secret"):
        return PCMO_MISSING, "appid and secret are required properties"
    if not _number(body["appid"]):
        return PCMO_MISSING, "appid must be a number"
    if str(body["appid"]) != account["user_id"].rpartition("_")[2] or (
        body["secret"] != account["secret"]
    ):
        return PCMO_AUTH_FAILED, "Invalid appid or secret"
    for key in ("from", "to"):
        if key not in body:
            return PCMO_MISSING, f"{key} is a required property"
        if not _number(body[key]):
            return PCMO_MISSING, f"{key} must be a number (country code, no +)"
    actions = body.get("pcmo")
    if not isinstance(actions, list) or not actions:
        return PCMO_MISSING, "pcmo is a required property (an array of actions)"
    for index, action in enumerate(actions):
        if problem := _check_action(index, action):
            return PCMO_MISSING, problem
    if "duration" in body and not _number(body["duration"]):
        return PCMO_MISSING, "duration must be a positive number of seconds"
    extra = body.get("extra_params")
    if extra is not None and not isinstance(extra, dict):
        return PCMO_MISSING, "extra_params must be an object"
    return Pcmo(
        body["appid"],
        body["from"],
        body["to"],
        tuple(actions),
        body.get("duration"),
        extra,
    )


def pcmo_error(code: int, message: str) -> web.Response:
    """Answer a refused PCMO call: the code in the body and as the HTTP status.

    The documents list 420 and 422 under "HTTP status codes", as they list
    click2call's 404 and 400, which the sandbox answers as HTTP statuses.
    """
    return web.json_response({"code": code, "msg": message}, status=code)


def pcmo_answer(request_id: str) -> str:
    """Return the answer to a PCMO call it accepted, laid out as the sample."""
    data = {
        "data": {"status": "progress", "request_id": request_id},
        "status": "progress",
        "request_id": request_id,
        "code": 200,
    }
    return json.dumps(data, separators=(",", ":"))


def pcmo_event(
    pcmo: Pcmo, request_id: str, cmiuuid: str, status: str, *, older: bool
) -> dict[str, Any]:
    """Return a live event of a PCMO call's leg A (PIOPIY's field list).

    The older pages' format (chub-india) adds "type": "event".
    """
    event: dict[str, Any] = {
        "appid": pcmo.appid,
        "callerid": str(pcmo.from_),
        "cmiuuid": cmiuuid,
        "conversation_uuid": cmiuuid,
        "direction": "outbound",
        "extra_params": _extra(pcmo),
        "from": pcmo.from_,
        "leg": "a",
        "request_id": request_id,
        "status": status,
        "time": _now(),
        "to": str(pcmo.to),
        "vn": pcmo.from_,
    }
    if older:
        event["type"] = "event"
    return event


def pcmo_cdr(
    pcmo: Pcmo,
    request_id: str,
    cmiuuid: str,
    *,
    started: float,
    answered: float | None,
    ended: float,
) -> dict[str, Any]:
    """Return leg A's detail record; times are epoch seconds (as time.time()).

    Answered: the seconds since the call started and since it was answered;
    not answered: missed, rang out (recv_cancel).
    """
    record: dict[str, Any] = {
        "appid": pcmo.appid,
        "balance": BALANCE,
        "call_rate": CALL_RATE,
        "callerid": str(pcmo.from_),
        "cmiuuid": cmiuuid,
        "conversation_uuid": cmiuuid,
        "direction": "outbound",
        "duration": ceil(ended - started),
        "end_time": int(ended),
        "extra_params": _extra(pcmo),
        "from": pcmo.from_,
        "leg": "a",
        "request_id": request_id,
        "start_time": int(started),
        "status": "answered",
        "time": _now(),
        "to": pcmo.to,
        "type": "cdr",
    }
    if answered is None:
        return record | {
            "call_rate": "0.000000",
            "duration": 0,
            "hangup_reason": "recv_cancel",
            "status": "missed",
        }
    return record | {
        "answer_time": int(answered),
        "answeredsec": ceil(ended - answered),
        "hangup_reason": "sent_bye",
    }


def _extra(pcmo: Pcmo) -> str:
    """extra_params as TeleCMI echoes it: a JSON string."""
    return json.dumps(dict(pcmo.extra_params or {}), separators=(",", ":"))


async def _notify(
    sandbox: Sandbox, call: SimulatedCall, label: str, body: dict[str, Any]
) -> None:
    """POST a live event or detail record to the webhook saved on the page."""
    url = sandbox.webhooks.get("telecmi")
    if url is None:
        return
    call.reported.append(label)
    await sandbox.post(
        url,
        data=json.dumps(body | {"time": _now()}, separators=(",", ":")),
        headers={"Content-Type": "application/json"},
    )


async def _digit(
    sandbox: Sandbox,
    call: SimulatedCall,
    pcmo: Pcmo,
    url: str,
    cmiuuid: str,
    digit: str,
) -> int:
    """POST the digit to the input's action_url; keep the PCMO array it answers."""
    body = {"from": pcmo.from_, "to": pcmo.to, "dtmf": digit, "cmuuid": cmiuuid}
    status, text = await sandbox.exchange(
        "POST", url, data=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    call.reported.append(f"pressed {digit} (HTTP {status})")
    call.answers.append(text)
    try:
        actions = json.loads(text) if 200 <= status < 300 else None
    except ValueError:
        actions = None
    if not isinstance(actions, list):
        call.warnings.append(f"the action_url answered HTTP {status}, not a PCMO array")
        return status
    call.spoken.extend(
        action["text"]
        for action in actions
        if isinstance(action, dict)
        and action.get("action") == "speak"
        and isinstance(action.get("text"), str)
    )
    return status


async def play_pcmo(
    sandbox: Sandbox,
    call: SimulatedCall,
    pcmo: Pcmo,
    request_id: str,
    outcome: str,
    progress: tuple[float, float],
) -> None:
    """Play a PCMO call out by `outcome` (see Sandbox.announce_outcome).

    Leg A starts at once and answers at `connect_after` / 2; the digit is
    pressed at `connect_after` and the call ends at `end_after` (after a
    digit pressed by hand, as long after it as from `connect_after` to
    `end_after`; by hand with none, when the wait ends).
    """
    connect_after, end_after = progress
    loop = asyncio.get_running_loop()
    start, started = loop.time(), time.time()
    cmiuuid = str(uuid.uuid4())
    older = sandbox.telecmi_format == "chub-india"

    def left(moment: float) -> float:
        return max(start + moment - loop.time(), 0)

    def event(status: str) -> dict[str, Any]:
        return pcmo_event(pcmo, request_id, cmiuuid, status, older=older)

    await _notify(sandbox, call, "event a out_started", event("out_started"))
    if outcome == "no_answer":
        await asyncio.sleep(left(end_after))
        record = pcmo_cdr(
            pcmo, request_id, cmiuuid, started=started, answered=None, ended=time.time()
        )
        call.ended = True
        await _notify(sandbox, call, "cdr a missed (recv_cancel)", record)
        return
    await asyncio.sleep(left(connect_after / 2))
    answered = time.time()
    await _notify(sandbox, call, "event a out_answered", event("out_answered"))
    url = pcmo.action_url
    if outcome != "voicemail" and url is not None:
        auto = {"press_1": "1", "press_2": "2"}.get(outcome)
        if outcome == "by_hand":
            wait = min(sandbox.digit_timeout, pcmo.duration or inf)
        else:
            wait = left(connect_after if auto else end_after)
        digit = await take_digit(
            call,
            partial(_digit, sandbox, call, pcmo, url, cmiuuid),
            wait=wait,
            stop=asyncio.Event(),  # nothing hangs a PCMO call up from outside
            auto=auto,
        )
        if digit is not None:
            await asyncio.sleep(end_after - connect_after)
        elif outcome != "by_hand":
            await asyncio.sleep(left(end_after))
    else:
        await asyncio.sleep(left(end_after))
    record = pcmo_cdr(
        pcmo, request_id, cmiuuid, started=started, answered=answered, ended=time.time()
    )
    call.ended = True
    await _notify(sandbox, call, "cdr a answered", record)


def routes(sandbox: Sandbox) -> list[web.RouteDef]:
    """Return the TeleCMI routes."""

    async def click2call(request: web.Request) -> web.Response:
        account = sandbox.accounts["telecmi"]
        body = await json_object(request)
        if body is None or not body.get("user_id") or not body.get("secret"):
            return _error(400, "User id or secret param missing")
        if body["user_id"] != account["user_id"] or body["secret"] != account["secret"]:
            return _error(404, "Failed to authenticate secret")
        to = body.get("to")
        if not isinstance(to, int) or isinstance(to, bool):
            return _error(400, "to must be a number")
        request_id = "".join(secrets.choice(_ALPHABET) for _ in range(43))
        sandbox.place(
            "telecmi", request_id, str(to), None, player(sandbox, request_id, to)
        )
        # The same layout as the document's sample answer.
        text = f'{{"code": 200,"msg": "Call initiated","request_id": "{request_id}"}}'
        return web.Response(text=text, content_type="application/json")

    async def user_get(request: web.Request) -> web.Response:
        """Read a user of the app: the app secret and the user must match."""
        account = sandbox.accounts["telecmi"]
        body = await json_object(request)
        if body is None or not all(body.get(key) for key in ("appid", "secret")):
            return _error(400, "appid and secret are required")
        app_id = account["user_id"].rpartition("_")[2]
        if (
            str(body["appid"]) != app_id
            or body["secret"] != account["secret"]
            or body.get("agent_id") != account["user_id"]
        ):
            return _error(404, "Authentication Failed")
        agent = {
            "agent_id": account["user_id"],
            "name": "Demo user",
            "phone": USER_PHONE,
            "followme": False,
            "password": "not-for-logs",
        }
        return web.json_response({"code": 200, "status": "success", "agent": agent})

    async def pcmo_make_call(request: web.Request) -> web.Response:
        """Place a PCMO call: it speaks, takes a digit, hangs up."""
        pcmo = check_pcmo(await json_object(request), sandbox.accounts["telecmi"])
        if isinstance(pcmo, tuple):
            return pcmo_error(*pcmo)
        request_id = "".join(secrets.choice(_ALPHABET) for _ in range(43))
        call = sandbox.place(
            "telecmi",
            request_id,
            str(pcmo.to),
            str(pcmo.from_),
            kind="announce",
            spoken=pcmo.spoken,
        )
        india = bool(_INDIA.fullmatch(str(pcmo.from_)))
        if india != (request.path == PCMO_INDIA_PATH):
            right = PCMO_INDIA_PATH if india else PCMO_GLOBAL_PATH
            call.warnings.append(
                f"from {pcmo.from_} is placed through {right.removeprefix('/telecmi')} "
                "by TeleCMI's SDK"
            )
        if sandbox.progress is not None:
            sandbox.spawn(
                play_pcmo(
                    sandbox,
                    call,
                    pcmo,
                    request_id,
                    sandbox.announce_outcome,
                    sandbox.progress,
                )
            )
        return web.Response(
            text=pcmo_answer(request_id), content_type="application/json"
        )

    return [
        web.post(PATH, sandbox.wrap("telecmi", click2call)),
        web.post(USER_PATH, sandbox.wrap("telecmi", user_get)),
        web.post(PCMO_INDIA_PATH, sandbox.wrap("telecmi", pcmo_make_call)),
        web.post(PCMO_GLOBAL_PATH, sandbox.wrap("telecmi", pcmo_make_call)),
    ]
