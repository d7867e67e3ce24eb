"""The sandbox as a person uses it: its page, its buttons, simulated calls."""

from __future__ import annotations

import os
from pathlib import Path
import socket
import subprocess
import sys
import time

import aiohttp
from aiohttp.test_utils import TestClient
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.click_to_call.const import DOMAIN
from tests.conftest import EntryFactory, SandboxServer, telecmi_data

pytestmark = pytest.mark.usefixtures("integration")

STATUS = "sensor.telecmi_test_last_call_status"
DURATION = "sensor.telecmi_test_last_call_duration"


async def test_page_and_buttons(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
) -> None:
    """A person saves the webhook URL, places a call and reports its status."""
    await setup_entry(telecmi_data(sandbox))
    home: TestClient = await hass_client_no_auth()
    async with aiohttp.ClientSession(base_url=sandbox.url()) as browser:
        page = await (await browser.get("/")).text()
        assert "101_1111112" in page
        assert "/telecmi/v2/webrtc/click2call" in page

        saved = await browser.post(
            "/sandbox/webhook",
            data={
                "provider": "telecmi",
                "url": str(home.make_url("/api/webhook/telecmi-webhook")),
            },
        )
        assert saved.status == 200  # followed the redirect back to the page
        assert sandbox.sandbox.webhooks["telecmi"].endswith(
            "/api/webhook/telecmi-webhook"
        )

        await hass.services.async_call(
            DOMAIN, "dial", {"to": "98765 43210"}, blocking=True
        )
        [call_id] = sandbox.sandbox.calls
        assert call_id in await (await browser.get("/")).text()

        for status in ("connected", "busy"):
            reported = await browser.post(
                "/sandbox/report", data={"call_id": call_id, "status": status}
            )
            assert reported.status == 200
        await hass.async_block_till_done()
        assert hass.states.get(STATUS).state == "busy"  # type: ignore[union-attr]

        bad = await browser.post(
            "/sandbox/report", data={"call_id": "x", "status": "busy"}
        )
        assert bad.status == 400
        unknown = await browser.post(
            "/sandbox/webhook", data={"provider": "acme", "url": "x"}
        )
        assert unknown.status == 400

        await browser.post("/sandbox/settings", data={"ending": "no_answer"})
        assert sandbox.sandbox.ending == "no_answer"
        await browser.post("/sandbox/settings", data={"ending": "exploded"})
        assert sandbox.sandbox.ending == "no_answer"

        await browser.post("/sandbox/webhook", data={"provider": "telecmi", "url": ""})
        assert "telecmi" not in sandbox.sandbox.webhooks
        no_webhook = await browser.post(
            "/sandbox/report", data={"call_id": call_id, "status": "completed"}
        )
        assert no_webhook.status == 400


async def test_report_to_an_unreachable_home_assistant(sandbox: SandboxServer) -> None:
    sandbox.sandbox.place("telecmi", "c1", "1", None)
    sandbox.sandbox.webhooks["telecmi"] = "http://127.0.0.1:1/api/webhook/x"
    assert await sandbox.sandbox.report("c1", "connected") == 0


@pytest.mark.parametrize(
    ("provider", "body"),
    [
        ("telspiel", b"[]"),
        ("telecmi", b"nope"),
        (
            "telecmi",
            b'{"user_id": "101_1111112", "secret": "2e0d75-d843-45-945-4171dd7a", "to": "98"}',
        ),
    ],
)
async def test_sandbox_refuses_malformed_requests(
    sandbox: SandboxServer, provider: str, body: bytes
) -> None:
    path = sandbox.sandbox.api_paths[provider]
    async with aiohttp.ClientSession() as session:
        answer = await session.post(sandbox.url(path), data=body)
        assert answer.status in (400, 422)
    assert sandbox.sandbox.calls == {}


@pytest.mark.parametrize("options", [[], ["--quiet"]])
def test_runs_standalone(socket_enabled: None, options: list[str]) -> None:
    """`python -m sandbox` serves the page on the port it is given."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = Path(__file__).parent.parent
    process = subprocess.Popen(  # noqa: S603 - our own module
        [sys.executable, "-m", "sandbox", "--port", str(port), *options],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
                    conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
                    reply = conn.recv(200)
                break
            except OSError:
                process.poll()
                assert process.returncode is None
                time.sleep(0.1)
        assert reply.startswith(b"HTTP/1.0 200 OK")
    finally:
        process.terminate()
        process.wait(timeout=10)
