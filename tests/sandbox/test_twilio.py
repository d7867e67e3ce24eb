"""The sandbox's Twilio API and its signed callbacks, over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
import hashlib
import hmac
import re
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from multidict import MultiDict
import pytest

from custom_components.click_to_call.providers.http import basic_authorization
from sandbox import Canned, twilio
from tests.conftest import SandboxServer

SID = "AC00000000000000000000000000000001"
TOKEN = "demo-auth-token"
AUTH = {"Authorization": basic_authorization(SID, TOKEN)}
CALLS = f"/twilio/2010-04-01/Accounts/{SID}/Calls.json"
ACCOUNT = f"/twilio/2010-04-01/Accounts/{SID}.json"
A, B, FROM = "+14155550101", "+14155550102", "+14155550100"
ALL_EVENTS = ["initiated", "ringing", "answered", "completed"]
CALL_SID = re.compile(r"CA[0-9a-f]{32}")
# "Tue, 31 Aug 2010 20:36:28 +0000"
RFC_2822 = re.compile(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d \+0000")
STATUS_FIELDS = {
    "AccountSid",
    "ApiVersion",
    "CallSid",
    "CallStatus",
    "Direction",
    "From",
    "To",
    "Timestamp",
    "CallbackSource",
    "SequenceNumber",
}
END_FIELDS = {"CallDuration", "Duration", "SipResponseCode"}
DIAL_FIELDS = {
    "AccountSid",
    "ApiVersion",
    "CallSid",
    "CallStatus",
    "Direction",
    "From",
    "To",
    "DialCallStatus",
    "DialCallSid",
    "DialCallDuration",
    "DialBridged",
}


def bridge(
    number: str = B,
    *,
    caller_id: str | None = FROM,
    action: str | None = None,
    status_callback: str | None = None,
    events: str | None = "initiated ringing answered completed",
) -> str:
    """Return the inline TwiML that dials B, as the integration sends it."""
    dial = "" if caller_id is None else f" callerId={quoteattr(caller_id)}"
    if action is not None:
        dial += f' action={quoteattr(action)} method="POST"'
    attributes = ""
    if status_callback is not None:
        attributes += f" statusCallback={quoteattr(status_callback)}"
        if events is not None:
            attributes += f" statusCallbackEvent={quoteattr(events)}"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Response>'
        f'<Dial{dial} timeout="30" answerOnBridge="true">'
        f"<Number{attributes}>{escape(number)}</Number></Dial></Response>"
    )


@dataclass
class Answer:
    """An HTTP answer, read."""

    status: int
    content_type: str
    headers: dict[str, str]
    body: Any


async def read(answer: aiohttp.ClientResponse) -> Answer:
    """Read an answer, as JSON when it is JSON."""
    body = (
        await answer.json()
        if answer.content_type == "application/json"
        else await answer.text()
    )
    return Answer(answer.status, answer.content_type, dict(answer.headers), body)


async def create_call(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    changes: dict[str, str | None] | None = None,
    *,
    events: list[str] | None = None,
    path: str = CALLS,
    **kwargs: Any,
) -> Answer:
    """POST a call to A that dials B; `changes` set (or, with None, drop) fields."""
    kwargs.setdefault("headers", AUTH)
    fields: dict[str, str | None] = {"To": A, "From": FROM, "Twiml": bridge()}
    fields.update(changes or {})
    form = [(name, value) for name, value in fields.items() if value is not None]
    form += [("StatusCallbackEvent", event) for event in events or []]
    async with session.post(sandbox.url(path), data=form, **kwargs) as answer:
        return await read(answer)


def error(code: int, status: int = 400) -> dict[str, Any]:
    """Return the JSON error Twilio answers, without its message."""
    return {
        "code": code,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def without_message(body: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in body.items() if name != "message"}


# The signature.


def test_signature_matches_the_sdk_test_vector() -> None:
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio.signature("12345", url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2"
    assert (
        twilio.signature("12345", with_port, params) == "kvajT1Ptam85bY51eRf/AJRuM3w="
    )


def test_signature_sorts_names_then_values_and_counts_repeats_once() -> None:
    params = MultiDict([("b", "2"), ("a", "x"), ("b", "1"), ("b", "2")])
    message = b"http://h/p?z=1" + b"ax" + b"b1" + b"b2"
    expected = base64.b64encode(hmac.new(b"key", message, hashlib.sha1).digest())
    assert twilio.signature("key", "http://h/p?z=1", params) == expected.decode()
    assert twilio.signature("key", "http://h/p?z=1", {}) != expected.decode()


# Creating a call.


async def test_twilio_creates_a_queued_call(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    answer = await create_call(sandbox, session)
    assert answer.status == 201
    assert answer.content_type == "application/json"
    call = answer.body
    assert CALL_SID.fullmatch(call["sid"])
    assert RFC_2822.fullmatch(call["date_created"])
    assert parsedate_to_datetime(call["date_created"]) >= before
    assert call["date_updated"] == call["date_created"]
    uri = f"/2010-04-01/Accounts/{SID}/Calls/{call['sid']}"
    assert call | {"sid": "", "date_created": "", "date_updated": ""} == {
        "account_sid": SID,
        "annotation": None,
        "answered_by": None,
        "api_version": "2010-04-01",
        "caller_name": None,
        "date_created": "",
        "date_updated": "",
        "direction": "outbound-api",
        "duration": None,
        "end_time": None,
        "forwarded_from": None,
        "from": FROM,
        "from_formatted": FROM,
        "group_sid": None,
        "parent_call_sid": None,
        "phone_number_sid": None,
        "price": None,
        "price_unit": "USD",
        "queue_time": "0",
        "sid": "",
        "start_time": None,
        "status": "queued",
        "subresource_uris": {
            "events": f"{uri}/Events.json",
            "notifications": f"{uri}/Notifications.json",
            "recordings": f"{uri}/Recordings.json",
            "streams": f"{uri}/Streams.json",
        },
        "to": A,
        "to_formatted": A,
        "trunk_sid": None,
        "uri": f"{uri}.json",
    }
    [received] = sandbox.sandbox.received("twilio")
    assert (received.method, received.path) == ("POST", CALLS)
    assert b"To=%2B14155550101" in received.body
    placed = sandbox.sandbox.calls[call["sid"]]
    assert (placed.provider, placed.to, placed.from_) == ("twilio", B, A)
    await asyncio.sleep(0.02)
    assert placed.reported == []  # the fixture's progress is None


@pytest.mark.parametrize(
    ("changes", "placed_to"),
    [
        ({"Url": "https://ha.example/twiml", "Twiml": None}, A),
        ({"Twiml": f"<Response><Dial>{B}</Dial></Response>"}, B),
        ({"Twiml": "<Response><Say>Hello</Say></Response>"}, A),
        ({"Twiml": bridge(caller_id=None)}, B),
        ({"Twiml": bridge(caller_id=A)}, B),
        ({"From": "+14155550101", "To": "+15551230009"}, B),
        ({"Timeout": "1"}, B),
        ({"Timeout": "600", "StatusCallback": "https://ha.example/a?x=1"}, B),
        ({"Twiml": bridge().ljust(4000)}, B),
    ],
)
async def test_twilio_accepts_valid_calls(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    changes: dict[str, str | None],
    placed_to: str,
) -> None:
    answer = await create_call(sandbox, session, changes)
    assert answer.status == 201, answer.body
    [call] = sandbox.sandbox.calls.values()
    assert call.to == placed_to


async def test_twilio_trial_account_calls_its_verified_numbers(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    account = sandbox.sandbox.accounts["twilio"]
    account |= {"type": "Trial", "verified": f"{A}, {B}"}
    answer = await create_call(sandbox, session)
    assert answer.status == 201
    assert answer.body["status"] == "queued"


@pytest.mark.parametrize(
    ("verified", "changes", "unverified"),
    [
        (B, {}, A),
        (A, {}, B),
        (A, {"Twiml": bridge(A)}, None),
        (A, {"Url": "https://ha.example/twiml", "Twiml": None}, None),
    ],
)
async def test_twilio_trial_account_calls_only_verified_numbers(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    verified: str,
    changes: dict[str, str | None],
    unverified: str | None,
) -> None:
    sandbox.sandbox.accounts["twilio"] |= {"type": "Trial", "verified": verified}
    answer = await create_call(sandbox, session, changes)
    if unverified is None:
        assert answer.status == 201
        return
    assert answer.status == 400
    assert without_message(answer.body) == error(21219)
    assert answer.body["message"] == (
        f"The number {unverified} is unverified. "
        "Trial accounts may only make calls to verified numbers."
    )
    assert sandbox.sandbox.calls == {}


@pytest.mark.parametrize("path", [CALLS, ACCOUNT])
@pytest.mark.parametrize(
    "credentials",
    [
        {},
        {"Authorization": basic_authorization(SID, "wrong-token")},
        {
            "Authorization": basic_authorization(
                "AC00000000000000000000000000000002", TOKEN
            )
        },
        {"Authorization": f"Bearer {TOKEN}"},
        {"Authorization": "Basic !!!"},
    ],
)
async def test_twilio_refuses_bad_credentials(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    path: str,
    credentials: dict[str, str],
) -> None:
    async with session.request(
        "POST" if path == CALLS else "GET",
        sandbox.url(path),
        data={"To": A, "From": FROM, "Twiml": bridge()},
        headers=credentials,
    ) as response:
        answer = await read(response)
    assert answer.status == 401
    assert answer.headers["WWW-Authenticate"] == 'Basic realm="Twilio API"'
    assert answer.body == error(20003, 401) | {"message": "Authenticate"}
    assert sandbox.sandbox.calls == {}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/twilio/2010-04-01/Accounts/AC99/Calls.json"),
        ("GET", "/twilio/2010-04-01/Accounts/AC99.json"),
    ],
)
async def test_twilio_unknown_account_in_the_path(
    sandbox: SandboxServer, session: aiohttp.ClientSession, method: str, path: str
) -> None:
    async with session.request(
        method, sandbox.url(path), data={"To": A}, headers=AUTH
    ) as response:
        answer = await read(response)
    assert answer.status == 404
    assert answer.body == error(20404, 404) | {
        "message": f"The requested resource {path.removeprefix('/twilio')} was not found"
    }


LONG_TWIML = bridge().ljust(4001)
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">'
    '<!ENTITY b "&a;&a;&a;&a;">]><Response><Say>&b;</Say></Response>'
)


@pytest.mark.parametrize(
    ("changes", "code", "message"),
    [
        ({"To": None}, 21201, "No 'To' number is specified"),
        ({"To": "14155550101"}, 21211, "The 'To' number 14155550101 is not a valid"),
        ({"To": "+1 555 123"}, 21211, "The 'To' number +1 555 123 is not a valid"),
        ({"To": "+0555123"}, 21211, "not a valid phone number."),
        ({"To": "+1234567890123456"}, 21211, "not a valid phone number."),
        ({"From": None}, 21213, "No 'From' number is specified"),
        ({"From": "Home"}, 21212, "The 'From' number Home is not a valid phone"),
        ({"From": "+15550000000"}, 21210, "provided, +15550000000, is not yet"),
        ({"To": FROM}, 21211, f"The 'To' number {FROM} is not a valid"),
        ({"Twiml": None}, 21205, "Either a Url or Twiml is required"),
        ({"Url": "https://ha.example/t"}, 21205, "Only one of Url and Twiml"),
        ({"Url": "/twiml", "Twiml": None}, 21205, "Url is not a valid URL: /twiml"),
        ({"Url": "http://[::1", "Twiml": None}, 21205, "Url is not a valid URL"),
        ({"Url": "ftp://h/t", "Twiml": None}, 21205, "Url is not a valid URL"),
        (
            {"Twiml": LONG_TWIML},
            32018,
            "Twiml size exceeded maximum allowed value of 4000 characters: 4001",
        ),
        ({"Twiml": "<Response><Dial>"}, 12100, "Document parse failure"),
        ({"Twiml": "dial B please"}, 12100, "Document parse failure"),
        ({"Twiml": f"<Dial>{B}</Dial>"}, 12100, "is not <Response>"),
        ({"Twiml": BILLION_LAUGHS}, 12100, "Document parse failure"),
        (
            {"StatusCallback": "https://my_ha.example/a"},
            21205,
            "StatusCallback is not a valid URL: https://my_ha.example/a",
        ),
        ({"StatusCallback": "ha.example/a"}, 21205, "StatusCallback is not a valid"),
        ({"Timeout": "0"}, 21208, "Timeout must be between 1 and 600"),
        ({"Timeout": "601"}, 21208, "Timeout must be between 1 and 600"),
        ({"Timeout": "ten"}, 21208, "Timeout must be between 1 and 600"),
        ({"Twiml": bridge("5551230002")}, 13224, "Invalid phone number format"),
        (
            {"Twiml": "<Response><Dial><Client>joey</Client></Dial></Response>"},
            13224,
            "Dial: Invalid phone number format: ''",
        ),
        (
            {"Twiml": bridge(caller_id="+15550000000")},
            13214,
            "Dial: Invalid callerId value: +15550000000",
        ),
        (
            {"Twiml": bridge(action="/dial")},
            21205,
            "Dial action is not a valid URL: /dial",
        ),
        (
            {"Twiml": bridge(status_callback="http://bad_host/b")},
            21205,
            "Number statusCallback is not a valid URL: http://bad_host/b",
        ),
        ({"To": "+99912345678"}, 21215, "Account not authorized to call +99912345678"),
        (
            {"Twiml": bridge("+99912345678")},
            21215,
            "Account not authorized to call +99912345678. Perhaps you need to "
            "enable some international permissions",
        ),
    ],
)
async def test_twilio_refuses_invalid_calls(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    changes: dict[str, str | None],
    code: int,
    message: str,
) -> None:
    answer = await create_call(sandbox, session, changes)
    assert answer.status == 400
    assert answer.content_type == "application/json"
    assert without_message(answer.body) == error(code)
    assert message in answer.body["message"]
    assert sandbox.sandbox.calls == {}
    assert len(sandbox.sandbox.received("twilio")) == 1


async def test_twilio_reads_only_forms(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    async with session.post(
        sandbox.url(CALLS),
        json={"To": A, "From": FROM, "Twiml": bridge()},
        headers=AUTH,
    ) as response:
        answer = await read(response)
    assert answer.status == 400
    assert answer.body["code"] == 21201


async def test_twilio_answers_canned_answers(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    sandbox.sandbox.queue("twilio", Canned(429, '{"code": 20429}'))
    answer = await create_call(sandbox, session)
    assert (answer.status, answer.body) == (429, {"code": 20429})
    assert sandbox.sandbox.calls == {}
    assert (await create_call(sandbox, session)).status == 201


async def test_twilio_calls_are_post_only(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    async with session.get(sandbox.url(CALLS), headers=AUTH) as answer:
        assert answer.status == 405


# The credential check.


@pytest.mark.parametrize("account_type", ["Full", "Trial"])
async def test_twilio_account_answers_with_the_account(
    sandbox: SandboxServer, session: aiohttp.ClientSession, account_type: str
) -> None:
    sandbox.sandbox.accounts["twilio"]["type"] = account_type
    async with session.get(sandbox.url(ACCOUNT), headers=AUTH) as response:
        answer = await read(response)
    assert answer.status == 200
    uri = f"/2010-04-01/Accounts/{SID}"
    assert answer.body == {
        "auth_token": TOKEN,
        "date_created": "Tue, 31 Aug 2010 20:36:28 +0000",
        "date_updated": "Tue, 31 Aug 2010 20:36:28 +0000",
        "friendly_name": "My first Twilio account",
        "owner_account_sid": SID,
        "sid": SID,
        "status": "active",
        "subresource_uris": {
            "calls": f"{uri}/Calls.json",
            "incoming_phone_numbers": f"{uri}/IncomingPhoneNumbers.json",
            "outgoing_caller_ids": f"{uri}/OutgoingCallerIds.json",
        },
        "type": account_type,
        "uri": f"{uri}.json",
    }
    [received] = sandbox.sandbox.received("twilio")
    assert (received.method, received.path) == ("GET", ACCOUNT)


# Playing calls out.


@dataclass
class Posted:
    """A callback as it reached the callback server."""

    path: str
    url: str
    content_type: str
    signature: str | None
    form: dict[str, str]

    @property
    def status(self) -> str:
        """The CallStatus, or the DialCallStatus of the Dial action."""
        return self.form.get("DialCallStatus", self.form["CallStatus"])


class Callbacks:
    """A small server on loopback that records Twilio's callbacks."""

    def __init__(self) -> None:
        self.posts: list[Posted] = []
        self.app = web.Application()
        for path in ("/a", "/b", "/dial"):
            self.app.router.add_post(path, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        form = await request.post()
        assert len(form) == len(set(form))  # no repeated names
        self.posts.append(
            Posted(
                request.path,
                str(request.url),
                request.content_type,
                request.headers.get("X-Twilio-Signature"),
                {name: str(value) for name, value in form.items()},
            )
        )
        # The Dial action must answer TwiML; the sandbox ignores it.
        return web.Response(text="<Response/>", content_type="text/xml")

    async def wait_for(self, count: int) -> None:
        for _ in range(200):
            if len(self.posts) >= count:
                return
            await asyncio.sleep(0.005)
        raise AssertionError(f"expected {count} callbacks, got {self.posts}")


@pytest.fixture
async def callbacks(sandbox: SandboxServer) -> AsyncGenerator[tuple[Callbacks, str]]:
    """The callback server and its base URL."""
    recorder = Callbacks()
    server = TestServer(recorder.app, host="127.0.0.1")
    await server.start_server()
    yield recorder, str(server.make_url(""))
    await server.close()


def urls(base: str) -> dict[str, str]:
    """The callback URLs, with query strings that are signed too."""
    return {
        "/a": f"{base}/a?leg=a&memo=c%2B1",
        "/b": f"{base}/b?leg=b",
        "/dial": f"{base}/dial?leg=dial&x=%20y",
    }


PLAYS = {
    "completed": [
        ("/a", "initiated"),
        ("/a", "ringing"),
        ("/a", "in-progress"),
        ("/b", "initiated"),
        ("/b", "ringing"),
        ("/b", "in-progress"),
        ("/b", "completed"),
        ("/dial", "completed"),
        ("/a", "completed"),
    ],
    "busy": [
        ("/a", "initiated"),
        ("/a", "ringing"),
        ("/a", "in-progress"),
        ("/b", "initiated"),
        ("/b", "ringing"),
        ("/b", "busy"),
        ("/dial", "busy"),
        ("/a", "completed"),
    ],
    "no_answer": [("/a", "initiated"), ("/a", "ringing"), ("/a", "no-answer")],
    "cancelled": [("/a", "initiated"), ("/a", "ringing"), ("/a", "canceled")],
    "failed": [
        ("/a", "initiated"),
        ("/a", "ringing"),
        ("/a", "in-progress"),
        ("/b", "initiated"),
        ("/b", "failed"),
        ("/dial", "failed"),
        ("/a", "completed"),
    ],
}
# An ending the sandbox does not know plays as "failed".
PLAYS["exploded"] = PLAYS["failed"]
# (CallDuration, Duration, SipResponseCode) of each final status; B is
# connected for 0.03 s and A for 0.04 s, both rounded up.
ENDS = {
    "completed": ("1", "1", "200"),
    "busy": ("0", "0", "486"),
    "no-answer": ("0", "0", "487"),
    "canceled": ("0", "0", "487"),
    "failed": ("0", "0", "404"),
}


def assert_signed(post: Posted) -> None:
    """The signature is valid over the exact URL the callback was posted to."""
    assert post.signature == twilio.signature(TOKEN, post.url, post.form)


@pytest.mark.parametrize("ending", list(PLAYS))
async def test_twilio_plays_each_ending(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    callbacks: tuple[Callbacks, str],
    ending: str,
) -> None:
    recorder, base = callbacks
    url = urls(base)
    sandbox.sandbox.progress = (0.02, 0.05)
    sandbox.sandbox.ending = ending
    twiml = bridge(action=url["/dial"], status_callback=url["/b"])
    before = datetime.now(UTC).replace(microsecond=0)
    answer = await create_call(
        sandbox,
        session,
        {"Twiml": twiml, "StatusCallback": url["/a"]},
        events=ALL_EVENTS,
    )
    a_sid = answer.body["sid"]
    expected = PLAYS[ending]
    await recorder.wait_for(len(expected))
    await asyncio.sleep(0.06)  # nothing more comes
    assert [(post.path, post.status) for post in recorder.posts] == expected
    b_sids = {post.form["CallSid"] for post in recorder.posts if post.path == "/b"}
    b_sid = b_sids.pop() if b_sids else None
    assert not b_sids  # one B leg
    sequences = {"/a": 0, "/b": 0}
    for post in recorder.posts:
        assert post.url == url[post.path]
        assert post.content_type == "application/x-www-form-urlencoded"
        assert_signed(post)
        form = post.form
        assert (form["AccountSid"], form["ApiVersion"]) == (SID, "2010-04-01")
        if post.path == "/dial":
            assert set(form) == DIAL_FIELDS
            assert (form["CallSid"], form["CallStatus"]) == (a_sid, "in-progress")
            assert (form["Direction"], form["From"], form["To"]) == (
                "outbound-api",
                FROM,
                A,
            )
            assert form["DialCallSid"] == b_sid
            assert form["DialCallDuration"] == ENDS[form["DialCallStatus"]][0]
            assert form["DialBridged"] == (
                "true" if form["DialCallStatus"] == "completed" else "false"
            )
            continue
        final = form["CallStatus"] in ENDS
        assert set(form) == (
            STATUS_FIELDS
            | (END_FIELDS if final else set())
            | ({"ParentCallSid"} if post.path == "/b" else set())
        )
        assert form["CallbackSource"] == "call-progress-events"
        assert form["SequenceNumber"] == str(sequences[post.path])
        sequences[post.path] += 1
        assert RFC_2822.fullmatch(form["Timestamp"])
        assert parsedate_to_datetime(form["Timestamp"]) >= before
        if final:
            assert (
                form["CallDuration"],
                form["Duration"],
                form["SipResponseCode"],
            ) == ENDS[form["CallStatus"]]
        if post.path == "/a":
            assert (form["CallSid"], form["Direction"]) == (a_sid, "outbound-api")
            assert (form["From"], form["To"]) == (FROM, A)
        else:
            assert CALL_SID.fullmatch(form["CallSid"])
            assert form["CallSid"] != a_sid
            assert (form["ParentCallSid"], form["Direction"]) == (
                a_sid,
                "outbound-dial",
            )
            assert (form["From"], form["To"]) == (FROM, B)
    leg = {"/a": "A", "/b": "B", "/dial": "dial"}
    assert sandbox.sandbox.calls[a_sid].reported == [
        f"{leg[path]} {status}" for path, status in expected
    ]


async def test_twilio_posts_only_the_requested_events(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    callbacks: tuple[Callbacks, str],
) -> None:
    """Without events (or with unknown ones) each leg posts its end only."""
    recorder, base = callbacks
    url = urls(base)
    sandbox.sandbox.progress = (0.0, 0.01)
    twiml = bridge(action=url["/dial"], status_callback=url["/b"], events=None)
    await create_call(sandbox, session, {"Twiml": twiml, "StatusCallback": url["/a"]})
    await recorder.wait_for(3)
    assert [(post.path, post.status) for post in recorder.posts] == [
        ("/b", "completed"),
        ("/dial", "completed"),
        ("/a", "completed"),
    ]
    # Each leg counts its own callbacks.
    assert [post.form.get("SequenceNumber") for post in recorder.posts] == [
        "0",
        None,
        "0",
    ]
    assert recorder.posts[0].form["CallDuration"] == "1"  # 0.01 s, rounded up
    for post in recorder.posts:
        assert_signed(post)


async def test_twilio_posts_requested_events_and_ignores_unknown_ones(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    callbacks: tuple[Callbacks, str],
) -> None:
    recorder, base = callbacks
    url = urls(base)
    sandbox.sandbox.progress = (0.0, 0.01)
    twiml = bridge(status_callback=url["/b"], events="answered answer")
    await create_call(
        sandbox,
        session,
        {"Twiml": twiml, "StatusCallback": url["/a"]},
        events=["ringing", "completed", "progress"],
    )
    await recorder.wait_for(3)
    await asyncio.sleep(0.02)
    assert [(post.path, post.status) for post in recorder.posts] == [
        ("/a", "ringing"),
        ("/b", "in-progress"),
        ("/a", "completed"),
    ]


async def test_twilio_url_call_plays_party_a_only(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    callbacks: tuple[Callbacks, str],
) -> None:
    """The sandbox does not fetch a Url's TwiML: A answers and hangs up."""
    recorder, base = callbacks
    url = urls(base)
    sandbox.sandbox.progress = (0.0, 0.01)
    await create_call(
        sandbox,
        session,
        {"Url": "https://ha.example/twiml", "Twiml": None, "StatusCallback": url["/a"]},
        events=ALL_EVENTS,
    )
    await recorder.wait_for(4)
    await asyncio.sleep(0.02)
    assert [(post.path, post.status) for post in recorder.posts] == [
        ("/a", "initiated"),
        ("/a", "ringing"),
        ("/a", "in-progress"),
        ("/a", "completed"),
    ]


async def test_twilio_b_sees_a_s_caller_id_without_caller_id(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    callbacks: tuple[Callbacks, str],
) -> None:
    recorder, base = callbacks
    sandbox.sandbox.progress = (0.0, 0.01)
    twiml = bridge(caller_id=None, status_callback=urls(base)["/b"])
    await create_call(sandbox, session, {"Twiml": twiml})
    await recorder.wait_for(4)
    assert {post.form["From"] for post in recorder.posts} == {FROM}


@pytest.mark.parametrize(
    ("progress", "callback_urls"), [(None, True), ((0.0, 0.01), False)]
)
async def test_twilio_posts_nothing_without_progress_or_urls(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    callbacks: tuple[Callbacks, str],
    progress: tuple[float, float] | None,
    callback_urls: bool,
) -> None:
    recorder, base = callbacks
    url = urls(base)
    sandbox.sandbox.progress = progress
    changes: dict[str, str | None] = {}
    if callback_urls:
        changes = {
            "Twiml": bridge(action=url["/dial"], status_callback=url["/b"]),
            "StatusCallback": url["/a"],
        }
    answer = await create_call(sandbox, session, changes, events=ALL_EVENTS)
    assert answer.status == 201
    await asyncio.sleep(0.05)
    assert recorder.posts == []
    assert sandbox.sandbox.calls[answer.body["sid"]].reported == []


async def test_twilio_signs_the_url_with_its_query_and_the_auth_token(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    callbacks: tuple[Callbacks, str],
) -> None:
    recorder, base = callbacks
    sandbox.sandbox.progress = (0.0, 0.01)
    await create_call(sandbox, session, {"StatusCallback": urls(base)["/a"]})
    await recorder.wait_for(1)
    [post] = recorder.posts
    assert post.signature == twilio.signature(TOKEN, post.url, post.form)
    assert post.signature != twilio.signature("other", post.url, post.form)
    # Query parameters are part of the URL, never of the sorted parameters.
    assert post.signature != twilio.signature(
        TOKEN, post.url.split("?")[0], post.form | {"leg": "a", "memo": "c+1"}
    )


# The plan of a played call.


@pytest.mark.parametrize(
    ("ending", "steps"),
    [
        (
            "completed",
            [
                (0, "A", "initiated", None),
                (1, "A", "ringing", None),
                (2, "A", "in-progress", None),
                (2, "B", "initiated", None),
                (3, "B", "ringing", None),
                (4, "B", "in-progress", None),
                (10, "B", "completed", 6),
                (10, "dial", "completed", 6),
                (10, "A", "completed", 8),
            ],
        ),
        (
            "busy",
            [
                (0, "A", "initiated", None),
                (1, "A", "ringing", None),
                (2, "A", "in-progress", None),
                (2, "B", "initiated", None),
                (3, "B", "ringing", None),
                (10, "B", "busy", 0),
                (10, "dial", "busy", 0),
                (10, "A", "completed", 8),
            ],
        ),
        (
            "no_answer",
            [
                (0, "A", "initiated", None),
                (1, "A", "ringing", None),
                (10, "A", "no-answer", 0),
            ],
        ),
        (
            "cancelled",
            [
                (0, "A", "initiated", None),
                (1, "A", "ringing", None),
                (10, "A", "canceled", 0),
            ],
        ),
        (
            "failed",
            [
                (0, "A", "initiated", None),
                (1, "A", "ringing", None),
                (2, "A", "in-progress", None),
                (2, "B", "initiated", None),
                (10, "B", "failed", 0),
                (10, "dial", "failed", 0),
                (10, "A", "completed", 8),
            ],
        ),
    ],
)
def test_twilio_plan(
    ending: str, steps: list[tuple[float, str, str, int | None]]
) -> None:
    assert twilio.plan(ending, 4.0, 10.0) == [twilio.Step(*step) for step in steps]


def test_twilio_plan_without_a_dial_and_rounding_up() -> None:
    assert twilio.plan("busy", 0.4, 1.01, dials=False) == [
        twilio.Step(0, "A", "initiated"),
        twilio.Step(0.1, "A", "ringing"),
        twilio.Step(0.2, "A", "in-progress"),
        twilio.Step(1.01, "A", "completed", 1),
    ]
    assert twilio.plan("completed", 0.4, 1.01)[-3].duration == 1


def test_twilio_parses_the_bridge_twiml() -> None:
    twiml = bridge(
        action="https://ha.example/api/webhook/ID?ev=dial&id=1",
        status_callback="https://ha.example/api/webhook/ID?ev=b&id=1",
    )
    assert "&amp;" in twiml
    assert twilio.parse_twiml(twiml) == twilio.Dial(
        B,
        FROM,
        "https://ha.example/api/webhook/ID?ev=dial&id=1",
        "https://ha.example/api/webhook/ID?ev=b&id=1",
        frozenset(ALL_EVENTS),
    )
    assert twilio.parse_twiml("<Response><Hangup/></Response>") is None
