"""A real Home Assistant with the integration and the sandbox, and a real browser.

Home Assistant and the sandbox run as processes, as `scripts/develop` starts
them (on free loopback ports); Debian's Chromium is driven by Playwright.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
import os
from pathlib import Path
import socket
import subprocess
import sys
import tempfile
import time

from playwright.sync_api import Browser, Page, sync_playwright
import pytest

from scripts import instance

ROOT = Path(__file__).parent.parent
CHROMIUM = os.environ.get("CLICK_TO_CALL_CHROMIUM", "/usr/bin/chromium")
# As the probe of this machine runs it: no background traffic to the internet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(
    os.environ.get("CLICK_TO_CALL_SCREENSHOTS", ROOT / "build" / "screenshots")
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Instance:
    """Home Assistant and the sandbox, running."""

    url: str
    sandbox: str
    log: Path
    shots: list[Path] = field(default_factory=list)


@pytest.fixture(scope="session")
def running() -> Iterator[Instance]:
    """Start the sandbox and Home Assistant in a new configuration folder."""
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder)
        port, sandbox_port = free_port(), free_port()
        instance.prepare(config, port)
        log = config / "home-assistant.out"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        sandbox = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "--port", str(sandbox_port), "--quiet"],
            cwd=ROOT,
            env=env,
        )
        with log.open("w") as out:
            hass = subprocess.Popen(
                [sys.executable, "-m", "homeassistant", "-c", str(config)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            url = f"http://127.0.0.1:{port}"
            asyncio.run(instance.onboard(url, wait=120))
            yield Instance(url, f"http://127.0.0.1:{sandbox_port}", log)
        finally:
            for process in (hass, sandbox):
                process.terminate()
            for process in (hass, sandbox):
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
            # Kept for the report when something failed.
            (SCREENSHOTS.parent / "home-assistant.log").write_text(log.read_text())


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, running: Instance) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def wait_until(predicate: object, timeout: float = 30) -> None:
    """Wait until a callable returns true (for things outside the page)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError("timed out")
