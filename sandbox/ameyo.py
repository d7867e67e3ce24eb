"""Ameyo's clickToDialWithToken API, as its document describes it.

Ameyo answers only once the call has played out: the answer is one of the
document's samples, chosen by the agent and campaign sent and, when both are
right, by `Sandbox.ameyo_outcome`.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from aiohttp import web

from . import samples
from .core import Sandbox

TITLE = "Ameyo"
REPORTS_TO_WEBHOOK = False
# How calls report back, shown on the sandbox page.
REPORTING = "Answers each dial when the call ends, with the outcome set below."
# The integration's API URL for the sandbox is the base URL + API_PATH; it
# appends "/ameyowebaccess/command?command=clickToDialWithToken".
API_PATH = "/ameyo"
PATH = "/ameyo/ameyowebaccess/command"
# Answers GET; the integration uses it only to check that the server is up.
ROOT_PATH = "/ameyo/ameyowebaccess/"
COMMAND = "clickToDialWithToken"

# Sandbox.ameyo_outcome -> the sample answered when agent and campaign are right.
OUTCOMES: dict[str, str] = {
    "on_break": samples.AMEYO_ON_BREAK,
    "not_logged_in": samples.AMEYO_NOT_LOGGED_IN,
    "channel_unavailable": samples.AMEYO_CHANNEL_UNAVAILABLE,
    "agent_no_answer": samples.AMEYO_AGENT_NO_ANSWER,
    "customer_no_answer": samples.AMEYO_CUSTOMER_NO_ANSWER,
    "connected": samples.AMEYO_CONNECTED,
}
NODEFLOW_ID = "7"
_PLACEHOLDER = re.compile(
    "<Campaign_Id>|<Phone_Number_of_Customer>|<Nodeflow_Id>|<MetaData_Id>"
)
# Header -> the account key it must match.
_HEADERS = {
    "hash-key": "hash_key",
    "requesting-host": "requesting_host",
    "policy-name": "policy_name",
}


def _error(status: int, reason: str, details: str) -> web.Response:
    return web.json_response(
        {"status": "error", "reason": reason, "details": details}, status=status
    )


async def _parameters(request: web.Request) -> dict[str, Any] | str:
    """Return the `data` parameters, or what is wrong with them."""
    form = await request.post()
    raw = form.get("data")
    if raw is None:
        raw = request.query.get("data")
    if raw is None:
        return "Missing data"
    try:
        data = json.loads(str(raw))
    except ValueError:
        return "data is not valid JSON"
    if not isinstance(data, dict):
        return "data must be a JSON object"
    missing = [
        name
        for name in ("phone", "userId", "campaignId")
        if data.get(name) in (None, "")
    ]
    if missing:
        return f"Missing {', '.join(missing)}"
    return data


def outcome_of(sandbox: Sandbox, user_id: str, campaign_id: str) -> str:
    """Return the name of the outcome a dial by this agent and campaign gets."""
    account = sandbox.accounts["ameyo"]
    if user_id != account["user_id"]:
        return "not_logged_in"
    if campaign_id != account["campaign_id"]:
        return "on_break"
    return sandbox.ameyo_outcome if sandbox.ameyo_outcome in OUTCOMES else "connected"


def routes(sandbox: Sandbox) -> list[web.RouteDef]:
    """Return the Ameyo routes."""

    async def root(_request: web.Request) -> web.Response:
        return web.Response(text="<html>Ameyo</html>", content_type="text/html")

    async def command(request: web.Request) -> web.Response:
        if request.query.get("command") != COMMAND:
            return _error(400, "Unknown command", "Unknown command")
        account = sandbox.accounts["ameyo"]
        if any(
            request.headers.get(header) != account[key]
            for header, key in _HEADERS.items()
        ):
            return _error(
                401,
                "Invalid token",
                "Invalid hash-key, requesting-host or policy-name",
            )
        data = await _parameters(request)
        if isinstance(data, str):
            return _error(400, "Invalid data", data)
        phone, user_id, campaign_id = (
            str(data[name]) for name in ("phone", "userId", "campaignId")
        )
        number = sandbox.next_id()
        call_id = f"ameyo-{number}"
        sandbox.place("ameyo", call_id, phone, user_id)
        await asyncio.sleep(sandbox.ameyo_delay)
        outcome = outcome_of(sandbox, user_id, campaign_id)
        sandbox.calls[call_id].reported.append(outcome)
        values = {
            "<Campaign_Id>": campaign_id,
            "<Phone_Number_of_Customer>": phone,
            "<Nodeflow_Id>": NODEFLOW_ID,
            "<MetaData_Id>": str(number),
        }
        text = _PLACEHOLDER.sub(lambda match: values[match[0]], OUTCOMES[outcome])
        return web.Response(text=text, content_type="application/json")

    return [
        web.get(ROOT_PATH, sandbox.wrap("ameyo", root)),
        web.post(PATH, sandbox.wrap("ameyo", command)),
    ]
