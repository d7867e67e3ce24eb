"""Fixtures: Home Assistant, the provider sandbox on loopback, and entries."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest.mock import patch

from aiohttp.test_utils import TestClient, TestServer
from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
    ConfigEntryState,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import storage
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from hypothesis import HealthCheck, settings
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

# Imported before the `hass` fixture puts its own custom_components first on
# sys.path, so Home Assistant finds this integration.
import custom_components.click_to_call  # noqa: F401
from custom_components.click_to_call.const import (
    CONF_CALLBACK_KEY,
    CONF_PROVIDER,
    CONF_WEBHOOK_ID,
    DOMAIN,
)
from sandbox import DEFAULT_ACCOUNTS, Sandbox, create_app

# Shared CI machines are slow and noisy: judge properties, not draw speed.
settings.register_profile(
    "ci", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci")


@pytest.fixture
async def integration(
    hass: HomeAssistant,
    enable_custom_integrations: None,
    request: pytest.FixtureRequest,
) -> None:
    """Home Assistant that loads this integration, in a home in India.

    The providers here are Indian; numbers are read as Indian by default.
    Tests of Home Assistant's side use it (`pytestmark`); the provider
    clients and the sandbox run without Home Assistant.
    """
    hass.config.country = "IN"
    if request.node.get_closest_marker("setup_probes") is None:
        # Each set-up asks the provider about the account (tested where a
        # test is marked `setup_probes`); other tests see only the requests
        # made while the account is loaded.
        async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, _forget_probes)


_SETUP_STARTS: dict[int, int] = {}


@callback
def _forget_probes(change: ConfigEntryChange, entry: ConfigEntry) -> None:
    """Drop from each running sandbox's log the requests of a set-up."""
    if entry.domain != DOMAIN:
        return
    for running in _RUNNING:
        if entry.state is ConfigEntryState.SETUP_IN_PROGRESS:
            _SETUP_STARTS[id(running)] = len(running.requests)
        elif (start := _SETUP_STARTS.pop(id(running), None)) is not None:
            del running.requests[start:]


@dataclass
class SandboxServer:
    """The sandbox, running on a random loopback port."""

    sandbox: Sandbox
    server: TestServer

    def url(self, path: str = "") -> str:
        """Return the absolute URL of a path on the sandbox."""
        return str(self.server.make_url(path))


# The sandboxes of the running test: set-up probes are cleared from their log.
_RUNNING: list[Sandbox] = []


@pytest.fixture
async def sandbox(socket_enabled: None) -> AsyncGenerator[SandboxServer]:
    """Run the provider sandbox on loopback, without simulated progress."""
    state = Sandbox(
        accounts={name: dict(account) for name, account in DEFAULT_ACCOUNTS.items()},
        progress=None,
    )
    server = TestServer(create_app(state), host="127.0.0.1")
    await server.start_server()
    _RUNNING.append(state)
    yield SandboxServer(state, server)
    _RUNNING.remove(state)
    await server.close()


async def dial(hass: HomeAssistant, **fields: Any) -> dict[str, Any]:
    """Place a call with the dial action and return its response."""
    if "to" not in fields and "contact" not in fields:
        fields["to"] = "98765 43210"
    response = await hass.services.async_call(
        DOMAIN,
        "dial",
        fields,
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return dict(response)


async def wait_for_request(sandbox: SandboxServer, provider: str) -> None:
    """Wait (up to 1 s) until a request reaches the sandbox's provider."""
    for _ in range(100):
        if sandbox.sandbox.received(provider):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"no request reached {provider}")


async def wait_until(condition: Callable[[], object], what: str) -> None:
    """Wait (up to 1 s) until the sandbox's side of an exchange is done.

    Our side may finish first: the sandbox reads our answer after we send it.
    """
    for _ in range(100):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


async def wait_for_state(hass: HomeAssistant, entity_id: str, expected: str) -> None:
    """Wait (up to 5 s of loop time) until an entity reaches a state."""
    state = None
    for _ in range(500):
        await hass.async_block_till_done()
        state = hass.states.get(entity_id)
        if state is not None and state.state == expected:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{entity_id} never became {expected}: {state}")


def telspiel_data(sandbox: SandboxServer, **changes: Any) -> dict[str, Any]:
    """Entry data for the sandbox's telSpiel account."""
    return {
        CONF_PROVIDER: "telspiel",
        "username": "demo",
        "api_key": "demo-api-key",
        "agent_phone": "99999 99999",
        "api_url": sandbox.url("/telspiel/api/click-to-call"),
        CONF_WEBHOOK_ID: "telspiel-webhook",
        **changes,
    }


def telecmi_data(sandbox: SandboxServer, **changes: Any) -> dict[str, Any]:
    """Entry data for the sandbox's TeleCMI account."""
    return {
        CONF_PROVIDER: "telecmi",
        "user_id": "101_1111112",
        "secret": "2e0d75-d843-45-945-4171dd7a",
        "webrtc": True,
        "followme": False,
        "api_url": sandbox.url("/telecmi/v2/webrtc/click2call"),
        CONF_WEBHOOK_ID: "telecmi-webhook",
        **changes,
    }


def ameyo_data(sandbox: SandboxServer, **changes: Any) -> dict[str, Any]:
    """Entry data for the sandbox's Ameyo server and agent."""
    return {
        CONF_PROVIDER: "ameyo",
        "api_url": sandbox.url("/ameyo"),
        "hash_key": "demo-hash-key",
        "requesting_host": "homeassistant",
        "policy_name": "demo-policy",
        "campaign_id": "42",
        "user_id": "agent1",
        "verify_ssl": True,
        CONF_WEBHOOK_ID: "ameyo-webhook",
        **changes,
    }


def voice_panel_data(sandbox: SandboxServer, **changes: Any) -> dict[str, Any]:
    """Entry data for the sandbox's voice panel account."""
    return {
        CONF_PROVIDER: "voice_panel",
        "api_url": sandbox.url("/voicepanel"),
        "uid": "demo-uid",
        "pin": "1234",
        "number1": "99999 99999",
        CONF_WEBHOOK_ID: "voice-panel-webhook",
        **changes,
    }


def spokn_data(sandbox: SandboxServer, **changes: Any) -> dict[str, Any]:
    """Entry data for the sandbox's Spokn account (Enterprise)."""
    return {
        CONF_PROVIDER: "spokn",
        "username": "demo",
        "password": "demo-password",
        "aparty": "+91 99999 99999",
        "enterprise": True,
        "api_url": sandbox.url("/spokn/c2c/1.0/call"),
        CONF_WEBHOOK_ID: "spokn-webhook",
        **changes,
    }


type EntryFactory = Callable[..., Awaitable[MockConfigEntry]]


def _account(data: dict[str, Any]) -> Any:
    for key in ("username", "user_id", "uid", "account_sid"):
        if data.get(key):
            return data[key]
    return None


def twilio_data(sandbox: SandboxServer, **changes: Any) -> dict[str, Any]:
    """Entry data for the sandbox's Twilio account (a full one)."""
    return {
        CONF_PROVIDER: "twilio",
        "account_sid": "AC00000000000000000000000000000001",
        "auth_token": "demo-auth-token",
        "from_number": "+14155550100",
        "a_party": "+14155550101",
        "api_url": sandbox.url("/twilio"),
        CONF_WEBHOOK_ID: "twilio-webhook",
        **changes,
    }


def exotel_data(sandbox: SandboxServer, **changes: Any) -> dict[str, Any]:
    """Entry data for the sandbox's Exotel account."""
    return {
        CONF_PROVIDER: "exotel",
        "api_key": "demo-api-key",
        "api_token": "demo-api-token",
        "account_sid": "demo-sid",
        "caller_id": "+918047110000",
        "a_party": "+919900000001",
        "region": "api.exotel.com",
        "api_url": sandbox.url("/exotel"),
        CONF_WEBHOOK_ID: "exotel-webhook",
        CONF_CALLBACK_KEY: "exotel-secret-key",
        **changes,
    }


async def serve_webhooks(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator
) -> TestClient:
    """Serve Home Assistant's web server at the URL it gives for its webhooks.

    Set as a user sets it: the loaded accounts learn the address at once.
    """
    client = await hass_client_no_auth()
    await hass.config.async_update(
        internal_url=str(client.make_url("")).rstrip("/"), external_url=None
    )
    await hass.async_block_till_done()
    return client


@pytest.fixture
def setup_entry(hass: HomeAssistant, integration: None) -> EntryFactory:
    """Add an entry and set it up; return it once loaded."""

    async def factory(
        data: dict[str, Any], options: dict[str, Any] | None = None
    ) -> MockConfigEntry:
        entry = MockConfigEntry(
            domain=DOMAIN,
            title=f"{data[CONF_PROVIDER]} test",
            data=data,
            options=options or {},
            unique_id=f"{data[CONF_PROVIDER]}_{_account(data)}",
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        return entry

    return factory


# The real storage methods, taken before the `hass` fixture swaps them for its
# in-memory stand-in, so a test can read and write the calls file on disk.
_REAL_STORE_METHODS = {
    name: getattr(storage.Store, name)
    for name in ("_async_load", "_async_write_data", "async_remove")
}


@pytest.fixture
def real_storage(hass: HomeAssistant, tmp_path: Path) -> Iterator[Path]:
    """Keep Home Assistant's storage in real files; yield the storage folder."""
    hass.config.config_dir = str(tmp_path)
    with ExitStack() as stack:
        for name, method in _REAL_STORE_METHODS.items():
            stack.enter_context(patch.object(storage.Store, name, method))
        yield tmp_path / storage.STORAGE_DIR
