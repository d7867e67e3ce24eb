"""The calls of one entry: what each call is, and the tracker that keeps them.

Every change goes through the tracker, so statuses only move forward, the
entities follow and `click_to_call_call_updated` fires once per change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from homeassistant.core import HomeAssistant, callback

from .const import EVENT_CALL_UPDATED, LOGGER, MAX_ACTIVE_KEPT, MAX_FINISHED_KEPT
from .providers.models import CallStatus, CallUpdate

# listener(record, status_changed)
type CallListener = Callable[["CallRecord", bool], None]


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
    provider_call_id: str | None = None
    duration: int | None = None
    error: str | None = None
    max_duration: int | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    # The contact called, by name (as it was then) and subentry id.
    contact: str | None = None
    contact_id: str | None = None

    def describe(self) -> dict[str, Any]:
        """Return the call as the status sensors and the event entity show it."""
        return {
            "call_id": self.call_id,
            "to": self.to,
            "from": self.from_,
            "contact": self.contact,
            "reference": self.reference,
            "provider_call_id": self.provider_call_id,
            "duration": self.duration,
            "error": self.error,
            **self.attributes,
        }

    def as_event(self, entry_id: str) -> dict[str, Any]:
        """Return the data of `click_to_call_call_updated`."""
        return {
            "entry_id": entry_id,
            "call_id": self.call_id,
            "status": self.status.value,
            "to": self.to,
            "from": self.from_,
            "reference": self.reference,
            "provider": self.provider,
            "provider_call_id": self.provider_call_id,
            "duration": self.duration,
            "error": self.error,
            "contact": self.contact,
        }

    def as_response(self) -> dict[str, Any]:
        """Return the dial action's response."""
        return {
            "call_id": self.call_id,
            "status": self.status.value,
            "provider": self.provider,
            "provider_call_id": self.provider_call_id,
            "contact": self.contact,
        }


class CallTracker:
    """Calls of one config entry, in memory; `CallStore` keeps them on disk."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        records: Iterable[CallRecord],
        on_change: Callable[[], None],
    ) -> None:
        """Start from the stored calls; `on_change` is told of every change."""
        self._hass = hass
        self._entry_id = entry_id
        self._on_change = on_change
        # Oldest sent first; the last one is the call the sensors show.
        self._calls: dict[str, CallRecord] = {}
        self._finished = 0
        self._by_provider_call_id: dict[str, str] = {}
        # Contact (subentry id) -> the call sent to it last.
        self._latest_by_contact: dict[str, str] = {}
        self._listeners: list[CallListener] = []
        self._closed = False
        for record in records:
            self._keep(record)

    @property
    def latest(self) -> CallRecord | None:
        """Return the call sent last."""
        return self._calls[next(reversed(self._calls))] if self._calls else None

    def latest_for(self, contact_id: str) -> CallRecord | None:
        """Return the call sent last to a contact."""
        call_id = self._latest_by_contact.get(contact_id)
        return None if call_id is None else self._calls.get(call_id)

    def newest_first(self) -> Iterator[CallRecord]:
        """Iterate over the kept calls, newest first."""
        return reversed(self._calls.values())

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

    @property
    def closed(self) -> bool:
        """Return whether the entry was unloaded: changes are then refused."""
        return self._closed

    @callback
    def async_close(self) -> None:
        """Take no more changes (on unload, before the final write).

        A dial or callback still in flight must not change this tracker after
        its final write: a reload has a new tracker reading that file.
        """
        self._closed = True

    @callback
    def async_add_listener(self, listener: CallListener) -> Callable[[], None]:
        """Call `listener(record, status_changed)` on every change."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def async_add(self, record: CallRecord) -> None:
        """Keep a call that was sent to the provider, and announce it."""
        if self._closed:
            LOGGER.debug("Call %s ended after its entry was unloaded", record.call_id)
            return
        self._keep(record)
        self._changed(record, status_changed=True)
        self._on_change()

    @callback
    def async_announce_refusal(self, record: CallRecord) -> None:
        """Announce an attempt refused before anything was sent.

        The event entity and the bus event tell of it; it is not kept, so the
        sensors go on showing the last call that was sent.
        """
        self._changed(record, status_changed=True)

    @callback
    def async_apply(self, update: CallUpdate) -> CallRecord | None:
        """Apply a status report; return the call if it changed.

        A report for a call this entry does not know, or one that would take
        a call back to an earlier status, changes nothing.
        """
        record = self.get(update.call_id, update.provider_call_id)
        if record is None and update.to is not None:
            record = self._newest_open_call_to(update.to)
        if record is None or self._closed:
            return None
        status_changed = update.status.rank > record.status.rank
        if status_changed:
            record.status = update.status
            if record.status.is_final:
                self._finished += 1
        changed = status_changed
        # A repeated report of the current status may still add details (a
        # second report of how a call failed keeps the first one's words).
        if update.status is record.status:
            if update.duration is not None and update.duration != record.duration:
                record.duration = update.duration
                changed = True
            if update.error and record.error is None:
                record.error = update.error
                changed = True
        for key, value in update.attributes.items():
            if record.attributes.get(key) != value:
                record.attributes[key] = value
                changed = True
        if update.provider_call_id and record.provider_call_id is None:
            record.provider_call_id = update.provider_call_id
            self._by_provider_call_id[update.provider_call_id] = record.call_id
            changed = True
        if not changed:
            return None
        self._changed(record, status_changed)
        self._on_change()
        self._prune()
        return record

    def _newest_open_call_to(self, number: str) -> CallRecord | None:
        """Find the newest open call to a number, written with or without +."""
        digits = number.lstrip("+")
        for record in reversed(self._calls.values()):
            if not record.status.is_final and record.to.lstrip("+") == digits:
                return record
        return None

    def _keep(self, record: CallRecord) -> None:
        self._calls[record.call_id] = record
        if record.contact_id is not None:
            self._latest_by_contact[record.contact_id] = record.call_id
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
        for listener in list(self._listeners):
            listener(record, status_changed)
        self._hass.bus.async_fire(EVENT_CALL_UPDATED, record.as_event(self._entry_id))
