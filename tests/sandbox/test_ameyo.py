"""The sandbox's Ameyo API, over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from sandbox import Canned, ameyo, samples
from tests.conftest import SandboxServer

AMEYO_HEADERS = {
    "hash-key": "demo-hash-key",
    "requesting-host": "homeassistant",
    "policy-name": "demo-policy",
}
AMEYO_COMMAND = "/ameyo/ameyowebaccess/command?command=clickToDialWithToken"


def ameyo_data(**changes: Any) -> str:
    """The `data` field of a dial by the sandbox's agent and campaign."""
    data = {"phone": "9876543210", "userId": "agent1", "campaignId": "42"}
    data.update(changes)
    return json.dumps(
        {name: value for name, value in data.items() if value is not None}
    )


async def ameyo_dial(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    *,
    path: str = AMEYO_COMMAND,
    headers: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> tuple[int, str, str]:
    """Dial through the sandbox's Ameyo; return status, content type and text."""
    async with session.post(
        sandbox.url(path),
        headers=AMEYO_HEADERS if headers is None else headers,
        data={"data": ameyo_data()} if form is None else form,
    ) as answer:
        return answer.status, answer.content_type, await answer.text()


def filled(sample: str, *, campaign: str, phone: str, metadata: str) -> str:
    """A sample with its placeholders replaced as the sandbox should."""
    return (
        sample.replace("<Campaign_Id>", campaign)
        .replace("<Phone_Number_of_Customer>", phone)
        .replace("<Nodeflow_Id>", "7")
        .replace("<MetaData_Id>", metadata)
    )


async def test_ameyo_root_answers_html(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    async with session.get(sandbox.url("/ameyo/ameyowebaccess/")) as answer:
        assert answer.status == 200
        assert answer.content_type == "text/html"
        assert await answer.text() == "<html>Ameyo</html>"
    assert [item.path for item in sandbox.sandbox.received("ameyo")] == [
        "/ameyo/ameyowebaccess/"
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/ameyo/ameyowebaccess/command",
        "/ameyo/ameyowebaccess/command?command=clickToDial",
    ],
)
async def test_ameyo_refuses_unknown_commands(
    sandbox: SandboxServer, session: aiohttp.ClientSession, path: str
) -> None:
    status, content_type, text = await ameyo_dial(sandbox, session, path=path)
    assert (status, content_type) == (400, "application/json")
    assert json.loads(text) == {
        "status": "error",
        "reason": "Unknown command",
        "details": "Unknown command",
    }
    assert sandbox.sandbox.calls == {}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {**AMEYO_HEADERS, "hash-key": "wrong"},
        {**AMEYO_HEADERS, "requesting-host": "elsewhere"},
        {"hash-key": "demo-hash-key", "requesting-host": "homeassistant"},
    ],
)
async def test_ameyo_refuses_bad_tokens(
    sandbox: SandboxServer, session: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    status, content_type, text = await ameyo_dial(sandbox, session, headers=headers)
    assert (status, content_type) == (401, "application/json")
    assert json.loads(text) == {
        "status": "error",
        "reason": "Invalid token",
        "details": "Invalid hash-key, requesting-host or policy-name",
    }
    assert sandbox.sandbox.calls == {}


@pytest.mark.parametrize(
    ("form", "details"),
    [
        ({}, "Missing data"),
        ({"data": "{nope"}, "data is not valid JSON"),
        ({"data": "[1, 2]"}, "data must be a JSON object"),
        ({"data": ameyo_data(phone=None)}, "Missing phone"),
        ({"data": ameyo_data(userId="")}, "Missing userId"),
        ({"data": "{}"}, "Missing phone, userId, campaignId"),
    ],
)
async def test_ameyo_refuses_bad_data(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    form: dict[str, str],
    details: str,
) -> None:
    status, _, text = await ameyo_dial(sandbox, session, form=form)
    assert status == 400
    assert json.loads(text) == {
        "status": "error",
        "reason": "Invalid data",
        "details": details,
    }
    assert sandbox.sandbox.calls == {}


@pytest.mark.parametrize(
    ("outcome", "sample"),
    [
        ("on_break", samples.AMEYO_ON_BREAK),
        ("not_logged_in", samples.AMEYO_NOT_LOGGED_IN),
        ("channel_unavailable", samples.AMEYO_CHANNEL_UNAVAILABLE),
        ("agent_no_answer", samples.AMEYO_AGENT_NO_ANSWER),
        ("customer_no_answer", samples.AMEYO_CUSTOMER_NO_ANSWER),
        ("connected", samples.AMEYO_CONNECTED),
        ("exploded", samples.AMEYO_CONNECTED),
    ],
)
async def test_ameyo_answers_the_outcome_sample(
    sandbox: SandboxServer, session: aiohttp.ClientSession, outcome: str, sample: str
) -> None:
    sandbox.sandbox.ameyo_delay = 0
    sandbox.sandbox.ameyo_outcome = outcome
    status, content_type, text = await ameyo_dial(sandbox, session)
    assert (status, content_type) == (200, "application/json")
    [call] = sandbox.sandbox.calls.values()
    metadata = call.call_id.removeprefix("ameyo-")
    assert metadata.isdigit()
    assert text == filled(sample, campaign="42", phone="9876543210", metadata=metadata)
    assert (call.provider, call.to, call.from_) == ("ameyo", "9876543210", "agent1")
    assert call.reported == [outcome if outcome in ameyo.OUTCOMES else "connected"]


async def test_ameyo_fills_in_the_placeholders(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    """Phone, node flow and a running metadata id replace the placeholders."""
    sandbox.sandbox.ameyo_delay = 0
    sandbox.sandbox.ameyo_outcome = "channel_unavailable"
    texts = [(await ameyo_dial(sandbox, session))[2] for _ in range(2)]
    first, second = (re.findall(r"metaData\\(\d+)", text) for text in texts)
    assert int(second[0]) > int(first[0])
    for text in texts:
        assert '\\"9876543210\\"' in text
        assert "node.flow.id\\7," in text
        assert "<" not in text


@pytest.mark.parametrize(
    ("changes", "sample", "campaign"),
    [
        ({"userId": "agent2"}, samples.AMEYO_NOT_LOGGED_IN, "42"),
        ({"campaignId": "99"}, samples.AMEYO_ON_BREAK, "99"),
        ({"userId": "agent2", "campaignId": "99"}, samples.AMEYO_NOT_LOGGED_IN, "99"),
    ],
)
async def test_ameyo_checks_agent_then_campaign(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    changes: dict[str, str],
    sample: str,
    campaign: str,
) -> None:
    sandbox.sandbox.ameyo_delay = 0
    status, _, text = await ameyo_dial(
        sandbox, session, form={"data": ameyo_data(**changes)}
    )
    assert status == 200
    assert text == filled(sample, campaign=campaign, phone="9876543210", metadata="")
    assert len(sandbox.sandbox.calls) == 1


async def test_ameyo_on_break_names_the_campaign(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    sandbox.sandbox.ameyo_delay = 0
    _, _, text = await ameyo_dial(
        sandbox, session, form={"data": ameyo_data(campaignId="99")}
    )
    assert text.count("campaign:\n99") == 2


async def test_ameyo_reads_data_from_the_query_and_headers_in_any_case(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    sandbox.sandbox.ameyo_delay = 0
    query = urlencode({"data": ameyo_data(phone="111")})
    status, _, _ = await ameyo_dial(
        sandbox,
        session,
        path=f"{AMEYO_COMMAND}&{query}",
        headers={name.upper(): value for name, value in AMEYO_HEADERS.items()},
        form={"other": "x"},
    )
    assert status == 200
    # A form body's data wins over the query's.
    await ameyo_dial(
        sandbox,
        session,
        path=f"{AMEYO_COMMAND}&{query}",
        form={"data": ameyo_data(phone="222")},
    )
    assert [call.to for call in sandbox.sandbox.calls.values()] == ["111", "222"]


async def test_ameyo_records_the_call_then_waits(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    sandbox.sandbox.ameyo_delay = 0.15
    started = time.monotonic()
    dial = asyncio.ensure_future(ameyo_dial(sandbox, session))
    for _ in range(50):
        if sandbox.sandbox.calls:
            break
        await asyncio.sleep(0.005)
    [call] = sandbox.sandbox.calls.values()
    assert not dial.done()
    assert call.reported == []
    status, _, _ = await dial
    assert status == 200
    assert time.monotonic() - started >= 0.15
    assert call.reported == ["connected"]


async def test_ameyo_serves_canned_answers(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    sandbox.sandbox.queue("ameyo", Canned(500, "boom", content_type="text/plain"))
    assert await ameyo_dial(sandbox, session) == (500, "text/plain", "boom")
    assert sandbox.sandbox.calls == {}
