"""The sandbox's page and its settings."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from sandbox.control import STATUSES
from tests.conftest import SandboxServer
from tests.sandbox.home import Home
from tests.sandbox.test_twilio_announce import AWKWARD, announce, announce_form, create


def test_api_paths(sandbox: SandboxServer) -> None:
    assert sandbox.sandbox.api_paths == {
        "telspiel": "/telspiel/api/click-to-call",
        "telecmi": "/telecmi/v2/webrtc/click2call",
        "ameyo": "/ameyo",
        "voice_panel": "/voicepanel",
        "spokn": "/spokn/c2c/1.0/call",
        "twilio": "/twilio",
        "exotel": "/exotel",
    }


async def test_page_shows_the_new_accounts(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    async with session.get(sandbox.url("/")) as answer:
        page = await answer.text()
    for secret in ("demo-hash-key", "demo-policy", "demo-uid", "demo-password"):
        assert secret in page
    for path in ("/ameyo", "/voicepanel", "/spokn/c2c/1.0/call"):
        assert f"<code>{sandbox.url(path)}</code>" in page
    # Credentials as a person reads them, not as a Python dict.
    assert "hash_key: <code>demo-hash-key</code>" in page
    assert "{'" not in page
    # Only TeleCMI reports to a webhook saved here; telSpiel has no callback.
    assert page.count("action=/sandbox/webhook") == 1
    assert "telSpiel has no status callback" in page
    assert "Posts each leg to the callback url" in page
    assert "<option selected>connected</option>" in page
    assert "name=ameyo_delay size=5\nvalue='5'" in page
    assert "calls answer\nnever and end never" in page  # the fixture's progress is None
    assert "connected after 3 s and ended after 8 s" in page


async def test_page_lists_calls_with_buttons_only_for_webhook_providers(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    sandbox.sandbox.place("telecmi", "t-1", "98765", None)
    sandbox.sandbox.place("spokn", "s<1>", "<b>+1</b>", "+2")
    async with session.get(sandbox.url("/")) as answer:
        page = await answer.text()
    assert page.count("action=/sandbox/report") == len(STATUSES)
    assert "value=t-1>" in page
    assert "s&lt;1&gt;" in page
    assert "&lt;b&gt;+1&lt;/b&gt;" in page
    assert "<b>" not in page


async def test_page_refuses_webhooks_for_other_providers(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    for provider in ("telspiel", "ameyo", "voice_panel", "spokn"):
        async with session.post(
            sandbox.url("/sandbox/webhook"), data={"provider": provider, "url": "x"}
        ) as answer:
            assert answer.status == 400
            assert "does not use a status webhook" in await answer.text()
    assert sandbox.sandbox.webhooks == {}


@pytest.mark.parametrize(
    ("form", "outcome", "delay"),
    [
        (
            {"ameyo_outcome": "agent_no_answer", "ameyo_delay": "0.5"},
            "agent_no_answer",
            0.5,
        ),
        ({"ameyo_outcome": "on_break", "ameyo_delay": "0"}, "on_break", 0.0),
        ({"ameyo_outcome": "exploded", "ameyo_delay": "abc"}, "connected", 5.0),
        ({"ameyo_delay": "-1"}, "connected", 5.0),
        ({"ameyo_delay": "nan"}, "connected", 5.0),
        ({"ameyo_delay": "inf"}, "connected", 5.0),
        ({"ameyo_delay": "601"}, "connected", 5.0),
        ({"ending": "busy"}, "connected", 5.0),
        ({"telecmi_format": "chub-india"}, "connected", 5.0),
        ({"telecmi_format": "legacy"}, "connected", 5.0),
        ({"ending": "voicemail"}, "connected", 5.0),
        ({"ending": "explode"}, "connected", 5.0),
    ],
)
async def test_page_settings(
    sandbox: SandboxServer,
    session: aiohttp.ClientSession,
    form: dict[str, str],
    outcome: str,
    delay: float,
) -> None:
    async with session.post(sandbox.url("/sandbox/settings"), data=form) as answer:
        assert answer.status == 200  # followed the redirect back to the page
        page = await answer.text()
    assert sandbox.sandbox.ameyo_outcome == outcome
    assert sandbox.sandbox.ameyo_delay == delay
    assert sandbox.sandbox.ending == form.get("ending", "completed").replace(
        "explode", "completed"
    )
    expected_format = form.get("telecmi_format", "chub").replace("legacy", "chub")
    assert sandbox.sandbox.telecmi_format == expected_format
    assert f"<option selected>{outcome}</option>" in page
    assert f"value='{delay:g}'" in page


async def test_no_favicon_is_not_an_error(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    """A browser asks for /favicon.ico: an empty answer, not a 404 in its console."""
    async with session.get(sandbox.url("/favicon.ico")) as answer:
        assert answer.status == 204


@pytest.mark.parametrize(
    ("chosen", "kept"),
    [
        ("no_digit", "no_digit"),
        ("voicemail", "voicemail"),
        ("by_hand", "by_hand"),
        ("press_9", "press_1"),
        ("", "press_1"),
    ],
)
async def test_page_chooses_the_announce_outcome(
    sandbox: SandboxServer, session: aiohttp.ClientSession, chosen: str, kept: str
) -> None:
    async with session.post(
        sandbox.url("/sandbox/settings"), data={"announce_outcome": chosen}
    ) as answer:
        assert answer.status == 200
        page = await answer.text()
    assert sandbox.sandbox.announce_outcome == kept
    assert "<select name=announce_outcome>" in page
    assert f"<option selected>{kept}</option>" in page
    assert page.count("<option selected>") == 4  # ending, Ameyo, TeleCMI, announce
    assert (
        "<code>by_hand</code>: a person answers, and you press the digit below" in page
    )


async def test_page_shows_what_announce_calls_spoke_and_presses_a_digit(
    sandbox: SandboxServer, session: aiohttp.ClientSession, home: Home
) -> None:
    sandbox.sandbox.progress = (0.02, 0.04)
    sandbox.sandbox.announce_outcome = "by_hand"
    twiml = announce(AWKWARD, action=home.url("/hook", call="c1", leg="digits"))
    sid = await create(sandbox, session, announce_form(home, Twiml=twiml))
    call = sandbox.sandbox.calls[sid]
    for _ in range(400):
        if call.awaits_digit:
            break
        await asyncio.sleep(0.005)
    async with session.get(sandbox.url("/")) as answer:
        page = await answer.text()
    assert "<h2>Announce calls</h2>" in page
    assert "Tom &amp; Jerry &lt;3 &quot;quoted&quot; &#x27;single&#x27;" in page
    assert "a&gt;b &amp;amp; 🎉 naïve\tend" in page
    assert "<3" not in page
    assert "waiting for a digit" in page
    assert page.count("action=/sandbox/press") == 1
    for key in "0123456789":
        assert f"<button name=digit value={key}>{key}</button>" in page
    async with session.post(
        sandbox.url("/sandbox/press"), data={"call_id": sid, "digit": "4"}
    ) as answer:
        assert answer.status == 200  # followed the redirect back to the page
        assert answer.url.path == "/"
    assert call.digits == ["4"]
    [digits] = home.by("digits")
    assert digits.form["Digits"] == "4"
    async with session.post(
        sandbox.url("/sandbox/press"), data={"call_id": sid, "digit": "5"}
    ) as answer:
        assert answer.status == 409
        assert "not waiting for a digit" in await answer.text()
    for _ in range(400):
        if call.ended:
            break
        await asyncio.sleep(0.005)
    async with session.get(sandbox.url("/")) as answer:
        page = await answer.text()
    assert "action=/sandbox/press" not in page
    assert ">ended<" in page
    assert "digits: 4" in page
    assert "<code>&lt;Response/&gt;</code>" in page  # the stand-in's answer


@pytest.mark.parametrize(
    "form",
    [
        {"call_id": "CA-unknown", "digit": "1"},
        {"call_id": "t-1", "digit": "12"},
        {"call_id": "t-1", "digit": "x"},
        {"call_id": "t-1"},
    ],
)
async def test_page_press_refusals(
    sandbox: SandboxServer, session: aiohttp.ClientSession, form: dict[str, str]
) -> None:
    sandbox.sandbox.place("telecmi", "t-1", "98765", None, kind="announce")
    async with session.post(sandbox.url("/sandbox/press"), data=form) as answer:
        assert answer.status == 400
        assert await answer.text() == "unknown call or key"
    assert sandbox.sandbox.calls["t-1"].digits == []
