"""A Home Assistant instance for trying the integration: scripts/develop and the browser test.

    python -m scripts.instance prepare CONFIG_DIR   # configuration, link, onboarding seed
    python -m scripts.instance onboard BASE_URL     # wait for it, create the user dev / dev

Onboarding is seeded as done but for its user step: Home Assistant then adds
none of the integrations it adds after onboarding (weather, radio, text to
speech), which need the internet, and the instance starts with only what the
README's walk-through needs.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import sys

import aiohttp

ROOT = Path(__file__).parent.parent
CLIENT_ID = "http://localhost:8123/"
USER, PASSWORD = "dev", "dev"
CONFIGURATION = """\
homeassistant:
  name: Click to Call demo
  country: IN
  time_zone: Asia/Kolkata
  unit_system: metric
  currency: INR
  internal_url: {url}
  # The sandbox runs on this machine: to it, this is Home Assistant on the
  # internet (where providers post their reports).
  external_url: {url}
http:
  server_port: {port}
frontend:
config:
api:
# Assist: the built-in agent, and its dialog in the frontend.
conversation:
assist_pipeline:
logger:
  default: warning
  logs:
    custom_components.click_to_call: debug
"""


def prepare(config_dir: Path, port: int = 8123) -> None:
    """Write a configuration (unless there is one) and link the integration."""
    (config_dir / "custom_components").mkdir(parents=True, exist_ok=True)
    link = config_dir / "custom_components" / "click_to_call"
    if not link.is_symlink():
        link.symlink_to(ROOT / "custom_components" / "click_to_call")
    configuration = config_dir / "configuration.yaml"
    if not configuration.exists():
        configuration.write_text(
            CONFIGURATION.format(url=f"http://127.0.0.1:{port}", port=port)
        )
    storage = config_dir / ".storage"
    storage.mkdir(exist_ok=True)
    onboarding = storage / "onboarding"
    if not onboarding.exists():
        onboarding.write_text(
            json.dumps(
                {
                    "version": 4,
                    "minor_version": 1,
                    "key": "onboarding",
                    "data": {"done": ["core_config", "analytics", "integration"]},
                }
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
