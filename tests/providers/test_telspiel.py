"""The telSpiel client against the sandbox's telSpiel API, over HTTP."""

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
from custom_components.click_to_call.providers.models import CallStatus, DialRequest
from custom_components.click_to_call.providers.telspiel import TelspielClient
from sandbox import Canned, samples
from tests.conftest import SandboxServer, telspiel_data


def client_for(
    session: aiohttp.ClientSession, sandbox: SandboxServer, **changes: str
) -> TelspielClient:
    return TelspielClient.from_data(  # type: ignore[return-value]
        session, telspiel_data(sandbox, **{"agent_phone": "9999999999", **changes})
    )


async def test_sample_request_is_sent_as_documented(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    """The document's sample request, field for field and in its order."""
    sandbox.sandbox.accounts["telspiel"]["username"] = "xxxxxxxxx"
    client = client_for(session, sandbox, username="xxxxxxxxx")

    result = await client.async_dial(
        DialRequest(call_id="c1", to="8888888888", campaign="{#var#}{#var#}")
    )

    assert result.status is CallStatus.INITIATED
    [received] = sandbox.sandbox.received("telspiel")
    assert received.method == "POST"
    assert received.path == "/telspiel/api/click-to-call"
    assert received.headers["api-key"] == "demo-api-key"
    assert received.headers["accept"] == "application/json"
    assert received.headers["Content-Type"] == "application/json"
    sent = json.loads(received.body)
    sample = json.loads(samples.TELSPIEL_REQUEST)
    assert sent == sample
    assert list(sent) == list(sample)


async def test_campaign_from_settings_and_caller_from_request(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    client = client_for(session, sandbox, campaign_name="leads")
    await client.async_dial(
        DialRequest(call_id="c1", to="8888888888", from_="7777777777")
    )
    sent = json.loads(sandbox.sandbox.received("telspiel")[0].body)
    assert sent == {
        "username": "demo",
        "campaign_name": "leads",
        "agent_phone": "7777777777",
        "customer_phone": "8888888888",
    }


@pytest.mark.parametrize(
    ("status", "body", "error", "field", "message"),
    [
        (
            403,
            samples.TELSPIEL_FORBIDDEN,
            AuthenticationError,
            None,
            "Username or api key is invalid",
        ),
        (
            422,
            samples.TELSPIEL_CUSTOMER_REQUIRED,
            InvalidRequestError,
            "to",
            "Customer phone is required",
        ),
        (
            422,
            samples.TELSPIEL_AGENT_REQUIRED,
            InvalidRequestError,
            "from",
            "Agent phone is required",
        ),
        (
            422,
            '{"code": 422, "status": "invalid", "message": "Invalid data", "errors": "not json"}',
            InvalidRequestError,
            None,
            "not json",
        ),
        (
            422,
            '{"code": 422, "status": "invalid", "message": "Invalid data"}',
            InvalidRequestError,
            None,
            "Invalid data",
        ),
        (
            422,
            '{"code": 422, "message": "Invalid data", "errors": "{\\"x\\": \\"bad\\"}"}',
            InvalidRequestError,
            "x",
            "bad",
        ),
        (403, "<html>Forbidden</html>", AuthenticationError, None, "HTTP 403"),
        (500, "oops", ProviderUnavailableError, None, "telSpiel answered HTTP 500"),
        (
            503,
            samples.TELSPIEL_SUCCESS,
            ProviderUnavailableError,
            None,
            "telSpiel answered HTTP 503",
        ),
        (
            200,
            "<html>maintenance</html>",
            UnexpectedAnswerError,
            None,
            "HTTP 200 with a body that is not JSON: <html>maintenance</html>",
        ),
        (200, "[1, 2]", UnexpectedAnswerError, None, "telSpiel answered [1, 2]"),
        (
            200,
            '{"code": 500, "status": "error", "message": "Busy"}',
            UnexpectedAnswerError,
            None,
            "telSpiel answered HTTP 200: Busy",
        ),
        (
            404,
            '{"message": "Not found"}',
            UnexpectedAnswerError,
            None,
            "telSpiel answered HTTP 404: Not found",
        ),
    ],
)
async def test_answers_map_to_errors(
    session: aiohttp.ClientSession,
    sandbox: SandboxServer,
    status: int,
    body: str,
    error: type[Exception],
    field: str | None,
    message: str,
) -> None:
    """Every documented answer (and some undocumented ones) maps to one error."""
    sandbox.sandbox.queue("telspiel", Canned(status, body))
    with pytest.raises(error) as caught:
        await client_for(session, sandbox).async_dial(
            DialRequest(call_id="c1", to="8888888888")
        )
    assert caught.value.message == message  # type: ignore[attr-defined]
    assert caught.value.field == field  # type: ignore[attr-defined]


async def test_sample_success_answer(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    sandbox.sandbox.queue("telspiel", Canned(200, samples.TELSPIEL_SUCCESS))
    result = await client_for(session, sandbox).async_dial(
        DialRequest(call_id="c1", to="1")
    )
    assert result.status is CallStatus.INITIATED
    assert result.provider_call_id is None


async def test_credentials_checked_without_a_customer(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    """The probe leaves out customer_phone, so no call can be placed."""
    await client_for(session, sandbox).async_check_credentials()
    [received] = sandbox.sandbox.received("telspiel")
    assert "customer_phone" not in json.loads(received.body)
    assert sandbox.sandbox.calls == {}


async def test_credential_check_refuses_a_wrong_key(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    with pytest.raises(AuthenticationError):
        await client_for(session, sandbox, api_key="wrong").async_check_credentials()


async def test_credential_check_reports_a_refused_agent_phone(
    session: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        await client_for(session, sandbox, agent_phone="12ab").async_check_credentials()
    assert caught.value.field == "from"
    assert caught.value.message == "Agent phone must be numeric"
