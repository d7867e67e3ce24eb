"""The shared request path and the generic JSON callback."""

from __future__ import annotations

import asyncio
import json
import socket

import aiohttp
from aiohttp.test_utils import TestServer
from hypothesis import given, strategies as st
import pytest

from custom_components.click_to_call.providers import base
from custom_components.click_to_call.providers.base import (
    CallbackError,
    CallStatus,
    DialRequest,
    ProviderUnavailableError,
    UnexpectedAnswerError,
    parse_generic_callback,
)
from custom_components.click_to_call.providers.spokn import SpoknClient
from custom_components.click_to_call.providers.telspiel import TelspielClient
from custom_components.click_to_call.providers.voice_panel import VoicePanelClient
from sandbox import Canned, create_app, samples
from tests.conftest import SandboxServer, telspiel_data, voice_panel_data

pytestmark = pytest.mark.usefixtures("fast_timeouts")


def telspiel(session: aiohttp.ClientSession, url: str) -> TelspielClient:
    return TelspielClient(
        session,
        {
            "username": "demo",
            "api_key": "demo-api-key",
            "agent_phone": "9",
            "api_url": url,
        },
    )


async def test_no_retry_once_the_request_may_have_arrived(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    """A dropped connection after sending is not retried: it could ring twice."""
    sandbox.sandbox.queue("telspiel", Canned(200, "", disconnect=True))
    client = TelspielClient(session, telspiel_data(sandbox))
    with pytest.raises(ProviderUnavailableError, match="connection to the provider"):
        await client.async_dial(DialRequest(call_id="c1", to="8888888888"))
    assert len(sandbox.sandbox.received("telspiel")) == 1


async def test_no_retry_after_a_timeout(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    sandbox.sandbox.queue("telspiel", Canned(200, samples.TELSPIEL_SUCCESS, delay=1))
    client = TelspielClient(session, telspiel_data(sandbox))
    with pytest.raises(ProviderUnavailableError, match="did not answer in time"):
        await client.async_dial(DialRequest(call_id="c1", to="8888888888"))
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
    app = create_app()
    server = TestServer(app, host="127.0.0.1", port=port)

    async def start_late() -> None:
        await asyncio.sleep(0.02)
        await server.start_server()

    starting = asyncio.create_task(start_late())
    client = telspiel(session, f"http://127.0.0.1:{port}/telspiel/api/click-to-call")
    try:
        result = await client.async_dial(DialRequest(call_id="c1", to="8888888888"))
    finally:
        await starting
        await server.close()
    assert result.status is CallStatus.INITIATED


async def test_refused_connection_gives_up(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    client = telspiel(session, f"http://127.0.0.1:{_free_port()}/api")
    with pytest.raises(ProviderUnavailableError, match="cannot connect"):
        await client.async_dial(DialRequest(call_id="c1", to="8888888888"))


async def test_tls_failure_is_reported(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    """An https URL on a plain HTTP server fails the handshake: no retry."""
    url = sandbox.url("/telspiel/api/click-to-call").replace("http:", "https:")
    with pytest.raises(ProviderUnavailableError, match="secure connection"):
        await telspiel(session, url).async_dial(DialRequest(call_id="c1", to="8"))
    assert sandbox.sandbox.received("telspiel") == []


async def test_oversized_answer_is_refused(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    sandbox.sandbox.queue("telspiel", Canned(200, "x" * (base.MAX_ANSWER_BYTES + 10)))
    with pytest.raises(UnexpectedAnswerError, match="over 65536 bytes"):
        await TelspielClient(session, telspiel_data(sandbox)).async_dial(
            DialRequest(call_id="c1", to="8888888888")
        )


def test_answer_excerpt_is_short() -> None:
    answer = base.Answer(200, "word " * 100, "text/plain")
    assert answer.excerpt.endswith("…")
    assert len(answer.excerpt) == 201


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            b'{"call_id": "01J", "status": "connected"}',
            base.CallUpdate(status=CallStatus.CONNECTED, call_id="01J"),
        ),
        (
            b'{"provider_call_id": 42, "status": "completed", "duration": 61.6, "error": null}',
            base.CallUpdate(
                status=CallStatus.COMPLETED, provider_call_id="42", duration=62
            ),
        ),
        (
            b'{"call_id": "a", "status": "failed", "error": "line dead"}',
            base.CallUpdate(status=CallStatus.FAILED, call_id="a", error="line dead"),
        ),
    ],
)
def test_generic_callback(body: bytes, expected: base.CallUpdate) -> None:
    assert parse_generic_callback(body) == expected


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"status=connected", "not JSON"),
        (b"[1]", "not a JSON object"),
        (b'{"status": "connected"}', "neither call_id"),
        (b'{"call_id": "a", "status": "ringing"}', "unknown status"),
        (b'{"call_id": "a", "status": 3}', "unknown status"),
        (b'{"call_id": "a", "status": "completed", "duration": "10"}', "duration"),
        (b'{"call_id": "a", "status": "completed", "duration": -1}', "duration"),
        (b'{"call_id": "a", "status": "completed", "duration": true}', "duration"),
        (b'{"call_id": ["a"], "status": "completed"}', "call_id is not"),
        (b'{"call_id": "", "status": "completed"}', "call_id is not"),
        (b'{"call_id": true, "status": "completed"}', "call_id is not"),
    ],
)
def test_generic_callback_refuses(body: bytes, reason: str) -> None:
    with pytest.raises(CallbackError, match=reason):
        parse_generic_callback(body)


@given(st.binary(max_size=300))
def test_generic_callback_never_raises_anything_else(body: bytes) -> None:
    """Any bytes from the internet either parse or raise CallbackError."""
    try:
        update = parse_generic_callback(body)
    except CallbackError:
        return
    assert isinstance(update.status, CallStatus)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=10,
)


@given(
    st.dictionaries(
        st.sampled_from(["call_id", "provider_call_id", "status", "duration", "error"]),
        json_values,
    )
)
def test_generic_callback_on_any_json_object(data: dict[str, object]) -> None:
    try:
        update = parse_generic_callback(json.dumps(data).encode())
    except CallbackError:
        return
    assert update.call_id or update.provider_call_id
    assert update.duration is None or update.duration >= 0


async def test_unknown_charset_reads_as_utf8(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    sandbox.sandbox.queue(
        "telspiel", Canned(200, samples.TELSPIEL_SUCCESS, charset="no-such-charset")
    )
    result = await TelspielClient(session, telspiel_data(sandbox)).async_dial(
        DialRequest(call_id="c1", to="8888888888")
    )
    assert result.message == "Data successfully submitted for call."


async def test_deeply_nested_answer_is_unexpected_not_a_crash(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    # Python 3.13's json gives up with RecursionError; 3.14's parses it.
    sandbox.sandbox.queue("telspiel", Canned(200, "[" * 30000 + "]" * 30000))
    with pytest.raises(
        UnexpectedAnswerError,
        match=r"^(HTTP 200 with a body that is not JSON|telSpiel answered \[)",
    ):
        await TelspielClient(session, telspiel_data(sandbox)).async_dial(
            DialRequest(call_id="c1", to="8888888888")
        )


async def test_connection_errors_do_not_carry_the_url(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    """A redirect loop fails with an error naming its kind, not the URL (and PIN)."""
    loop = sandbox.url("/voicepanel/api/voice/click2call.php")
    sandbox.sandbox.queue(
        "voice_panel", *[Canned(302, "", headers={"Location": loop})] * 12
    )
    client = VoicePanelClient(session, voice_panel_data(sandbox, pin="S3CRET"))
    with pytest.raises(ProviderUnavailableError) as caught:
        await client.async_dial(DialRequest(call_id="c1", to="919876543210"))
    assert caught.value.message == (
        "the connection to the provider failed (TooManyRedirects)"
    )
    assert "S3CRET" not in str(caught.value)


def test_deeply_nested_callback_is_refused() -> None:
    with pytest.raises(CallbackError, match="not JSON"):
        parse_generic_callback(b"[" * 16000)


def test_account_ids_are_ascii_digits() -> None:
    assert SpoknClient.is_account_id("1234567")
    assert not SpoknClient.is_account_id("12²")
    assert not SpoknClient.is_account_id("+1234567")
    assert not TelspielClient.is_account_id("1234567")
