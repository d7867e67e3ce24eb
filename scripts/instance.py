"""A Home Assistant instance for trying the integration: scripts/develop and the browser tests.

    python -m scripts.instance run CONFIG_DIR [--port 8123] [--sandbox-port 8124]
    python -m scripts.instance prepare CONFIG_DIR [--port 8123]
    python -m scripts.instance onboard BASE_URL

`run` is the demo of scripts/develop. It prepares CONFIG_DIR, starts the
provider sandbox (its state file in CONFIG_DIR) and Home Assistant, creates
the user dev / dev if there is none yet, and keeps both running as a
supervisor would: when Home Assistant exits asking for a restart (exit code
100: Settings → System → Restart), it is started again; when it exits
otherwise, or the sandbox does, the demo ends. Ctrl+C (SIGINT, SIGTERM or
SIGHUP) stops both; a second Ctrl+C kills them.

`prepare` writes the configuration unless there is one, links the integration
and seeds what Home Assistant keeps in `.storage`: onboarding done but for its
user step, so Home Assistant adds none of the integrations it adds after
onboarding (weather, radio, text to speech), which need the internet; and the
core configuration (name, country, time zone, currency, location, internal
and external URL) as Settings → System → General and Network keep it, so the
UI can change it. A configuration.yaml that an older scripts/develop wrote,
untouched, is brought up to this layout; an edited one is left as it is.

`onboard` waits for Home Assistant and creates the user unless it exists.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from contextlib import suppress
import importlib.util
import json
from pathlib import Path
import re
import shutil
import signal
import socket
import sys
from typing import Any

import aiohttp

ROOT = Path(__file__).parent.parent
CLIENT_ID = "http://localhost:8123/"
USER, PASSWORD = "dev", "dev"
# The sandbox's state file (sandbox/state.py), in the configuration folder.
SANDBOX_STATE = "sandbox.json"
# Home Assistant's exit code asking for a restart (homeassistant.const).
RESTART_EXIT_CODE = 100
# Seconds Home Assistant may take to stop before it is killed (its own stages
# of shutdown can take minutes; a second Ctrl+C kills it at once).
STOP_TIMEOUT = 240

# What a default configuration (default_config) loads, but for the parts that
# reach beyond this machine or need packages .venv does not have (Home
# Assistant would install them from PyPI at start): cloud (Nabu Casa),
# homeassistant_alerts (fetches alerts from the internet), go2rtc, stream and
# mobile_app (their packages, and no camera or phone app here), and the
# discovery of devices on the network and hardware (zeroconf, ssdp, dhcp,
# bluetooth, usb).
CONFIGURATION = """\
# Written by scripts/develop (scripts/instance.py) and not written again: yours
# to edit. Name, country, time zone, currency, location and the internal and
# external URLs are in .storage/core.config, where Settings → System →
# General and Network change them.
http:
  server_port: {port}
frontend:
config:
api:
# What default_config brings, but for what needs the internet or the local
# network (cloud, alerts, go2rtc, stream, mobile_app, device discovery).
assist_pipeline:
conversation:
energy:
history:
# The Logbook: one line per status change of a call, the integration's own
# ("Mom call completed, 5 s, via TeleCMI"); the status sensors and the call
# event entities would each add a line saying the same.
logbook:
  exclude:
    entity_globs:
      - sensor.*_last_call_status
      - event.*_call
media_source:
my:
sun:
webhook:
# Automations, scripts and scenes made in the UI (and from blueprints).
automation: !include automations.yaml
script: !include scripts.yaml
scene: !include scenes.yaml
logger:
  default: warning
  logs:
    custom_components.click_to_call: debug
"""

# .storage/core.config as Home Assistant 2025.4 writes it (version 1.4).
CORE_CONFIG_VERSION = (1, 4)
CORE_CONFIG = {
    "location_name": "Click to Call demo",
    "country": "IN",
    "time_zone": "Asia/Kolkata",
    "currency": "INR",
    "unit_system_v2": "metric",
    "language": "en",
    # Bengaluru.
    "latitude": 12.9716,
    "longitude": 77.5946,
    "elevation": 920,
    "radius": 100,
}

# The configuration.yaml of older scripts/develop, oldest first: a folder with
# one of these, untouched, is brought up to the layout above.
_LOGGER_SECTION = """\
logger:
  default: warning
  logs:
    custom_components.click_to_call: debug
"""
_LOCATION = """\
homeassistant:
  name: Click to Call demo
  country: IN
  time_zone: Asia/Kolkata
  unit_system: metric
  currency: INR
  internal_url: {url}
"""
_ASSIST = """\
# Assist: the built-in agent, and its dialog in the frontend.
conversation:
assist_pipeline:
"""
_HTTP = "http:\n  server_port: {port}\nfrontend:\nconfig:\napi:\n"
# The layout before the Logbook left out the status sensors' and call event
# entities' lines.
_LOGBOOK_EXCLUDE = """\
logbook:
  exclude:
    entity_globs:
      - sensor.*_last_call_status
      - event.*_call
"""
assert _LOGBOOK_EXCLUDE in CONFIGURATION
_WITHOUT_LOGBOOK_EXCLUDE = CONFIGURATION.replace(
    _LOGBOOK_EXCLUDE, "logbook:\n"
).replace(
    """\
# The Logbook: one line per status change of a call, the integration's own
# ("Mom call completed, 5 s, via TeleCMI"); the status sensors and the call
# event entities would each add a line saying the same.
""",
    "",
)
OLDER_CONFIGURATIONS = (
    _LOCATION + "frontend:\nconfig:\napi:\nhistory:\nlogbook:\n" + _LOGGER_SECTION,
    _LOCATION + _HTTP + _LOGGER_SECTION,
    _LOCATION + _HTTP + _ASSIST + _LOGGER_SECTION,
    _LOCATION
    + """\
  # The sandbox runs on this machine: to it, this is Home Assistant on the
  # internet (where providers post their reports).
  external_url: {url}
"""
    + _HTTP
    + _ASSIST
    + _LOGGER_SECTION,
    _WITHOUT_LOGBOOK_EXCLUDE,
)
# The last of them with the external URL in configuration.yaml.
EXTERNAL_URL_IN_YAML = OLDER_CONFIGURATIONS[3]


def note(message: str) -> None:
    print(f"develop: {message}", file=sys.stderr, flush=True)


def prepare(config_dir: Path, port: int = 8123) -> None:
    """Write what a demo instance needs that is not there yet."""
    url = f"http://127.0.0.1:{port}"
    (config_dir / "custom_components").mkdir(parents=True, exist_ok=True)
    link = config_dir / "custom_components" / "click_to_call"
    if not link.is_symlink():
        link.symlink_to(ROOT / "custom_components" / "click_to_call")
    _configuration(config_dir / "configuration.yaml", url, port)
    # As Home Assistant writes them with a new configuration: the UI editors
    # save to these files.
    for name, empty in (
        ("automations.yaml", "[]\n"),
        ("scripts.yaml", ""),
        ("scenes.yaml", ""),
    ):
        if not (config_dir / name).exists():
            (config_dir / name).write_text(empty)
    _blueprints(config_dir / "blueprints" / "automation")
    storage = config_dir / ".storage"
    storage.mkdir(exist_ok=True)
    _seed(
        storage,
        "onboarding",
        (4, 1),
        {"done": ["core_config", "analytics", "integration"]},
    )
    # The sandbox runs on this machine: to it, the internal URL is Home
    # Assistant on the internet too (where providers post their reports).
    _seed(
        storage,
        "core.config",
        CORE_CONFIG_VERSION,
        {**CORE_CONFIG, "internal_url": url, "external_url": url},
    )


def _configuration(path: Path, url: str, port: int) -> None:
    current = CONFIGURATION.format(port=port)
    if not path.exists():
        path.write_text(current)
        return
    text = path.read_text()
    if text in {old.format(url=url, port=port) for old in OLDER_CONFIGURATIONS}:
        path.write_text(current)
        note(
            f"{path} brought up to date: automations, scripts, scenes, history "
            "and a logbook without the status sensors' repeated lines; name, "
            "country, time zone and URLs in .storage/core.config (Settings → "
            "System → General and Network)"
        )
        return
    if re.search(r"^\s+external_url:", text, re.MULTILINE):
        note(
            f"{path} sets external_url itself, so Settings → System → Network "
            "cannot change it (a fresh folder keeps it in .storage/core.config)"
        )
    if not re.search(r"^(automation|default_config):", text, re.MULTILINE):
        note(
            f"{path} has no automation: automations made in the UI are saved "
            "but do not run (a fresh folder has automation: !include automations.yaml)"
        )


def _blueprints(folder: Path) -> None:
    """The integration's blueprints, ready to use (no import from GitHub).

    Home Assistant puts its example blueprints in a blueprint folder it does
    not find: when this makes the folder, it puts them there as well.
    """
    if not folder.exists():
        spec = importlib.util.find_spec("homeassistant")
        if spec is not None and spec.origin is not None:
            automation = Path(spec.origin).parent / "components" / "automation"
            shutil.copytree(automation / "blueprints", folder / "homeassistant")
    ours = folder / "click_to_call"
    ours.mkdir(parents=True, exist_ok=True)
    for blueprint in (ROOT / "blueprints" / "automation" / "click_to_call").glob(
        "*.yaml"
    ):
        if not (ours / blueprint.name).exists():
            shutil.copyfile(blueprint, ours / blueprint.name)


def _seed(
    storage: Path, key: str, version: tuple[int, int], data: dict[str, object]
) -> None:
    """Write a storage file as Home Assistant does, unless it has one."""
    path = storage / key
    if path.exists():
        return
    major, minor = version
    path.write_text(
        json.dumps(
            {"version": major, "minor_version": minor, "key": key, "data": data},
            indent=4,
        )
    )


async def onboard(base: str, wait: float = 300) -> None:
    """Wait for Home Assistant, then create the user (when not done yet).

    Home Assistant answers once its frontend is set up; onboarding is set up
    before it. Once onboarding is done, `/api/onboarding` is not served at all
    (404): such an instance has its user and is up. Raises TimeoutError when
    Home Assistant does not answer within `wait` seconds.
    """
    async with aiohttp.ClientSession(base_url=base) as session:
        steps = None
        for _ in range(int(wait * 2)):
            try:
                async with session.get("/api/onboarding") as answer:
                    if answer.status == 404:
                        return  # onboarded
                    if answer.status == 200:
                        steps = await answer.json()
                        break
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.5)
        if steps is None:
            raise TimeoutError(f"Home Assistant did not start within {wait:g} s")
        if any(step["step"] == "user" and step["done"] for step in steps):
            return
        async with session.post(
            "/api/onboarding/users",
            json={
                "client_id": CLIENT_ID,
                "name": "Developer",
                "username": USER,
                "password": PASSWORD,
                "language": "en",
            },
        ) as answer:
            answer.raise_for_status()


def _in_use(port: int) -> bool:
    """Whether something on this machine already answers on a port."""
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Demo:
    """Home Assistant and the sandbox, kept running as a supervisor would."""

    def __init__(self, config_dir: Path, port: int, sandbox_port: int) -> None:
        self.config_dir = config_dir.resolve()
        self.port = port
        self.sandbox_port = sandbox_port
        self.hass: asyncio.subprocess.Process | None = None
        self.sandbox: asyncio.subprocess.Process | None = None
        self.stopping = asyncio.Event()

    async def _start(self, name: str, *args: str) -> asyncio.subprocess.Process:
        # A process group of its own: the terminal's Ctrl+C reaches only this
        # supervisor, which stops each once (a second signal would make Home
        # Assistant quit at once, without saving). Its input is not the
        # terminal, whose foreground it is not.
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            *args,
            cwd=ROOT,
            process_group=0,
            stdin=asyncio.subprocess.DEVNULL,
        )
        note(f"{name} started (pid {process.pid})")
        return process

    async def _start_hass(self) -> asyncio.subprocess.Process:
        return await self._start(
            "Home Assistant", "homeassistant", "-c", str(self.config_dir)
        )

    def _signal(self) -> None:
        if self.stopping.is_set():  # a second Ctrl+C: no more waiting
            note("stopping now")
            for process in (self.hass, self.sandbox):
                if process is not None and process.returncode is None:
                    with suppress(ProcessLookupError):
                        process.kill()
        elif self.hass is not None:
            note("stopping Home Assistant and the sandbox (Ctrl+C again: at once)")
        self.stopping.set()

    async def _announce(self, first: bool) -> None:
        await onboard(f"http://127.0.0.1:{self.port}")
        if first:
            print(
                f"\nHome Assistant: http://localhost:{self.port}  (user {USER}, password {PASSWORD})"
                f"\nSandbox:        http://127.0.0.1:{self.sandbox_port}  (accounts, API URLs, calls)"
                "\nPress Ctrl+C to stop both.\n",
                flush=True,
            )
        else:
            note(f"Home Assistant is back: http://localhost:{self.port}")

    async def run(self) -> int:
        """Run until stopped; return the exit code for the demo."""
        if busy := [p for p in (self.port, self.sandbox_port) if _in_use(p)]:
            note(
                f"port {' and '.join(map(str, busy))} already in use "
                "(is a demo running already?)"
            )
            return 1
        prepare(self.config_dir, self.port)
        loop = asyncio.get_running_loop()
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(number, self._signal)
        try:
            self.sandbox = await self._start(
                "the sandbox",
                "sandbox",
                "--port",
                str(self.sandbox_port),
                "--state",
                str(self.config_dir / SANDBOX_STATE),
            )
            self.hass = await self._start_hass()
            return await self._supervise(self.hass, self.sandbox)
        finally:
            await self._stop()

    async def _supervise(
        self, hass: asyncio.subprocess.Process, sandbox: asyncio.subprocess.Process
    ) -> int:
        """Wait for the user, a restart or the end of either process."""
        stopping = asyncio.create_task(self.stopping.wait())
        sandbox_ended = asyncio.create_task(sandbox.wait())
        hass_ended = asyncio.create_task(hass.wait())
        # Waits for Home Assistant to answer (and creates the user), then says so.
        announce: asyncio.Task[None] | None = asyncio.create_task(
            self._announce(first=True)
        )
        try:
            while True:
                waiting: set[asyncio.Task[Any]] = {stopping, sandbox_ended, hass_ended}
                if announce is not None:
                    waiting.add(announce)
                await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                if stopping.done():
                    return 0
                if announce is not None and announce.done():
                    error, announce = announce.exception(), None
                    if error is not None:
                        note(f"{error}: stopping")
                        return 1
                if sandbox_ended.done():
                    note(f"the sandbox stopped (exit code {sandbox.returncode})")
                    return 1
                if hass_ended.done():
                    if hass.returncode != RESTART_EXIT_CODE:
                        note(f"Home Assistant stopped (exit code {hass.returncode})")
                        return 0 if hass.returncode == 0 else 1
                    note("Home Assistant asked for a restart: starting it again")
                    hass = self.hass = await self._start_hass()
                    hass_ended = asyncio.create_task(hass.wait())
                    if announce is None:
                        announce = asyncio.create_task(self._announce(first=False))
        finally:
            for task in (stopping, sandbox_ended, hass_ended, announce):
                if task is not None:
                    task.cancel()

    async def _stop(self) -> None:
        async def stop(process: asyncio.subprocess.Process | None) -> None:
            if process is None or process.returncode is not None:
                return
            with suppress(ProcessLookupError):
                process.terminate()
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                process.kill()
                await process.wait()

        await asyncio.gather(stop(self.hass), stop(self.sandbox))


def main(argv: Sequence[str] | None = None) -> None:
    """Run a command of this module."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="the demo: Home Assistant and the sandbox")
    run.add_argument("config_dir", type=Path)
    run.add_argument("--port", type=int, default=8123)
    run.add_argument("--sandbox-port", type=int, default=8124)
    prepare_ = commands.add_parser("prepare", help="write the configuration")
    prepare_.add_argument("config_dir", type=Path)
    prepare_.add_argument("--port", type=int, default=8123)
    onboard_ = commands.add_parser("onboard", help="wait, and create the user")
    onboard_.add_argument("base_url")
    args = parser.parse_args(argv)
    if args.command == "run":
        sys.exit(asyncio.run(Demo(args.config_dir, args.port, args.sandbox_port).run()))
    elif args.command == "prepare":
        prepare(args.config_dir, args.port)
    else:
        try:
            asyncio.run(onboard(args.base_url))
        except TimeoutError as err:
            sys.exit(str(err))


if __name__ == "__main__":
    main()
