"""A real Home Assistant with the integration and the sandbox, and a real browser.

Home Assistant and the sandbox run as processes, as `scripts/develop` starts
them (on free loopback ports); Debian's Chromium is driven by Playwright.

CLICK_TO_CALL_E2E_END picks the Home Assistant end:

- ``oldest`` (the default): Home Assistant 2025.4 of .venv, with the sandbox;
  the tests not marked ``newest`` run (the walk-through).
- ``newest``: the newest Home Assistant of .venv-py314, started through
  ../shared/tools/py314 (CLICK_TO_CALL_SHARED is the shared folder), with the
  sandbox (from .venv, on the host: both share the loopback); only the tests
  marked ``newest`` run.

Playwright runs from .venv either way: only Home Assistant differs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import contextlib
from dataclasses import dataclass, field
import os
from pathlib import Path
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
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
    sandbox: str
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
    """Start the newest Home Assistant under Python 3.14, and the sandbox.

    py314 runs Home Assistant in a chroot that sees only the parent of the
    project folder: the configuration folder is made in build/ (ignored by
    git), not in /tmp. It runs in a process group of its own, ended as a
    whole. The sandbox runs on the host, from .venv.
    """
    root = ROOT.resolve()
    (root / "build").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(
        dir=root / "build", prefix="e2e-newest-"
    ) as folder:
        config = Path(folder)
        port, sandbox_port = free_port(), free_port()
        instance.prepare(config, port)
        log = config / "home-assistant.out"
        sandbox = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "--port", str(sandbox_port), "--quiet"],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
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
            yield Instance(url, f"http://127.0.0.1:{sandbox_port}", log)
        finally:
            _end_group(hass)
            sandbox.terminate()
            try:
                sandbox.wait(30)
            except subprocess.TimeoutExpired:
                sandbox.kill()
                sandbox.wait()
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


@pytest.fixture(scope="session", autouse=True)
def fresh_screenshots() -> None:
    """Empty the screenshot folder once, before the first test of the run."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()


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


def log_in(page: Page, running: Instance) -> None:
    """Log in as dev, and wait until Home Assistant has started.

    On the newest end, the configuration's http: section becomes a pending
    HTTP configuration: the frontend asks an administrator to confirm it
    (else Home Assistant reverts it and restarts five minutes later). That is
    confirmed here as the dialog's Confirm does.
    """
    page.goto(f"{running.url}/")
    page.get_by_label("Username").fill("dev")
    page.get_by_label("Password", exact=True).fill("dev")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('home-assistant')?.hass?.user?.is_admin"
    )
    # Still starting, the frontend shows neither the dialog nor every page.
    running_state = (
        "() => document.querySelector('home-assistant')?.hass?.config?.state"
        " === 'RUNNING'"
    )
    page.wait_for_function(running_state, timeout=60_000)
    if END != "newest":
        return
    http = page.evaluate(
        """() => document.querySelector("home-assistant").hass
            .callWS({type: "http/config"})"""
    )
    pending = http.get("pending")
    if pending and not pending.get("error"):
        # What the dialog's Confirm does; the dialog may not be up yet.
        page.evaluate(
            """() => document.querySelector("home-assistant").hass
                .callWS({type: "http/config/promote"})"""
        )
        page.reload()
        page.wait_for_function(running_state, timeout=60_000)
    expect(page.locator("dialog-http-pending-config")).to_have_count(0)


def shot(page: Page, running: Instance, name: str) -> Path:
    """Save a screenshot of what the page shows now, as `name`.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, animations="disabled")
    running.shots.append(path)
    return path


class Journey:
    """What a person does on one way through the UI: clicks (or taps) and typing.

    Each click and each field typed or pasted into is counted; `summary` says
    both, for the report (the README gives the same counts).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.clicks = 0
        self.typed = 0

    def click(self, target: Locator, **options: Any) -> None:
        target.click(**options)
        self.clicks += 1

    def fill(self, target: Locator, text: str) -> None:
        target.fill(text)
        self.typed += 1

    def paste(self, page: Page, editor: Locator, text: str) -> None:
        """Click into a code editor, select all, paste `text` over it."""
        self.click(editor)
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(text)  # as a paste: no auto-indent
        self.typed += 1

    def summary(self) -> str:
        clicks = f"{self.clicks} click{'s' * (self.clicks != 1)}"
        typed = f", {self.typed} typed or pasted" if self.typed else ""
        return f"{self.name}: {clicks}{typed}"


# The frontend's own connection, as the UI's forms use it.


def call(page: Page, script: str, argument: Any = None) -> Any:
    """Run `script` (a function of hass and the argument) in the frontend."""
    page.wait_for_function(
        "() => document.querySelector('home-assistant')?.hass?.connected"
    )
    return page.evaluate(
        f"""argument => (async hass => ({script})(hass, argument))(
            document.querySelector("home-assistant").hass)""",
        argument,
    )


def api(page: Page, method: str, path: str, data: Any = None) -> Any:
    return call(page, f"(hass, data) => hass.callApi('{method}', '{path}', data)", data)


def add_account_and_mom(page: Page, sandbox: str) -> str:
    """Add a TeleCMI account and its contact Mom, as the UI's forms do; return the webhook URL."""
    flow = api(page, "POST", "config/config_entries/flow", {"handler": "click_to_call"})
    path = f"config/config_entries/flow/{flow['flow_id']}"
    api(page, "POST", path, {"next_step_id": "telecmi"})
    entry = api(
        page,
        "POST",
        path,
        {
            "user_id": "101_1111112",
            "secret": "2e0d75-d843-45-945-4171dd7a",
            "api_url": f"{sandbox}/telecmi/v2/webrtc/click2call",
        },
    )
    assert entry["type"] == "create_entry", entry
    contact = api(
        page,
        "POST",
        "config/config_entries/subentries/flow",
        {"handler": [entry["result"]["entry_id"], "contact"]},
    )
    mom = api(
        page,
        "POST",
        f"config/config_entries/subentries/flow/{contact['flow_id']}",
        {"name": "Mom", "number": "98765 43210"},
    )
    assert mom["type"] == "create_entry", mom
    return str(entry["description_placeholders"]["webhook_url"])


def readme_yaml(*lines: str) -> str:
    """The README's YAML block that holds each of these lines, as written.

    The browser tests paste the README's own cards: what it tells people to
    paste is what is tested.
    """
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"^```yaml\n(.*?)^```", readme, re.DOTALL | re.MULTILINE)
    [block] = [
        block for block in blocks if all(line in block.splitlines() for line in lines)
    ]
    return str(block)


def wait_until(predicate: object, timeout: float = 30) -> None:
    """Wait until a callable returns true (for things outside the page)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError("timed out")
