"""The sandbox's state file: webhook URLs and page settings kept across restarts."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Coroutine
import json
import logging
import os
from pathlib import Path
import sys
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
import pytest

from sandbox import DEFAULT_ACCOUNTS, Sandbox, __main__ as sandbox_main, create_app
from sandbox.state import snapshot

WEBHOOK = "http://127.0.0.1:8123/api/webhook/abc"
SETTINGS = {
    "ending": "busy",
    "announce_outcome": "by_hand",
    "ameyo_outcome": "on_break",
    "ameyo_delay": "0.5",
    "telecmi_format": "chub-india",
}

type Start = Callable[[Path], Coroutine[Any, Any, tuple[Sandbox, str]]]


def fresh() -> Sandbox:
    return Sandbox(
        accounts={name: dict(account) for name, account in DEFAULT_ACCOUNTS.items()},
        progress=None,
    )


DEFAULTS = snapshot(fresh())


@pytest.fixture
async def start(socket_enabled: None) -> AsyncGenerator[Start]:
    """Start sandboxes with a state file; each is stopped at the end."""
    servers: list[TestServer] = []

    async def started(path: Path) -> tuple[Sandbox, str]:
        sandbox = fresh()
        server = TestServer(create_app(sandbox, state_file=path), host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        return sandbox, str(server.make_url(""))

    yield started
    for server in servers:
        await server.close()


async def test_webhook_and_settings_survive_a_restart(
    start: Start, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    path = tmp_path / "config" / "sandbox.json"  # its folder is made too
    _, url = await start(path)
    async with session.post(
        f"{url}/sandbox/webhook", data={"provider": "telecmi", "url": f" {WEBHOOK} "}
    ) as answer:
        assert answer.status == 200
    async with session.post(f"{url}/sandbox/settings", data=SETTINGS) as answer:
        assert answer.status == 200

    second, url = await start(path)
    assert second.webhooks == {"telecmi": WEBHOOK}
    assert (second.ending, second.ameyo_outcome) == ("busy", "on_break")
    assert second.announce_outcome == "by_hand"
    assert (second.ameyo_delay, second.telecmi_format) == (0.5, "chub-india")
    async with session.get(f"{url}/") as answer:
        page = await answer.text()
    assert f"value='{WEBHOOK}'" in page
    assert "<option selected>busy</option>" in page
    assert "<option selected>on_break</option>" in page
    assert "<option selected>chub-india</option>" in page
    assert "<option selected>by_hand</option>" in page
    assert sorted(os.listdir(path.parent)) == ["sandbox.json"]  # no temporary left
    assert json.loads(path.read_text()) == {
        "version": 1,
        "webhooks": {"telecmi": WEBHOOK},
        "ending": "busy",
        "announce_outcome": "by_hand",
        "ameyo_delay": 0.5,
        "ameyo_outcome": "on_break",
        "telecmi_format": "chub-india",
    }


@pytest.mark.parametrize(
    ("content", "outcome", "ending"),
    [
        ({"announce_outcome": "voicemail"}, "voicemail", "completed"),
        (
            {"announce_outcome": "no_answer", "ending": "voicemail"},
            "no_answer",
            "voicemail",
        ),
        ({"ending": "busy"}, "press_1", "busy"),  # an older file: the default
    ],
)
async def test_the_announce_outcome_is_read_back(
    start: Start,
    tmp_path: Path,
    content: dict[str, str],
    outcome: str,
    ending: str,
) -> None:
    path = tmp_path / "sandbox.json"
    path.write_text(json.dumps(content))
    sandbox, _ = await start(path)
    assert (sandbox.announce_outcome, sandbox.ending) == (outcome, ending)


async def test_a_removed_webhook_stays_removed(
    start: Start, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    path = tmp_path / "sandbox.json"
    path.write_text(json.dumps({"webhooks": {"telecmi": WEBHOOK}}))
    sandbox, url = await start(path)
    assert sandbox.webhooks == {"telecmi": WEBHOOK}
    async with session.post(
        f"{url}/sandbox/webhook", data={"provider": "telecmi", "url": ""}
    ) as answer:
        assert answer.status == 200
    again, _ = await start(path)
    assert again.webhooks == {}


async def test_without_a_file_it_starts_fresh_quietly(
    start: Start, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "sandbox.json"
    sandbox, _ = await start(path)
    assert snapshot(sandbox) == DEFAULTS
    assert not path.exists()  # written on the first change, not before
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_an_older_file_keeps_what_it_has(start: Start, tmp_path: Path) -> None:
    """Keys it lacks take their defaults; keys and providers unknown are ignored."""
    path = tmp_path / "sandbox.json"
    path.write_text(
        json.dumps(
            {
                "ending": "no_answer",
                "webhooks": {"telecmi": WEBHOOK, "gone": "http://x/"},
                "calls": [],
            }
        )
    )
    sandbox, _ = await start(path)
    assert snapshot(sandbox) == {
        **DEFAULTS,
        "ending": "no_answer",
        "webhooks": {"telecmi": WEBHOOK},
    }


@pytest.mark.parametrize(
    "content",
    [
        b'{"webhooks": {"telecmi": "http://127.0.0.1:8123/api/web',  # cut short
        b"",
        b"\xff\xfe garbage",
        b"[]",
        b'"busy"',
        b'{"version": 2, "ending": "busy"}',
        b'{"ending": "exploded"}',
        b'{"ending": "busy", "ameyo_outcome": 3}',
        b'{"ending": "busy", "telecmi_format": "legacy"}',
        b'{"ending": "busy", "announce_outcome": "press_9"}',
        b'{"ending": "busy", "announce_outcome": null}',
        b'{"ending": "busy", "ameyo_delay": "5"}',
        b'{"ending": "busy", "ameyo_delay": true}',
        b'{"ending": "busy", "ameyo_delay": -1}',
        b'{"ending": "busy", "ameyo_delay": 601}',
        b'{"ending": "busy", "ameyo_delay": NaN}',
        b'{"ending": "busy", "webhooks": ["http://x/"]}',
        b'{"ending": "busy", "webhooks": {"telecmi": 5}}',
        b'{"ending": "busy", "webhooks": {"telecmi": " "}}',
    ],
)
async def test_a_corrupt_file_starts_fresh_with_one_warning(
    start: Start,
    session: aiohttp.ClientSession,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    content: bytes,
) -> None:
    path = tmp_path / "sandbox.json"
    path.write_bytes(content)
    sandbox, url = await start(path)
    assert snapshot(sandbox) == DEFAULTS
    [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "Starting with a fresh state" in warning.getMessage()
    assert str(path) in warning.getMessage()
    # The next change replaces it with a good one.
    async with session.post(
        f"{url}/sandbox/settings", data={"ending": "failed"}
    ) as answer:
        assert answer.status == 200
    assert json.loads(path.read_text())["ending"] == "failed"


async def test_an_unreadable_file_starts_fresh_with_one_warning(
    start: Start, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "sandbox.json"
    path.mkdir()  # exists, but cannot be read as a file
    sandbox, _ = await start(path)
    assert snapshot(sandbox) == DEFAULTS
    [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "Starting with a fresh state" in warning.getMessage()


async def test_a_failed_write_keeps_the_old_file_whole(
    start: Start,
    session: aiohttp.ClientSession,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The file is replaced only by a complete new one, in one rename."""
    path = tmp_path / "sandbox.json"
    path.write_text(json.dumps({"ending": "busy"}))
    _, url = await start(path)

    def no_room(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_room)
    async with session.post(
        f"{url}/sandbox/settings", data={"ending": "failed"}
    ) as answer:
        assert answer.status == 200  # the page still works
    assert json.loads(path.read_text()) == {"ending": "busy"}
    assert sorted(os.listdir(tmp_path)) == ["sandbox.json"]  # temporary removed
    [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "Could not save the sandbox's state" in warning.getMessage()


async def test_a_write_where_no_file_can_be_made_is_a_warning(
    start: Start,
    session: aiohttp.ClientSession,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    _, url = await start(blocker / "sandbox.json")  # its folder is a file
    async with session.post(
        f"{url}/sandbox/settings", data={"ending": "failed"}
    ) as answer:
        assert answer.status == 200
    [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "Could not save the sandbox's state" in warning.getMessage()


def test_command_line_state_option(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`python -m sandbox --state PATH` serves a sandbox that reads that file."""
    path = tmp_path / "sandbox.json"
    path.write_text(json.dumps({"webhooks": {"telecmi": WEBHOOK}}))
    served: list[tuple[web.Application, dict[str, Any]]] = []
    monkeypatch.setattr(
        web, "run_app", lambda app, **kwargs: served.append((app, kwargs))
    )
    monkeypatch.setattr(
        sys, "argv", ["sandbox", "--port", "0", "--state", str(path), "--quiet"]
    )
    sandbox_main.main()
    [(app, kwargs)] = served
    [sandbox] = [value for value in app.values() if isinstance(value, Sandbox)]
    assert sandbox.webhooks == {"telecmi": WEBHOOK}
    assert kwargs["port"] == 0
