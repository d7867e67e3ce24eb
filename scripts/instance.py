"""A Home Assistant instance for trying the integration: scripts/develop and the browser tests.

    python -m scripts.instance prepare CONFIG_DIR   # configuration, link, storage seed
    python -m scripts.instance onboard BASE_URL     # wait for it, create the user dev / dev

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

import asyncio
import importlib.util
import json
from pathlib import Path
import re
import shutil
import sys

import aiohttp

ROOT = Path(__file__).parent.parent
CLIENT_ID = "http://localhost:8123/"
USER, PASSWORD = "dev", "dev"

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
logbook:
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
)


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
            "and logbook; name, country, time zone and URLs now in "
            ".storage/core.config (Settings → System → General and Network)"
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
        if next(step["done"] for step in steps if step["step"] == "user"):
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


def main() -> None:
    """Run a command of this module."""
    command, argument = sys.argv[1:3]
    if command == "prepare":
        prepare(Path(argument))
    elif command == "onboard":
        try:
            asyncio.run(onboard(argument))
        except TimeoutError as err:
            sys.exit(str(err))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
