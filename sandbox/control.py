"""The sandbox's own page.

It lists the accounts, the webhooks and the calls, with buttons that report a
call's status back to Home Assistant, and the settings of simulated calls.
Announce calls are listed with what they spoke, and, while one waits for a
digit, buttons 0 to 9 that press one (POST /sandbox/press).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape
import math
from types import ModuleType

from aiohttp import web

from . import ameyo, telecmi
from .core import ANNOUNCE_OUTCOMES, KEYS, Sandbox, SimulatedCall

STATUSES = ("connected", "completed", "busy", "no_answer", "cancelled", "failed")
ENDINGS = ("completed", "busy", "no_answer", "cancelled", "failed", "voicemail")
# What each announce outcome plays, as the page explains it.
OUTCOME_TEXTS = {
    "press_1": "a person answers and presses 1",
    "no_digit": "a person answers and presses nothing",
    "press_2": "a person answers and presses 2",
    "voicemail": "a voicemail box answers (Twilio tells it is a machine; "
    "TeleCMI cannot, and it presses nothing)",
    "no_answer": "nobody answers",
    "by_hand": "a person answers, and you press the digit below",
}
# The keys the page shows for a call that waits for a digit.
PAGE_KEYS = "1234567890"
# The longest Ameyo delay the settings form accepts, in seconds.
MAX_AMEYO_DELAY = 600.0


def _options(values: tuple[str, ...], selected: str) -> str:
    return "".join(
        f"<option {'selected' if value == selected else ''}>{escape(value)}</option>"
        for value in values
    )


def _reporting(sandbox: Sandbox, name: str, provider: ModuleType) -> str:
    if not provider.REPORTS_TO_WEBHOOK:
        return escape(provider.REPORTING)
    return (
        f"<form method=post action=/sandbox/webhook>"
        f"<input type=hidden name=provider value={escape(name)}>"
        f"<input name=url size=60 placeholder='webhook URL from Home Assistant' "
        f"value='{escape(sandbox.webhooks.get(name, ''))}'>"
        f"<button>Save</button></form>"
    )


def _buttons(call: SimulatedCall, providers: Mapping[str, ModuleType]) -> str:
    if not providers[call.provider].REPORTS_TO_WEBHOOK:
        return ""
    return "".join(
        f"<form method=post action=/sandbox/report style=display:inline>"
        f"<input type=hidden name=call_id value={escape(call.call_id)}>"
        f"<button name=status value={status}>{status}</button></form>"
        for status in STATUSES
    )


def _keypad(call: SimulatedCall) -> str:
    if not call.awaits_digit:
        return ""
    buttons = "".join(
        f"<button name=digit value={key}>{key}</button>" for key in PAGE_KEYS
    )
    return (
        f"<form method=post action=/sandbox/press>"
        f"<input type=hidden name=call_id value='{escape(call.call_id)}'>"
        f"Press: {buttons}</form>"
    )


def _items(values: list[str], tag: str = "") -> str:
    if not values:
        return "none"
    opening, closing = (f"<{tag}>", f"</{tag}>") if tag else ("", "")
    return (
        "<ul>"
        + "".join(f"<li>{opening}{escape(value)}{closing}</li>" for value in values)
        + "</ul>"
    )


def _state(call: SimulatedCall) -> str:
    if call.ended:
        return "ended"
    return "waiting for a digit" if call.awaits_digit else "open"


def _announce_calls(sandbox: Sandbox, providers: Mapping[str, ModuleType]) -> str:
    calls = [call for call in sandbox.calls.values() if call.kind == "announce"]
    if not calls:
        return "<p>None yet.</p>"
    rows = "".join(
        f"<tr><td>{escape(providers[call.provider].TITLE)}"
        f"<br><code>{escape(call.call_id)}</code><br>to {escape(call.to)}</td>"
        f"<td>{_state(call)}{_keypad(call)}</td>"
        f"<td class=said>{_items(call.spoken)}</td>"
        f"<td>answered by: {escape(call.answered_by or 'not told')}<br>"
        f"digits: {escape(' '.join(call.digits) or 'none')}</td>"
        f"<td>{_items(call.answers, 'code')}</td>"
        f"<td>{_items(call.warnings)}</td></tr>"
        for call in reversed(calls)
    )
    return (
        "<table><tr><th>Call</th><th>State</th><th>Spoke</th><th>Outcome</th>"
        f"<th>Answers to the digit</th><th>Warnings</th></tr>{rows}</table>"
    )


def _announce_timing(sandbox: Sandbox) -> str:
    wait = f"A call answered by hand waits up to {sandbox.digit_timeout:g} s for a digit (less if its time limit is shorter)."
    if sandbox.progress is None:
        return f"Announce calls do not play out (no simulated progress). {wait}"
    connect, end = sandbox.progress
    return (
        f"They ring at once, answer after {connect / 2:g} s, the digit is pressed "
        f"after {connect:g} s and they end after {end:g} s. {wait}"
    )


def _seconds(progress: tuple[float, float] | None) -> tuple[str, str]:
    if progress is None:
        return "never", "never"
    return f"after {progress[0]:g} s", f"after {progress[1]:g} s"


def _credentials(account: Mapping[str, str]) -> str:
    return "<br>".join(
        f"{escape(key)}: <code>{escape(value)}</code>" for key, value in account.items()
    )


def _page(sandbox: Sandbox, base: str, providers: Mapping[str, ModuleType]) -> str:
    accounts = "".join(
        f"<tr><td>{escape(provider.TITLE)}</td>"
        f"<td>{_credentials(sandbox.accounts[name])}</td>"
        f"<td><code>{escape(base)}{escape(provider.API_PATH)}</code></td>"
        f"<td>{_reporting(sandbox, name, provider)}</td></tr>"
        for name, provider in providers.items()
    )
    calls = "".join(
        f"<tr><td>{escape(providers[call.provider].TITLE)}</td>"
        f"<td><code>{escape(call.call_id)}</code></td>"
        f"<td>{escape(call.to)}</td><td>{escape(', '.join(call.reported))}</td>"
        f"<td>{_buttons(call, providers)}</td></tr>"
        for call in reversed(sandbox.calls.values())
    )
    endings = _options(ENDINGS, sandbox.ending)
    outcomes = _options(tuple(ameyo.OUTCOMES), sandbox.ameyo_outcome)
    formats = _options(telecmi.FORMATS, sandbox.telecmi_format)
    announce_outcomes = _options(ANNOUNCE_OUTCOMES, sandbox.announce_outcome)
    outcome_texts = "".join(
        f"<li><code>{name}</code>: {escape(text)}</li>"
        for name, text in OUTCOME_TEXTS.items()
    )
    connect, end = _seconds(sandbox.progress)
    panel_connect, panel_end = _seconds(sandbox.voice_panel_progress)
    return f"""<!doctype html><html><head><title>Click to Call sandbox</title>
<style>body{{font-family:sans-serif}}td{{padding:4px 8px;border-bottom:1px solid #ddd;vertical-align:top}}
td.said{{white-space:pre-wrap}}ul{{margin:0;padding-left:1.2em}}</style>
</head><body><h1>Click to Call provider sandbox</h1>
<h2>Accounts</h2><p>Use these in Home Assistant. Paste the webhook URL shown at the
end of the config flow to have calls report their status.</p>
<table><tr><th>Provider</th><th>Credentials</th><th>API URL</th><th>Status webhook</th></tr>
{accounts}</table>
<h2>Simulated progress</h2><form method=post action=/sandbox/settings>
<p>Calls end <select name=ending>{endings}</select> (voicemail: B answered
by a machine, told where the dial asks Twilio to detect machines; the others
play it as completed): calls answer
{escape(connect)} and end {escape(end)}, each provider reporting it its own way
(TeleCMI to the webhook saved above; Spokn, Twilio and Exotel to the URLs
each dial sent); voice panel reports show
the call connected {escape(panel_connect)} and ended {escape(panel_end)}.</p>
<p>Ameyo answers a dial after <input name=ameyo_delay size=5
value='{sandbox.ameyo_delay:g}'> s with <select name=ameyo_outcome>{outcomes}</select>
(when agent and campaign are right).</p>
<p>TeleCMI reports in its <select name=telecmi_format>{formats}</select> format
(chub: live events and detail records with the dial's request_id; chub-india:
the older format, without it).</p>
<p>Announce calls (Twilio, TeleCMI): <select name=announce_outcome>{announce_outcomes}</select>
</p><ul>{outcome_texts}</ul>
<p>{escape(_announce_timing(sandbox))}</p>
<button>Save</button></form>
<h2>Announce calls</h2><p><a href=/>Reload</a> to see where they are.</p>
{_announce_calls(sandbox, providers)}
<h2>Calls</h2><table><tr><th>Provider</th><th>Call</th><th>To</th><th>Reported</th>
<th>Report a status</th></tr>{calls}</table></body></html>"""


def routes(
    sandbox: Sandbox,
    providers: Mapping[str, ModuleType],
    changed: Callable[[], None] = lambda: None,
) -> list[web.RouteDef]:
    """Return the control routes, for the sandbox's provider modules.

    `changed` is called after the page changed a webhook or a setting (the
    state file is written then).
    """

    async def index(request: web.Request) -> web.Response:
        base = f"{request.scheme}://{request.host}"
        return web.Response(
            text=_page(sandbox, base, providers), content_type="text/html"
        )

    async def set_webhook(request: web.Request) -> web.Response:
        form = await request.post()
        provider, url = str(form.get("provider", "")), str(form.get("url", "")).strip()
        if provider not in providers:
            raise web.HTTPBadRequest(text="unknown provider")
        if not providers[provider].REPORTS_TO_WEBHOOK:
            raise web.HTTPBadRequest(text=f"{provider} does not use a status webhook")
        if url:
            sandbox.webhooks[provider] = url
        else:
            sandbox.webhooks.pop(provider, None)
        changed()
        raise web.HTTPSeeOther("/")

    async def report(request: web.Request) -> web.Response:
        form = await request.post()
        call_id, status = str(form.get("call_id", "")), str(form.get("status", ""))
        call = sandbox.calls.get(call_id)
        if call is None or status not in STATUSES:
            raise web.HTTPBadRequest(text="unknown call or status")
        if call.provider not in sandbox.webhooks:
            raise web.HTTPBadRequest(text=f"no webhook URL saved for {call.provider}")
        duration = int(str(form.get("duration", "0")) or 0) or None
        await sandbox.report(call_id, status, duration)
        raise web.HTTPSeeOther("/")

    async def press(request: web.Request) -> web.Response:
        """Press a key on an announce call that waits for a digit."""
        form = await request.post()
        call_id, digit = str(form.get("call_id", "")), str(form.get("digit", ""))
        if call_id not in sandbox.calls or len(digit) != 1 or digit not in KEYS:
            raise web.HTTPBadRequest(text="unknown call or key")
        try:
            await sandbox.press(call_id, digit)
        except ValueError as err:
            raise web.HTTPConflict(text=str(err)) from err
        raise web.HTTPSeeOther("/")

    async def settings(request: web.Request) -> web.Response:
        form = await request.post()
        if (ending := str(form.get("ending", ""))) in ENDINGS:
            sandbox.ending = ending
        if (outcome := str(form.get("announce_outcome", ""))) in ANNOUNCE_OUTCOMES:
            sandbox.announce_outcome = outcome
        if (format_ := str(form.get("telecmi_format", ""))) in telecmi.FORMATS:
            sandbox.telecmi_format = format_
        if (outcome := str(form.get("ameyo_outcome", ""))) in ameyo.OUTCOMES:
            sandbox.ameyo_outcome = outcome
        try:
            delay = float(str(form.get("ameyo_delay", "")))
        except ValueError:
            delay = math.nan
        if 0 <= delay <= MAX_AMEYO_DELAY:
            sandbox.ameyo_delay = delay
        changed()
        raise web.HTTPSeeOther("/")

    async def favicon(request: web.Request) -> web.Response:
        return web.Response(status=204)  # no icon, and no error in a browser

    return [
        web.get("/", index),
        web.get("/favicon.ico", favicon),
        web.post("/sandbox/webhook", set_webhook),
        web.post("/sandbox/report", report),
        web.post("/sandbox/press", press),
        web.post("/sandbox/settings", settings),
    ]
