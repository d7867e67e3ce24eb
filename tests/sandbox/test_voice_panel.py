"""The sandbox's voice panel API, over real HTTP on loopback."""

from __future__ import annotations

import re

import aiohttp
import pytest

from sandbox import Sandbox, samples, voice_panel
from tests.conftest import SandboxServer

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
