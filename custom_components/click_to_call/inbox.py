"""Reports that reach an account's webhook while it is not loaded.

An account sets up again when its contacts or options change, waits while
its provider cannot be reached, and starts after Home Assistant does: a
report that comes meanwhile is held (on disk too, so that a restart does not
lose it), and applied once the account is loaded.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from multidict import CIMultiDict

from .const import DOMAIN, LOGGER
from .providers.models import Callback
from .storage import LenientStore

STORAGE_VERSION: Final = 1
SAVE_DELAY: Final = 1
# A busy account gets a few reports per call; an account that never loads
# must not fill the disk.
MAX_HELD: Final = 200


class Inbox:
    """The reports held for accounts that are not loaded, by entry id."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Name the file; `async_load` reads it."""
        self._store = LenientStore(
            hass, STORAGE_VERSION, f"{DOMAIN}.held_reports", private=True
        )
        self._held: dict[str, list[Callback]] = {}

    async def async_load(self) -> None:
        """Read what was held before a restart; anything unreadable is dropped."""
        try:
            data = await self._store.async_load()
        except (HomeAssistantError, ValueError, TypeError, KeyError) as err:
            LOGGER.warning("Held reports cannot be read (%s)", type(err).__name__)
            return
        if not isinstance(data, dict):
            return
        for entry_id, items in data.items():
            held = [
                report
                for item in (items if isinstance(items, list) else [])
                if (report := _from_stored(item)) is not None
            ]
            if held:
                self._held[str(entry_id)] = held[:MAX_HELD]

    @callback
    def async_hold(self, entry_id: str, report: Callback) -> bool:
        """Keep a report until its account is loaded; False when it is full."""
        held = self._held.setdefault(entry_id, [])
        if len(held) >= MAX_HELD:
            return False
        held.append(report)
        self._save()
        return True

    @callback
    def async_take(self, entry_id: str) -> list[Callback]:
        """Return an account's held reports, oldest first, and forget them."""
        held = self._held.pop(entry_id, [])
        if held:
            self._save()
        return held

    def _save(self) -> None:
        self._store.async_delay_save(self._stored, SAVE_DELAY)

    def _stored(self) -> dict[str, Any]:
        return {
            entry_id: [_to_stored(report) for report in held]
            for entry_id, held in self._held.items()
        }


def _to_stored(report: Callback) -> dict[str, Any]:
    return {
        "method": report.method,
        "query": report.query_string,
        "headers": dict(report.headers),
        "body": base64.b64encode(report.body).decode(),
    }


def _from_stored(item: Any) -> Callback | None:
    """Rebuild a held report; None for anything that is not one."""
    if not isinstance(item, dict):
        return None
    method, query, headers = item.get("method"), item.get("query"), item.get("headers")
    if not (
        isinstance(method, str)
        and isinstance(query, str)
        and isinstance(headers, dict)
        and all(isinstance(v, str) for v in (*headers, *headers.values()))
        and isinstance(item.get("body"), str)
    ):
        return None
    try:
        body = base64.b64decode(item["body"], validate=True)
    except (binascii.Error, ValueError):
        return None
    return Callback(method, "", query, CIMultiDict(headers), body)
