"""The demo of scripts/develop survives what a newcomer does to it.

`python -m scripts.instance run`, which scripts/develop runs, is started as a
person would, on free loopback ports, in a configuration folder an older
scripts/develop wrote. It is stopped with Ctrl+C and run a second time, and
Home Assistant is restarted from its UI (Settings → System → Restart). An
automation made from the integration's blueprint, saved in the first run,
calls Mom after all that, and the sandbox, which kept the webhook URL and the
ending chosen on its page, reports the call to Home Assistant.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
import json
import os
from pathlib import Path
import re
import signal
import subprocess
import sys
import time
from typing import Any

from playwright.sync_api import Page, expect, sync_playwright
import pytest

from e2e.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LOG,
    ROOT,
    add_account_and_mom,
    api,
    call,
    free_port,
    wait_until,
)
from scripts import instance

AUTOMATION = "automation.doorbell_calls_mom"
STATUS = "sensor.mom_last_call_status"
# Seconds a run may take to answer: far below the 300 s the old script waited.
START = 120


class Demo:
    """One run of the demo: its process, and what it printed."""

    def __init__(self, config: Path, port: int, sandbox_port: int, name: str) -> None:
        self.config = config.resolve()
        self.log = LOG.parent / f"demo-{name}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "scripts.instance",
                    "run",
                    str(config),
                    "--port",
                    str(port),
                    "--sandbox-port",
                    str(sandbox_port),
                ],
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text()

    def wait_for(self, text: str, timeout: float = START) -> None:
        """Wait until the demo printed `text` (failing if it ended first)."""
        deadline = time.monotonic() + timeout
        while text not in self.output():
            assert self.process.poll() is None, f"the demo ended:\n{self.output()}"
            assert time.monotonic() < deadline, f"no {text!r} in:\n{self.output()}"
            time.sleep(0.2)

    def pids(self, name: str) -> list[int]:
        """The process ids of Home Assistant or the sandbox, oldest first."""
        return [
            int(pid)
            for pid in re.findall(rf"{name} started \(pid (\d+)\)", self.output())
        ]

    def stop(self) -> int:
        """Press Ctrl+C; return the demo's exit code."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(120)

    def end(self) -> None:
        """Leave nothing running, whatever happened."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(120)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # Had it to be killed: what it started, if still there (and still
        # ours: its command line names this configuration folder).
        for pid in self.pids("Home Assistant") + self.pids("the sandbox"):
            with suppress(OSError):
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
                if str(self.config).encode() in command:
                    os.kill(pid, signal.SIGKILL)


@contextmanager
def demo(config: Path, port: int, sandbox_port: int, name: str) -> Iterator[Demo]:
    run = Demo(config, port, sandbox_port, name)
    try:
        yield run
    finally:
        run.end()


@pytest.fixture
def demo_page() -> Iterator[Page]:
    """A browser page of this test's own.

    Not the session's browser: Playwright's event loop would then be running
    when the walk-through's Home Assistant is started (with asyncio.run).
    """
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(20_000)
        yield page
        browser.close()


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def log_in(page: Page, base: str) -> None:
    page.goto(f"{base}/")
    page.get_by_label("Username").fill("dev")
    page.get_by_label("Password", exact=True).fill("dev")
    page.keyboard.press("Enter")
    page.wait_for_url("**/lovelace/**")


def wait_until_running(page: Page) -> None:
    """Home Assistant up, with every integration set up (automations armed)."""
    expect(page.locator("home-assistant")).to_be_attached()

    def started() -> bool:
        try:
            config = call(page, "hass => hass.callWS({type: 'get_config'})")
        except Exception:  # noqa: BLE001 - the frontend is still reconnecting
            return False
        return bool(config["state"] == "RUNNING")

    wait_until(started, timeout=START)


def state(page: Page, entity_id: str) -> dict[str, Any] | None:
    states = call(page, "hass => hass.callWS({type: 'get_states'})")
    return next((item for item in states if item["entity_id"] == entity_id), None)


def test_the_demo_survives_a_second_run_and_a_restart(
    demo_page: Page, tmp_path: Path
) -> None:
    page = demo_page
    config = tmp_path / "config"
    port, sandbox_port = free_port(), free_port()
    base, sandbox = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{sandbox_port}"
    # The folder as an older scripts/develop wrote it before its first start:
    # the external URL in configuration.yaml, where the UI cannot change it.
    config.mkdir()
    (config / "configuration.yaml").write_text(
        instance.EXTERNAL_URL_IN_YAML.format(url=base, port=port)
    )

    # The first run: the folder is brought up to date, the user made.
    with demo(config, port, sandbox_port, "first") as first:
        first.wait_for("Press Ctrl+C to stop both.")
        assert "brought up to date" in first.output()
        written = (config / "configuration.yaml").read_text()
        assert "external_url" not in written
        assert "- sensor.*_last_call_status" in written  # kept out of the Logbook
        log_in(page, base)
        core = call(page, "hass => hass.callWS({type: 'get_config'})")
        # Set in storage: the Network page can change the URLs.
        assert core["config_source"] == "storage"
        assert (core["external_url"], core["internal_url"]) == (base, base)
        assert (core["country"], core["currency"]) == ("IN", "INR")
        assert {"automation", "history", "logbook", "energy", "sun"} <= set(
            core["components"]
        )
        assert not {"cloud", "zeroconf", "homeassistant_alerts"} & set(
            core["components"]
        )

        webhook = add_account_and_mom(page, sandbox)
        assert webhook.startswith(f"{base}/api/webhook/")
        # On the sandbox's page, as a person would: the webhook URL, and calls
        # that end busy.
        page.goto(sandbox)
        page.get_by_placeholder("webhook URL from Home Assistant").fill(webhook)
        page.locator("form[action='/sandbox/webhook'] button").click()
        page.locator("select[name=ending]").select_option("busy")
        page.locator("form[action='/sandbox/settings'] button").click()
        expect(page.locator("select[name=ending]")).to_have_value("busy")

        # An automation from the blueprint, as the automation editor saves it.
        page.goto(f"{base}/config/automation/dashboard")
        saved = api(
            page,
            "POST",
            "config/automation/config/doorbell_calls_mom",
            {
                "alias": "Doorbell calls Mom",
                "description": "",
                "use_blueprint": {
                    "path": "click_to_call/call_contact.yaml",
                    "input": {
                        "triggers": [{"trigger": "event", "event_type": "doorbell"}],
                        "contact": "Mom",
                        "cooldown": 0,
                    },
                },
            },
        )
        assert saved == {"result": "ok"}
        # Loaded at once (automations.yaml is part of the configuration).
        wait_until(lambda: (state(page, AUTOMATION) or {}).get("state") == "on")
        assert first.stop() == 0  # Ctrl+C
    for pid in first.pids("Home Assistant") + first.pids("the sandbox"):
        assert not running(pid)

    # The second run: onboarding is long done, and it starts all the same.
    with demo(config, port, sandbox_port, "second") as second:
        second.wait_for("Press Ctrl+C to stop both.")
        # A third, while it runs, stops at once rather than fight over the ports.
        third = subprocess.run(
            [
                *(sys.executable, "-m", "scripts.instance", "run", str(config)),
                *("--port", str(port), "--sandbox-port", str(sandbox_port)),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert third.returncode == 1
        assert "already in use (is a demo running already?)" in third.stderr

        # The sandbox kept what was set on its page.
        page.goto(sandbox)
        expect(
            page.get_by_placeholder("webhook URL from Home Assistant")
        ).to_have_value(webhook)
        expect(page.locator("select[name=ending]")).to_have_value("busy")
        assert json.loads((config / instance.SANDBOX_STATE).read_text())[
            "webhooks"
        ] == {"telecmi": webhook}

        # Restart from the UI: Home Assistant exits with 100, and comes back.
        # (The browser is still logged in: the login was kept.)
        page.goto(f"{base}/config/system")
        page.get_by_role("button", name="Restart Home Assistant").click()
        page.get_by_text("Restart Home Assistant", exact=True).last.click()
        page.get_by_role("button", name="Restart", exact=True).click()
        second.wait_for("Home Assistant is back")
        assert "asked for a restart: starting it again" in second.output()
        [old, new] = second.pids("Home Assistant")
        assert not running(old)
        assert running(new)
        [sandbox_pid] = second.pids("the sandbox")  # the sandbox went on
        assert running(sandbox_pid)
        wait_until_running(page)  # the frontend reconnected by itself

        # The doorbell rings: the blueprint calls Mom, and the sandbox reports
        # the call busy, to the webhook URL it kept.
        api(page, "POST", "events/doorbell")
        wait_until(
            lambda: (state(page, STATUS) or {}).get("state") == "busy", timeout=60
        )
        automation = state(page, AUTOMATION)
        assert automation is not None
        assert automation["attributes"]["last_triggered"] is not None
        # The Logbook shows it.
        page.goto(f"{base}/logbook")
        expect(
            page.get_by_text("Doorbell calls Mom triggered by event 'doorbell'")
        ).to_be_visible()
        assert second.stop() == 0
    assert not running(new)
    assert not running(sandbox_pid)


# Folders that older versions of scripts/develop left behind.


def test_an_untouched_older_folder_is_brought_up_to_date(tmp_path: Path) -> None:
    for number, older in enumerate(instance.OLDER_CONFIGURATIONS):
        config = tmp_path / str(number)
        config.mkdir()
        older_text = older.format(url="http://127.0.0.1:8123", port=8123)
        (config / "configuration.yaml").write_text(older_text)
        instance.prepare(config)
        assert (config / "configuration.yaml").read_text() == (
            instance.CONFIGURATION.format(port=8123)
        )
        stored = json.loads((config / ".storage" / "core.config").read_text())
        assert stored["data"]["external_url"] == "http://127.0.0.1:8123"
        assert (config / "automations.yaml").read_text() == "[]\n"


def test_an_edited_folder_is_left_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What its owner changed stays; the note says what the UI cannot change."""
    edited = (
        instance.EXTERNAL_URL_IN_YAML.format(url="http://127.0.0.1:8123", port=8123)
        + "input_boolean:\n  away:\n"
    )
    (tmp_path / "configuration.yaml").write_text(edited)
    core = tmp_path / ".storage" / "core.config"
    core.parent.mkdir()
    core.write_text(
        '{"version": 1, "minor_version": 4, "key": "core.config", "data": {}}'
    )
    instance.prepare(tmp_path)
    assert (tmp_path / "configuration.yaml").read_text() == edited
    assert json.loads(core.read_text())["data"] == {}  # what the UI saved, kept
    notes = capsys.readouterr().err
    assert "sets external_url itself" in notes
    assert "automations made in the UI are saved but do not run" in notes
    # What the configuration may include is there.
    for name in ("automations.yaml", "scripts.yaml", "scenes.yaml"):
        assert (tmp_path / name).exists()


def test_a_new_folder_has_the_blueprints(tmp_path: Path) -> None:
    instance.prepare(tmp_path, 8200)
    blueprints = tmp_path / "blueprints" / "automation"
    assert sorted(path.name for path in (blueprints / "click_to_call").iterdir()) == [
        "alert_until_confirmed.yaml",
        "call_contact.yaml",
        "call_until_answered.yaml",
    ]
    # Home Assistant's own examples too, which it adds only to a new folder.
    assert (blueprints / "homeassistant" / "motion_light.yaml").exists()
    text = (tmp_path / "configuration.yaml").read_text()
    assert "server_port: 8200" in text
    assert "homeassistant:" not in text  # nothing the UI should own
