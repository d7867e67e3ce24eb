"""The sandbox's Exotel API and its status callbacks, over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncGenerator
from dataclasses import dataclass
import logging
import re
import socket
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
import pytest

from sandbox import Canned, exotel
from sandbox.exotel import Event, Leg
from tests.conftest import SandboxServer

ACCOUNT = "/exotel/v1/Accounts/demo-sid"
CONNECT = ACCOUNT + "/Calls/connect.json"
CALLS = ACCOUNT + "/Calls.json"


def basic(login: str, password: str) -> dict[str, str]:
    """An Authorization header (aiohttp's BasicAuth is deprecated from 3.14)."""
    token = base64.b64encode(f"{login}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


AUTH = basic("demo-api-key", "demo-api-token")
# A query an integration could put on its webhook URL: yarl would rewrite
# %2F and %41 if the sandbox let it.
SECRET_QUERY = "key=s3cr%2Ft+x%20y&call_id=%41b-42"
TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
DEFAULT_FIELDS = {"CallSid", "Status", "RecordingUrl", "DateUpdated"}
EVENT_FIELDS = DEFAULT_FIELDS | {
    "EventType",
    "DateCreated",
    "To",
    "From",
    "PhoneNumberSid",
    "StartTime",
    "EndTime",
    "ConversationDuration",
    "Direction",
    "Legs",
}
BOTH_EVENTS = {
    "StatusCallbackEvents[0]": "terminal",
    "StatusCallbackEvents[1]": "answered",
}


@dataclass
class Answer:
    """An HTTP answer, read."""

    status: int
    content_type: str
    headers: Any
    body: Any


def connect_form(**changes: str) -> dict[str, str]:
    """The fact sheet's example request, with changes."""
    form = {
        "From": "+919900000001",
        "To": "+919900000002",
        "CallerId": "08047110000",
        "CallType": "trans",
        "TimeLimit": "3600",
        "TimeOut": "30",
        "CustomField": "req-42",
    }
    form.update(changes)
    return form


async def request(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    method: str,
    path: str,
    auth: dict[str, str] | None = AUTH,
    **kwargs: Any,
) -> Answer:
    """Send a request to the sandbox (with the account's key); return the answer, read."""
    kwargs["headers"] = (auth or {}) | kwargs.get("headers", {})
    async with session.request(method, sandbox.url(path), **kwargs) as answer:
        text = await answer.text()
        body = (
            await answer.json() if answer.content_type == "application/json" else text
        )
        return Answer(answer.status, answer.content_type, answer.headers, body)


async def connect(
    sandbox: SandboxServer, session: aiohttp.ClientSession, **kwargs: Any
) -> Answer:
    """POST a connect, by default the fact sheet's example."""
    kwargs.setdefault("data", connect_form())
    return await request(sandbox, session, "POST", CONNECT, **kwargs)


def rest_exception(status: int, message: str) -> dict[str, Any]:
    return {"RestException": {"Status": status, "Message": message, "Code": status}}


async def test_exotel_connect_answers_with_the_call(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    answer = await connect(sandbox, session)
    assert answer.status == 200
    assert answer.content_type == "application/json"
    call = answer.body["Call"]
    assert list(call) == [
        "Sid",
        "ParentCallSid",
        "DateCreated",
        "DateUpdated",
        "AccountSid",
        "To",
        "From",
        "PhoneNumberSid",
        "Status",
        "StartTime",
        "EndTime",
        "Duration",
        "Price",
        "Direction",
        "AnsweredBy",
        "ForwardedFrom",
        "CallerName",
        "Uri",
        "RecordingUrl",
    ]
    assert re.fullmatch(r"[0-9a-z]{32}", call["Sid"])
    assert TIME.fullmatch(call["DateCreated"])
    assert call["DateUpdated"] == call["StartTime"] == call["DateCreated"]
    assert call | {
        "Sid": "",
        "DateCreated": "",
        "DateUpdated": "",
        "StartTime": "",
    } == {
        "Sid": "",
        "ParentCallSid": None,
        "DateCreated": "",
        "DateUpdated": "",
        "AccountSid": "demo-sid",
        # Indian numbers come back in Exotel's 0-prefixed form, as in its samples.
        "To": "09900000002",
        "From": "09900000001",
        "PhoneNumberSid": "08047110000",
        "Status": "in-progress",
        "StartTime": "",
        "EndTime": None,
        "Duration": None,
        "Price": None,
        "Direction": "outbound-api",
        "AnsweredBy": None,
        "ForwardedFrom": None,
        "CallerName": None,
        "Uri": f"/v1/Accounts/demo-sid/Calls/{call['Sid']}",
        "RecordingUrl": None,
    }
    [received] = sandbox.sandbox.received("exotel")
    assert (received.method, received.path) == ("POST", CONNECT)
    assert received.headers["Authorization"] == AUTH["Authorization"]
    assert b"CustomField=req-42" in received.body
    [placed] = sandbox.sandbox.calls.values()
    assert (placed.provider, placed.call_id, placed.to, placed.from_) == (
        "exotel",
        call["Sid"],
        "+919900000002",
        "+919900000001",
    )
    assert placed.reported == []


async def test_exotel_connect_reads_multipart_too(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    data = aiohttp.FormData(connect_form(), default_to_multipart=True)
    answer = await connect(sandbox, session, data=data)
    assert answer.status == 200
    assert answer.body["Call"]["To"] == "09900000002"
    [received] = sandbox.sandbox.received("exotel")
    assert received.headers["Content-Type"].startswith("multipart/form-data")


@pytest.mark.parametrize(
    ("changes", "to", "from_"),
    [
        ({"CallerId": "+918047110000"}, "09900000002", "09900000001"),
        ({"CallerId": "8047110000"}, "09900000002", "09900000001"),
        (
            {"From": "09876543210", "To": "09123456789"},
            "09123456789",
            "09876543210",
        ),
        (
            {"From": "+14155550100", "To": "+447700900123"},
            "+447700900123",
            "+14155550100",
        ),
        # Only From, To and CallerId are required.
        (
            {"CallType": "", "TimeLimit": "", "TimeOut": "", "CustomField": ""},
            "09900000002",
            "09900000001",
        ),
        (
            {"TimeLimit": "14400", "TimeOut": "1", "CustomField": "c" * 128},
            "09900000002",
            "09900000001",
        ),
    ],
)
async def test_exotel_connect_accepts_these_forms(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    changes: dict[str, str],
    to: str,
    from_: str,
) -> None:
    form = {name: value for name, value in connect_form(**changes).items() if value}
    answer = await connect(sandbox, session, data=form)
    assert answer.status == 200, answer.body
    assert (answer.body["Call"]["To"], answer.body["Call"]["From"]) == (to, from_)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"auth": None},
        {"auth": basic("demo-api-key", "wrong")},
        {"auth": basic("other-key", "demo-api-token")},
        {"auth": {"Authorization": "Bearer demo-api-token"}},
        {"auth": {"Authorization": "Basic !!!"}},
    ],
)
@pytest.mark.parametrize(("method", "path"), [("POST", CONNECT), ("GET", CALLS)])
async def test_exotel_wants_the_api_key_and_token(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    kwargs: dict[str, Any],
    method: str,
    path: str,
) -> None:
    answer = await request(
        sandbox, session, method, path, data=connect_form(), **kwargs
    )
    assert answer.status == 401
    assert answer.body == rest_exception(
        401, "Authentication failed: invalid API key or token"
    )
    assert sandbox.sandbox.calls == {}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/exotel/v1/Accounts/other-sid/Calls/connect.json"),
        ("GET", "/exotel/v1/Accounts/other-sid/Calls.json"),
    ],
)
async def test_exotel_unknown_account_is_404(
    sandbox: SandboxServer, session: aiohttp.ClientSession, method: str, path: str
) -> None:
    answer = await request(sandbox, session, method, path, data=connect_form())
    assert answer.status == 404
    assert answer.body == rest_exception(404, "Account other-sid not found")
    # Wrong credentials are told first.
    wrong = basic("demo-api-key", "wrong")
    answer = await request(sandbox, session, method, path, auth=wrong)
    assert answer.status == 401
    assert sandbox.sandbox.calls == {}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"From": ""}, "Missing parameter From"),
        ({"To": ""}, "Missing parameter To"),
        ({"CallerId": ""}, "Missing parameter CallerId"),
        ({"From": "9900000001"}, "Invalid From number: 9900000001"),
        ({"From": "+91 9900000001"}, "Invalid From number: +91 9900000001"),
        ({"To": "+0123456789"}, "Invalid To number: +0123456789"),
        ({"To": "00919900000002"}, "Invalid To number: 00919900000002"),
        ({"To": "+1234567"}, "Invalid To number: +1234567"),
        ({"To": "+1234567890123456"}, "Invalid To number: +1234567890123456"),
        ({"To": "099000000021"}, "Invalid To number: 099000000021"),
        ({"To": "+٩١٩٩٠٠٠٠٠٠٠٢"}, "Invalid To number: +٩١٩٩٠٠٠٠٠٠٠٢"),
        # Invalid From is told before a refused To.
        ({"From": "x", "To": "+99912345678"}, "Invalid From number: x"),
        (
            {"CallerId": "08047110001"},
            "CallerId 08047110001 is not an ExoPhone of this account",
        ),
        (
            {"CallerId": "+18047110000"},
            "CallerId +18047110000 is not an ExoPhone of this account",
        ),
        (
            {"CallerId": "008047110000"},
            "CallerId 008047110000 is not an ExoPhone of this account",
        ),
        ({"CallType": "promo"}, "Invalid CallType: only trans is supported"),
        ({"TimeLimit": "14401"}, "Invalid TimeLimit: 1 to 14400 seconds"),
        ({"TimeLimit": "0"}, "Invalid TimeLimit: 1 to 14400 seconds"),
        ({"TimeLimit": "1h"}, "Invalid TimeLimit: 1 to 14400 seconds"),
        ({"TimeOut": "-5"}, "Invalid TimeOut: a number of seconds"),
        (
            {"StatusCallbackContentType": "application/x-www-form-urlencoded"},
            "Invalid StatusCallbackContentType: multipart/form-data or application/json",
        ),
        (
            {"StatusCallbackEvents[0]": "ringing"},
            "Invalid StatusCallbackEvents: terminal or answered",
        ),
        (
            {"StatusCallback": "ftp://example.com/x"},
            "Invalid StatusCallback URL: ftp://example.com/x",
        ),
        ({"StatusCallback": "/relative"}, "Invalid StatusCallback URL: /relative"),
        ({"StatusCallback": "http://[bad"}, "Invalid StatusCallback URL: http://[bad"),
        ({"CustomField": "c" * 129}, "CustomField longer than 128 characters"),
        # A refused To is told only once the request is otherwise valid.
        (
            {"To": "+99912345678", "TimeOut": "0"},
            "Invalid TimeOut: a number of seconds",
        ),
    ],
)
async def test_exotel_connect_refuses_bad_parameters(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    changes: dict[str, str],
    message: str,
) -> None:
    answer = await connect(sandbox, session, data=connect_form(**changes))
    assert answer.status == 400
    assert answer.body == rest_exception(400, message)
    assert sandbox.sandbox.calls == {}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"json": connect_form()},
        {"data": b"From=+919900000001", "headers": {"Content-Type": "text/plain"}},
    ],
)
async def test_exotel_connect_reads_only_forms(
    sandbox: SandboxServer, session: aiohttp.ClientSession, kwargs: dict[str, Any]
) -> None:
    answer = await request(sandbox, session, "POST", CONNECT, **kwargs)
    assert answer.status == 400
    assert answer.body == rest_exception(400, "Missing parameter From")


async def test_exotel_connect_ignores_file_parts(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    data = aiohttp.FormData()
    data.add_field("From", b"+919900000001", filename="from.txt")
    for name, value in connect_form().items():
        if name != "From":
            data.add_field(name, value)
    answer = await connect(sandbox, session, data=data)
    assert answer.body == rest_exception(400, "Missing parameter From")


async def test_exotel_connect_reads_multipart_as_curl_writes_it(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    """Parts without a Content-Type; parts without a name or nested are skipped."""
    parts = [
        f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}'
        for name, value in connect_form(CustomField="réq-42").items()
    ]
    parts += [
        "Content-Disposition: form-data\r\n\r\nno name",
        'Content-Disposition: form-data; name="To"\r\n'
        "Content-Type: multipart/mixed; boundary=inner\r\n\r\n"
        "--inner\r\nContent-Type: text/plain\r\n\r\n+99912345678\r\n--inner--",
    ]
    body = "".join(f"--outer\r\n{part}\r\n" for part in parts) + "--outer--\r\n"
    headers = {"Content-Type": "multipart/form-data; boundary=outer"}
    answer = await connect(sandbox, session, data=body.encode(), headers=headers)
    assert answer.status == 200, answer.body
    assert answer.body["Call"]["To"] == "09900000002"


async def test_exotel_connect_without_a_multipart_body(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    headers = {"Content-Type": "multipart/form-data; boundary=outer"}
    answer = await connect(
        sandbox, session, data=b"From=+919900000001", headers=headers
    )
    assert answer.body == rest_exception(400, "Missing parameter From")


@pytest.mark.parametrize(
    ("to", "status", "message"),
    [
        ("+99912345678", 402, "Insufficient balance to make the call"),
        ("+99812345678", 403, "Account suspended or not permitted to make this call"),
    ],
)
async def test_exotel_connect_refuses_by_to_prefix(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    to: str,
    status: int,
    message: str,
) -> None:
    answer = await connect(sandbox, session, data=connect_form(To=to))
    assert answer.status == status
    assert answer.body == rest_exception(status, message)
    assert sandbox.sandbox.calls == {}


async def test_exotel_rate_limit_comes_from_a_canned_answer(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    limited = rest_exception(429, "Too many requests")
    sandbox.sandbox.queue(
        "exotel",
        Canned(
            429,
            '{"RestException":{"Status":429,"Message":"Too many requests","Code":429}}',
            headers={"Retry-After": "2", "X-RateLimit-Remaining": "0"},
        ),
    )
    answer = await connect(sandbox, session)
    assert (answer.status, answer.body) == (429, limited)
    assert answer.headers["Retry-After"] == "2"
    assert sandbox.sandbox.calls == {}
    assert (await connect(sandbox, session)).status == 200
    assert len(sandbox.sandbox.received("exotel")) == 2


async def test_exotel_connect_is_post_only(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    answer = await request(sandbox, session, "GET", CONNECT)
    assert answer.status == 405


async def test_exotel_credential_check(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    answer = await request(sandbox, session, "GET", CALLS)
    assert (answer.status, answer.content_type) == (200, "application/json")
    assert answer.body == {"Calls": []}
    [received] = sandbox.sandbox.received("exotel")
    assert (received.method, received.path) == ("GET", CALLS)


class Callbacks:
    """A small server on loopback that records Exotel's status callbacks."""

    def __init__(self) -> None:
        # (content type, raw path with query, fields as posted)
        self.posts: list[tuple[str, str, dict[str, Any]]] = []
        self.status = 200
        self.app = web.Application()
        self.app.router.add_post("/callback", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        if request.content_type == "application/json":
            fields = await request.json()
        else:
            fields = {
                name: str(value) for name, value in (await request.post()).items()
            }
        self.posts.append((request.content_type, request.raw_path, fields))
        return web.Response(status=self.status, text="ok")

    async def wait_for(self, count: int) -> None:
        for _ in range(200):
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


def as_json(content_type: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Read a multipart callback back into the JSON callback's shape."""
    if content_type == "application/json":
        return fields
    legs: dict[int, dict[str, Any]] = {}
    body: dict[str, Any] = {}
    for name, value in fields.items():
        if match := re.fullmatch(r"Legs\[(\d)\]\[(\w+)\]", name):
            legs.setdefault(int(match[1]), {})[match[2]] = value
        else:
            body[name] = value
    if legs:
        body["Legs"] = [legs[index] for index in sorted(legs)]
    return body


def typed(name: str, value: str) -> Any:
    """A form value as the JSON callback has it."""
    if value == "":
        return None
    return int(value) if name.endswith("Duration") else value


# Each ending's callbacks: EventType, Status, Legs' Status and AnsweredBy,
# ConversationDuration.
type Played = tuple[str, str, list[tuple[str | None, str | None]], int]
PLAYED: dict[str, list[Played]] = {
    "completed": [
        ("answered", "in-progress", [("in-progress", "NA"), (None, None)], 0),
        (
            "answered",
            "in-progress",
            [("in-progress", "NA"), ("in-progress", "Human")],
            0,
        ),
        ("terminal", "completed", [("completed", "NA"), ("completed", "Human")], 1),
    ],
    "busy": [
        ("answered", "in-progress", [("in-progress", "NA"), (None, None)], 0),
        ("terminal", "busy", [("completed", "NA"), ("busy", None)], 0),
    ],
    "no_answer": [("terminal", "no-answer", [("no-answer", "NA"), (None, None)], 0)],
    "cancelled": [("terminal", "no-answer", [("canceled", "NA"), (None, None)], 0)],
    "failed": [
        ("answered", "in-progress", [("in-progress", "NA"), (None, None)], 0),
        ("terminal", "failed", [("completed", "NA"), ("failed", None)], 0),
    ],
}
REPORTED = {
    "completed": ["answered (A)", "answered (B)", "terminal: completed"],
    "busy": ["answered (A)", "terminal: busy"],
    "no_answer": ["terminal: no-answer"],
    "cancelled": ["terminal: no-answer"],
    "failed": ["answered (A)", "terminal: failed"],
}


@pytest.mark.parametrize("content_type", ["application/json", "multipart/form-data"])
@pytest.mark.parametrize("ending", list(PLAYED))
async def test_exotel_plays_the_call_to_the_status_callback(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    callbacks: tuple[Callbacks, str],
    ending: str,
    content_type: str,
) -> None:
    recorder, url = callbacks
    sandbox.sandbox.progress = (0.02, 0.06)
    sandbox.sandbox.ending = ending
    form = connect_form(
        StatusCallback=f"{url}?{SECRET_QUERY}",
        StatusCallbackContentType=content_type,
        **BOTH_EVENTS,
    )
    answer = await connect(sandbox, session, data=form)
    call = answer.body["Call"]
    expected = PLAYED[ending]
    await recorder.wait_for(len(expected))
    await asyncio.sleep(0.05)  # nothing more comes
    assert len(recorder.posts) == len(expected)
    bodies = []
    for posted_type, raw_path, fields in recorder.posts:
        assert posted_type == content_type
        assert raw_path == f"/callback?{SECRET_QUERY}"
        bodies.append(as_json(posted_type, fields))
    if content_type == "multipart/form-data":
        bodies = [
            {
                name: [
                    {key: typed(key, item) for key, item in leg.items()}
                    for leg in value
                ]
                if name == "Legs"
                else typed(name, value)
                for name, value in body.items()
            }
            for body in bodies
        ]
    assert [
        (
            body["EventType"],
            body["Status"],
            [(leg["Status"], leg["AnsweredBy"]) for leg in body["Legs"]],
            body["ConversationDuration"],
        )
        for body in bodies
    ] == expected
    for body in bodies:
        terminal = body["EventType"] == "terminal"
        assert set(body) == EVENT_FIELDS | ({"CustomField"} if terminal else set())
        assert body["CallSid"] == call["Sid"]
        assert body["DateCreated"] == body["StartTime"] == call["DateCreated"]
        assert TIME.fullmatch(body["DateUpdated"])
        assert body["EndTime"] == (body["DateUpdated"] if terminal else None)
        assert (body["From"], body["To"], body["PhoneNumberSid"]) == (
            "09900000001",
            "09900000002",
            "08047110000",
        )
        assert body["Direction"] == "outbound-api"
        assert body["RecordingUrl"] is None
        assert all(
            set(leg) == {"OnCallDuration", "Status", "AnsweredBy"}
            for leg in body["Legs"]
        )
        assert body.get("CustomField", "req-42") == "req-42"
    if ending == "completed":
        # Leg 0 rang first, so it was on the call at least as long as leg 1.
        a_leg, b_leg = bodies[-1]["Legs"]
        assert a_leg["OnCallDuration"] >= b_leg["OnCallDuration"] == 1
    [placed] = sandbox.sandbox.calls.values()
    assert placed.reported == REPORTED[ending]


async def test_exotel_multipart_callbacks_flatten_the_legs(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    callbacks: tuple[Callbacks, str],
) -> None:
    """The fact sheet's form sample: Legs[1][Status] empty until B answers."""
    recorder, url = callbacks
    sandbox.sandbox.progress = (0.02, 0.04)
    form = connect_form(StatusCallback=url, **BOTH_EVENTS)
    form.pop("CustomField")
    await connect(sandbox, session, data=form)
    await recorder.wait_for(3)
    a_answered, b_answered, terminal = (fields for _, _, fields in recorder.posts)
    assert {
        name: a_answered[name] for name in a_answered if name.startswith("Legs")
    } == {
        "Legs[0][OnCallDuration]": "0",
        "Legs[0][Status]": "in-progress",
        "Legs[0][AnsweredBy]": "NA",
        "Legs[1][OnCallDuration]": "0",
        "Legs[1][Status]": "",
        "Legs[1][AnsweredBy]": "",
    }
    assert (a_answered["EndTime"], a_answered["RecordingUrl"]) == ("", "")
    assert b_answered["Legs[1][Status]"] == "in-progress"
    assert (
        terminal["ConversationDuration"] == terminal["Legs[1][OnCallDuration]"] == "1"
    )
    # CustomField was not sent: empty.
    assert terminal["CustomField"] == ""


@pytest.mark.parametrize("content_type", ["application/json", "multipart/form-data"])
@pytest.mark.parametrize(
    ("ending", "status"),
    [
        ("completed", "completed"),
        ("busy", "busy"),
        ("no_answer", "no-answer"),
        ("cancelled", "no-answer"),
        ("failed", "failed"),
    ],
)
async def test_exotel_without_events_sends_only_the_default_fields(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    callbacks: tuple[Callbacks, str],
    ending: str,
    status: str,
    content_type: str,
) -> None:
    recorder, url = callbacks
    sandbox.sandbox.progress = (0.02, 0.04)
    sandbox.sandbox.ending = ending
    form = connect_form(
        StatusCallback=f"{url}?{SECRET_QUERY}", StatusCallbackContentType=content_type
    )
    answer = await connect(sandbox, session, data=form)
    await recorder.wait_for(1)
    await asyncio.sleep(0.03)
    [(posted_type, raw_path, fields)] = recorder.posts
    assert (posted_type, raw_path) == (content_type, f"/callback?{SECRET_QUERY}")
    assert set(fields) == DEFAULT_FIELDS
    assert fields["CallSid"] == answer.body["Call"]["Sid"]
    assert fields["Status"] == status
    assert TIME.fullmatch(fields["DateUpdated"])
    assert fields["RecordingUrl"] in (None, "")
    [placed] = sandbox.sandbox.calls.values()
    assert placed.reported == [f"terminal: {status}"]


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        # The [] array syntax some public code uses.
        (
            [
                ("StatusCallbackEvents[]", "terminal"),
                ("StatusCallbackEvents[]", "answered"),
            ],
            [
                ("answered", "in-progress"),
                ("answered", "in-progress"),
                ("terminal", "completed"),
            ],
        ),
        ([("StatusCallbackEvents", "terminal")], [("terminal", "completed")]),
        # Answered only: the end of the call still comes, with the default fields.
        (
            [("StatusCallbackEvents[0]", "answered")],
            [
                ("answered", "in-progress"),
                ("answered", "in-progress"),
                (None, "completed"),
            ],
        ),
    ],
)
async def test_exotel_sends_the_events_asked_for(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    callbacks: tuple[Callbacks, str],
    events: list[tuple[str, str]],
    expected: list[tuple[str | None, str]],
) -> None:
    recorder, url = callbacks
    sandbox.sandbox.progress = (0.02, 0.04)
    form = [*connect_form(StatusCallback=url).items(), *events]
    await connect(sandbox, session, data=form)
    await recorder.wait_for(len(expected))
    await asyncio.sleep(0.03)
    assert [
        (fields.get("EventType"), fields["Status"]) for _, _, fields in recorder.posts
    ] == (expected)


async def test_exotel_records_when_asked(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    callbacks: tuple[Callbacks, str],
) -> None:
    recorder, url = callbacks
    sandbox.sandbox.progress = (0.0, 0.01)
    form = connect_form(
        StatusCallback=url,
        StatusCallbackContentType="application/json",
        Record="true",
        **BOTH_EVENTS,
    )
    answer = await connect(sandbox, session, data=form)
    await recorder.wait_for(3)
    *answered, (_, _, terminal) = recorder.posts
    sid = answer.body["Call"]["Sid"]
    assert terminal["RecordingUrl"] == f"https://recordings.exotel.invalid/{sid}.mp3"
    assert [fields["RecordingUrl"] for _, _, fields in answered] == [None, None]


async def test_exotel_resends_callbacks_not_answered_2xx(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    callbacks: tuple[Callbacks, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Up to 2 retries, as Exotel's webhooks page says; a 2xx stops them."""
    recorder, url = callbacks
    monkeypatch.setattr(exotel, "RETRY_DELAY", 0.0)
    recorder.status = 500
    sandbox.sandbox.progress = (0.0, 0.01)
    sandbox.sandbox.ending = "no_answer"
    await connect(sandbox, session, data=connect_form(StatusCallback=url))
    await recorder.wait_for(3)
    await asyncio.sleep(0.03)
    assert len(recorder.posts) == 3
    assert all(post == recorder.posts[0] for post in recorder.posts)
    [placed] = sandbox.sandbox.calls.values()
    assert placed.reported == ["terminal: no-answer"]

    recorder.posts.clear()
    recorder.status = 204
    await connect(sandbox, session, data=connect_form(StatusCallback=url))
    await recorder.wait_for(1)
    await asyncio.sleep(0.03)
    assert len(recorder.posts) == 1


async def test_exotel_retries_an_unreachable_callback(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(exotel, "RETRY_DELAY", 0.0)
    # A loopback port nobody listens on.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/callback"
    sandbox.sandbox.progress = (0.0, 0.0)
    with caplog.at_level(logging.WARNING, logger="sandbox"):
        await connect(sandbox, session, data=connect_form(StatusCallback=url))
        for _ in range(200):
            if len(caplog.records) >= 3:
                break
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.02)
    assert [
        record.getMessage().startswith(f"Could not post to {url}")
        for record in caplog.records
    ] == [True] * 3


@pytest.mark.parametrize(("progress", "with_url"), [(None, True), ((0.0, 0.01), False)])
async def test_exotel_posts_nothing_without_progress_or_url(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    callbacks: tuple[Callbacks, str],
    progress: tuple[float, float] | None,
    with_url: bool,
) -> None:
    recorder, url = callbacks
    sandbox.sandbox.progress = progress
    form = connect_form(**BOTH_EVENTS)
    if with_url:
        form["StatusCallback"] = url
    assert (await connect(sandbox, session, data=form)).status == 200
    await asyncio.sleep(0.05)
    assert recorder.posts == []
    [placed] = sandbox.sandbox.calls.values()
    assert placed.reported == []


async def test_exotel_close_stops_pending_callbacks(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    callbacks: tuple[Callbacks, str],
) -> None:
    recorder, url = callbacks
    sandbox.sandbox.progress = (10.0, 20.0)
    await connect(
        sandbox, session, data=connect_form(StatusCallback=url, **BOTH_EVENTS)
    )
    await sandbox.sandbox.close()
    await asyncio.sleep(0.01)
    assert recorder.posts == []


A_ANSWERED = Event(
    1.0, "answered", "in-progress", (Leg("in-progress", 0, "NA"), Leg(None))
)


@pytest.mark.parametrize(
    ("ending", "events"),
    [
        (
            "completed",
            [
                A_ANSWERED,
                Event(
                    2.0,
                    "answered",
                    "in-progress",
                    (Leg("in-progress", 1, "NA"), Leg("in-progress", 0, "Human")),
                ),
                Event(
                    8.0,
                    "terminal",
                    "completed",
                    (Leg("completed", 7, "NA"), Leg("completed", 6, "Human")),
                    6,
                ),
            ],
        ),
        (
            "busy",
            [
                A_ANSWERED,
                Event(
                    8.0, "terminal", "busy", (Leg("completed", 7, "NA"), Leg("busy"))
                ),
            ],
        ),
        (
            "no_answer",
            [
                Event(
                    8.0, "terminal", "no-answer", (Leg("no-answer", 0, "NA"), Leg(None))
                )
            ],
        ),
        (
            "cancelled",
            [
                Event(
                    8.0, "terminal", "no-answer", (Leg("canceled", 0, "NA"), Leg(None))
                )
            ],
        ),
        (
            "failed",
            [
                A_ANSWERED,
                Event(
                    8.0,
                    "terminal",
                    "failed",
                    (Leg("completed", 7, "NA"), Leg("failed")),
                ),
            ],
        ),
    ],
)
def test_exotel_call_plan(ending: str, events: list[Event]) -> None:
    assert exotel.plan(ending, 2.0, 8.0) == events


def test_exotel_unknown_ending_fails_like_failed() -> None:
    assert exotel.plan("exploded", 2.0, 8.0) == exotel.plan("failed", 2.0, 8.0)


def test_exotel_completed_call_talks_at_least_a_second() -> None:
    *_, terminal = exotel.plan("completed", 0.0, 0.0)
    assert terminal.conversation == 1
    assert [leg.on_call for leg in terminal.legs] == [1, 1]


def test_exotel_form_fields_flatten_legs_and_nulls() -> None:
    body = {
        "CallSid": "s",
        "RecordingUrl": None,
        "ConversationDuration": 0,
        "Legs": [{"Status": "completed", "OnCallDuration": 3}, {"Status": None}],
    }
    assert exotel.form_fields(body) == [
        ("CallSid", "s"),
        ("RecordingUrl", ""),
        ("ConversationDuration", "0"),
        ("Legs[0][Status]", "completed"),
        ("Legs[0][OnCallDuration]", "3"),
        ("Legs[1][Status]", ""),
    ]


def test_exotel_call_sids_look_real() -> None:
    sids = {exotel.new_call_sid() for _ in range(50)}
    assert len(sids) == 50
    for sid in sids:
        assert re.fullmatch(r"[0-9a-f]{31}[g-z]", sid)


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ("+919876543210", "09876543210"),
        ("09876543210", "09876543210"),
        ("+14155550100", "+14155550100"),
        ("+9198765432101", "+9198765432101"),
    ],
)
def test_exotel_shows_indian_numbers_with_a_zero(number: str, shown: str) -> None:
    assert exotel.exotel_number(number) == shown
