"""Ameyo through the dial action: slow synchronous outcomes, over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
import ipaddress
import json
from pathlib import Path
import ssl
import threading
import time
from urllib.parse import parse_qs

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.click_to_call.const import DOMAIN, EVENT_CALL_UPDATED
from sandbox import DEFAULT_ACCOUNTS, Canned, Sandbox, create_app, samples
from tests.conftest import (
    EntryFactory,
    SandboxServer,
    ameyo_data,
    dial,
    wait_for_request,
    wait_for_state,
)

pytestmark = pytest.mark.usefixtures("integration")

STATUS = "sensor.ameyo_test_last_call_status"


@pytest.fixture(autouse=True)
def quick_sandbox(sandbox: SandboxServer) -> None:
    sandbox.sandbox.ameyo_delay = 0


@pytest.mark.parametrize(
    ("sample", "status", "error"),
    [
        (
            samples.AMEYO_ON_BREAK,
            "rejected",
            "The agent is on break (not working in the campaign)",
        ),
        (
            samples.AMEYO_NOT_LOGGED_IN,
            "rejected",
            "The agent is not logged in (not available to take the call)",
        ),
        (
            samples.AMEYO_CHANNEL_UNAVAILABLE,
            "failed",
            "Ameyo had no telephony channel available",
        ),
        (
            samples.AMEYO_AGENT_NO_ANSWER,
            "no_answer",
            "The agent (party A) did not answer",
        ),
        (
            samples.AMEYO_CUSTOMER_NO_ANSWER,
            "no_answer",
            "The customer (party B) did not answer",
        ),
        (samples.AMEYO_CONNECTED, "connected", None),
    ],
)
async def test_every_documented_answer(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    sample: str,
    status: str,
    error: str | None,
) -> None:
    """Each sample, byte for byte as printed, ends in the right status."""
    await setup_entry(ameyo_data(sandbox))
    events = async_capture_events(hass, EVENT_CALL_UPDATED)
    sandbox.sandbox.queue("ameyo", Canned(200, sample, delay=0.05))

    response = await dial(hass)

    assert response["status"] == "initiated"
    await wait_for_state(hass, STATUS, status)
    state = hass.states.get(STATUS)
    assert state is not None
    assert state.attributes["error"] == error
    assert [event.data["status"] for event in events] == ["initiated", status]


async def test_dial_returns_at_once_while_ameyo_takes_30_seconds(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    entry = await setup_entry(ameyo_data(sandbox))
    sandbox.sandbox.ameyo_delay = 30

    started = time.monotonic()
    response = await dial(hass)
    elapsed = time.monotonic() - started

    assert response["status"] == "initiated"
    assert elapsed < 1.0
    await wait_for_request(sandbox, "ameyo")
    assert len(sandbox.sandbox.received("ameyo")) == 1  # sent, and still waiting
    assert hass.states.get(STATUS).state == "initiated"  # type: ignore[union-attr]
    await hass.config_entries.async_unload(entry.entry_id)


async def test_request_as_sent(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    await setup_entry(ameyo_data(sandbox))
    sandbox.sandbox.accounts["ameyo"]["campaign_id"] = "7"
    await dial(hass, campaign="7", extra={"CaseID": "c-1", "LeadID": 9})
    await wait_for_state(hass, STATUS, "connected")

    [received] = sandbox.sandbox.received("ameyo")
    assert received.method == "POST"
    assert received.path == "/ameyo/ameyowebaccess/command"
    assert received.query == {"command": "clickToDialWithToken"}
    assert received.headers["hash-key"] == "demo-hash-key"
    assert received.headers["requesting-host"] == "homeassistant"
    assert received.headers["policy-name"] == "demo-policy"
    assert received.headers["Content-Type"] == "application/x-www-form-urlencoded"
    [data] = parse_qs(received.body.decode())["data"]
    sent = json.loads(data)
    assert sent == {
        "userId": "agent1",
        "campaignId": "7",
        "phone": "9876543210",
        "additionalParams": {"CaseID": "c-1", "LeadID": 9},
    }
    assert list(sent) == list(json.loads(samples.AMEYO_REQUEST))


async def test_outcome_from_the_sandbox_by_itself(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    """The sandbox fills the samples with the real campaign and phone."""
    await setup_entry(ameyo_data(sandbox))
    sandbox.sandbox.ameyo_outcome = "customer_no_answer"
    await dial(hass)
    await wait_for_state(hass, STATUS, "no_answer")

    await dial(hass, to="91234 56789", **{"from": "agent2"})
    await wait_for_state(hass, STATUS, "rejected")
    assert "not logged in" in hass.states.get(STATUS).attributes["error"]  # type: ignore[union-attr]


async def test_wrong_token_starts_reauth(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    entry = await setup_entry(ameyo_data(sandbox, hash_key="expired"))
    await dial(hass)
    await wait_for_state(hass, STATUS, "rejected")
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == entry.entry_id


@pytest.mark.parametrize(
    ("canned", "status"),
    [
        (Canned(500, "down"), "failed"),
        (
            Canned(
                400, '{"status": "error", "reason": "Invalid data", "details": "phone"}'
            ),
            "rejected",
        ),
        (Canned(200, '{"status": "error", "reason": "Campaign closed"}'), "rejected"),
        (Canned(200, '{"result": "FAILURE", "reason": "Something else"}'), "failed"),
        (Canned(200, "<html>proxy error</html>"), "failed"),
    ],
)
async def test_other_answers(
    hass: HomeAssistant,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
    canned: Canned,
    status: str,
) -> None:
    await setup_entry(ameyo_data(sandbox))
    sandbox.sandbox.queue("ameyo", canned)
    await dial(hass)
    await wait_for_state(hass, STATUS, status)
    assert hass.states.get(STATUS).attributes["error"]  # type: ignore[union-attr]


async def test_restart_while_waiting_says_the_outcome_is_unknown(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    """The connection that would carry the outcome is gone after a restart:
    the call may have connected, so it is not `failed`; it says why it stays
    open."""
    entry = await setup_entry(ameyo_data(sandbox))
    sandbox.sandbox.ameyo_delay = 30
    await dial(hass)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=False)
    state = hass.states.get(STATUS)
    assert state is not None
    assert state.state == "initiated"
    assert state.attributes["reason"] == "interrupted"
    await hass.config_entries.async_unload(entry.entry_id)


async def test_agent_is_the_from_field_not_a_number(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    await setup_entry(ameyo_data(sandbox))
    sandbox.sandbox.accounts["ameyo"]["user_id"] = "agent7"
    await dial(hass, **{"from": "agent7"})
    await wait_for_state(hass, STATUS, "connected")
    assert hass.states.get(STATUS).attributes["from"] == "agent7"  # type: ignore[union-attr]


def self_signed_context(directory: Path) -> ssl.SSLContext:
    """A TLS context with a fresh self-signed certificate for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ameyo.local")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


@contextmanager
def tls_sandbox(state: Sandbox, context: ssl.SSLContext) -> Iterator[str]:
    """Serve the sandbox over TLS from its own thread and loop.

    A client that refuses the certificate resets the handshake; on Home
    Assistant's loop that reset would count as an error of the test.
    """
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever)
    thread.start()
    runner = web.AppRunner(create_app(state))

    async def start() -> str:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        host, port = runner.addresses[0][:2]
        return f"https://{host}:{port}"

    try:
        yield asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


async def test_self_signed_server_needs_verify_ssl_off(
    hass: HomeAssistant, tmp_path: Path, socket_enabled: None
) -> None:
    """Ameyo servers often have self-signed certificates (port 8443)."""
    state = Sandbox(
        accounts={name: dict(account) for name, account in DEFAULT_ACCOUNTS.items()},
        progress=None,
        ameyo_delay=0,
    )
    with tls_sandbox(state, self_signed_context(tmp_path)) as base:
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USER}
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "ameyo"}
        )
        data = {
            "api_url": f"{base}/ameyo",
            **DEFAULT_ACCOUNTS["ameyo"],
            "verify_ssl": True,
        }
        result = await hass.config_entries.flow.async_configure(result["flow_id"], data)
        assert result["errors"] == {"base": "provider_unavailable"}
        assert "secure connection" in result["description_placeholders"]["message"]

        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {**data, "verify_ssl": False}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done()
        await dial(hass)
        await wait_for_state(
            hass, "sensor.ameyo_agent1_127_0_0_1_last_call_status", "connected"
        )
        await hass.config_entries.async_unload(result["result"].entry_id)


async def test_a_connected_call_stays_connected_after_a_reload(
    hass: HomeAssistant, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    """Connected is Ameyo's last word: a reload must not turn it into failed."""
    entry = await setup_entry(ameyo_data(sandbox))
    call = await dial(hass)
    await wait_for_state(hass, STATUS, "connected")
    events = async_capture_events(hass, EVENT_CALL_UPDATED)

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    state = hass.states.get(STATUS)
    assert state is not None
    assert state.state == "connected"
    assert state.attributes["call_id"] == call["call_id"]
    assert events == []
