"""The sandbox's Ameyo, voice panel and Spokn APIs, over real HTTP on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
import json
import re
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
import pytest

from custom_components.click_to_call.providers.spokn import basic_authorization
from sandbox import Canned, Sandbox, ameyo, samples, spokn, voice_panel
from sandbox.control import STATUSES
from tests.conftest import SandboxServer


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """The sandbox runs without Home Assistant."""


@pytest.fixture(autouse=True)
def home_in_india() -> None:
    """No Home Assistant instance here."""


@pytest.fixture
async def session() -> AsyncGenerator[aiohttp.ClientSession]:
    """A plain aiohttp session."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


# --- Ameyo ---------------------------------------------------------------

AMEYO_HEADERS = {
    "hash-key": "demo-hash-key",
    "requesting-host": "homeassistant",
    "policy-name": "demo-policy",
}
AMEYO_COMMAND = "/ameyo/ameyowebaccess/command?command=clickToDialWithToken"


def ameyo_data(**changes: Any) -> str:
    """The `data` field of a dial by the sandbox's agent and campaign."""
    data = {"phone": "9876543210", "userId": "agent1", "campaignId": "42"}
    data.update(changes)
    return json.dumps(
        {name: value for name, value in data.items() if value is not None}
    )


async def ameyo_dial(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    *,
    path: str = AMEYO_COMMAND,
    headers: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> tuple[int, str, str]:
    """Dial through the sandbox's Ameyo; return status, content type and text."""
    async with session.post(
        sandbox.url(path),
        headers=AMEYO_HEADERS if headers is None else headers,
        data={"data": ameyo_data()} if form is None else form,
    ) as answer:
        return answer.status, answer.content_type, await answer.text()


def filled(sample: str, *, campaign: str, phone: str, metadata: str) -> str:
    """A sample with its placeholders replaced as the sandbox should."""
    return (
        sample.replace("<Campaign_Id>", campaign)
        .replace("<Phone_Number_of_Customer>", phone)
        .replace("<Nodeflow_Id>", "7")
        .replace("<MetaData_Id>", metadata)
    )


async def test_ameyo_root_answers_html(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    async with session.get(sandbox.url("/ameyo/ameyowebaccess/")) as answer:
        assert answer.status == 200
        assert answer.content_type == "text/html"
        assert await answer.text() == "<html>Ameyo</html>"
    assert [item.path for item in sandbox.sandbox.received("ameyo")] == [
        "/ameyo/ameyowebaccess/"
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/ameyo/ameyowebaccess/command",
        "/ameyo/ameyowebaccess/command?command=clickToDial",
    ],
)
async def test_ameyo_refuses_unknown_commands(
    sandbox: SandboxServer, session: aiohttp.ClientSession, path: str
) -> None:
    status, content_type, text = await ameyo_dial(sandbox, session, path=path)
    assert (status, content_type) == (400, "application/json")
    assert json.loads(text) == {
        "status": "error",
        "reason": "Unknown command",
        "details": "Unknown command",
    }
    assert sandbox.sandbox.calls == {}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {**AMEYO_HEADERS, "hash-key": "wrong"},
        {**AMEYO_HEADERS, "requesting-host": "elsewhere"},
        {"hash-key": "demo-hash-key", "requesting-host": "homeassistant"},
    ],
)
async def test_ameyo_refuses_bad_tokens(
    sandbox: SandboxServer, session: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    status, content_type, text = await ameyo_dial(sandbox, session, headers=headers)
    assert (status, content_type) == (401, "application/json")
    assert json.loads(text) == {
        "status": "error",
        "reason": "Invalid token",
        "details": "Invalid hash-key, requesting-host or policy-name",
    }
    assert sandbox.sandbox.calls == {}


@pytest.mark.parametrize(
    ("form", "details"),
    [
        ({}, "Missing data"),
        ({"data": "{nope"}, "data is not valid JSON"),
        ({"data": "[1, 2]"}, "data must be a JSON object"),
        ({"data": ameyo_data(phone=None)}, "Missing phone"),
        ({"data": ameyo_data(userId="")}, "Missing userId"),
        ({"data": "{}"}, "Missing phone, userId, campaignId"),
    ],
)
async def test_ameyo_refuses_bad_data(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    form: dict[str, str],
    details: str,
) -> None:
    status, _, text = await ameyo_dial(sandbox, session, form=form)
    assert status == 400
    assert json.loads(text) == {
        "status": "error",
        "reason": "Invalid data",
        "details": details,
    }
    assert sandbox.sandbox.calls == {}


@pytest.mark.parametrize(
    ("outcome", "sample"),
    [
        ("on_break", samples.AMEYO_ON_BREAK),
        ("not_logged_in", samples.AMEYO_NOT_LOGGED_IN),
        ("channel_unavailable", samples.AMEYO_CHANNEL_UNAVAILABLE),
        ("agent_no_answer", samples.AMEYO_AGENT_NO_ANSWER),
        ("customer_no_answer", samples.AMEYO_CUSTOMER_NO_ANSWER),
        ("connected", samples.AMEYO_CONNECTED),
        ("exploded", samples.AMEYO_CONNECTED),
    ],
)
async def test_ameyo_answers_the_outcome_sample(
    sandbox: SandboxServer, session: aiohttp.ClientSession, outcome: str, sample: str
) -> None:
    sandbox.sandbox.ameyo_delay = 0
    sandbox.sandbox.ameyo_outcome = outcome
    status, content_type, text = await ameyo_dial(sandbox, session)
    assert (status, content_type) == (200, "application/json")
    [call] = sandbox.sandbox.calls.values()
    metadata = call.call_id.removeprefix("ameyo-")
    assert metadata.isdigit()
    assert text == filled(sample, campaign="42", phone="9876543210", metadata=metadata)
    assert (call.provider, call.to, call.from_) == ("ameyo", "9876543210", "agent1")
    assert call.reported == [outcome if outcome in ameyo.OUTCOMES else "connected"]


async def test_ameyo_fills_in_the_placeholders(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    """Phone, node flow and a running metadata id replace the placeholders."""
    sandbox.sandbox.ameyo_delay = 0
    sandbox.sandbox.ameyo_outcome = "channel_unavailable"
    texts = [(await ameyo_dial(sandbox, session))[2] for _ in range(2)]
    first, second = (re.findall(r"metaData\\(\d+)", text) for text in texts)
    assert int(second[0]) > int(first[0])
    for text in texts:
        assert '\\"9876543210\\"' in text
        assert "node.flow.id\\7," in text
        assert "<" not in text


@pytest.mark.parametrize(
    ("changes", "sample", "campaign"),
    [
        ({"userId": "agent2"}, samples.AMEYO_NOT_LOGGED_IN, "42"),
        ({"campaignId": "99"}, samples.AMEYO_ON_BREAK, "99"),
        ({"userId": "agent2", "campaignId": "99"}, samples.AMEYO_NOT_LOGGED_IN, "99"),
    ],
)
async def test_ameyo_checks_agent_then_campaign(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    changes: dict[str, str],
    sample: str,
    campaign: str,
) -> None:
    sandbox.sandbox.ameyo_delay = 0
    status, _, text = await ameyo_dial(
        sandbox, session, form={"data": ameyo_data(**changes)}
    )
    assert status == 200
    assert text == filled(sample, campaign=campaign, phone="9876543210", metadata="")
    assert len(sandbox.sandbox.calls) == 1


async def test_ameyo_on_break_names_the_campaign(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    sandbox.sandbox.ameyo_delay = 0
    _, _, text = await ameyo_dial(
        sandbox, session, form={"data": ameyo_data(campaignId="99")}
    )
    assert text.count("campaign:\n99") == 2


async def test_ameyo_reads_data_from_the_query_and_headers_in_any_case(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    sandbox.sandbox.ameyo_delay = 0
    query = urlencode({"data": ameyo_data(phone="111")})
    status, _, _ = await ameyo_dial(
        sandbox,
        session,
        path=f"{AMEYO_COMMAND}&{query}",
        headers={name.upper(): value for name, value in AMEYO_HEADERS.items()},
        form={"other": "x"},
    )
    assert status == 200
    # A form body's data wins over the query's.
    await ameyo_dial(
        sandbox,
        session,
        path=f"{AMEYO_COMMAND}&{query}",
        form={"data": ameyo_data(phone="222")},
    )
    assert [call.to for call in sandbox.sandbox.calls.values()] == ["111", "222"]


async def test_ameyo_records_the_call_then_waits(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    sandbox.sandbox.ameyo_delay = 0.15
    started = time.monotonic()
    dial = asyncio.ensure_future(ameyo_dial(sandbox, session))
    for _ in range(50):
        if sandbox.sandbox.calls:
            break
        await asyncio.sleep(0.005)
    [call] = sandbox.sandbox.calls.values()
    assert not dial.done()
    assert call.reported == []
    status, _, _ = await dial
    assert status == 200
    assert time.monotonic() - started >= 0.15
    assert call.reported == ["connected"]


async def test_ameyo_serves_canned_answers(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    sandbox.sandbox.queue("ameyo", Canned(500, "boom", content_type="text/plain"))
    assert await ameyo_dial(sandbox, session) == (500, "text/plain", "boom")
    assert sandbox.sandbox.calls == {}


# --- Voice panel -----------------------------------------------------------

PANEL = {"uid": "demo-uid", "pin": "1234"}
DIAL = "/voicepanel/api/voice/click2call.php"
REPORT = "/voicepanel/api/voice/report-click2call.php"


async def panel(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    path: str,
    fields: dict[str, str],
    *,
    method: str = "GET",
) -> str:
    """Ask the voice panel; return its plain-text answer."""
    if method == "GET":
        request = session.get(sandbox.url(path), params=fields)
    else:
        request = session.post(sandbox.url(path), data=fields)
    async with request as answer:
        assert answer.status == 200
        assert answer.content_type == "text/plain"
        return await answer.text()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The voice panel's clock, set by the test: now is clock[0]."""
    now = [1000.0]
    monkeypatch.setattr(voice_panel, "clock", lambda: now[0])
    return now


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_voice_panel_dial_answers_the_call_id(
    sandbox: SandboxServer, session: aiohttp.ClientSession, method: str
) -> None:
    fields = {**PANEL, "number1": "+919999999999", "number2": "8888888888"}
    first = await panel(sandbox, session, DIAL, fields, method=method)
    assert first == "1231"
    second = await panel(
        sandbox, session, DIAL, {**fields, "duration": "30", "holdfile": "5"}
    )
    assert second == "1232"
    call = sandbox.sandbox.calls["1231"]
    assert (call.provider, call.to, call.from_) == (
        "voice_panel",
        "8888888888",
        "+919999999999",
    )


@pytest.mark.parametrize(
    ("fields", "answer"),
    [
        ({"number1": "1", "number2": "2"}, "Invalid UID or PIN"),
        (
            {**PANEL, "pin": "0000", "number1": "1", "number2": "2"},
            "Invalid UID or PIN",
        ),
        ({"pin": "1234", "number1": "1", "number2": "2"}, "Invalid UID or PIN"),
        ({**PANEL, "number2": "2"}, "Invalid Number"),
        ({**PANEL, "number1": "1"}, "Invalid Number"),
        ({**PANEL, "number1": "12a", "number2": "2"}, "Invalid Number"),
        ({**PANEL, "number1": "1", "number2": "+91 98"}, "Invalid Number"),
        ({**PANEL, "number1": "1", "number2": "9+1"}, "Invalid Number"),
        (
            {**PANEL, "number1": "1", "number2": "2", "duration": "0"},
            "Invalid Duration",
        ),
        (
            {**PANEL, "number1": "1", "number2": "2", "duration": "-5"},
            "Invalid Duration",
        ),
        (
            {**PANEL, "number1": "1", "number2": "2", "duration": "1.5"},
            "Invalid Duration",
        ),
        (
            {**PANEL, "number1": "1", "number2": "2", "duration": "²"},
            "Invalid Duration",
        ),
    ],
)
async def test_voice_panel_dial_refusals(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    fields: dict[str, str],
    answer: str,
) -> None:
    assert await panel(sandbox, session, DIAL, fields) == answer
    assert sandbox.sandbox.calls == {}


async def test_voice_panel_empty_duration_counts_as_absent(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    fields = {**PANEL, "number1": "1", "number2": "2", "duration": ""}
    assert await panel(sandbox, session, DIAL, fields) == "1231"


@pytest.mark.parametrize(
    ("elapsed", "ending", "report"),
    [
        (0.0, "completed", "No Record Found"),
        (2.9, "completed", "No Record Found"),
        (3.0, "completed", "1231,3,0,0"),
        (6.5, "completed", "1231,7,4,0"),
        (8.0, "completed", "1231,8,5,12"),
        (60.0, "completed", "1231,8,5,12"),
        (9.0, "no_answer", "1231,0,0,0"),
        (9.0, "busy", "1231,8,0,3"),
        (9.0, "cancelled", "1231,0,0,0"),
        (9.0, "failed", "1231,0,0,0"),
        (7.9, "busy", "1231,8,5,0"),
    ],
)
async def test_voice_panel_report_timeline(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    clock: list[float],
    elapsed: float,
    ending: str,
    report: str,
) -> None:
    sandbox.sandbox.ending = ending
    dialled = {**PANEL, "number1": "1", "number2": "2", "uniqueid": "u-1"}
    assert await panel(sandbox, session, DIAL, dialled) == "1231"
    clock[0] += elapsed
    assert await panel(sandbox, session, REPORT, {**PANEL, "id": "1231"}) == report
    by_uniqueid = await panel(
        sandbox, session, REPORT, {**PANEL, "uniqueid": "u-1"}, method="POST"
    )
    assert by_uniqueid == report.replace("1231", "u-1")


async def test_voice_panel_report_finds_the_newest_call_by_uniqueid(
    sandbox: SandboxServer, session: aiohttp.ClientSession, clock: list[float]
) -> None:
    sandbox.sandbox.voice_panel_progress = (3.0, 8.0)
    dialled = {**PANEL, "number1": "1", "number2": "2", "uniqueid": "mine"}
    assert await panel(sandbox, session, DIAL, dialled) == "1231"
    clock[0] += 4.0
    assert await panel(sandbox, session, DIAL, dialled) == "1232"
    clock[0] += 3.5
    report = {**PANEL, "uniqueid": "mine"}
    assert await panel(sandbox, session, REPORT, report) == "mine,4,1,0"
    assert (
        await panel(sandbox, session, REPORT, {**PANEL, "id": "1231"}) == "1231,8,5,0"
    )


@pytest.mark.parametrize(
    ("fields", "answer"),
    [
        ({"id": "1231"}, "Invalid UID or PIN"),
        ({**PANEL, "pin": "1", "id": "1231"}, "Invalid UID or PIN"),
        ({**PANEL, "id": "9999"}, "No Record Found"),
        ({**PANEL, "uniqueid": "nobody"}, "No Record Found"),
        ({**PANEL, "uniqueid": ""}, "No Record Found"),
        (PANEL, "No Record Found"),
    ],
)
async def test_voice_panel_report_refusals(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    fields: dict[str, str],
    answer: str,
) -> None:
    sandbox.sandbox.voice_panel_progress = (0.0, 100.0)
    dialled = {**PANEL, "number1": "1", "number2": "2"}
    assert await panel(sandbox, session, DIAL, dialled) == "1231"
    assert await panel(sandbox, session, REPORT, fields) == answer


async def test_voice_panel_reports_on_the_real_clock(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    dialled = {**PANEL, "number1": "1", "number2": "2"}
    assert await panel(sandbox, session, DIAL, dialled) == "1231"
    report = {**PANEL, "id": "1231"}
    sandbox.sandbox.voice_panel_progress = (100.0, 200.0)
    assert await panel(sandbox, session, REPORT, report) == "No Record Found"
    sandbox.sandbox.voice_panel_progress = (0.0, 100.0)
    # Under a second since the call was placed: rounded up.
    assert await panel(sandbox, session, REPORT, report) == "1231,1,1,0"
    sandbox.sandbox.voice_panel_progress = (0.0, 0.0)
    assert await panel(sandbox, session, REPORT, report) == "1231,0,0,12"


def test_voice_panel_report_sample_layout() -> None:
    """A completed report has the document's sample layout."""
    state = Sandbox(accounts={}, voice_panel_progress=(22.0, 67.0))
    line = voice_panel.report_line(state, "1231", 70.0, "completed")
    assert re.fullmatch(r"\d+,\d+,\d+,\d+", line)
    assert re.fullmatch(r"\d+,\d+,\d+,\d+", samples.VOICE_PANEL_REPORT)
    assert line == "1231,67,45,12"


@pytest.mark.parametrize(
    ("elapsed", "ending", "report"),
    [
        (0.1, "completed", "1231,1,1,0"),
        (0.2, "completed", "1231,1,1,12"),
        (0.2, "busy", "1231,1,0,3"),
        (0.2, "no_answer", "1231,0,0,0"),
    ],
)
def test_voice_panel_reports_whole_seconds_rounded_up(
    elapsed: float, ending: str, report: str
) -> None:
    """An answered number never reports 0 seconds, which means "not answered"."""
    state = Sandbox(accounts={}, voice_panel_progress=(0.05, 0.15))
    assert voice_panel.report_line(state, "1231", elapsed, ending) == report


# --- Spokn -----------------------------------------------------------------

SPOKN = "/spokn/c2c/1.0/call"
SPOKN_AUTH = {"Authorization": basic_authorization("demo", "demo-password")}


@dataclass
class Answer:
    """An HTTP answer, read."""

    status: int
    content_type: str
    headers: Mapping[str, str]
    text: str


async def spokn_call(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    form: dict[str, str] | None = None,
    **kwargs: Any,
) -> Answer:
    """POST a Spokn call; return the answer, read."""
    kwargs.setdefault("headers", SPOKN_AUTH)
    fields = {"aparty": "+919999999999", "bparty": "+918888888888"}
    fields.update(form or {})
    async with session.post(sandbox.url(SPOKN), data=fields, **kwargs) as answer:
        return Answer(
            answer.status, answer.content_type, answer.headers, await answer.text()
        )


def test_spokn_helper_builds_the_document_example() -> None:
    assert spokn.xml_answer(200, "Request Successful") == samples.SPOKN_SUCCESS
    assert "<desc>a &amp; b</desc>" in spokn.xml_answer(1, "a & b")


async def test_spokn_success_is_the_sample(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    answer = await spokn_call(sandbox, session, {"token": "t" * 128, "duration": "60"})
    assert answer.status == 200
    assert answer.content_type == "application/xml"
    assert answer.text == samples.SPOKN_SUCCESS
    [call] = sandbox.sandbox.calls.values()
    assert call.call_id.startswith("spokn-")
    assert (call.provider, call.to, call.from_) == (
        "spokn",
        "+918888888888",
        "+919999999999",
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": b"aparty=1"},
        {"data": b"aparty=1", "headers": {"Content-Type": "text/plain", **SPOKN_AUTH}},
        {"json": {"aparty": "+919999999999", "bparty": "+918888888888"}},
    ],
)
async def test_spokn_wants_a_form(
    sandbox: SandboxServer, session: aiohttp.ClientSession, kwargs: dict[str, Any]
) -> None:
    kwargs.setdefault("headers", SPOKN_AUTH)
    async with session.post(sandbox.url(SPOKN), **kwargs) as answer:
        assert answer.status == 415
        assert await answer.read() == b""
    assert sandbox.sandbox.calls == {}


@pytest.mark.parametrize(
    "auth",
    [
        {"headers": {}},
        {"headers": {"Authorization": basic_authorization("demo", "wrong")}},
        {"headers": {"Authorization": basic_authorization("other", "demo-password")}},
        {"headers": {"Authorization": "Bearer demo-password"}},
        {"headers": {"Authorization": "Basic !!!"}},
    ],
)
async def test_spokn_wants_basic_auth(
    sandbox: SandboxServer, session: aiohttp.ClientSession, auth: dict[str, Any]
) -> None:
    answer = await spokn_call(sandbox, session, **auth)
    assert answer.status == 401
    assert answer.headers["WWW-Authenticate"] == 'Basic realm="spokn"'
    assert answer.text == ""
    assert sandbox.sandbox.calls == {}


async def test_spokn_is_post_only(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    async with session.get(sandbox.url(SPOKN), headers=SPOKN_AUTH) as answer:
        assert answer.status == 405


@pytest.mark.parametrize(
    ("form", "code", "desc"),
    [
        ({"aparty": ""}, 102, "Invalid input parameters"),
        ({"bparty": ""}, 102, "Invalid input parameters"),
        ({"aparty": "123"}, 103, "Bad aparty number"),
        ({"aparty": "+1234567"}, 103, "Bad aparty number"),
        ({"aparty": "+1234567890123456"}, 103, "Bad aparty number"),
        ({"aparty": "12345678901"}, 103, "Bad aparty number"),
        ({"aparty": "+91 9999999999"}, 103, "Bad aparty number"),
        ({"aparty": "bad", "bparty": "bad"}, 103, "Bad aparty number"),
        ({"bparty": "919999999999x"}, 104, "Bad bparty number"),
        ({"bparty": "+٩١٩٩٩٩٩٩٩٩٩"}, 104, "Bad bparty number"),
        (
            {"token": "t" * 129, "duration": "0"},
            109,
            "Token length exceeded. Max length is 128 characters.",
        ),
        ({"duration": "0"}, 102, "Invalid input parameters"),
        ({"duration": "61"}, 102, "Invalid input parameters"),
        ({"duration": "five"}, 102, "Invalid input parameters"),
        ({"maxretries": "4"}, 102, "Invalid input parameters"),
        ({"retrytime": "11"}, 102, "Invalid input parameters"),
        ({"retrytime": "-1"}, 102, "Invalid input parameters"),
        ({"aparty": "+99912345678"}, 106, "aparty destination not supported"),
        (
            {"aparty": "+99912345678", "bparty": "+99812345678"},
            106,
            "aparty destination not supported",
        ),
        ({"bparty": "+99912345678"}, 107, "bparty destination not supported"),
        ({"bparty": "+99812345678"}, 108, "Insufficient credits for call"),
        ({"bparty": "+99712345678"}, 105, "Unable to fetch credits information"),
    ],
)
async def test_spokn_return_codes(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    form: dict[str, str],
    code: int,
    desc: str,
) -> None:
    answer = await spokn_call(sandbox, session, form)
    assert answer.status == 200
    assert answer.content_type == "application/xml"
    text = answer.text
    assert text == samples.SPOKN_SUCCESS.replace("200", str(code)).replace(
        "Request Successful", desc
    )
    assert sandbox.sandbox.calls == {}


@pytest.mark.parametrize(
    "form",
    [
        {"aparty": "1234", "bparty": "1234567890"},
        {"aparty": "+12345678", "bparty": "+123456789012345"},
        {"duration": "1", "maxretries": "0", "retrytime": "0"},
        {"maxretries": "3", "retrytime": "10", "token": ""},
        {"apartycid": "+911111111111", "bpartycid": "+912222222222"},
    ],
)
async def test_spokn_accepts_valid_parties_and_options(
    sandbox: SandboxServer, session: aiohttp.ClientSession, form: dict[str, str]
) -> None:
    answer = await spokn_call(sandbox, session, form)
    assert answer.text == samples.SPOKN_SUCCESS
    assert len(sandbox.sandbox.calls) == 1


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"apartycid": "+911111111111"}, 102),
        ({"bpartycid": "+912222222222"}, 102),
        ({"url": "http://127.0.0.1:1/callback"}, 102),
        ({}, 200),
    ],
)
async def test_spokn_enterprise_only_parameters(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    form: dict[str, str],
    code: int,
) -> None:
    sandbox.sandbox.spokn_enterprise = False
    answer = await spokn_call(sandbox, session, form)
    assert f"<code>{code}</code>" in answer.text


class Callbacks:
    """A small server on loopback that records Spokn's callback posts."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, str]]] = []
        self.app = web.Application()
        self.app.router.add_post("/callback", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.posts.append(
            (request.content_type, {name: str(value) for name, value in form.items()})
        )
        return web.Response(text="ok")

    async def wait_for(self, count: int) -> None:
        for _ in range(100):
            if len(self.posts) >= count:
                return
            await asyncio.sleep(0.005)
        raise AssertionError(f"expected {count} callbacks, got {self.posts}")


@pytest.fixture
async def callbacks(sandbox: SandboxServer) -> AsyncGenerator[tuple[Callbacks, str]]:
    """The callback server and its URL."""
    recorder = Callbacks()
    server = TestServer(recorder.app, host="127.0.0.1")
    await server.start_server()
    yield recorder, str(server.make_url("/callback"))
    await server.close()


@pytest.mark.parametrize(
    ("ending", "expected"),
    [
        ("completed", [("1", "0", "1", "0.02"), ("2", "0", "1", "0.02")]),
        ("busy", [("1", "0", "1", "0.02"), ("2", "1", "0", "0")]),
        ("no_answer", [("1", "2", "0", "0")]),
        ("cancelled", [("1", "4", "0", "0")]),
        ("failed", [("1", "6", "0", "0")]),
        ("exploded", [("1", "6", "0", "0")]),
    ],
)
async def test_spokn_posts_leg_callbacks(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    callbacks: tuple[Callbacks, str],
    ending: str,
    expected: list[tuple[str, str, str, str]],
) -> None:
    """Leg, status, duration (seconds, rounded up) and cost of each callback."""
    recorder, url = callbacks
    sandbox.sandbox.progress = (0.02, 0.05)
    sandbox.sandbox.ending = ending
    before = datetime.now(UTC).replace(microsecond=0)
    answer = await spokn_call(sandbox, session, {"url": url, "token": "memo-1"})
    assert answer.text == samples.SPOKN_SUCCESS
    await recorder.wait_for(len(expected))
    await asyncio.sleep(0.06)  # nothing more comes
    assert [
        (form["leg"], form["status"], form["duration"], form["cost"])
        for _, form in recorder.posts
    ] == expected
    for content_type, form in recorder.posts:
        assert content_type == "application/x-www-form-urlencoded"
        assert set(form) == {
            "userid",
            "aparty",
            "bparty",
            "leg",
            "start",
            "duration",
            "token",
            "rate",
            "cost",
            "status",
        }
        assert form["userid"] == "demo"
        assert (form["aparty"], form["bparty"]) == ("+919999999999", "+918888888888")
        assert form["token"] == "memo-1"
        assert form["rate"] == "1.2"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", form["start"])
        start = datetime.strptime(form["start"], "%Y-%m-%dT%H:%M:%SZ")
        assert start.replace(tzinfo=UTC) >= before
    [call] = sandbox.sandbox.calls.values()
    assert call.reported == [f"leg {leg}: {status}" for leg, status, _, _ in expected]


async def test_spokn_callback_token_defaults_to_empty(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    callbacks: tuple[Callbacks, str],
) -> None:
    recorder, url = callbacks
    sandbox.sandbox.progress = (0.0, 0.01)
    await spokn_call(sandbox, session, {"url": url})
    await recorder.wait_for(2)
    assert [form["token"] for _, form in recorder.posts] == ["", ""]


@pytest.mark.parametrize(
    ("progress", "url"),
    [(None, True), ((0.0, 0.01), False)],
)
async def test_spokn_posts_nothing_without_progress_or_url(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    callbacks: tuple[Callbacks, str],
    progress: tuple[float, float] | None,
    url: bool,
) -> None:
    recorder, callback_url = callbacks
    sandbox.sandbox.progress = progress
    answer = await spokn_call(sandbox, session, {"url": callback_url if url else ""})
    assert answer.text == samples.SPOKN_SUCCESS
    await asyncio.sleep(0.05)
    assert recorder.posts == []
    [call] = sandbox.sandbox.calls.values()
    assert call.reported == []


@pytest.mark.parametrize(
    ("ending", "legs"),
    [
        ("completed", [(3.0, 1, 0, 8), (8.0, 2, 0, 5)]),
        ("busy", [(3.0, 1, 0, 8), (8.0, 2, 1, 0)]),
        ("no_answer", [(8.0, 1, 2, 0)]),
        ("cancelled", [(8.0, 1, 4, 0)]),
        ("failed", [(8.0, 1, 6, 0)]),
    ],
)
def test_spokn_leg_plan(ending: str, legs: list[tuple[float, int, int, int]]) -> None:
    assert spokn.legs(ending, 3.0, 8.0) == legs


def test_spokn_leg_durations_are_rounded_up() -> None:
    assert spokn.legs("completed", 0.05, 0.15) == [(0.05, 1, 0, 1), (0.15, 2, 0, 1)]


@pytest.mark.parametrize(
    ("duration", "cost"), [(0, "0"), (30, "0.6"), (45, "0.9"), (120, "2.4")]
)
def test_spokn_callback_fields(duration: int, cost: str) -> None:
    fields = spokn.callback_fields(
        userid="demo",
        aparty="+1",
        bparty="+2",
        leg=2,
        start=datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC),
        duration=duration,
        token="",
        status=spokn.SUCCESS,
    )
    assert fields == {
        "userid": "demo",
        "aparty": "+1",
        "bparty": "+2",
        "leg": "2",
        "start": "2026-11-23T10:00:00Z",
        "duration": str(duration),
        "token": "",
        "rate": "1.2",
        "cost": cost,
        "status": "0",
    }


# --- The sandbox's page ------------------------------------------------------


def test_api_paths(sandbox: SandboxServer) -> None:
    assert sandbox.sandbox.api_paths == {
        "telspiel": "/telspiel/api/click-to-call",
        "telecmi": "/telecmi/v2/webrtc/click2call",
        "ameyo": "/ameyo",
        "voice_panel": "/voicepanel",
        "spokn": "/spokn/c2c/1.0/call",
    }


async def test_page_shows_the_new_accounts(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    async with session.get(sandbox.url("/")) as answer:
        page = await answer.text()
    for secret in ("demo-hash-key", "demo-policy", "demo-uid", "demo-password"):
        assert secret in page
    for path in ("/ameyo", "/voicepanel", "/spokn/c2c/1.0/call"):
        assert f"<code>{sandbox.url(path)}</code>" in page
    # Only the generic-webhook providers get a webhook form.
    assert page.count("action=/sandbox/webhook") == 2
    assert "Posts each leg to the callback url" in page
    assert "<option selected>connected</option>" in page
    assert "name=ameyo_delay size=5\nvalue='5'" in page
    assert "<i>connected</i> never" in page  # the fixture's progress is None
    assert "connected after 3 s and ended after 8 s" in page


async def test_page_lists_calls_with_buttons_only_for_webhook_providers(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    sandbox.sandbox.place("telecmi", "t-1", "98765", None)
    sandbox.sandbox.place("spokn", "s<1>", "<b>+1</b>", "+2")
    async with session.get(sandbox.url("/")) as answer:
        page = await answer.text()
    assert page.count("action=/sandbox/report") == len(STATUSES)
    assert "value=t-1>" in page
    assert "s&lt;1&gt;" in page
    assert "&lt;b&gt;+1&lt;/b&gt;" in page
    assert "<b>" not in page


async def test_page_refuses_webhooks_for_other_providers(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    for provider in ("ameyo", "voice_panel", "spokn"):
        async with session.post(
            sandbox.url("/sandbox/webhook"), data={"provider": provider, "url": "x"}
        ) as answer:
            assert answer.status == 400
            assert "does not use a status webhook" in await answer.text()
    assert sandbox.sandbox.webhooks == {}


@pytest.mark.parametrize(
    ("form", "outcome", "delay"),
    [
        (
            {"ameyo_outcome": "agent_no_answer", "ameyo_delay": "0.5"},
            "agent_no_answer",
            0.5,
        ),
        ({"ameyo_outcome": "on_break", "ameyo_delay": "0"}, "on_break", 0.0),
        ({"ameyo_outcome": "exploded", "ameyo_delay": "abc"}, "connected", 5.0),
        ({"ameyo_delay": "-1"}, "connected", 5.0),
        ({"ameyo_delay": "nan"}, "connected", 5.0),
        ({"ameyo_delay": "inf"}, "connected", 5.0),
        ({"ameyo_delay": "601"}, "connected", 5.0),
        ({"ending": "busy"}, "connected", 5.0),
    ],
)
async def test_page_settings(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    form: dict[str, str],
    outcome: str,
    delay: float,
) -> None:
    async with session.post(sandbox.url("/sandbox/settings"), data=form) as answer:
        assert answer.status == 200  # followed the redirect back to the page
        page = await answer.text()
    assert sandbox.sandbox.ameyo_outcome == outcome
    assert sandbox.sandbox.ameyo_delay == delay
    assert sandbox.sandbox.ending == form.get("ending", "completed")
    assert f"<option selected>{outcome}</option>" in page
    assert f"value='{delay:g}'" in page


# --- The earlier providers and the shared machinery ---------------------------

TELSPIEL = "/telspiel/api/click-to-call"
TELSPIEL_BODY = {
    "username": "demo",
    "customer_phone": "8888888888",
    "agent_phone": "9999999999",
}


@pytest.mark.parametrize(
    ("headers", "body", "status", "expected"),
    [
        ({"api-key": "demo-api-key"}, TELSPIEL_BODY, 200, samples.TELSPIEL_SUCCESS),
        ({"api-key": "wrong"}, TELSPIEL_BODY, 403, samples.TELSPIEL_FORBIDDEN),
        (
            {"api-key": "demo-api-key"},
            {**TELSPIEL_BODY, "customer_phone": ""},
            422,
            samples.TELSPIEL_CUSTOMER_REQUIRED,
        ),
        (
            {"api-key": "demo-api-key"},
            {**TELSPIEL_BODY, "agent_phone": None},
            422,
            samples.TELSPIEL_AGENT_REQUIRED,
        ),
    ],
)
async def test_telspiel_answers_the_document_samples(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    headers: dict[str, str],
    body: dict[str, Any],
    status: int,
    expected: str,
) -> None:
    async with session.post(
        sandbox.url(TELSPIEL), headers=headers, json=body
    ) as answer:
        assert answer.status == status
        assert await answer.text() == expected
    assert len(sandbox.sandbox.calls) == (status == 200)


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (b"{nope", {"body": ["Body must be a JSON object"]}),
        (
            json.dumps({**TELSPIEL_BODY, "customer_phone": "88x", "agent_phone": ""}),
            {
                "customer_phone": ["Customer phone must be numeric"],
                "agent_phone": ["Agent phone is required"],
            },
        ),
    ],
)
async def test_telspiel_lists_other_problems(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    body: bytes | str,
    errors: dict[str, list[str]],
) -> None:
    async with session.post(
        sandbox.url(TELSPIEL), headers={"api-key": "demo-api-key"}, data=body
    ) as answer:
        assert answer.status == 422
        assert json.loads(json.loads(await answer.text())["errors"]) == errors


async def test_telecmi_refuses_a_wrong_secret(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    body = {"user_id": "101_1111112", "secret": "wrong", "to": 919876543210}
    async with session.post(
        sandbox.url("/telecmi/v2/webrtc/click2call"), json=body
    ) as answer:
        assert answer.status == 404
        assert await answer.json() == {
            "code": 404,
            "msg": "Failed to authenticate secret",
        }


async def test_canned_disconnect(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    sandbox.sandbox.queue("spokn", Canned(200, "", disconnect=True))
    with pytest.raises(aiohttp.ClientError):
        await spokn_call(sandbox, session)
    assert len(sandbox.sandbox.received("spokn")) == 1
    assert sandbox.sandbox.calls == {}


async def test_close_stops_pending_callbacks(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    callbacks: tuple[Callbacks, str],
) -> None:
    recorder, url = callbacks
    sandbox.sandbox.progress = (10.0, 20.0)
    await spokn_call(sandbox, session, {"url": url})
    await sandbox.sandbox.close()
    await asyncio.sleep(0.01)
    assert recorder.posts == []
    [call] = sandbox.sandbox.calls.values()
    assert call.reported == []
