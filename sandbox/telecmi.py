"""TeleCMI's click-to-call API and its webhooks, as their documents describe them.

A dial answers with a `request_id`. When `Sandbox.progress` is set and a
webhook URL is saved on the sandbox page, the call plays out (outcome by
`Sandbox.ending`) as TeleCMI reports it: live events (`type: event`) and call
detail records (`type: cdr`) per leg, JSON POSTed to the webhook, in the
newer format (CHUB: `request_id` in each) or the older one (chub-india: no
request_id, no legs in the detail record), by `Sandbox.telecmi_format`.
"""

from __future__ import annotations

import asyncio
import json
from math import ceil
import secrets
import string
import time
from typing import Any, Final
import uuid

from aiohttp import web

from . import samples
from .core import Player, Sandbox, SimulatedCall, json_object

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

    return [
        web.post(PATH, sandbox.wrap("telecmi", click2call)),
        web.post(USER_PATH, sandbox.wrap("telecmi", user_get)),
    ]
