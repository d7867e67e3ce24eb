"""The sandbox's Spokn API and its leg callbacks, over real HTTP on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
import re
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
import pytest

from custom_components.click_to_call.providers.http import basic_authorization
from sandbox import Canned, samples, spokn
from tests.conftest import SandboxServer

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


async def test_canned_disconnect_reads_then_drops(
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
