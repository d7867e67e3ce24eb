"""The sandbox's shared machinery: requests as given, endings, digits."""

from __future__ import annotations

import asyncio

import pytest
from yarl import URL

from sandbox import DEFAULT_ACCOUNTS, Sandbox
from sandbox.core import SimulatedCall, as_given, take_digit


@pytest.mark.parametrize(
    "url",
    [
        "https://ha.example/api/webhook/x?call=c1&key=a%2Fb%2Bc%3D",
        "http://127.0.0.1:8123/hook?leg=a&memo=c%2B1&x=%20y",
        "https://ha.example/p%C3%A4th?q=%7E",
    ],
)
def test_a_url_ready_for_the_wire_is_requested_as_written(url: str) -> None:
    given = as_given(url)
    assert isinstance(given, URL)
    assert str(given) == url
    assert given.raw_query_string == url.partition("?")[2]


@pytest.mark.parametrize(
    "url",
    ["https://ha.example/a b", "https://ha.example/ä", "http://[::1", URL("http://h/")],
)
def test_other_urls_are_left_to_aiohttp(url: str | URL) -> None:
    assert as_given(url) is url


@pytest.mark.parametrize(
    ("ending", "plain"),
    [("voicemail", "completed"), ("completed", "completed"), ("busy", "busy")],
)
def test_a_voicemail_ending_is_completed_where_no_machine_is_told(
    ending: str, plain: str
) -> None:
    sandbox = Sandbox(accounts=dict(DEFAULT_ACCOUNTS), ending=ending)
    assert sandbox.plain_ending == plain


async def test_take_digit_stops_when_the_call_ends() -> None:
    call = SimulatedCall("twilio", "c1", "+1", None)
    stop = asyncio.Event()
    reported: list[str] = []

    async def report(digit: str) -> int:
        reported.append(digit)
        return 200

    asyncio.get_running_loop().call_later(0.02, stop.set)
    waiting = asyncio.ensure_future(
        take_digit(call, report, wait=5.0, stop=stop, auto="1")
    )
    await asyncio.sleep(0.01)
    assert call.awaits_digit
    assert await asyncio.wait_for(waiting, 1) is None
    assert (reported, call.digits, call.awaits_digit) == ([], [], False)


async def test_take_digit_presses_its_own_digit_after_the_wait() -> None:
    call = SimulatedCall("twilio", "c1", "+1", None)
    reported: list[str] = []

    async def report(digit: str) -> int:
        reported.append(digit)
        return 204

    digit = await take_digit(call, report, wait=0.01, stop=asyncio.Event(), auto="2")
    assert (digit, reported, call.digits) == ("2", ["2"], ["2"])
    assert not call.awaits_digit
