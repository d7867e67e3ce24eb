"""Benchmark Click to Call against its baselines, measured in the same run.

Real Home Assistant (the test harness the tests use, without pytest's loop
debug mode) runs in this process; the provider sandbox runs in its own process
on loopback, so it does not share Home Assistant's loop. Every line prints a
median, a p95 and a ratio to its baseline; nothing here asserts a time.

The floor is what the contract asks of a dial and nothing more, in the same
Home Assistant: rest_command's request, then the dial's writes of real
entities and its bus event (see `Floor`); a report's floor is a webhook that
writes the same.

    python scripts/bench.py [--quick] [--profile]

--profile prints where 1,000 dials spend their time (cProfile) instead
(BENCH_PROFILE_WHAT=floor: 1,000 of the floor).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, contextmanager
import cProfile
from dataclasses import dataclass
import gc
import json
import logging
import os
from pathlib import Path
import platform
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from types import MappingProxyType
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Before the harness: it puts its own custom_components first (see tests/conftest.py).
from aiohttp import ClientSession  # noqa: E402
from aiohttp.test_utils import TestServer  # noqa: E402
from homeassistant import loader  # noqa: E402
from homeassistant.components import conversation, webhook  # noqa: E402
from homeassistant.components.event import EventEntity  # noqa: E402
from homeassistant.components.sensor import (  # noqa: E402
    SensorDeviceClass,
    SensorEntity,
)
from homeassistant.config_entries import (  # noqa: E402
    ConfigEntry,
    ConfigFlow,
    ConfigSubentry,
)
from homeassistant.const import Platform, __version__ as HA_VERSION  # noqa: E402
from homeassistant.core import Context, HomeAssistant, callback  # noqa: E402
from homeassistant.helpers import frame  # noqa: E402
from homeassistant.helpers.aiohttp_client import async_get_clientsession  # noqa: E402
from homeassistant.helpers.device_registry import DeviceInfo  # noqa: E402
from homeassistant.setup import async_setup_component  # noqa: E402
from homeassistant.util.json import json_loads  # noqa: E402
from homeassistant.util.ulid import ulid_now  # noqa: E402
from pytest_homeassistant_custom_component.common import (  # noqa: E402
    MockConfigEntry,
    MockModule,
    MockPlatform,
    async_test_home_assistant,
    mock_integration,
    mock_platform,
)

import custom_components.click_to_call  # noqa: E402, F401
from custom_components.click_to_call.calls import CallRecord  # noqa: E402
from custom_components.click_to_call.const import (  # noqa: E402
    CONF_MAX_CALLS_PER_HOUR,
    CONF_REPEAT_INTERVAL,
    DOMAIN,
    EVENT_CALL_UPDATED,
)
from custom_components.click_to_call.providers import client_class  # noqa: E402
from custom_components.click_to_call.providers.models import (  # noqa: E402
    Announcement,
    CallKind,
    CallStatus,
    CallUpdate,
    DialRequest,
)

FULL = {
    "dials": 500,
    "together": 200,
    "callbacks": 8000,
    "entries": 50,
    "calls": 10000,
    "imports": 7,
    "voice": 300,
}
QUICK = {
    "dials": 100,
    "together": 50,
    "callbacks": 2000,
    "entries": 50,
    "calls": 1500,
    "imports": 2,
    "voice": 30,
}
TELSPIEL_PATH = "/telspiel/api/click-to-call"
HEADERS = {"accept": "application/json", "api-key": "demo-api-key"}
# Calls posted to the webhook at once, as a busy provider would.
WEBHOOK_CONCURRENCY = 10
# Reports go in blocks of this many calls (a "connected" and a "completed"
# each), the three webhooks taking turns, each going first in turn: with one
# long batch per webhook, a pause of the machine fell on one of them alone
# (the floor measured against itself differed by up to 20 %; in blocks, 5 %).
WEBHOOK_BLOCK = 50
# Blocks posted first and not timed: connections, caches.
WEBHOOK_WARM_UP = 3
# Runs of the dials at once (one a few tens of milliseconds), after a warm-up.
TOGETHER_RUNS = 11


def free_port() -> int:
    """Return a loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def sandbox_process() -> Any:
    """Run `python -m sandbox --quiet` on loopback; yield its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", str(port), "--quiet"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


@asynccontextmanager
async def home_assistant(config_dir: str) -> AsyncIterator[HomeAssistant]:
    """A real Home Assistant with custom integrations enabled, home in India."""
    async with async_test_home_assistant(config_dir=config_dir) as hass:
        frame.async_setup(hass)  # as the tests' `hass` fixture does
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
        hass.config.country = "IN"
        # The shared session resolves names with zeroconf, which needs this.
        assert await async_setup_component(hass, "network", {})
        # The integration's own dependency, set up first: it gives Home
        # Assistant an address (the harness's 192.0.2.2), taken away here so
        # no callback leaves loopback and dials send what their baselines send.
        # Its server listens on a free loopback port, never 8123: the bench
        # runs beside a demo (newer releases bind the port at set-up).
        http = {"server_host": ["127.0.0.1"], "server_port": free_port()}
        assert await async_setup_component(hass, "http", {"http": http})
        await _confirm_http_config(hass)
        hass.config.internal_url = hass.config.external_url = None
        hass.config.api = None
        yield hass
        await hass.async_stop(force=True)


async def _confirm_http_config(hass: HomeAssistant) -> None:
    """Keep the HTTP configuration just given, as the frontend's dialog does.

    Since 2026.x Home Assistant stores it and tries it as a pending
    configuration, reverted with a restart unless confirmed within 5 minutes
    (a full run can take longer); 2025.4 applies YAML as it is.
    """
    store: Any = hass.data.get("http")
    if getattr(store, "pending", None) is not None:
        await store.async_promote_pending()


def telspiel_entry(sandbox: str, number: int = 0) -> MockConfigEntry:
    """A telSpiel entry on the sandbox, call guard off (as the issue asks)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"telSpiel {number}",
        unique_id=f"telspiel_demo{number}",
        data={
            "provider": "telspiel",
            "username": "demo",
            "api_key": "demo-api-key",
            "agent_phone": "99999 99999",
            "api_url": f"{sandbox}{TELSPIEL_PATH}",
            "webhook_id": f"bench-webhook-{number}",
        },
        options={CONF_MAX_CALLS_PER_HOUR: 0, CONF_REPEAT_INTERVAL: 0},
    )


# The floor: what the contract asks of a dial or a status report, and nothing
# more, built in the bench from Home Assistant's own parts. A dial's floor is
# rest_command sending the dial's request, then the writes a dial makes (the
# account's last_call_status sensor and its call event entity, real entities
# written through async_write_ha_state, with the same state and attributes)
# and click_to_call_call_updated with the same data. A report's floor reads the
# body, finds the call and writes the same entities and event.
FLOOR_DOMAIN = "bench_floor"
FLOOR_LINE = "floor (rest_command, the same writes and event)"
STATUSES = [status.value for status in CallStatus]
RANK = {status.value: status.rank for status in CallStatus}


@dataclass(slots=True)
class Call:
    """A call as the floor keeps it: its status, provider, and how it is shown."""

    status: str
    provider: str
    described: dict[str, Any]


class FloorEntity:
    """What the floor's entities share with ours: device, no polling, no ids kept."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _unrecorded_attributes = frozenset({"call_id", "provider_call_id"})

    def __init__(self, entry_id: str, key: str, name: str) -> None:
        """Name the entity on the floor's device."""
        self._attr_unique_id = f"{entry_id}_{key}"
        self._attr_name = name
        self._attr_device_info = DeviceInfo(
            identifiers={(FLOOR_DOMAIN, entry_id)}, name="Floor"
        )


class FloorStatusSensor(FloorEntity, SensorEntity):
    """The account's last_call_status: an enum of the statuses, the call described."""

    _attr_device_class = SensorDeviceClass.ENUM
    _attr_options = STATUSES

    def __init__(self, entry_id: str) -> None:
        """Show no call yet."""
        super().__init__(entry_id, "last_call_status", "Last call status")
        self.status: str | None = None
        self.described: dict[str, Any] | None = None

    # Read as ours are, from what the floor keeps (not _attr_ setters).
    @property
    def native_value(self) -> str | None:
        """Return the last call's status."""
        return self.status

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Describe the last call."""
        return self.described


class FloorEventEntity(FloorEntity, EventEntity):
    """The account's call event entity: one event per status change."""

    _attr_event_types = STATUSES

    def __init__(self, entry_id: str) -> None:
        """Name the entity."""
        super().__init__(entry_id, "call", "Call")


class FloorFlow(ConfigFlow, domain=FLOOR_DOMAIN):
    """The floor's account is added by the bench: its flow only has to exist."""


class Floor:
    """The floor's account: its two entities, its calls, and the bus event."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Start with no calls; the entities come with the platforms."""
        self.hass = hass
        self.entry_id = entry_id
        self.sensor = FloorStatusSensor(entry_id)
        self.event = FloorEventEntity(entry_id)
        # Calls that reports may name, by id; the call the sensor shows.
        self.calls: dict[str, Call] = {}
        self.latest: Call | None = None
        # The device the event names (known once, where ours looks it up).
        self.device_id: str | None = None

    @callback
    def async_placed(
        self,
        provider: str,
        to: str,
        from_: str | None,
        provider_call_id: str | None = None,
        call_id: str | None = None,
        kind: CallKind = CallKind.DIAL,
    ) -> Call:
        """Show a call the provider took, as a dial shows it."""
        call = Call(
            "initiated",
            provider,
            {
                "call_id": call_id or ulid_now(),
                "to": to,
                "from": from_,
                "contact": None,
                "reference": None,
                "provider_call_id": provider_call_id,
                "duration": None,
                "error": None,
                "reason": None,
                "kind": kind,
                "answered_by": None,
                "digits": None,
            },
        )
        self.latest = call
        self.async_show(call)
        return call

    @callback
    def async_show(self, call: Call) -> None:
        """Write the entities and fire the bus event for a change to a call."""
        described = call.described
        self.event._trigger_event(call.status, described)
        self.event.async_write_ha_state()
        if call is self.latest:
            self.sensor.status = call.status
            self.sensor.described = described
            self.sensor.async_write_ha_state()
        self.hass.bus.async_fire(
            EVENT_CALL_UPDATED,
            {
                "entry_id": self.entry_id,
                "call_id": described["call_id"],
                "status": call.status,
                "to": described["to"],
                "from": described["from"],
                "reference": described["reference"],
                "provider": call.provider,
                "provider_call_id": described["provider_call_id"],
                "duration": described["duration"],
                "error": described["error"],
                "reason": described["reason"],
                "contact": described["contact"],
                "kind": described["kind"],
                "answered_by": described["answered_by"],
                "digits": described["digits"],
                "device_id": self.device_id,
            },
        )

    async def webhook(self, hass: HomeAssistant, webhook_id: str, request: Any) -> None:
        """A report's floor: read it, find its call, show a newer status."""
        report = json_loads(await request.read())
        call = self.calls.get(report["call_id"])
        status = report["status"]
        if call is None or RANK[status] <= RANK[call.status]:
            return  # statuses only move forward
        call.status = status
        self.async_show(call)


async def async_setup_floor(hass: HomeAssistant) -> Floor:
    """Add the floor's account, its device and its two entities to Home Assistant."""
    entry = MockConfigEntry(domain=FLOOR_DOMAIN, title="Floor")
    floor = Floor(hass, entry.entry_id)

    async def setup_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
        await hass.config_entries.async_forward_entry_setups(
            entry, [Platform.SENSOR, Platform.EVENT]
        )
        return True

    def platform(entity: Any) -> MockPlatform:
        async def setup(hass: HomeAssistant, entry: ConfigEntry, add: Any) -> None:
            add([entity])

        return MockPlatform(async_setup_entry=setup)

    mock_integration(hass, MockModule(FLOOR_DOMAIN, async_setup_entry=setup_entry))
    mock_platform(hass, f"{FLOOR_DOMAIN}.config_flow")  # set up from an entry
    mock_platform(hass, f"{FLOOR_DOMAIN}.sensor", platform(floor.sensor))
    mock_platform(hass, f"{FLOOR_DOMAIN}.event", platform(floor.event))
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert floor.sensor.hass is not None and floor.event.hass is not None
    assert floor.sensor.device_entry is not None
    floor.device_id = floor.sensor.device_entry.id
    return floor


def quantiles(samples: list[float]) -> tuple[float, float]:
    """Return the median and the 95th percentile."""
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[
        min(len(ordered) - 1, int(len(ordered) * 0.95))
    ]


class Table:
    """The printed result: one line per measurement."""

    def __init__(self) -> None:
        """Start empty."""
        self.rows: list[tuple[str, str, str, str, str]] = []

    def add(self, name: str, count: str, median: str, p95: str, ratio: str) -> None:
        """Add a line."""
        self.rows.append((name, count, median, p95, ratio))

    def print(self) -> None:
        """Print the lines, aligned."""
        header = ("measurement", "n", "median", "p95", "ratio to baseline")
        # By line number, whatever order they were measured in.
        rows = sorted(self.rows, key=lambda row: int(row[0].split(".", 1)[0]))
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(5)]
        for row in [header, *rows]:
            print(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                )
            )


def ms(seconds: float) -> str:
    """Format seconds as milliseconds."""
    return f"{seconds * 1000:.2f} ms"


def in_turn[T](items: list[T], round_: int) -> list[T]:
    """Return the items with a different one first each round (fair to warmth)."""
    turn = round_ % len(items)
    return items[turn:] + items[:turn]


async def interleaved(
    variants: dict[str, Callable[[], Awaitable[Any]]], count: int, block: int = 10
) -> dict[str, list[float]]:
    """Time each variant `count` times, in alternating blocks (fair to drift).

    Each variant goes first in turn: what follows another may find it warm.
    """
    times: dict[str, list[float]] = {name: [] for name in variants}
    order = list(variants.items())
    for round_ in range(max(1, count // block)):
        for name, call in in_turn(order, round_):
            for _ in range(block):
                started = time.perf_counter()
                await call()
                times[name].append(time.perf_counter() - started)
    return times


async def bench_dial(
    hass: HomeAssistant,
    sandbox: str,
    counts: dict[str, int],
    table: Table,
    floor: Floor,
) -> None:
    """Lines 1 and 2: dial latency and 200 dials at once."""
    url = f"{sandbox}{TELSPIEL_PATH}"
    entry = telspiel_entry(sandbox)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    session = async_get_clientsession(hass)
    body = {
        "username": "demo",
        "agent_phone": "9999999999",
        "customer_phone": "9876543210",
    }

    async def dial() -> None:
        response = await hass.services.async_call(
            DOMAIN, "dial", {"to": "98765 43210"}, blocking=True, return_response=True
        )
        assert response is not None and response["status"] == "initiated", response

    async def rest_command() -> None:
        response = await hass.services.async_call(
            "rest_command",
            "telspiel",
            {"to": "9876543210"},
            blocking=True,
            return_response=True,
        )
        assert response is not None and response["status"] == 200, response

    async def bare_post() -> None:
        async with session.post(url, json=body, headers=HEADERS) as answer:
            await answer.read()
            assert answer.status == 200

    async def floor_dial() -> None:
        await rest_command()
        floor.async_placed("telspiel", "+919876543210", "+919999999999")

    variants = {
        "click_to_call.dial": dial,
        "rest_command": rest_command,
        "bare aiohttp post": bare_post,
        FLOOR_LINE: floor_dial,
    }
    await interleaved(variants, 30)  # warm-up: connections, caches
    times = await interleaved(variants, counts["dials"])
    medians = {name: quantiles(samples)[0] for name, samples in times.items()}
    for name, samples in times.items():
        median, p95 = quantiles(samples)
        ratio = (
            f"{median / medians['rest_command']:.2f}x rest_command, "
            f"{median / medians['bare aiohttp post']:.2f}x bare post, "
            f"{median / medians[FLOOR_LINE]:.2f}x floor"
        )
        table.add(
            f"1. dial latency: {name}", str(len(samples)), ms(median), ms(p95), ratio
        )

    together = counts["together"]
    walls: dict[str, list[float]] = {"dial": [], "bare": [], "floor": []}
    kinds = [("dial", dial), ("bare", bare_post), ("floor", floor_dial)]
    for run in range(TOGETHER_RUNS + 1):
        for name, call in in_turn(kinds, run):
            started = time.perf_counter()
            await asyncio.gather(*(call() for _ in range(together)))
            if run:  # the first is a warm-up: the pool opens its connections
                walls[name].append(time.perf_counter() - started)
    wall = {name: statistics.median(runs) for name, runs in walls.items()}
    for name, what in (("dial", "dials"), ("floor", "floors")):
        table.add(
            f"2. {together} {what} at once (wall)",
            f"{TOGETHER_RUNS} runs",
            ms(wall[name]),
            ms(max(walls[name])),
            f"{wall[name] / wall['bare']:.2f}x {together} bare posts at once "
            f"({ms(wall['bare'])}), {wall[name] / wall['floor']:.2f}x "
            f"{together} floors at once",
        )
    await hass.config_entries.async_unload(entry.entry_id)


# Lines 7 and 8: the providers whose requests are forms with HTTP Basic auth,
# each against rest_command sending the same form to the same sandbox API.
FORM_PROVIDERS: dict[str, dict[str, Any]] = {
    "twilio": {
        "line": 7,
        "title": "Twilio",
        "data": {
            "account_sid": "AC00000000000000000000000000000001",
            "auth_token": "demo-auth-token",
            "from_number": "+14155550100",
            "a_party": "+14155550101",
            "api_url": "{sandbox}/twilio",
        },
        "url": "{sandbox}/twilio/2010-04-01/Accounts/AC00000000000000000000000000000001/Calls.json",
        "auth": ("AC00000000000000000000000000000001", "demo-auth-token"),
        "to": "+14155550102",
    },
    "exotel": {
        "line": 8,
        "title": "Exotel",
        "data": {
            "api_key": "demo-api-key",
            "api_token": "demo-api-token",
            "account_sid": "demo-sid",
            "caller_id": "+918047110000",
            "a_party": "+919900000001",
            "region": "api.exotel.com",
            "api_url": "{sandbox}/exotel",
        },
        "url": "{sandbox}/exotel/v1/Accounts/demo-sid/Calls/connect.json",
        "auth": ("demo-api-key", "demo-api-token"),
        "to": "+919900000002",
    },
}


# Line 9: a Twilio announce call (the message, no digit: no webhook URL is set
# here) against rest_command sending the same form.
ANNOUNCE_COMMAND = "twilio_announce"
ANNOUNCE_MESSAGE = "Water leak in the kitchen"
ANNOUNCE_LANGUAGE = "en-US"


def _provider_data(sandbox: str, provider: str) -> dict[str, str]:
    spec = FORM_PROVIDERS[provider]
    return {key: value.format(sandbox=sandbox) for key, value in spec["data"].items()}


def rest_commands(sandbox: str) -> dict[str, Any]:
    """The baselines: rest_command sending what each provider's dial sends."""
    commands: dict[str, Any] = {
        "telspiel": {
            "url": f"{sandbox}{TELSPIEL_PATH}",
            "method": "post",
            "headers": HEADERS,
            "content_type": "application/json",
            "payload": '{"username": "demo", "agent_phone": "9999999999", '
            '"customer_phone": "{{ to }}"}',
        }
    }
    for provider, spec in FORM_PROVIDERS.items():
        client = client_class(provider).from_data(
            None,  # type: ignore[arg-type]  # only builds the form, sends nothing
            {"provider": provider, **_provider_data(sandbox, provider)},
        )
        build = getattr(client, "call_form" if provider == "twilio" else "connect_form")
        # The very form the integration sends (no callback URL: none is set here).
        form = build(DialRequest(call_id="bench", to=spec["to"]))
        user, password = spec["auth"]
        commands[provider] = {
            "url": spec["url"].format(sandbox=sandbox),
            "method": "post",
            "username": user,
            "password": password,
            "content_type": "application/x-www-form-urlencoded",
            "payload": urlencode(form),
        }
    twilio = FORM_PROVIDERS["twilio"]
    client = client_class("twilio").from_data(
        None,  # type: ignore[arg-type]  # only builds the form, sends nothing
        {"provider": "twilio", **_provider_data(sandbox, "twilio")},
    )
    announcement = Announcement(message=ANNOUNCE_MESSAGE, language=ANNOUNCE_LANGUAGE)
    form = client.call_form(
        DialRequest(call_id="bench", to=twilio["to"], announcement=announcement)
    )
    commands[ANNOUNCE_COMMAND] = commands["twilio"] | {"payload": urlencode(form)}
    return commands


async def _set_up_form_provider(
    hass: HomeAssistant, sandbox: str, provider: str, name: str
) -> MockConfigEntry:
    """Add an account of a form provider, with no guard in the way."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=name,
        unique_id=f"{name}_bench",
        data={
            "provider": provider,
            "webhook_id": f"bench-{name}",
            **_provider_data(sandbox, provider),
        },
        options={CONF_MAX_CALLS_PER_HOUR: 0, CONF_REPEAT_INTERVAL: 0},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def _against_rest_command(
    hass: HomeAssistant,
    counts: dict[str, int],
    table: Table,
    title: str,
    action: tuple[str, dict[str, Any]],
    command: str,
    floor_place: Callable[[dict[str, Any]], object],
) -> None:
    """Time our action, rest_command's same request, and the floor, interleaved."""
    service, data = action

    async def ours() -> None:
        response = await hass.services.async_call(
            DOMAIN, service, data, blocking=True, return_response=True
        )
        assert response is not None and response["status"] == "initiated", response

    async def rest_command() -> dict[str, Any]:
        response = await hass.services.async_call(
            "rest_command", command, {}, blocking=True, return_response=True
        )
        assert response is not None and response["status"] < 300, response
        return response

    async def floor_call() -> None:
        floor_place((await rest_command())["content"])

    variants = {
        f"click_to_call.{service}": ours,
        "rest_command": rest_command,
        FLOOR_LINE: floor_call,
    }
    await interleaved(variants, 30)
    times = await interleaved(variants, counts["dials"])
    baseline = quantiles(times["rest_command"])[0]
    floor_median = quantiles(times[FLOOR_LINE])[0]
    for name, samples in times.items():
        median, p95 = quantiles(samples)
        table.add(
            f"{title}: {name}",
            str(len(samples)),
            ms(median),
            ms(p95),
            f"{median / baseline:.2f}x rest_command, {median / floor_median:.2f}x floor",
        )


async def bench_form_provider_dial(
    hass: HomeAssistant,
    sandbox: str,
    counts: dict[str, int],
    table: Table,
    provider: str,
    floor: Floor,
) -> None:
    """Lines 7 and 8: a Twilio or Exotel dial against rest_command's same request."""
    spec = FORM_PROVIDERS[provider]
    entry = await _set_up_form_provider(hass, sandbox, provider, provider)

    @callback
    def floor_place(answer: dict[str, Any]) -> None:
        # The provider's id for the call, as the dial keeps it.
        sid = answer["sid"] if provider == "twilio" else answer["Call"]["Sid"]
        floor.async_placed(provider, spec["to"], spec["data"]["a_party"], sid)

    await _against_rest_command(
        hass,
        counts,
        table,
        f"{spec['line']}. dial latency ({spec['title']})",
        ("dial", {"to": spec["to"], "config_entry_id": entry.entry_id}),
        provider,
        floor_place,
    )
    await hass.config_entries.async_unload(entry.entry_id)


async def bench_announce(
    hass: HomeAssistant,
    sandbox: str,
    counts: dict[str, int],
    table: Table,
    floor: Floor,
) -> None:
    """Line 9: a Twilio announce call against rest_command's same request."""
    to = FORM_PROVIDERS["twilio"]["to"]
    entry = await _set_up_form_provider(hass, sandbox, "twilio", ANNOUNCE_COMMAND)

    @callback
    def floor_place(answer: dict[str, Any]) -> None:
        floor.async_placed("twilio", to, None, answer["sid"], kind=CallKind.ANNOUNCE)

    announce = {
        "to": to,
        "message": ANNOUNCE_MESSAGE,
        "language": ANNOUNCE_LANGUAGE,
        "config_entry_id": entry.entry_id,
    }
    await _against_rest_command(
        hass,
        counts,
        table,
        "9. announce latency (Twilio)",
        ("announce", announce),
        ANNOUNCE_COMMAND,
        floor_place,
    )
    await hass.config_entries.async_unload(entry.entry_id)


async def bench_voice(
    hass: HomeAssistant, sandbox: str, counts: dict[str, int], table: Table
) -> None:
    """Line 6: "call Mom" said to the built-in agent against the dial action."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    entry = telspiel_entry(sandbox, 3)
    entry.add_to_hass(hass)
    hass.config_entries.async_add_subentry(
        entry,
        ConfigSubentry(
            data=MappingProxyType({"name": "Mom", "number": "98765 43210"}),
            subentry_type="contact",
            title="Mom",
            unique_id=None,
        ),
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    async def say() -> None:
        result = await conversation.async_converse(
            hass, "call Mom", None, Context(), language="en"
        )
        assert result.response.speech["plain"]["speech"] == "Calling Mom."

    async def action() -> None:
        await hass.services.async_call(
            DOMAIN, "dial", {"contact": "Mom"}, blocking=True, return_response=True
        )

    variants = {"said": say, "action": action}
    await interleaved(variants, 20)  # warm-up
    times = await interleaved(variants, counts["voice"])
    said, said_p95 = quantiles(times["said"])
    by_action = quantiles(times["action"])[0]
    table.add(
        '6. voice: "call Mom" to the built-in agent',
        str(len(times["said"])),
        ms(said),
        ms(said_p95),
        f"{said / by_action:.2f}x the dial action with contact Mom ({ms(by_action)})",
    )
    await hass.config_entries.async_unload(entry.entry_id)


async def bench_webhook(
    hass: HomeAssistant,
    sandbox: str,
    counts: dict[str, int],
    table: Table,
    floor: Floor,
) -> None:
    """Line 3: status callbacks through Home Assistant's web server."""
    assert await async_setup_component(hass, "http", {})
    entry = telspiel_entry(sandbox, 1)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    tracker = entry.runtime_data.tracker

    async def noop(hass: HomeAssistant, webhook_id: str, request: Any) -> None:
        await request.read()

    webhook.async_register(
        hass, "bench", "no-op", "bench-noop", noop, allowed_methods=["POST"]
    )
    webhook.async_register(
        hass, "bench", "floor", "bench-floor", floor.webhook, allowed_methods=["POST"]
    )
    server = TestServer(hass.http.app, host="127.0.0.1")
    await server.start_server()
    applied = 0

    @callback
    def count(_: Any) -> None:
        nonlocal applied
        applied += 1

    hass.bus.async_listen(EVENT_CALL_UPDATED, count)
    paths = {
        "noop": "/api/webhook/bench-noop",
        "floor": "/api/webhook/bench-floor",
        "ours": "/api/webhook/bench-webhook-1",
    }
    names = list(paths)
    blocks = counts["callbacks"] // (2 * WEBHOOK_BLOCK)
    per_report: dict[str, list[float]] = {name: [] for name in names}
    lost = posted = 0
    async with ClientSession() as client:
        slots = asyncio.Semaphore(WEBHOOK_CONCURRENCY)

        async def post(path: str, body: dict[str, Any]) -> None:
            async with slots, client.post(server.make_url(path), json=body) as answer:
                assert answer.status == 200

        for block in range(WEBHOOK_WARM_UP + blocks):
            ids = [f"bench-{block}-{n}" for n in range(WEBHOOK_BLOCK)]
            floor.calls.clear()
            for call_id in ids:
                tracker.async_add(
                    CallRecord(
                        call_id,
                        "telspiel",
                        "+919876543210",
                        None,
                        None,
                        CallStatus.INITIATED,
                        time.time(),
                    )
                )
                # The same calls on the floor's account (the last one shown).
                floor.calls[call_id] = floor.async_placed(
                    "telspiel", "+919876543210", None, call_id=call_id
                )
            for name in in_turn(names, block):
                applied = 0
                started = time.perf_counter()
                # All "connected" first, then all "completed": each one a change.
                for status in ("connected", "completed"):
                    await asyncio.gather(
                        *(
                            post(paths[name], {"call_id": call_id, "status": status})
                            for call_id in ids
                        )
                    )
                await hass.async_block_till_done()
                elapsed = time.perf_counter() - started
                reports = 2 * len(ids)
                if name == "floor":
                    assert applied == reports, applied  # the floor misses none
                if block < WEBHOOK_WARM_UP:
                    continue  # connections, caches
                per_report[name].append(elapsed / reports)
                if name == "ours":
                    posted += reports
                    lost += reports - applied
    await server.close()
    rate = {name: 1 / statistics.median(times) for name, times in per_report.items()}
    slowest = {name: 1 / max(times) for name, times in per_report.items()}
    table.add(
        f"3. webhook ingest, {posted:,} callbacks",
        f"{blocks} blocks",
        f"{rate['ours']:,.0f}/s",
        f"{slowest['ours']:,.0f}/s (slowest block)",
        f"{rate['ours'] / rate['noop']:.2f}x no-op webhook "
        f"({rate['noop']:,.0f}/s), {rate['ours'] / rate['floor']:.2f}x floor "
        f"webhook; lost {lost} of {posted}",
    )
    table.add(
        "3. webhook ingest: floor webhook (the same writes and event)",
        f"{blocks} blocks",
        f"{rate['floor']:,.0f}/s",
        f"{slowest['floor']:,.0f}/s (slowest block)",
        f"{rate['floor'] / rate['noop']:.2f}x no-op webhook",
    )
    await hass.config_entries.async_unload(entry.entry_id)


async def bench_setup(sandbox: str, counts: dict[str, int], table: Table) -> None:
    """Line 4a: set-up of 1 and of 50 entries, each on a fresh Home Assistant."""
    for entries in (1, 1, counts["entries"]):  # the first run warms up imports
        with tempfile.TemporaryDirectory() as config_dir:
            async with home_assistant(config_dir) as hass:
                for number in range(entries):
                    telspiel_entry(sandbox, number).add_to_hass(hass)
                started = time.perf_counter()
                assert await async_setup_component(hass, DOMAIN, {})
                await hass.async_block_till_done()
                elapsed = time.perf_counter() - started
                loaded = len(hass.config_entries.async_loaded_entries(DOMAIN))
                assert loaded == entries, loaded
        last = (entries, elapsed)
        if entries == 1:
            one = elapsed
    table.add("4. set-up of 1 entry", "1", ms(one), "", "")
    table.add(
        f"4. set-up of {last[0]} entries",
        str(last[0]),
        ms(last[1]),
        "",
        f"{last[1] / last[0] * 1000:.2f} ms per entry; target < 1 s total",
    )


async def bench_memory(
    hass: HomeAssistant, sandbox: str, counts: dict[str, int], table: Table
) -> None:
    """Line 4b: memory after many completed calls on one entry."""
    entry = telspiel_entry(sandbox, 2)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    tracker = entry.runtime_data.tracker

    async def completed_call() -> None:
        response = await hass.services.async_call(
            DOMAIN,
            "dial",
            {"config_entry_id": entry.entry_id, "to": "98765 43210"},
            blocking=True,
            return_response=True,
        )
        assert response is not None
        tracker.async_apply(
            CallUpdate(CallStatus.COMPLETED, call_id=response["call_id"], duration=30)
        )

    for _ in range(200):
        await completed_call()
    gc.collect()
    tracemalloc.start()
    checkpoints: list[tuple[int, float]] = []
    for done in range(1, counts["calls"] + 1):
        await completed_call()
        if done % (counts["calls"] // 5) == 0:
            await hass.async_block_till_done()
            gc.collect()
            checkpoints.append((done, tracemalloc.get_traced_memory()[0] / 1024))
    tracemalloc.stop()
    kept = sum(1 for _ in tracker)
    table.add(
        f"4. memory after {counts['calls']:,} completed calls",
        str(counts["calls"]),
        f"{checkpoints[-1][1]:,.0f} KiB",
        "",
        "growth by calls done: "
        + ", ".join(f"{done:,}: {kib:,.0f} KiB" for done, kib in checkpoints)
        + f"; {kept} calls kept",
    )
    await hass.config_entries.async_unload(entry.entry_id)


OURS = (
    "custom_components.click_to_call",
    "custom_components.click_to_call.config_flow",
    "custom_components.click_to_call.sensor",
    "custom_components.click_to_call.event",
    "custom_components.click_to_call.diagnostics",
)
# Ours: the integration and the requirements it brings.
OUR_PREFIXES = ("custom_components", "phonenumbers", "defusedxml")


def bench_import(counts: dict[str, int], table: Table) -> None:
    """Line 5: import cost in a fresh interpreter, minus Home Assistant's own.

    With compiled bytecode cached, as Home Assistant runs after its first
    start: some machines set PYTHONDONTWRITEBYTECODE, and every import would
    then compile the sources again (measuring their length, not their cost).
    The first run, which writes the cache, is not counted.
    """
    cache = tempfile.TemporaryDirectory()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": cache.name}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    listing = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys, json; {'; '.join(f'import {m}' for m in OURS)}; "
            f"print(json.dumps(sorted(m for m in sys.modules if not m.startswith({OUR_PREFIXES!r}))))",
        ],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    theirs = [name for name in json.loads(listing.stdout) if not name.startswith("__")]
    probe = (
        "import importlib, time, sys\n"
        "t0 = time.perf_counter()\n"
        f"for name in {theirs!r}:\n"
        "    try: importlib.import_module(name)\n"
        "    except Exception: pass\n"
        "t1 = time.perf_counter()\n"
        f"for name in {OURS!r}: importlib.import_module(name)\n"
        "t2 = time.perf_counter()\n"
        "print(t1 - t0, t2 - t1)\n"
    )
    theirs_times, ours_times = [], []
    for run in range(counts["imports"] + 1):
        out = subprocess.run(
            [sys.executable, "-c", probe],
            check=True,
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
        ).stdout.split()
        if run:  # the first one compiled and wrote the cache
            theirs_times.append(float(out[0]))
            ours_times.append(float(out[1]))
    cache.cleanup()
    ours, theirs_median = statistics.median(ours_times), statistics.median(theirs_times)
    table.add(
        "5. import of the integration (fresh interpreter)",
        str(counts["imports"]),
        ms(ours),
        ms(max(ours_times)),
        f"after Home Assistant's own modules ({ms(theirs_median)}, {len(theirs)} modules)",
    )


async def profile_dials() -> None:
    """Print the 30 most expensive functions (cumulative) of 1,000 dials.

    BENCH_PROFILE_WHAT=floor profiles 1,000 of the floor instead (rest_command,
    then the dial's writes and event), to set the two side by side.
    """
    what = os.environ.get("BENCH_PROFILE_WHAT", "dial")
    if what not in ("dial", "floor"):
        raise SystemExit(f"BENCH_PROFILE_WHAT is dial or floor, not {what!r}")
    with sandbox_process() as sandbox, tempfile.TemporaryDirectory() as config_dir:
        async with home_assistant(config_dir) as hass:
            assert await async_setup_component(
                hass, "rest_command", {"rest_command": rest_commands(sandbox)}
            )
            floor = await async_setup_floor(hass)
            entry = telspiel_entry(sandbox)
            entry.add_to_hass(hass)
            assert await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done()

            async def dial() -> None:
                await hass.services.async_call(
                    DOMAIN,
                    "dial",
                    {"to": "98765 43210"},
                    blocking=True,
                    return_response=True,
                )

            async def floor_dial() -> None:
                await hass.services.async_call(
                    "rest_command",
                    "telspiel",
                    {"to": "9876543210"},
                    blocking=True,
                    return_response=True,
                )
                floor.async_placed("telspiel", "+919876543210", "+919999999999")

            call = dial if what == "dial" else floor_dial
            for _ in range(50):
                await call()
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(1000):
                await call()
            profiler.disable()
            if dump := os.environ.get("BENCH_PROFILE_DUMP"):
                profiler.dump_stats(dump)
            stats = pstats.Stats(profiler).sort_stats(
                os.environ.get("BENCH_PROFILE_SORT", "cumulative")
            )
            stats.print_stats(os.environ.get("BENCH_PROFILE_FILTER", ""), 30)


async def main(quick: bool) -> None:
    """Run every measurement and print the table."""
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("homeassistant").setLevel(logging.ERROR)
    counts = QUICK if quick else FULL
    table = Table()
    print(
        f"Click to Call benchmark ({'quick' if quick else 'full'}): Home Assistant {HA_VERSION}, "
        f"Python {platform.python_version()}, {os.cpu_count()} cores"
    )
    with sandbox_process() as sandbox:
        with tempfile.TemporaryDirectory() as config_dir:
            async with home_assistant(config_dir) as hass:
                assert await async_setup_component(
                    hass, "rest_command", {"rest_command": rest_commands(sandbox)}
                )
                floor = await async_setup_floor(hass)
                await bench_dial(hass, sandbox, counts, table, floor)
                for provider in FORM_PROVIDERS:
                    await bench_form_provider_dial(
                        hass, sandbox, counts, table, provider, floor
                    )
                await bench_announce(hass, sandbox, counts, table, floor)
                # Before the web server starts: conversation adds its views.
                await bench_voice(hass, sandbox, counts, table)
                await bench_webhook(hass, sandbox, counts, table, floor)
                await bench_memory(hass, sandbox, counts, table)
        await bench_setup(sandbox, counts, table)
    bench_import(counts, table)
    table.print()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="small counts, under a minute"
    )
    parser.add_argument(
        "--profile", action="store_true", help="profile 1,000 dials instead"
    )
    options = parser.parse_args()
    asyncio.run(profile_dials() if options.profile else main(options.quick))
