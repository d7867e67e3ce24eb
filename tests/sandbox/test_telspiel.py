"""The sandbox's telSpiel API, over real HTTP on loopback."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from sandbox import samples
from tests.conftest import SandboxServer

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
