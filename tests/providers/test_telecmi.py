"""The TeleCMI client against the sandbox's TeleCMI API, over HTTP."""

from __future__ import annotations

import json

import aiohttp
import pytest

from custom_components.click_to_call.providers.errors import (
    AuthenticationError,
    InvalidRequestError,
    ProviderUnavailableError,
    UnexpectedAnswerError,
)
from custom_components.click_to_call.providers.models import DialRequest
from custom_components.click_to_call.providers.telecmi import TelecmiClient
from sandbox import Canned, samples
from tests.conftest import SandboxServer, telecmi_data


def client_for(
    session: aiohttp.ClientSession, sandbox: SandboxServer, **changes: object
) -> TelecmiClient:
    return TelecmiClient.from_data(session, telecmi_data(sandbox, **changes))  # type: ignore[return-value]


async def test_sample_request_and_answer(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    """The document's sample request goes out as printed; its answer parses."""
    sandbox.sandbox.queue("telecmi", Canned(200, samples.TELECMI_SUCCESS))

    result = await client_for(session, sandbox).async_dial(
        DialRequest(call_id="c1", to="9100000000", extra={"crm": True})
    )

    assert result.provider_call_id == "s96C6XK1BUHX0oVZfOo5NhoJfZZJd0y1nmrNN6dhdkW"
    [received] = sandbox.sandbox.received("telecmi")
    assert received.method == "POST"
    assert received.path == "/telecmi/v2/webrtc/click2call"
    sent = json.loads(received.body)
    sample = json.loads(samples.TELECMI_REQUEST)
    assert sent == sample
    assert list(sent) == list(sample)
    assert isinstance(sent["to"], int)


async def test_live_answer_gives_a_request_id(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    client = client_for(session, sandbox, webrtc=False, followme=True)
    result = await client.async_dial(DialRequest(call_id="c1", to="+919876543210"))
    assert result.provider_call_id in sandbox.sandbox.calls
    sent = json.loads(sandbox.sandbox.received("telecmi")[0].body)
    assert sent["to"] == 919876543210
    assert (sent["webrtc"], sent["followme"]) == (False, True)
    assert "extra_params" not in sent


def test_to_must_be_digits(session: aiohttp.ClientSession) -> None:
    client = TelecmiClient.from_data(session, {"user_id": "u", "secret": "s"})
    client.validate(DialRequest(call_id="c1", to="+919876543210"))
    with pytest.raises(InvalidRequestError) as caught:
        client.validate(DialRequest(call_id="c1", to="12-34"))
    assert caught.value.field == "to"


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (
            404,
            '{"code": 404, "msg": "Failed to authenticate secret"}',
            AuthenticationError,
            "Failed to authenticate secret",
        ),
        (404, "Not Found", AuthenticationError, "invalid user id or secret"),
        (
            400,
            '{"code": 400, "msg": "User id or secret param missing"}',
            InvalidRequestError,
            "User id or secret param missing",
        ),
        (400, '{"code": 400}', InvalidRequestError, "a required parameter is missing"),
        (502, "Bad gateway", ProviderUnavailableError, "TeleCMI answered HTTP 502"),
        (
            200,
            "Call initiated",
            UnexpectedAnswerError,
            "HTTP 200 with a body that is not JSON: Call initiated",
        ),
        (
            200,
            '{"code": 401, "msg": "nope"}',
            UnexpectedAnswerError,
            'TeleCMI answered HTTP 200: {"code": 401, "msg": "nope"}',
        ),
        (201, "[]", UnexpectedAnswerError, "TeleCMI answered HTTP 201: []"),
    ],
)
async def test_answers_map_to_errors(
    session: aiohttp.ClientSession,
    sandbox: SandboxServer,
    status: int,
    body: str,
    error: type[Exception],
    message: str,
) -> None:
    sandbox.sandbox.queue("telecmi", Canned(status, body))
    with pytest.raises(error) as caught:
        await client_for(session, sandbox).async_dial(
            DialRequest(call_id="c1", to="9100000000")
        )
    assert caught.value.message == message  # type: ignore[attr-defined]


async def test_credentials_checked_without_a_number(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    """The probe leaves out `to`: TeleCMI checks the secret first."""
    await client_for(session, sandbox).async_check_credentials()
    [received] = sandbox.sandbox.received("telecmi")
    assert "to" not in json.loads(received.body)
    assert sandbox.sandbox.calls == {}
    with pytest.raises(AuthenticationError):
        await client_for(session, sandbox, secret="wrong").async_check_credentials()
