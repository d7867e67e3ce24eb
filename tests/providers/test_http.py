"""The one request path: sent at most once, read bounded, decoded safely."""

from __future__ import annotations

import asyncio
import encodings.aliases
import gzip
import socket
import tracemalloc
from typing import Any
import zlib

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.click_to_call.providers import http
from custom_components.click_to_call.providers.errors import (
    ErrorKey,
    NotSentError,
    ProviderError,
    ProviderUnavailableError,
    UnexpectedAnswerError,
)
from custom_components.click_to_call.providers.http import HttpAnswer, async_request
from custom_components.click_to_call.providers.models import CallStatus, DialRequest
from custom_components.click_to_call.providers.spokn import SpoknClient
from custom_components.click_to_call.providers.telspiel import TelspielClient
from custom_components.click_to_call.providers.voice_panel import VoicePanelClient
from sandbox import Canned, create_app, samples
from tests.conftest import SandboxServer, telspiel_data, voice_panel_data

pytestmark = pytest.mark.usefixtures("fast_timeouts")
ON_ONE_SANDBOX = settings(
    max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
REQUEST = DialRequest(call_id="c1", to="8888888888")


def telspiel(session: aiohttp.ClientSession, url: str) -> Any:
    return TelspielClient.from_data(
        session,
        {
            "username": "demo",
            "api_key": "demo-api-key",
            "agent_phone": "9",
            "api_url": url,
        },
    )


def telspiel_at(session: aiohttp.ClientSession, sandbox: SandboxServer) -> Any:
    return TelspielClient.from_data(session, telspiel_data(sandbox))


# Sent at most once.


@pytest.fixture
async def dropping_server(socket_enabled: None) -> Any:
    """A server that reads each request, counts it, and drops the connection
    (path /drop), or answers it and keeps the connection (path /ok)."""
    received: list[str] = []

    async def drop(request: web.Request) -> web.StreamResponse:
        await request.read()
        received.append(request.method)
        assert request.transport is not None
        request.transport.close()
        raise asyncio.CancelledError

    async def ok(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_route("*", "/drop", drop)
    app.router.add_route("*", "/ok", ok)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server, received
    await server.close()


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "OPTIONS", "POST"])
@pytest.mark.parametrize("connection", ["new", "reused"])
@pytest.mark.parametrize("traced", [False, True])
async def test_a_request_is_sent_once_when_its_connection_drops(
    session: aiohttp.ClientSession,
    dropping_server: Any,
    method: str,
    connection: str,
    traced: bool,
) -> None:
    """aiohttp resends idempotent methods on a failed connection; not here.

    Whether the caller's session carries the send-once trace or not.
    """
    if traced:
        session = aiohttp.ClientSession(trace_configs=[http.send_once_trace()])
    server, received = dropping_server
    if connection == "reused":
        await async_request(session, method, str(server.make_url("/ok")))

    with pytest.raises(ProviderUnavailableError) as caught:
        await async_request(session, method, str(server.make_url("/drop")))

    assert received == [method]
    assert caught.value.translation_key is ErrorKey.CONNECTION_LOST
    if traced:
        await session.close()


async def test_no_retry_after_a_timeout(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    sandbox.sandbox.queue("telspiel", Canned(200, samples.TELSPIEL_SUCCESS, delay=1))
    with pytest.raises(ProviderUnavailableError, match="did not answer in time"):
        await telspiel_at(session, sandbox).async_dial(REQUEST)
    assert len(sandbox.sandbox.received("telspiel")) == 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_refused_connection_is_retried_until_it_connects(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    """Nothing left the machine, so trying again is safe."""
    port = _free_port()
    server = TestServer(create_app(), host="127.0.0.1", port=port)

    async def start_late() -> None:
        await asyncio.sleep(0.02)
        await server.start_server()

    starting = asyncio.create_task(start_late())
    client = telspiel(session, f"http://127.0.0.1:{port}/telspiel/api/click-to-call")
    try:
        result = await client.async_dial(REQUEST)
    finally:
        await starting
        await server.close()
    assert result.status is CallStatus.INITIATED


async def test_refused_connection_gives_up_with_one_clear_sentence(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    port = _free_port()
    client = telspiel(session, f"http://127.0.0.1:{port}/api")
    with pytest.raises(ProviderUnavailableError) as caught:
        await client.async_dial(REQUEST)
    assert caught.value.message == f"nothing answers at 127.0.0.1:{port}"


async def test_tls_failure_is_reported(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    """An https URL on a plain HTTP server fails the handshake: no retry."""
    url = sandbox.url("/telspiel/api/click-to-call").replace("http:", "https:")
    with pytest.raises(ProviderUnavailableError, match="secure connection"):
        await telspiel(session, url).async_dial(REQUEST)
    assert sandbox.sandbox.received("telspiel") == []


async def test_a_redirect_is_not_followed(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    """Following it would send the request again, without its query (uid, pin)."""
    target = sandbox.url("/voicepanel/api/voice/click2call.php")
    sandbox.sandbox.queue(
        "voice_panel", Canned(302, "", headers={"Location": f"{target}?x=1"})
    )
    client = VoicePanelClient.from_data(
        session, voice_panel_data(sandbox, pin="S3CRET")
    )
    with pytest.raises(UnexpectedAnswerError) as caught:
        await client.async_dial(DialRequest(call_id="c1", to="919876543210"))
    assert caught.value.translation_key is ErrorKey.REDIRECTED
    assert "/voicepanel/api/voice/click2call.php" in caught.value.message
    assert "x=1" not in caught.value.message
    assert "S3CRET" not in str(caught.value)
    assert len(sandbox.sandbox.received("voice_panel")) == 1


@pytest.mark.parametrize("header", ["api-key", "requesting-host"])
async def test_a_line_break_in_a_header_is_refused_before_sending(
    session: aiohttp.ClientSession, sandbox: SandboxServer, header: str
) -> None:
    """aiohttp's ValueError becomes a clear error; nothing is sent."""
    with pytest.raises(NotSentError) as caught:
        await async_request(
            session,
            "POST",
            sandbox.url("/telspiel/api/click-to-call"),
            headers={header: "key\r\nX-Injected: 1"},
        )
    assert caught.value.translation_key is ErrorKey.INVALID_SETTING
    assert sandbox.sandbox.requests == []


async def test_an_invalid_api_url_is_a_setting_error(
    session: aiohttp.ClientSession,
) -> None:
    with pytest.raises(NotSentError) as caught:
        await async_request(session, "POST", "http://[::1/click")
    assert caught.value.field == "api_url"


# Read bounded, whatever the encoding.


async def test_oversized_answer_is_refused(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    sandbox.sandbox.queue("telspiel", Canned(200, "x" * (http.MAX_ANSWER_BYTES + 10)))
    with pytest.raises(UnexpectedAnswerError, match="over 65536 bytes"):
        await telspiel_at(session, sandbox).async_dial(REQUEST)


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data, wbits=-15)),
    ],
)
async def test_a_compressed_answer_is_read(
    session: aiohttp.ClientSession,
    sandbox: SandboxServer,
    encoding: str,
    compress: Any,
) -> None:
    raw = compress(samples.TELSPIEL_SUCCESS.encode())
    sandbox.sandbox.queue(
        "telspiel",
        Canned(200, "", raw=raw, headers={"Content-Encoding": encoding}),
    )
    result = await telspiel_at(session, sandbox).async_dial(REQUEST)
    assert result.status is CallStatus.INITIATED


@pytest.mark.parametrize("size", [30_000_000, http.MAX_ANSWER_BYTES + 1])
async def test_a_compression_bomb_is_refused_within_the_bound(
    session: aiohttp.ClientSession, sandbox: SandboxServer, size: int
) -> None:
    """30 KB of gzip inflate to 30 MB: the bound holds on the decoded body."""
    bomb = gzip.compress(b"{" + b" " * size)
    sandbox.sandbox.queue(
        "telspiel",
        Canned(200, "", raw=bomb, headers={"Content-Encoding": "gzip"}),
    )
    client = telspiel_at(session, sandbox)
    tracemalloc.start()
    try:
        with pytest.raises(UnexpectedAnswerError) as caught:
            await client.async_dial(REQUEST)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.translation_key is ErrorKey.ANSWER_TOO_LARGE
    assert peak < 4 * 1024 * 1024


@pytest.mark.parametrize(
    ("raw", "encoding", "expected"),
    [
        (b"not gzip at all", "gzip", "does not decompress"),
        (b"x", "br", "'br' encoding"),
    ],
)
async def test_an_answer_that_does_not_decompress(
    session: aiohttp.ClientSession,
    sandbox: SandboxServer,
    raw: bytes,
    encoding: str,
    expected: str,
) -> None:
    sandbox.sandbox.queue(
        "telspiel", Canned(200, "", raw=raw, headers={"Content-Encoding": encoding})
    )
    with pytest.raises(UnexpectedAnswerError, match=expected):
        await telspiel_at(session, sandbox).async_dial(REQUEST)


def test_answer_excerpt_is_short_and_reads_little() -> None:
    answer = HttpAnswer(200, "word " * 100_000)
    assert answer.excerpt.endswith("…")
    assert len(answer.excerpt) == 201


# Decoded into safe text, whatever the charset.

CHARSETS = sorted({*encodings.aliases.aliases.values(), "idna", "utf-7", "punycode"})
ANY_CHARSET = st.sampled_from(CHARSETS) | st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters='";\\'),
    min_size=1,
    max_size=12,
)


@ON_ONE_SANDBOX
@given(charset=ANY_CHARSET, body=st.binary(max_size=64))
async def test_any_charset_and_body_end_as_an_answer_or_a_provider_error(
    session: aiohttp.ClientSession,
    sandbox: SandboxServer,
    charset: str,
    body: bytes,
) -> None:
    sandbox.sandbox.queue(
        "telspiel",
        Canned(200, "", raw=body, charset=charset, content_type="text/plain"),
    )
    try:
        await telspiel_at(session, sandbox).async_dial(REQUEST)
    except ProviderError as err:
        err.message.encode()  # safe text: no lone surrogate
    # Anything else escaping fails the test.


@ON_ONE_SANDBOX
@given(charset=st.sampled_from(CHARSETS))
async def test_the_success_answer_in_any_charset(
    session: aiohttp.ClientSession, sandbox: SandboxServer, charset: str
) -> None:
    """Whatever the charset says, an answer either parses or is a provider error."""
    sandbox.sandbox.queue(
        "telspiel", Canned(200, samples.TELSPIEL_SUCCESS, charset=charset)
    )
    try:
        result = await telspiel_at(session, sandbox).async_dial(REQUEST)
    except ProviderError as err:
        err.message.encode()
    else:
        assert result.status is CallStatus.INITIATED


@given(text=st.text())
def test_json_escapes_of_lone_surrogates_become_replacement_characters(
    text: str,
) -> None:
    import json

    answer = HttpAnswer(200, json.dumps({"msg": text, "list": [text]}))
    decoded = answer.json()
    decoded["msg"].encode()
    decoded["list"][0].encode()


async def test_deeply_nested_answer_is_unexpected_not_a_crash(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    # Python 3.13's json gives up with RecursionError; 3.14's parses it.
    sandbox.sandbox.queue("telspiel", Canned(200, "[" * 30000 + "]" * 30000))
    with pytest.raises(
        UnexpectedAnswerError,
        match=r"^(HTTP 200 with a body that is not JSON|telSpiel answered \[)",
    ):
        await telspiel_at(session, sandbox).async_dial(REQUEST)


async def test_connection_errors_do_not_carry_the_url(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    """An error names its kind, not the URL (which holds the PIN)."""
    sandbox.sandbox.queue("voice_panel", Canned(200, "", disconnect=True))
    client = VoicePanelClient.from_data(
        session, voice_panel_data(sandbox, pin="S3CRET")
    )
    with pytest.raises(ProviderUnavailableError) as caught:
        await client.async_dial(DialRequest(call_id="c1", to="919876543210"))
    assert "S3CRET" not in str(caught.value)
    assert "127.0.0.1" not in str(caught.value)


def test_account_ids_are_ascii_digits() -> None:
    assert SpoknClient.is_account_id("1234567")
    assert not SpoknClient.is_account_id("12²")
    assert not SpoknClient.is_account_id("+1234567")
    assert not TelspielClient.is_account_id("1234567")
