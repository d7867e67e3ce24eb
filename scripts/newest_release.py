"""The newest Home Assistant release as a real process: set-up, a dial, its status.

    python -m scripts.newest_release VERSION [SKIPPED...]    (scripts/newest runs it)

SKIPPED are newer releases that did not install here: named again at the end.

scripts/newest installs `homeassistant==VERSION` into .venv-newest (Python
3.14, through ../shared/tools/py314); this, run with .venv's Python, starts
the provider sandbox (from .venv) and `hass` (from .venv-newest, through
py314) on free loopback ports, in a fresh configuration under
build/newest-release/ (scripts/instance.py `prepare`: the integration linked
into custom_components, onboarding seeded), and walks what a user does, over
Home Assistant's REST and websocket APIs:

1. start: Home Assistant answers, is the version asked for, and is running;
   the user is created through onboarding, whose code gives the token;
2. set-up: the real config flow, the provider menu, Twilio's form filled with
   the sandbox's account; the entry is loaded;
3. dial: `click_to_call.dial` with its response;
4. status: the account's last-call-status sensor goes to `completed`, from
   the sandbox's signed Twilio status callbacks to the webhook;
5. log: Home Assistant is stopped, and its log holds no error about the
   integration (ours, or Home Assistant's about it).

It prints the version first and last; on any failure it exits 1 with the
version, the step and the tail of Home Assistant's log. Both processes are
stopped whatever happens.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
import contextlib
from dataclasses import dataclass, field
import os
from pathlib import Path
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import Any

import aiohttp

from sandbox import DEFAULT_ACCOUNTS
from scripts import instance

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("CLICK_TO_CALL_SHARED", ROOT.parent / "shared"))
VENV = ROOT / ".venv-newest"
# Kept after the run (build/ is ignored by git); made afresh each run.
WORK = ROOT / "build" / "newest-release"
DOMAIN = "click_to_call"
# The sandbox's Twilio account, as the docs' table has a user type it.
TWILIO = DEFAULT_ACCOUNTS["twilio"]
A_PARTY = "+1 415 555 0101"
B_PARTY = "+14155550102"
# Seconds. A first start installs the frontend and Assist's packages into
# .venv-newest (Home Assistant does that itself), on two shared cores.
START_TIMEOUT = 600
STATUS_TIMEOUT = 60
STOP_TIMEOUT = 60
TAIL = 60
# A log record starts with its time, with its UTC offset since 2026.11:
# "2026-12-06 02:30:00.123+00:00 ERROR (MainThread) [logger] ...".
RECORD = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:?\d\d|Z)? "
    r"(?P<level>[A-Z]+) \([^)]*\) \[(?P<logger>[^\]]+)\] "
)
# Byte code is written (whatever the environment says), for the next start,
# in the venv's own folder: not into the project's custom_components.
HASS_ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "PYTHONPYCACHEPREFIX": str(VENV / "pycache"),
}
# Every custom integration gets this warning: not news.
UNTESTED = "which has not been tested by Home Assistant"


class Failed(Exception):
    """A step of the walk went wrong."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(f"{step}: {message}")
        self.step = step
        self.message = message


@dataclass
class Walked:
    """What the walk found."""

    # The step under way: what a failure names.
    step: str = "start"
    version: str = ""
    entity_id: str = ""
    states: tuple[str, ...] = ()
    seconds: float = 0.0
    stopped: bool = False
    # Processes that ended before they were stopped.
    exited: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def end_group(process: subprocess.Popen[bytes], timeout: float) -> bool:
    """Terminate a process group, killing it after `timeout` s; whether it stopped in time."""
    in_time = True
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        in_time = False
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        process.wait()
    # Whatever is left of the group (its leader is gone): not one process stays.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    return in_time


@contextlib.contextmanager
def running(walked: Walked) -> Iterator[tuple[str, str, subprocess.Popen[bytes]]]:
    """Start the sandbox and Home Assistant; yield their URLs and hass; stop both.

    `walked.stopped` says whether both stopped within STOP_TIMEOUT of SIGTERM.
    """
    shutil.rmtree(WORK, ignore_errors=True)
    config = WORK / "config"
    port, sandbox_port = free_port(), free_port()
    # Its internal and external URL are http://127.0.0.1:<port>: the sandbox
    # posts Twilio's status callbacks there, over loopback.
    instance.prepare(config, port)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with (WORK / "sandbox.out").open("wb") as out:
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "sandbox",
                        "--port",
                        str(sandbox_port),
                        "--quiet",
                    ],
                    cwd=ROOT,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        # py314 runs it in a chroot that sees the parent of this folder, so
        # the configuration is under build/, not in /tmp.
        with (WORK / "hass.out").open("wb") as out:
            processes.append(
                subprocess.Popen(
                    [
                        str(SHARED / "tools" / "py314"),
                        str(VENV / "bin" / "python"),
                        "-m",
                        "homeassistant",
                        "-c",
                        str(config),
                    ],
                    cwd=ROOT,
                    env=HASS_ENV,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        yield (
            f"http://127.0.0.1:{port}",
            f"http://127.0.0.1:{sandbox_port}",
            processes[1],
        )
    finally:
        # A second stop must not cut this short.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for name, process in zip(("the sandbox", "hass"), processes, strict=False):
            if (code := process.poll()) is not None:
                walked.exited.append(f"{name} had exited (code {code})")
        stopped = [end_group(process, STOP_TIMEOUT) for process in reversed(processes)]
        walked.stopped = all(stopped)


class Websocket:
    """Home Assistant's websocket API: commands in turn, events kept for later."""

    def __init__(
        self, socket_: aiohttp.ClientWebSocketResponse, walked: Walked
    ) -> None:
        self._socket = socket_
        self._id = 0
        self._events: list[dict[str, Any]] = []
        self._walked = walked

    @property
    def step(self) -> str:
        return self._walked.step

    async def receive(self, seconds: float) -> dict[str, Any]:
        """Return the next message; TimeoutError after `seconds`.

        Not aiohttp's own timeout: it starts again at each of the server's
        pings (every 55 s), so a wait of more than that never ends.
        """
        async with asyncio.timeout(seconds):
            message = await self._socket.receive()
        if message.type is not aiohttp.WSMsgType.TEXT:
            raise Failed(self.step, f"the websocket closed ({message.type.name})")
        data: dict[str, Any] = message.json()
        return data

    async def command(self, kind: str, **data: Any) -> Any:
        """Send a command; return its result, or fail with its error."""
        self._id += 1
        await self._socket.send_json({"id": self._id, "type": kind, **data})
        while True:
            answer = await self.receive(60)
            if answer.get("type") == "event":
                self._events.append(answer["event"])
            elif answer.get("id") == self._id:
                if not answer.get("success"):
                    raise Failed(self.step, f"websocket {kind}: {answer.get('error')}")
                return answer.get("result")

    async def event(self, deadline: float) -> dict[str, Any] | None:
        """Return the next event, or None once the monotonic deadline passed."""
        while not self._events:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                answer = await self.receive(left)
            except TimeoutError:
                return None
            if answer.get("type") == "event":
                self._events.append(answer["event"])
        return self._events.pop(0)


async def answer_json(response: aiohttp.ClientResponse, step: str, what: str) -> Any:
    """Return a response's JSON, or fail with its status and body."""
    if response.status >= 400:
        raise Failed(
            step, f"{what}: HTTP {response.status}: {(await response.text())[:500]}"
        )
    return await response.json()


async def wait_for(
    hass: subprocess.Popen[bytes],
    step: str,
    what: str,
    probe: Callable[[], Any],
    within: float,
) -> Any:
    """Call the async `probe` until it returns something, while hass runs."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if (code := hass.poll()) is not None:
            raise Failed(step, f"hass exited with code {code} while waiting for {what}")
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            if (found := await probe()) is not None:
                return found
        await asyncio.sleep(0.5)
    raise Failed(step, f"no {what} within {within:g} s")


async def walk(
    walked: Walked, version: str, url: str, sandbox: str, hass: subprocess.Popen[bytes]
) -> None:
    """Start, set up, dial and follow the call; note what was seen in `walked`."""
    try:
        await _walk(walked, version, url, sandbox, hass)
    except Failed:
        raise
    except Exception as err:  # an answer unlike what Home Assistant gave so far
        raise Failed(walked.step, f"{type(err).__name__}: {err}") from err


async def _walk(
    walked: Walked, version: str, url: str, sandbox: str, hass: subprocess.Popen[bytes]
) -> None:
    started = time.monotonic()
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def sandbox_up() -> bool | None:
            async with session.get(f"{sandbox}/") as answer:
                return True if answer.status == 200 else None

        await wait_for(hass, "start", "answer from the sandbox", sandbox_up, 30)

        async def onboarding() -> list[dict[str, Any]] | None:
            async with session.get(f"{url}/api/onboarding") as answer:
                return await answer.json() if answer.status == 200 else None

        steps = await wait_for(
            hass, "start", "answer from Home Assistant", onboarding, START_TIMEOUT
        )
        if next((s for s in steps if s["step"] == "user"), {}).get("done", True):
            raise Failed("start", f"onboarding's user step is not open: {steps}")
        client_id = f"{url}/"
        async with session.post(
            f"{url}/api/onboarding/users",
            json={
                "client_id": client_id,
                "name": "Developer",
                "username": instance.USER,
                "password": instance.PASSWORD,
                "language": "en",
            },
        ) as answer:
            code = (await answer_json(answer, "start", "onboarding's user"))[
                "auth_code"
            ]
        async with session.post(
            f"{url}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": client_id,
            },
        ) as answer:
            token = (await answer_json(answer, "start", "the token"))["access_token"]
        auth = {"Authorization": f"Bearer {token}"}

        async def running_config() -> dict[str, Any] | None:
            async with session.get(f"{url}/api/config", headers=auth) as answer:
                config: dict[str, Any] = await answer_json(
                    answer, "start", "/api/config"
                )
                return config if config.get("state") == "RUNNING" else None

        config = await wait_for(
            hass, "start", "state RUNNING", running_config, START_TIMEOUT
        )
        walked.version = config["version"]
        if walked.version != version:
            raise Failed("start", f"Home Assistant says it is {walked.version}")
        print(f"  start: running {time.monotonic() - started:.0f} s after its start")

        async with session.ws_connect(f"{url}/api/websocket") as socket_:
            ws = Websocket(socket_, walked)
            hello = await ws.receive(30)
            await socket_.send_json({"type": "auth", "access_token": token})
            if (answer := await ws.receive(30)).get("type") != "auth_ok":
                raise Failed(
                    "start", f"websocket authentication: {answer} after {hello}"
                )
            # Since 2026.x the configuration's http: section is a pending HTTP
            # configuration, reverted in 5 minutes unless an administrator
            # confirms it: do what the frontend's dialog does.
            http = await ws.command("http/config")
            if (pending := (http or {}).get("pending")) and not pending.get("error"):
                await ws.command("http/config/promote")
                print("  start: the pending HTTP configuration confirmed")

            walked.step = "set-up"
            entry_id = await set_up(session, url, auth, sandbox)
            walked.entity_id = await status_entity(ws, entry_id)

            walked.step = "dial"
            await ws.command("subscribe_events", event_type="state_changed")
            dialled = time.monotonic()
            async with session.post(
                f"{url}/api/services/{DOMAIN}/dial?return_response",
                headers=auth,
                json={"config_entry_id": entry_id, "to": B_PARTY},
            ) as answer:
                response = await answer_json(answer, "dial", f"{DOMAIN}.dial")
            call = response.get("service_response") or {}
            if call.get("status") != "initiated" or not call.get("call_id"):
                raise Failed("dial", f"the action answered {response}")

            walked.step = "status"
            walked.states = await follow(ws, walked.entity_id, call["call_id"])
            walked.seconds = time.monotonic() - dialled


async def set_up(
    session: aiohttp.ClientSession, url: str, auth: dict[str, str], sandbox: str
) -> str:
    """Add the sandbox's Twilio account through the config flow; return its entry id."""
    flows = f"{url}/api/config/config_entries/flow"
    async with session.post(
        flows, headers=auth, json={"handler": DOMAIN, "show_advanced_options": False}
    ) as answer:
        menu = await answer_json(answer, "set-up", "starting the config flow")
    if menu.get("type") != "menu" or "twilio" not in menu.get("menu_options", ()):
        raise Failed("set-up", f"no provider menu with Twilio: {menu}")
    flow = f"{flows}/{menu['flow_id']}"
    async with session.post(
        flow, headers=auth, json={"next_step_id": "twilio"}
    ) as answer:
        form = await answer_json(answer, "set-up", "picking Twilio")
    fields = {
        "account_sid": TWILIO["account_sid"],
        "auth_token": TWILIO["auth_token"],
        "from_number": "+1 415 555 0100",
        "a_party": A_PARTY,
        "api_url": f"{sandbox}/twilio",
    }
    names = {field.get("name") for field in form.get("data_schema", ())}
    if form.get("step_id") != "twilio" or not set(fields) <= names:
        raise Failed("set-up", f"Twilio's form is not as expected: {form}")
    async with session.post(flow, headers=auth, json=fields) as answer:
        done = await answer_json(answer, "set-up", "submitting Twilio's form")
    if done.get("type") != "create_entry":
        raise Failed("set-up", f"the flow did not create an entry: {done}")
    entry_id: str = done["result"]["entry_id"]

    async def loaded() -> dict[str, Any] | None:
        async with session.get(
            f"{url}/api/config/config_entries/entry",
            headers=auth,
            params={"domain": DOMAIN},
        ) as answer:
            entries = await answer_json(answer, "set-up", "the config entries")
        entry = next((e for e in entries if e["entry_id"] == entry_id), None)
        if entry is None:
            raise Failed("set-up", f"entry {entry_id} is not listed: {entries}")
        if entry["state"] in (
            "setup_error",
            "setup_retry",
            "migration_error",
            "failed_unload",
        ):
            raise Failed(
                "set-up",
                f"the entry's state is {entry['state']}: {entry.get('reason')}",
            )
        return entry if entry["state"] == "loaded" else None

    deadline = time.monotonic() + 30
    while (entry := await loaded()) is None:
        if time.monotonic() > deadline:
            raise Failed("set-up", "the entry was not loaded within 30 s")
        await asyncio.sleep(0.5)
    print(f"  set-up: entry {entry['title']!r} loaded")
    return entry_id


async def status_entity(ws: Websocket, entry_id: str) -> str:
    """Return the entity id of the account's last-call-status sensor."""
    unique_id = f"{entry_id}_last_call_status"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        entities = await ws.command("config/entity_registry/list")
        for entity in entities:
            if (
                entity.get("platform") == DOMAIN
                and entity.get("unique_id") == unique_id
            ):
                entity_id: str = entity["entity_id"]
                print(f"  set-up: the account's status sensor is {entity_id}")
                return entity_id
        await asyncio.sleep(0.5)
    raise Failed(
        "set-up", f"no entity with unique id {unique_id} in the entity registry"
    )


async def follow(ws: Websocket, entity_id: str, call_id: str) -> tuple[str, ...]:
    """Follow the sensor through the call's statuses until it is completed."""
    seen: list[str] = []
    deadline = time.monotonic() + STATUS_TIMEOUT
    while (event := await ws.event(deadline)) is not None:
        data = event.get("data", {})
        new = data.get("new_state") or {}
        if data.get("entity_id") != entity_id:
            continue
        if new.get("attributes", {}).get("call_id") != call_id:
            continue
        state = new.get("state")
        if not seen or seen[-1] != state:
            seen.append(state)
        if state == "completed":
            return tuple(seen)
        if state not in ("initiated", "connected"):
            raise Failed(
                "status",
                f"{entity_id} ended {state!r} ({' → '.join(seen)}): {new.get('attributes')}",
            )
    raise Failed(
        "status",
        f"{entity_id} was not 'completed' {STATUS_TIMEOUT} s after the dial "
        f"(seen: {' → '.join(seen) or 'no state for this call'})",
    )


def records(log: str) -> Iterator[tuple[str, str, str]]:
    """Yield each log record's level, logger and text (traceback lines included)."""
    level = logger = ""
    lines: list[str] = []
    for line in log.splitlines():
        if match := RECORD.match(line):
            if lines:
                yield level, logger, "\n".join(lines)
            level, logger, lines = match["level"], match["logger"], [line]
        elif lines:
            lines.append(line)
    if lines:
        yield level, logger, "\n".join(lines)


def about_us(logger: str, text: str) -> bool:
    return logger.startswith(f"custom_components.{DOMAIN}") or DOMAIN in text


def check_log(log: str) -> tuple[list[str], int]:
    """Fail on an error about the integration; return its warnings, and others' errors.

    Home Assistant warns that it loaded a custom integration: without that
    record, the log was not read (a new format?) or the integration not loaded.
    """
    errors, warnings, others, loaded = [], [], 0, False
    for level, logger, text in records(log):
        if not about_us(logger, text):
            others += level in ("ERROR", "CRITICAL")
        elif level in ("ERROR", "CRITICAL"):
            errors.append(text)
        elif UNTESTED in text:
            loaded = True
        elif level == "WARNING":
            warnings.append(text)
    if errors:
        raise Failed(
            "log",
            f"{len(errors)} error(s) about the integration in Home Assistant's log:\n"
            + "\n".join(errors),
        )
    if not loaded:
        raise Failed(
            "log",
            f"no record of Home Assistant loading {DOMAIN} in its log: "
            "has the log's format changed?",
        )
    return warnings, others


def tail(path: Path, lines: int = TAIL) -> str:
    """Return the output's last lines; others' tracebacks cut to their first line.

    The integration's records stay whole, and so does what is not a record
    (what Python printed before Home Assistant's logging started).
    """
    text = path.read_text(errors="replace") if path.exists() else ""
    shown: list[str] = []
    before = text.split("\n")
    start = next(
        (i for i, line in enumerate(before) if RECORD.match(line)), len(before)
    )
    shown.extend(before[:start])
    for _level, logger, record in records("\n".join(before[start:])):
        if about_us(logger, record):
            shown.extend(record.split("\n"))
        else:
            first, _, rest = record.partition("\n")
            shown.append(first + (" [traceback cut]" if rest.strip() else ""))
    return "\n".join(shown[-lines:])


def main() -> None:
    """Run the walk; exit 1 naming the version and the step when it fails."""
    version, skipped = sys.argv[1], sys.argv[2:]
    print(f"newest Home Assistant {version}: start it with the sandbox, in {WORK}")
    walked = Walked()

    def stop(number: int, _frame: object) -> None:  # CI's or a person's stop
        name = signal.Signals(number).name
        raise Failed(walked.step, f"stopped ({name}) before the end")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        try:
            with running(walked) as (url, sandbox, hass):
                asyncio.run(walk(walked, version, url, sandbox, hass))
        except Failed:
            raise
        except Exception as err:  # starting or stopping a process
            raise Failed(walked.step, f"{type(err).__name__}: {err}") from err
        print(
            f"  status: {walked.entity_id}: {' → '.join(walked.states)} "
            f"in {walked.seconds:.1f} s"
        )
        walked.step = "stop"
        if not walked.stopped:
            raise Failed("stop", f"Home Assistant did not stop within {STOP_TIMEOUT} s")
        # After the stop: the log is complete, the entry's unloading included.
        walked.step = "log"
        log = WORK / "config" / "home-assistant.log"
        warnings, others = check_log(log.read_text(errors="replace"))
        for warning in warnings:
            print(
                f"  warning about the integration in Home Assistant's log:\n{warning}"
            )
        print(
            f"  log: no error about the integration ({len(warnings)} warning(s); "
            f"{others} error(s) of others, see {log.relative_to(ROOT)})"
        )
    except Failed as failure:
        output = WORK / "hass.out"
        exited = "".join(f"; {note}" for note in walked.exited)
        print(
            f"newest Home Assistant {version}: FAILED at {failure.step}: "
            f"{failure.message}{exited}\n"
            f"--- the last {TAIL} lines of Home Assistant's output ({output}; "
            "tracebacks of other loggers cut) ---\n"
            f"{tail(output)}\n"
            f"--- end of Home Assistant's output ---\n"
            f"newest Home Assistant {version}: FAILED at {failure.step}",
            file=sys.stderr,
        )
        sys.exit(1)
    newer = f" (newer, not installable here: {', '.join(skipped)})" if skipped else ""
    print(f"newest Home Assistant {walked.version}: set-up, dial, status: OK{newer}")


if __name__ == "__main__":
    main()
