"""Spokn's Click to Call API, as its document describes it.

A request answers at once with an XML return code; the call's two legs are
then reported to the request's callback `url`, form-encoded, as the document's
callback table describes (timing by `Sandbox.progress`, outcome by
`Sandbox.ending`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from html import escape
from math import ceil
import re

from aiohttp import BasicAuth, web

from . import samples
from .core import Sandbox

TITLE = "Spokn"
REPORTS_TO_WEBHOOK = False
# How calls report back, shown on the sandbox page.
REPORTING = "Posts each leg to the callback url sent with the call."
PATH = "/spokn/c2c/1.0/call"
# The integration's API URL for the sandbox is the base URL + API_PATH.
API_PATH = PATH
FORM = "application/x-www-form-urlencoded"
CONTENT_TYPE = "application/xml"

# The document's return codes, except 200 (the sample says "Request Successful").
DESCRIPTIONS: dict[int, str] = {
    100: "Resource not found",
    101: "Authentication failed",
    102: "Invalid input parameters",
    103: "Bad aparty number",
    104: "Bad bparty number",
    105: "Unable to fetch credits information",
    106: "aparty destination not supported",
    107: "bparty destination not supported",
    108: "Insufficient credits for call",
    109: "Token length exceeded. Max length is 128 characters.",
}
MAX_TOKEN = 128
# Optional integer parameters and their allowed range.
_RANGES = (("duration", 1, 60), ("maxretries", 0, 3), ("retrytime", 0, 10))
_ENTERPRISE_ONLY = ("apartycid", "bpartycid", "url")
# bparty prefix -> the code that refuses it.
_BPARTY_PREFIXES = (("+999", 107), ("+998", 108), ("+997", 105))
# A phone number with country code, or a Spokn ID.
_PARTY = re.compile(r"\+[0-9]{8,15}|[0-9]{4,10}")

# Callback values: the rate per minute in US cents, and the statuses.
RATE = "1.2"
SUCCESS, BUSY, NO_ANSWER, CONGESTED, CANCELLED, INVALID, OTHER_ERROR = range(7)


def xml_answer(code: int, desc: str) -> str:
    """Return an answer in the layout of the document's example."""
    return (
        '<?xml version="1.0"?>\n'
        '<spokn xmlns="http://api.spokn.com/api/c2c.xsd">\n'
        '  <c2c version="1.0">\n'
        f"    <code>{code}</code>\n"
        f"    <desc>{escape(desc, quote=False)}</desc>\n"
        "  </c2c>\n"
        "</spokn>\n"
    )


def check(form: Mapping[str, str], enterprise: bool) -> int | None:
    """Return the return code that refuses a request, or None to accept it."""
    aparty, bparty = form.get("aparty", ""), form.get("bparty", "")
    if not aparty or not bparty:
        return 102
    if not _PARTY.fullmatch(aparty):
        return 103
    if not _PARTY.fullmatch(bparty):
        return 104
    if len(form.get("token", "")) > MAX_TOKEN:
        return 109
    for name, low, high in _RANGES:
        value = form.get(name)
        if value and not (re.fullmatch("[0-9]+", value) and low <= int(value) <= high):
            return 102
    if not enterprise and any(form.get(name) for name in _ENTERPRISE_ONLY):
        return 102
    if aparty.startswith("+999"):
        return 106
    for prefix, code in _BPARTY_PREFIXES:
        if bparty.startswith(prefix):
            return code
    return None


def callback_fields(
    *,
    userid: str,
    aparty: str,
    bparty: str,
    leg: int,
    start: datetime,
    duration: int,
    token: str,
    status: int,
) -> dict[str, str]:
    """Return the form fields Spokn posts to the callback URL for one leg."""
    cost = round(float(RATE) * duration / 60, 2)
    return {
        "userid": userid,
        "aparty": aparty,
        "bparty": bparty,
        "leg": str(leg),
        "start": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration": str(duration),
        "token": token,
        "rate": RATE,
        "cost": f"{cost:g}",
        "status": str(status),
    }


def legs(
    ending: str, connect_after: float, end_after: float
) -> list[tuple[float, int, int, int]]:
    """Return the legs reported for a call: (seconds after placing, leg, status, duration).

    Durations are whole seconds, rounded up as a bill would.
    """
    answered = (connect_after, 1, SUCCESS, ceil(end_after))
    if ending == "completed":
        return [answered, (end_after, 2, SUCCESS, ceil(end_after - connect_after))]
    if ending == "busy":
        return [answered, (end_after, 2, BUSY, 0)]
    if ending == "no_answer":
        return [(end_after, 1, NO_ANSWER, 0)]
    if ending == "cancelled":
        return [(end_after, 1, CANCELLED, 0)]
    return [(end_after, 1, OTHER_ERROR, 0)]


async def _report_legs(
    sandbox: Sandbox,
    call_id: str,
    url: str,
    form: Mapping[str, str],
    progress: tuple[float, float],
) -> None:
    """Post a call's leg callbacks as the call plays out."""
    connect_after, end_after = progress
    placed = datetime.now(UTC)
    elapsed = 0.0
    for at, leg, status, duration in legs(
        sandbox.plain_ending, connect_after, end_after
    ):
        await asyncio.sleep(at - elapsed)
        elapsed = at
        sandbox.calls[call_id].reported.append(f"leg {leg}: {status}")
        start = placed if leg == 1 else placed + timedelta(seconds=connect_after)
        fields = callback_fields(
            userid=sandbox.accounts["spokn"]["username"],
            aparty=form["aparty"],
            bparty=form["bparty"],
            leg=leg,
            start=start,
            duration=duration,
            token=form.get("token", ""),
            status=status,
        )
        await sandbox.post(url, data=fields)


def _authorized(sandbox: Sandbox, request: web.Request) -> bool:
    account = sandbox.accounts["spokn"]
    try:
        auth = BasicAuth.decode(request.headers.get("Authorization", ""))
    except ValueError:
        return False
    return (auth.login, auth.password) == (account["username"], account["password"])


def routes(sandbox: Sandbox) -> list[web.RouteDef]:
    """Return the Spokn routes."""

    async def call(request: web.Request) -> web.Response:
        if request.content_type != FORM:
            return web.Response(status=415)
        if not _authorized(sandbox, request):
            return web.Response(
                status=401, headers={"WWW-Authenticate": 'Basic realm="spokn"'}
            )
        form = {name: str(value) for name, value in (await request.post()).items()}
        if (code := check(form, sandbox.spokn_enterprise)) is not None:
            return web.Response(
                text=xml_answer(code, DESCRIPTIONS[code]), content_type=CONTENT_TYPE
            )
        call_id = f"spokn-{sandbox.next_id()}"
        sandbox.place("spokn", call_id, form["bparty"], form["aparty"])
        if (url := form.get("url")) and sandbox.progress is not None:
            sandbox.spawn(_report_legs(sandbox, call_id, url, form, sandbox.progress))
        return web.Response(text=samples.SPOKN_SUCCESS, content_type=CONTENT_TYPE)

    return [web.post(PATH, sandbox.wrap("spokn", call))]
