"""The sandbox's state file: what it keeps across restarts.

The webhook URLs pasted into its page and the page's settings (how calls end,
how announce calls play out, Ameyo's delay and outcome, TeleCMI's format) are
kept in a JSON file, given as
`python -m sandbox --state PATH` (`scripts/develop` keeps it beside Home
Assistant's configuration). Calls and the request log are not kept.

The file is read leniently: a missing one is a fresh start; one that cannot be
read or holds something else than this module writes is a fresh start too,
with one warning (the next change overwrites it). Keys it does not know, and
webhooks of providers it does not know, are ignored. It is written atomically:
a temporary file beside it, then renamed over it.
"""

from __future__ import annotations

from collections.abc import Collection
import contextlib
import json
import logging
import math
import os
from pathlib import Path
import tempfile
from typing import Any

from . import ameyo, telecmi
from .control import ENDINGS, MAX_AMEYO_DELAY
from .core import ANNOUNCE_OUTCOMES, Sandbox

LOGGER = logging.getLogger("sandbox")
VERSION = 1


class _Corrupt(ValueError):
    """The file holds something this module does not write."""


def snapshot(sandbox: Sandbox) -> dict[str, Any]:
    """Return what the file keeps of a sandbox."""
    return {
        "version": VERSION,
        "webhooks": dict(sandbox.webhooks),
        "ending": sandbox.ending,
        "announce_outcome": sandbox.announce_outcome,
        "ameyo_delay": sandbox.ameyo_delay,
        "ameyo_outcome": sandbox.ameyo_outcome,
        "telecmi_format": sandbox.telecmi_format,
    }


def _choice(data: dict[str, Any], key: str, choices: Collection[str]) -> str | None:
    if key not in data:
        return None
    if (value := data[key]) not in choices:
        raise _Corrupt(f"{key} {value!r} is not one of {', '.join(choices)}")
    return str(value)


def _delay(data: dict[str, Any]) -> float | None:
    if "ameyo_delay" not in data:
        return None
    value = data["ameyo_delay"]
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value <= MAX_AMEYO_DELAY
    ):
        raise _Corrupt(f"ameyo_delay {value!r} is not 0 to {MAX_AMEYO_DELAY:g} s")
    return float(value)


def _webhooks(data: dict[str, Any], providers: Collection[str]) -> dict[str, str]:
    webhooks = data.get("webhooks", {})
    if not isinstance(webhooks, dict):
        raise _Corrupt("webhooks is not an object")
    kept: dict[str, str] = {}
    for provider, url in webhooks.items():
        if not isinstance(url, str) or not url.strip():
            raise _Corrupt(f"the webhook of {provider} is not a URL")
        if provider in providers:  # a provider this sandbox no longer has: ignored
            kept[provider] = url.strip()
    return kept


def _read(path: Path, providers: Collection[str]) -> dict[str, Any]:
    """Return the settings the file holds, by Sandbox field; raise _Corrupt."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as err:  # unreadable, not UTF-8, not JSON
        raise _Corrupt(str(err)) from err
    if not isinstance(data, dict):
        raise _Corrupt("not a JSON object")
    if data.get("version", VERSION) != VERSION:
        raise _Corrupt(f"version {data['version']!r}, not {VERSION}")
    settings: dict[str, Any] = {
        "webhooks": _webhooks(data, providers),
        "ending": _choice(data, "ending", ENDINGS),
        "announce_outcome": _choice(data, "announce_outcome", ANNOUNCE_OUTCOMES),
        "ameyo_delay": _delay(data),
        "ameyo_outcome": _choice(data, "ameyo_outcome", tuple(ameyo.OUTCOMES)),
        "telecmi_format": _choice(data, "telecmi_format", telecmi.FORMATS),
    }
    return {key: value for key, value in settings.items() if value is not None}


def load(sandbox: Sandbox, path: Path, providers: Collection[str]) -> None:
    """Restore a sandbox from its state file, if there is a usable one.

    `providers` are those whose webhook URL is pasted into the page.
    """
    if not path.exists():
        return
    try:
        settings = _read(path, providers)
    except _Corrupt as err:
        LOGGER.warning(
            "Starting with a fresh state: %s is not a state file the sandbox can read (%s)",
            path,
            err,
        )
        return
    for key, value in settings.items():
        setattr(sandbox, key, value)
    LOGGER.info("State read from %s", path)


def save(sandbox: Sandbox, path: Path) -> None:
    """Write the sandbox's state file atomically (a warning if it cannot)."""
    text = json.dumps(snapshot(sandbox), indent=2) + "\n"
    temporary: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", dir=path.parent, prefix=f".{path.name}.", delete=False
        ) as file:
            temporary = Path(file.name)
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        temporary.replace(path)
    except OSError as err:
        LOGGER.warning("Could not save the sandbox's state to %s: %s", path, err)
        if temporary is not None:
            with contextlib.suppress(OSError):
                temporary.unlink()
