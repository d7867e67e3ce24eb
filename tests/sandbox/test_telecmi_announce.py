"""The sandbox's TeleCMI PCMO calls (announce calls), over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.click_to_call.providers import (
    announce,
    models,
    telecmi as integration,
)
from sandbox import telecmi
from tests.conftest import SandboxServer
from tests.sandbox.home import Hit, Home

APP_ID, SECRET = 1111112, "2e0d75-d843-45-945-4171dd7a"
GLOBAL = "/telecmi/v2/global_pcmo_make_call"
INDIA = "/telecmi/v2/ind_pcmo_make_call"
FROM, TO = 19170000000, 19170000001
MESSAGE = "The washing machine has finished. Press 1 to confirm."
AWKWARD = "Tom & Jerry <3 \"quoted\" 'single' \\ back 🎉 naïve\nend"
THANKS = '[{"action": "speak", "text": "Thank you. Goodbye."}, {"action": "hangup"}]'
EVENT_KEYS = {
    "appid",
    "callerid",
    "cmiuuid",
    "conversation_uuid",
    "direction",
    "extra_params",
    "from",
    "leg",
    "request_id",
    "status",
    "time",
    "to",
    "vn",
}
CDR_KEYS = {
    "appid",
    "balance",
    "call_rate",
    "callerid",
    "cmiuuid",
    "conversation_uuid",
    "direction",
    "duration",
    "end_time",
    "extra_params",
    "from",
    "hangup_reason",
    "leg",
    "request_id",
    "start_time",
    "status",
    "time",
    "to",
    "type",
}


def body(
    home: Home | None = None, message: str = MESSAGE, **changes: Any
) -> dict[str, Any]:
    """A PCMO call as the integration sends it (the message spoken twice)."""
    url = (
        "https://ha.example/api/webhook/x?call=c1&key=k"
        if home is None
        else digits_url(home)
    )
    ask = {"action": "input", "action_url": url, "max_digit": 1, "timeout": 8}
    data: dict[str, Any] = {
        "appid": APP_ID,
        "secret": SECRET,
        "from": FROM,
        "to": TO,
        "duration": 600,
        "extra_params": {"ha_call_id": "c1"},
        "pcmo": [
            {"action": "speak", "text": message},
            ask,
            {"action": "speak", "text": message},
            ask,
            {"action": "hangup"},
        ],
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def digits_url(home: Home) -> str:
    return home.url("/hook", call="c1", key="k%2Fz")


async def place(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    data: Any,
    path: str = GLOBAL,
) -> tuple[int, Any, str]:
    async with session.post(sandbox.url(path), json=data) as answer:
        return answer.status, await answer.json(), await answer.text()


async def placed(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    data: Any,
    path: str = GLOBAL,
) -> str:
    status, answer, _ = await place(sandbox, session, data, path)
    assert status == 200, answer
    return str(answer["request_id"])


def thanks(hit: Hit) -> web.Response:
    return web.Response(text=THANKS, content_type="application/json")


def shown(home: Home) -> list[tuple[str, str]]:
    """What reached Home Assistant: (path, status or digit)."""
    return [(hit.path, hit.json.get("dtmf") or hit.json["status"]) for hit in home.hits]


# Placing the call.


@pytest.mark.parametrize("path", [GLOBAL, INDIA])
async def test_a_pcmo_call_is_taken_as_the_sample_answers(
    sandbox: SandboxServer, session: aiohttp.ClientSession, path: str
) -> None:
    status, answer, text = await place(sandbox, session, body(), path)
    assert status == 200
    request_id = answer["request_id"]
    assert len(request_id) == 43
    assert text == (
        f'{{"data":{{"status":"progress","request_id":"{request_id}"}},'
        f'"status":"progress","request_id":"{request_id}","code":200}}'
    )
    call = sandbox.sandbox.calls[request_id]
    assert (call.provider, call.kind) == ("telecmi", "announce")
    assert (call.to, call.from_) == (str(TO), str(FROM))
    assert call.spoken == [MESSAGE, MESSAGE]
    # The SDK sends this number to the global endpoint.
    assert call.warnings == (
        []
        if path == GLOBAL
        else [
            f"from {FROM} is placed through /v2/global_pcmo_make_call by TeleCMI's SDK"
        ]
    )
    [received] = sandbox.sandbox.received("telecmi")
    assert received.path == path


async def test_an_indian_caller_id_belongs_to_india_s_endpoint(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    india = body(**{"from": 919100000000})
    request_id = await placed(sandbox, session, india, INDIA)
    assert sandbox.sandbox.calls[request_id].warnings == []
    request_id = await placed(sandbox, session, india, GLOBAL)
    [warning] = sandbox.sandbox.calls[request_id].warnings
    assert "/v2/ind_pcmo_make_call" in warning


async def test_the_message_is_kept_as_written(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    request_id = await placed(sandbox, session, body(message=AWKWARD))
    assert sandbox.sandbox.calls[request_id].spoken == [AWKWARD, AWKWARD]


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        (body(secret="wrong"), 420, "Invalid appid or secret"),
        (body(appid=1111113), 420, "Invalid appid or secret"),
        (body(appid="1111112"), 422, "appid must be a number"),
        (body(appid=True), 422, "appid must be a number"),
        (body(secret=None), 422, "appid and secret are required"),
        (body(appid=None), 422, "appid and secret are required"),
        (body(to=None), 422, "to is a required property"),
        (body(**{"from": None}), 422, "from is a required property"),
        (body(to="+19170000001"), 422, "to must be a number"),
        (body(to=0), 422, "to must be a number"),
        (body(**{"from": 1.5}), 422, "from must be a number"),
        (body(pcmo=None), 422, "pcmo is a required property"),
        (body(pcmo=[]), 422, "pcmo is a required property"),
        (body(pcmo={"action": "speak"}), 422, "pcmo is a required property"),
        (body(pcmo=[{"action": "sing"}]), 422, "pcmo[0].action must be one of"),
        (body(pcmo=["speak"]), 422, "pcmo[0].action must be one of"),
        (body(pcmo=[{"action": "speak"}]), 422, "pcmo[0].text is required"),
        (
            body(pcmo=[{"action": "speak", "text": " "}]),
            422,
            "pcmo[0].text is required",
        ),
        (
            body(pcmo=[{"action": "speak", "text": "x"}, {"action": "input"}]),
            422,
            "pcmo[1].action_url is required",
        ),
        (
            body(pcmo=[{"action": "input", "action_url": "/digits"}]),
            422,
            "pcmo[0].action_url is required",
        ),
        (
            body(pcmo=[{"action": "input", "action_url": "http://[::1"}]),
            422,
            "pcmo[0].action_url is required",
        ),
        (
            body(
                pcmo=[{"action": "input", "action_url": "https://h/", "timeout": "8"}]
            ),
            422,
            "pcmo[0].timeout must be a positive number",
        ),
        (
            body(
                pcmo=[{"action": "input", "action_url": "https://h/", "max_digit": 0}]
            ),
            422,
            "pcmo[0].max_digit must be a positive number",
        ),
        (body(duration="600"), 422, "duration must be a positive number"),
        (body(extra_params=["x"]), 422, "extra_params must be an object"),
        ([body()], 422, "the body must be a JSON object"),
    ],
)
async def test_refusals(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    data: Any,
    code: int,
    message: str,
) -> None:
    status, answer, _ = await place(sandbox, session, data)
    assert status == code
    assert answer["code"] == code
    assert message in answer["msg"]
    assert sandbox.sandbox.calls == {}


async def test_a_body_that_is_not_json_is_refused(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    async with session.post(sandbox.url(INDIA), data=b"appid=1111112") as answer:
        assert answer.status == 422
        assert (await answer.json())["code"] == 422


# Playing it out.


@pytest.mark.parametrize(
    ("outcome", "expected", "digits"),
    [
        (
            "press_1",
            [
                ("/dashboard", "out_started"),
                ("/dashboard", "out_answered"),
                ("/hook", "1"),
                ("/dashboard", "answered"),
            ],
            ["1"],
        ),
        (
            "press_2",
            [
                ("/dashboard", "out_started"),
                ("/dashboard", "out_answered"),
                ("/hook", "2"),
                ("/dashboard", "answered"),
            ],
            ["2"],
        ),
        (
            "no_digit",
            [
                ("/dashboard", "out_started"),
                ("/dashboard", "out_answered"),
                ("/dashboard", "answered"),
            ],
            [],
        ),
        (
            "voicemail",
            [
                ("/dashboard", "out_started"),
                ("/dashboard", "out_answered"),
                ("/dashboard", "answered"),
            ],
            [],
        ),
        ("no_answer", [("/dashboard", "out_started"), ("/dashboard", "missed")], []),
    ],
)
@pytest.mark.parametrize("format_", ["chub", "chub-india"])
async def test_each_outcome(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    home: Home,
    outcome: str,
    expected: list[tuple[str, str]],
    digits: list[str],
    format_: str,
) -> None:
    sandbox.sandbox.progress = (0.04, 0.1)
    sandbox.sandbox.announce_outcome = outcome
    sandbox.sandbox.telecmi_format = format_
    sandbox.sandbox.webhooks["telecmi"] = home.url("/dashboard")
    home.replies["/hook"] = thanks
    request_id = await placed(sandbox, session, body(home))
    await home.wait_for(len(expected))
    await home.quiet()
    assert shown(home) == expected
    call = sandbox.sandbox.calls[request_id]
    assert call.digits == digits
    assert call.ended
    events = [hit.json for hit in home.hits if hit.path == "/dashboard"]
    cmiuuid = events[0]["cmiuuid"]
    for event in events[:-1]:
        assert set(event) == EVENT_KEYS | (
            {"type"} if format_ == "chub-india" else set()
        )
        assert event | {"status": "", "time": 0} == {
            "appid": APP_ID,
            "callerid": str(FROM),
            "cmiuuid": cmiuuid,
            "conversation_uuid": cmiuuid,
            "direction": "outbound",
            "extra_params": '{"ha_call_id":"c1"}',
            "from": FROM,
            "leg": "a",
            "request_id": request_id,
            "status": "",
            "time": 0,
            "to": str(TO),
            "vn": FROM,
        } | ({"type": "event"} if format_ == "chub-india" else {})
        assert event["time"] > 1_600_000_000_000  # milliseconds
    cdr = events[-1]
    answered = outcome != "no_answer"
    assert set(cdr) == CDR_KEYS | (
        {"answeredsec", "answer_time"} if answered else set()
    )
    assert (cdr["request_id"], cdr["cmiuuid"], cdr["leg"]) == (request_id, cmiuuid, "a")
    assert (cdr["to"], cdr["from"], cdr["type"]) == (TO, FROM, "cdr")
    if answered:
        assert (cdr["status"], cdr["hangup_reason"]) == ("answered", "sent_bye")
        assert cdr["answeredsec"] == 1  # 0.08 s, rounded up
        assert cdr["duration"] == 1
    else:
        assert (cdr["status"], cdr["hangup_reason"], cdr["duration"]) == (
            "missed",
            "recv_cancel",
            0,
        )
    assert cdr["start_time"] <= cdr["end_time"]
    if digits:
        [digit] = [hit for hit in home.hits if hit.path == "/hook"]
        assert digit.url == digits_url(home)  # exactly as given, query included
        assert digit.headers["Content-Type"] == "application/json"
        assert digit.json == {
            "from": FROM,
            "to": TO,
            "dtmf": digits[0],
            "cmuuid": cmiuuid,
        }
        assert call.answers == [THANKS]
        assert call.spoken == [MESSAGE, MESSAGE, "Thank you. Goodbye."]
        assert call.reported[2] == f"pressed {digits[0]} (HTTP 200)"
    else:
        assert call.answers == []
        assert call.spoken == [MESSAGE, MESSAGE]


async def test_the_digit_needs_no_dashboard_webhook(
    sandbox: SandboxServer, session: aiohttp.ClientSession, home: Home
) -> None:
    sandbox.sandbox.progress = (0.02, 0.04)
    request_id = await placed(sandbox, session, body(home))
    await home.wait_for(1)
    await home.quiet()
    assert shown(home) == [("/hook", "1")]
    call = sandbox.sandbox.calls[request_id]
    assert call.reported == ["pressed 1 (HTTP 200)"]
    assert call.ended


async def test_by_hand(
    sandbox: SandboxServer, session: aiohttp.ClientSession, home: Home
) -> None:
    sandbox.sandbox.progress = (0.02, 0.04)
    sandbox.sandbox.announce_outcome = "by_hand"
    sandbox.sandbox.webhooks["telecmi"] = home.url("/dashboard")
    home.replies["/hook"] = thanks
    request_id = await placed(sandbox, session, body(home))
    call = sandbox.sandbox.calls[request_id]
    await home.wait_for(2)
    for _ in range(200):
        if call.awaits_digit:
            break
        await asyncio.sleep(0.005)
    await home.quiet(0.1)
    assert call.awaits_digit
    assert await sandbox.sandbox.press(request_id, "9") == 200
    await home.wait_for(4)
    await home.quiet()
    assert shown(home)[2:] == [("/hook", "9"), ("/dashboard", "answered")]
    assert (call.digits, call.answers, call.ended) == (["9"], [THANKS], True)


async def test_by_hand_without_a_digit_ends_when_the_wait_does(
    sandbox: SandboxServer, session: aiohttp.ClientSession, home: Home
) -> None:
    sandbox.sandbox.progress = (0.02, 0.04)
    sandbox.sandbox.announce_outcome = "by_hand"
    sandbox.sandbox.digit_timeout = 60.0
    sandbox.sandbox.webhooks["telecmi"] = home.url("/dashboard")
    started = asyncio.get_running_loop().time()
    request_id = await placed(sandbox, session, body(home, duration=1))
    await home.wait_for(3)
    assert 1.0 <= asyncio.get_running_loop().time() - started < 2.5  # duration
    assert shown(home) == [
        ("/dashboard", "out_started"),
        ("/dashboard", "out_answered"),
        ("/dashboard", "answered"),
    ]
    assert sandbox.sandbox.calls[request_id].digits == []


async def test_a_call_without_input_takes_no_digit(
    sandbox: SandboxServer, session: aiohttp.ClientSession, home: Home
) -> None:
    sandbox.sandbox.progress = (0.02, 0.04)
    sandbox.sandbox.announce_outcome = "by_hand"
    sandbox.sandbox.webhooks["telecmi"] = home.url("/dashboard")
    only_speak = [{"action": "speak", "text": MESSAGE}, {"action": "hangup"}]
    request_id = await placed(sandbox, session, body(pcmo=only_speak))
    await home.wait_for(3)
    call = sandbox.sandbox.calls[request_id]
    assert not call.awaits_digit
    assert shown(home)[-1] == ("/dashboard", "answered")


@pytest.mark.parametrize(
    ("status", "text"), [(500, THANKS), (200, '{"action": "hangup"}'), (200, "OK")]
)
async def test_an_answer_that_is_no_pcmo_array_is_a_warning(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    home: Home,
    status: int,
    text: str,
) -> None:
    sandbox.sandbox.progress = (0.02, 0.04)
    home.replies["/hook"] = lambda hit: web.Response(text=text, status=status)
    request_id = await placed(sandbox, session, body(home))
    await home.wait_for(1)
    await home.quiet()
    call = sandbox.sandbox.calls[request_id]
    assert call.answers == [text]
    assert call.spoken == [MESSAGE, MESSAGE]
    assert call.warnings == [f"the action_url answered HTTP {status}, not a PCMO array"]


# The integration's own request, and its reading of every report.


@pytest.mark.parametrize(
    ("outcome", "statuses"),
    [
        ("press_1", ["initiated", "initiated", "acknowledged", "initiated"]),
        ("press_2", ["initiated", "initiated", "connected", "initiated"]),
        ("no_digit", ["initiated", "initiated", "initiated"]),
        ("no_answer", ["initiated", "no_answer"]),
    ],
)
@pytest.mark.parametrize("format_", ["chub", "chub-india"])
async def test_the_integration_s_announce_call_plays_out(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    home: Home,
    outcome: str,
    statuses: list[str],
    format_: str,
) -> None:
    """Placed by the integration's client; each report read by its parser."""
    sandbox.sandbox.progress = (0.04, 0.1)
    sandbox.sandbox.announce_outcome = outcome
    sandbox.sandbox.telecmi_format = format_
    sandbox.sandbox.webhooks["telecmi"] = home.url("/hook")
    config = integration.TelecmiConfig(
        user_id="101_1111112",
        secret=SECRET,
        api_url=sandbox.url("/telecmi/v2/webrtc/click2call"),
        caller_id="+919100000000",
    )
    client = integration.TelecmiClient(session, config)
    announcement = models.Announcement(message=AWKWARD, report_key="k/z")
    request = models.DialRequest(
        call_id="c1",
        to="919800000001",
        callback_url=home.url("/hook"),
        announcement=announcement,
    )
    client.validate(request)
    updates: list[models.CallUpdate] = []

    def reply(hit: Hit) -> web.Response:
        update = client.parse_callback(
            models.Callback(
                hit.method,
                home.url(hit.path),
                hit.url.partition("?")[2],
                hit.headers,
                hit.body,
            )
        )
        assert update is not None
        updates.append(update)
        text, content_type = client.answer_to(update) or ("", "text/plain")
        return web.Response(text=text, content_type=content_type)

    home.replies["/hook"] = reply
    result = await client.async_dial(request)
    assert result.provider_call_id is not None
    await home.wait_for(len(statuses))
    await home.quiet()
    assert [update.status.value for update in updates] == statuses
    assert [sandbox.sandbox.received("telecmi")[0].path] == [INDIA]
    call = sandbox.sandbox.calls[result.provider_call_id]
    spoken = f"{AWKWARD} {announce.PROMPT}"
    if outcome in ("press_1", "press_2"):
        said = announce.after_digits("1" if outcome == "press_1" else "2")
        assert call.spoken == [spoken, spoken, said]
        assert json.loads(call.answers[0]) == [
            {"action": "speak", "text": said},
            {"action": "hangup"},
        ]
        [digit] = [update for update in updates if update.digits]
        assert (digit.call_id, digit.report_key) == ("c1", "k/z")
    else:
        assert call.spoken == [spoken, spoken]
    assert call.warnings == []


def test_the_detail_records_times() -> None:
    pcmo = telecmi.Pcmo(APP_ID, FROM, TO, ({"action": "hangup"},))
    answered = telecmi.pcmo_cdr(
        pcmo, "r", "u", started=1000.2, answered=1003.5, ended=1010.1
    )
    assert (answered["duration"], answered["answeredsec"]) == (10, 7)
    assert (answered["start_time"], answered["answer_time"], answered["end_time"]) == (
        1000,
        1003,
        1010,
    )
    assert answered["extra_params"] == "{}"
    missed = telecmi.pcmo_cdr(pcmo, "r", "u", started=1000.2, answered=None, ended=1030)
    assert (missed["duration"], missed["call_rate"]) == (0, "0.000000")
    assert "answeredsec" not in missed
