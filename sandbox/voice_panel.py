"""The voice panel's Click 2 Call API, as its document describes it.

A dial answers the panel's numeric call id; the caller then polls the report
API, which answers "Unique_ID, Duration of Number 1,Duration of Number 2,
Credit_Used" once the call has connected (see `Sandbox.voice_panel_progress`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import ceil
import re
import time

from aiohttp import web

from .core import Sandbox

TITLE = "Voice panel"
REPORTS_TO_WEBHOOK = False
# How calls report back, shown on the sandbox page.
REPORTING = "Home Assistant polls report-click2call.php."
# The integration's API URL for the sandbox is the base URL + API_PATH.
API_PATH = "/voicepanel"
DIAL_PATH = "/voicepanel/api/voice/click2call.php"
REPORT_PATH = "/voicepanel/api/voice/report-click2call.php"

INVALID_LOGIN = "Invalid UID or PIN"
INVALID_NUMBER = "Invalid Number"
INVALID_DURATION = "Invalid Duration"
NO_RECORD = "No Record Found"
# Credit_Used by a completed call.
CREDIT = "12"
# What reports measure elapsed time with; tests may replace it.
clock: Callable[[], float] = time.monotonic

_NUMBER = re.compile(r"\+?[0-9]+")
_POSITIVE = re.compile("0*[1-9][0-9]*")


@dataclass(slots=True)
class _Placed:
    panel_id: str
    uniqueid: str | None
    placed: float


def _text(text: str) -> web.Response:
    return web.Response(text=text, content_type="text/plain")


async def _fields(request: web.Request) -> dict[str, str]:
    """Return the query's fields, and a POST's form fields over them."""
    fields = dict(request.query)
    if request.method == "POST":
        fields.update(
            (name, str(value)) for name, value in (await request.post()).items()
        )
    return fields


def report_line(sandbox: Sandbox, ident: str, elapsed: float, ending: str) -> str:
    """Return the report for a call placed `elapsed` seconds ago.

    Durations are whole seconds, rounded up as a bill would: a number that
    has answered never reports 0 seconds, which means "not answered".
    """
    connect_after, end_after = sandbox.voice_panel_progress
    if elapsed < connect_after:
        return NO_RECORD
    if elapsed < end_after:
        return f"{ident},{ceil(elapsed)},{ceil(elapsed - connect_after)},0"
    if ending == "completed":
        return f"{ident},{ceil(end_after)},{ceil(end_after - connect_after)},{CREDIT}"
    if ending == "busy":
        # Number 1 answered; number 2 was busy.
        return f"{ident},{ceil(end_after)},0,3"
    # Number 1 never answered.
    return f"{ident},0,0,0"


def routes(sandbox: Sandbox) -> list[web.RouteDef]:
    """Return the voice panel routes."""
    placed: dict[str, _Placed] = {}

    def logged_in(fields: dict[str, str]) -> bool:
        account = sandbox.accounts["voice_panel"]
        return (
            fields.get("uid") == account["uid"] and fields.get("pin") == account["pin"]
        )

    async def dial(request: web.Request) -> web.Response:
        fields = await _fields(request)
        if not logged_in(fields):
            return _text(INVALID_LOGIN)
        number1, number2 = fields.get("number1", ""), fields.get("number2", "")
        if not _NUMBER.fullmatch(number1) or not _NUMBER.fullmatch(number2):
            return _text(INVALID_NUMBER)
        duration = fields.get("duration")
        if duration and not _POSITIVE.fullmatch(duration):
            return _text(INVALID_DURATION)
        panel_id = str(1230 + sandbox.next_id())
        placed[panel_id] = _Placed(panel_id, fields.get("uniqueid") or None, clock())
        sandbox.place("voice_panel", panel_id, number2, number1)
        return _text(panel_id)

    async def report(request: web.Request) -> web.Response:
        fields = await _fields(request)
        if not logged_in(fields):
            return _text(INVALID_LOGIN)
        if panel_id := fields.get("id"):
            call, ident = placed.get(panel_id), panel_id
        else:
            ident = fields.get("uniqueid", "")
            # The newest call the caller gave this id.
            call = next(
                (item for item in reversed(placed.values()) if item.uniqueid == ident),
                None,
            )
        if call is None:
            return _text(NO_RECORD)
        return _text(
            report_line(sandbox, ident, clock() - call.placed, sandbox.plain_ending)
        )

    return [
        route(path, sandbox.wrap("voice_panel", handler))
        for path, handler in ((DIAL_PATH, dial), (REPORT_PATH, report))
        for route in (web.get, web.post)
    ]
