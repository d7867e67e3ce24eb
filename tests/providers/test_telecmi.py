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
from custom_components.click_to_call.providers.telecmi import (
    TelecmiClient,
    check_url,
)
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


async def test_credentials_checked_at_the_user_api_never_the_dial(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    """The probe reads the user (section 9): the dial endpoint is never asked."""
    await client_for(session, sandbox).async_check_credentials()
    [received] = sandbox.sandbox.received("telecmi")
    assert received.path == "/telecmi/v3/user/get"
    assert json.loads(received.body) == {
        "appid": 1111112,
        "secret": "2e0d75-d843-45-945-4171dd7a",
        "agent_id": "101_1111112",
    }
    assert sandbox.sandbox.calls == {}
    for wrong in ({"secret": "wrong"}, {"user_id": "102_1111112"}):
        with pytest.raises(AuthenticationError):
            await client_for(session, sandbox, **wrong).async_check_credentials()
    assert {item.path for item in sandbox.sandbox.received("telecmi")} == {
        "/telecmi/v3/user/get"
    }


@pytest.mark.parametrize(
    ("api_url", "expected"),
    [
        (
            "https://rest.telecmi.com/v2/webrtc/click2call",
            "https://rest.telecmi.com/v3/user/get",
        ),
        (
            "http://127.0.0.1:8124/telecmi/v2/webrtc/click2call/",
            "http://127.0.0.1:8124/telecmi/v3/user/get",
        ),
        ("https://proxy.example/c2c", "https://proxy.example/v3/user/get"),
    ],
)
def test_the_user_api_is_beside_the_dial(api_url: str, expected: str) -> None:
    assert check_url(api_url) == expected


async def test_a_user_id_without_its_app_is_refused_before_anything_is_sent(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        await client_for(session, sandbox, user_id="101").async_check_credentials()
    assert caught.value.field == "user_id"
    assert sandbox.sandbox.received("telecmi") == []


async def test_a_platform_without_the_user_api_is_not_a_refusal(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    """A 404 that is not TeleCMI's "Authentication Failed" (no such page)
    cannot tell: set-up goes on, and the first call will tell."""
    sandbox.sandbox.queue("telecmi", Canned(404, "<html>Not Found</html>", "text/html"))
    assert await client_for(session, sandbox).async_check_credentials() is None


async def test_the_check_never_quotes_the_answer(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    """The user API's answer holds the user's password: no error quotes it."""
    sandbox.sandbox.queue(
        "telecmi", Canned(200, '{"code": 500, "agent": {"password": "hunter2"}}')
    )
    with pytest.raises(UnexpectedAnswerError) as caught:
        await client_for(session, sandbox).async_check_credentials()
    assert "hunter2" not in str(caught.value)
