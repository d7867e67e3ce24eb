"""The per-entry call tracker: active calls and a bounded, persisted history.

Every change goes through here, so statuses only move forward, the entities
follow and `click_to_call_call_updated` fires once per change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store

from .const import (
    DOMAIN,
    EVENT_CALL_UPDATED,
    LOGGER,
    MAX_ACTIVE_KEPT,
    MAX_FINISHED_KEPT,
)
from .providers.base import CallStatus, CallUpdate

STORAGE_VERSION: Final = 1
SAVE_DELAY: Final = 5

# listener(record, is_latest, status_changed)
type CallListener = Callable[["CallRecord", bool, bool], None]


@dataclass(slots=True)
class CallRecord:
    """One call attempt and everything learned about it."""

    call_id: str
    provider: str
    to: str
    from_: str | None
    reference: str | None
    status: CallStatus
    created: float
    # False when the attempt was refused before anything reached the provider.
    placed: bool = True
    provider_call_id: str | None = None
    duration: int | None = None
    error: str | None = None
    max_duration: int | None = None
    attributes: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return the record as stored.

        Spelled out: dataclasses.asdict deep-copies field by field, about ten
        times slower, and up to 1,100 records are written at a time.
        """
        return {
            "call_id": self.call_id,
            "provider": self.provider,
            "to": self.to,
            "from_": self.from_,
            "reference": self.reference,
            "status": self.status.value,
            "created": self.created,
            "placed": self.placed,
            "provider_call_id": self.provider_call_id,
            "duration": self.duration,
            "error": self.error,
            "max_duration": self.max_duration,
            "attributes": dict(self.attributes),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallRecord:
        """Rebuild a stored record."""
        return cls(**{**data, "status": CallStatus(data["status"])})


class CallTracker:
    """Calls of one config entry."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Set up an empty tracker; `async_load` fills it from storage."""
        self._hass = hass
        self._entry_id = entry_id
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.calls.{entry_id}", private=True
        )
        # Oldest placed first; the last one is the call the sensors show.
        self._calls: dict[str, CallRecord] = {}
        self._finished = 0
        self._by_provider_call_id: dict[str, str] = {}
        self._listeners: list[CallListener] = []
        self._save_scheduled = False
        self._closed = False

    @property
    def latest(self) -> CallRecord | None:
        """Return the call placed last."""
        return self._calls[next(reversed(self._calls))] if self._calls else None

    def __iter__(self) -> Iterator[CallRecord]:
        """Iterate over the kept calls, oldest first."""
        return iter(self._calls.values())

    def get(
        self, call_id: str | None = None, provider_call_id: str | None = None
    ) -> CallRecord | None:
        """Find a kept call by our id or by the provider's."""
        if call_id is None and provider_call_id is not None:
            call_id = self._by_provider_call_id.get(provider_call_id)
        return self._calls.get(call_id) if call_id is not None else None

    async def async_load(self) -> None:
        """Load the calls kept before the last restart or reload."""
        data = await self._store.async_load()
        for item in (data or {}).get("calls", []):
            try:
                record = CallRecord.from_dict(item)
            except (KeyError, TypeError, ValueError):
                LOGGER.warning(
                    "Dropped an unreadable stored call of %s", self._entry_id
                )
                continue
            self._keep(record)

    @property
    def closed(self) -> bool:
        """Return whether the entry was unloaded: changes are then refused."""
        return self._closed

    async def async_close(self) -> None:
        """Stop taking changes and write the calls now (on unload).

        A dial or callback still in flight must not change this tracker after
        its final write: a reload has a new tracker reading that file.
        """
        self._closed = True
        await self._store.async_save(self._data_to_store())

    async def async_remove(self) -> None:
        """Delete the stored calls when the entry is removed."""
        await self._store.async_remove()

    @callback
    def async_add_listener(self, listener: CallListener) -> Callable[[], None]:
        """Call `listener(record, is_latest, status_changed)` on every change."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def async_add(self, record: CallRecord) -> None:
        """Keep a new call attempt and announce it."""
        if self._closed:
            LOGGER.debug("Call %s ended after its entry was unloaded", record.call_id)
            return
        self._keep(record)
        self._changed(record, status_changed=True)

    @callback
    def async_apply(self, update: CallUpdate) -> CallRecord | None:
        """Apply a status report; return the call if it changed.

        A report for a call this entry does not know, or one that would take
        a call back to an earlier status, changes nothing.
        """
        record = self.get(update.call_id, update.provider_call_id)
        if record is None or self._closed:
            return None
        status_changed = update.status.rank > record.status.rank
        if status_changed:
            record.status = update.status
            if record.status.is_final:
                self._finished += 1
        changed = status_changed
        # A repeated report of the current status may still add details.
        if update.status is record.status:
            if update.duration is not None and update.duration != record.duration:
                record.duration = update.duration
                changed = True
            if update.error and update.error != record.error:
                record.error = update.error
                changed = True
        for key, value in update.attributes.items():
            if record.attributes.get(key) != value:
                record.attributes[key] = value
                changed = True
        if update.provider_call_id and record.provider_call_id is None:
            self._set_provider_call_id(record, update.provider_call_id)
        if changed:
            self._changed(record, status_changed)
            self._prune()
            return record
        return None

    @callback
    def _set_provider_call_id(self, record: CallRecord, provider_call_id: str) -> None:
        record.provider_call_id = provider_call_id
        self._by_provider_call_id[provider_call_id] = record.call_id

    def _keep(self, record: CallRecord) -> None:
        self._calls[record.call_id] = record
        if record.status.is_final:
            self._finished += 1
        if record.provider_call_id:
            self._by_provider_call_id[record.provider_call_id] = record.call_id
        self._prune()

    def _prune(self) -> None:
        """Drop the oldest calls over the bounds (usually just the first one)."""
        excess_finished = self._finished - MAX_FINISHED_KEPT
        excess_active = len(self._calls) - self._finished - MAX_ACTIVE_KEPT
        if excess_finished <= 0 and excess_active <= 0:
            return
        dropped: list[CallRecord] = []
        for record in self._calls.values():
            if record.status.is_final and excess_finished > 0:
                excess_finished -= 1
                dropped.append(record)
            elif not record.status.is_final and excess_active > 0:
                excess_active -= 1
                dropped.append(record)
            if excess_finished <= 0 and excess_active <= 0:
                break
        for record in dropped:
            del self._calls[record.call_id]
            self._finished -= record.status.is_final
            if record.provider_call_id:
                self._by_provider_call_id.pop(record.provider_call_id, None)

    def _changed(self, record: CallRecord, status_changed: bool) -> None:
        is_latest = record is self.latest
        for listener in list(self._listeners):
            listener(record, is_latest, status_changed)
        self._hass.bus.async_fire(
            EVENT_CALL_UPDATED,
            {
                "entry_id": self._entry_id,
                "call_id": record.call_id,
                "status": record.status.value,
                "to": record.to,
                "from": record.from_,
                "reference": record.reference,
                "provider": record.provider,
                "provider_call_id": record.provider_call_id,
                "duration": record.duration,
                "error": record.error,
            },
        )
        # Written at most SAVE_DELAY after the first unsaved change. (Store's
        # own delay restarts on every call: under steady load it never saves.)
        if not self._save_scheduled:
            self._save_scheduled = True
            self._store.async_delay_save(self._data_to_store, SAVE_DELAY)

    def _data_to_store(self) -> dict[str, Any]:
        self._save_scheduled = False
        return {"calls": [record.as_dict() for record in self._calls.values()]}
