"""A real Home Assistant with the integration and the sandbox, and a real browser.

Home Assistant and the sandbox run as processes, as `scripts/develop` starts
them (on free loopback ports); Debian's Chromium is driven by Playwright.

CLICK_TO_CALL_E2E_END picks the Home Assistant end:

- ``oldest`` (the default): Home Assistant 2025.4 of .venv, with the sandbox;
  the tests not marked ``newest`` run (the walk-through).
- ``newest``: the newest Home Assistant of .venv-py314, started through
  ../shared/tools/py314 (CLICK_TO_CALL_SHARED is the shared folder), without
  the sandbox; only the tests marked ``newest`` run.

Playwright runs from .venv either way: only Home Assistant differs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import contextlib
from dataclasses import dataclass, field
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import tempfile
import time

from playwright.sync_api import Browser, Page, sync_playwright
import pytest

from scripts import instance

ROOT = Path(__file__).parent.parent
END = os.environ.get("CLICK_TO_CALL_E2E_END", "oldest")
if END not in ("oldest", "newest"):
    raise ValueError(f"CLICK_TO_CALL_E2E_END is oldest or newest, not {END!r}")
SHARED = Path(os.environ.get("CLICK_TO_CALL_SHARED", ROOT.resolve().parent / "shared"))
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
    os.environ.get(
        "CLICK_TO_CALL_SCREENSHOTS",
        ROOT / "build" / ("screenshots" if END == "oldest" else "screenshots-newest"),
    )
)
# Home Assistant's output, kept for the report when something failed.
LOG = SCREENSHOTS.parent / (
    "home-assistant.log" if END == "oldest" else "home-assistant-newest.log"
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "newest: runs on the newest end (CLICK_TO_CALL_E2E_END=newest)"
    )


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Each end runs its own tests (those marked newest, or the others).

    The others are deselected, not skipped: they belong to the other end.
    """
    mine = [
        item
        for item in items
        if (item.get_closest_marker("newest") is not None) == (END == "newest")
    ]
    if deselected := [item for item in items if item not in mine]:
        config.hook.pytest_deselected(items=deselected)
        items[:] = mine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Instance:
    """Home Assistant and the sandbox, running."""

    url: str
    sandbox: str  # "" on the newest end: no sandbox there
    log: Path
    shots: list[Path] = field(default_factory=list)


@pytest.fixture(scope="session")
def running() -> Iterator[Instance]:
    """Home Assistant of the chosen end, running (and onboarded)."""
    if END == "newest":
        yield from _newest()
    else:
        yield from _oldest()


def _oldest() -> Iterator[Instance]:
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
            LOG.write_text(log.read_text())


def _newest() -> Iterator[Instance]:
    """Start the newest Home Assistant under Python 3.14, without the sandbox.

    py314 runs it in a chroot that sees only the parent of the project folder:
    the configuration folder is made in build/ (ignored by git), not in /tmp.
    It runs in a process group of its own, ended as a whole.
    """
    root = ROOT.resolve()
    (root / "build").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(
        dir=root / "build", prefix="e2e-newest-"
    ) as folder:
        config = Path(folder)
        port = free_port()
        instance.prepare(config, port)
        log = config / "home-assistant.out"
        # No Python 3.14 byte code in the project's custom_components.
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        with log.open("w") as out:
            hass = subprocess.Popen(
                [
                    str(SHARED / "tools" / "py314"),
                    ".venv-py314/bin/python",
                    "-m",
                    "homeassistant",
                    "-c",
                    str(config),
                ],
                cwd=root,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            url = f"http://127.0.0.1:{port}"
            asyncio.run(instance.onboard(url, wait=120))
            yield Instance(url, "", log)
        finally:
            _end_group(hass)
            LOG.parent.mkdir(parents=True, exist_ok=True)
            LOG.write_text(log.read_text())


def _end_group(process: subprocess.Popen[bytes]) -> None:
    """Terminate a process group (kill it after 30 s), and reap its leader."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        process.wait()
    # What is left of the group (the leader is gone): not one process stays.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


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
