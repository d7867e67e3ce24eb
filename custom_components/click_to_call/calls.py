"""The calls of one entry: what each call is, and the tracker that keeps them.

Every change goes through the tracker, so statuses only move forward, the
entities follow and `click_to_call_call_updated` fires once per change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from hmac import compare_digest
import time
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er

from .const import (
    DOMAIN,
    EVENT_CALL_UPDATED,
    LOGGER,
    MAX_ACTIVE_KEPT,
    MAX_FINISHED_KEPT,
)
from .devices import contact_identifier
from .providers.models import (
    Announcement,
    AnsweredBy,
    CallKind,
    CallReason,
    CallStatus,
    CallUpdate,
)

# listener(record, status_changed)
type CallListener = Callable[["CallRecord", bool], None]
# How far the provider's clock may be behind ours: a report older than the
# call by more is about an earlier call.
CLOCK_SKEW: Final = 2.0
# How long after a call's end a provider may still report it (TeleCMI sends
# its detail records again up to 15 minutes later).
LATE_REPORTS: Final = 1800.0
# The longest a call is followed when neither it nor the provider sets one.
DEFAULT_CALL_LIMIT: Final = 3600
_LIFTED_BY_A_REPORT: Final = (CallReason.ANSWER_LOST, CallReason.NO_REPORT)


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
    # The webhook's URL as the provider was given it for this call (a
    # signature covers it), and when a report about the call came last.
    webhook_url: str | None = None
    last_report: float | None = None
    reason: CallReason | None = None
    # The provider's ids of the reports applied, where they have ids.
    reports: list[str] = field(default_factory=list)
    kind: CallKind = CallKind.DIAL
    answered_by: AnsweredBy | None = None
    digits: str | None = None
    # An announce call's message (for a machine's beep), and the secret its
    # own reports must carry where the provider does not sign them. Never
    # shown.
    announcement: Announcement | None = None

    def reports_until(self) -> float:
        """Return when the call has ended at the latest (its maximum duration)."""
        return self.created + (self.max_duration or DEFAULT_CALL_LIMIT)

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
            "reason": self.reason,
            "kind": self.kind,
            "answered_by": self.answered_by,
            "digits": self.digits,
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
            "reason": self.reason,
            "contact": self.contact,
            "kind": self.kind,
            "answered_by": self.answered_by,
            "digits": self.digits,
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


@dataclass(slots=True)
class InFlight:
    """A call sent whose answer has not come yet, and the reports that did."""

    record: CallRecord
    early: list[CallUpdate] = field(default_factory=list)


class CallTracker:
    """Calls of one config entry, in memory; `CallStore` keeps them on disk."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        records: Iterable[CallRecord],
        on_change: Callable[[], None],
        in_flight: dict[str, InFlight] | None = None,
    ) -> None:
        """Start from the stored calls; `on_change` is told of every change.

        `in_flight` holds the calls sent and not answered yet, by call id:
        it outlives a reload, since a dial may outlive its tracker.
        """
        self._hass = hass
        self._entry_id = entry_id
        self._on_change = on_change
        self._in_flight = {} if in_flight is None else in_flight
        # Oldest sent first; the last one is the call the sensors show.
        self._calls: dict[str, CallRecord] = {}
        self._finished = 0
        self._by_provider_call_id: dict[str, str] = {}
        self._by_report: dict[str, str] = {}
        # Contact (subentry id) -> the call sent to it last.
        self._latest_by_contact: dict[str, str] = {}
        self._listeners: list[CallListener] = []
        self._closed = False
        # While a change is shown: the call, and its description built once
        # for every entity that writes it.
        self._showing: tuple[CallRecord, dict[str, Any]] | None = None
        # Contact (subentry id), or None for the account -> its device's id.
        self._device_ids: dict[str | None, str] = {}
        # Why the last report that changed nothing was not news (for the log).
        self.ignored = ""
        for record in records:
            self._keep(record)

    @property
    def latest(self) -> CallRecord | None:
        """Return the call sent last."""
        return next(reversed(self._calls.values()), None)

    def latest_for(self, contact_id: str) -> CallRecord | None:
        """Return the call sent last to a contact."""
        call_id = self._latest_by_contact.get(contact_id)
        return None if call_id is None else self._calls.get(call_id)

    def describe(self, record: CallRecord) -> dict[str, Any]:
        """Return a call as the status sensors and the event entity show it.

        During a change, the one description built for it, shared by the
        entities that write it (nobody changes it).
        """
        if self._showing is not None and self._showing[0] is record:
            return self._showing[1]
        return record.describe()

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

    def sent(self, call_id: str) -> CallRecord | None:
        """Find a call by our id, kept or still waiting for its dial's answer."""
        if (record := self._calls.get(call_id)) is not None:
            return record
        in_flight = self._in_flight.get(call_id)
        return None if in_flight is None else in_flight.record

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
    def async_sending(self, record: CallRecord) -> None:
        """Know a call before its request leaves: a report may beat its answer."""
        self._in_flight[record.call_id] = InFlight(record)

    @callback
    def async_add(self, record: CallRecord) -> None:
        """Keep a call that was sent to the provider, and announce it.

        Reports that came before the dial's answer apply next, in order.
        """
        in_flight = self._in_flight.pop(record.call_id, None)
        if self._closed:
            LOGGER.debug("Call %s ended after its entry was unloaded", record.call_id)
            return
        self._keep(record)
        self._changed(record, status_changed=True)
        self._on_change()
        for update in () if in_flight is None else in_flight.early:
            self.async_apply(update)

    @callback
    def async_announce_refusal(self, record: CallRecord) -> None:
        """Announce an attempt refused before anything was sent.

        The event entity and the bus event tell of it; it is not kept, so the
        sensors go on showing the last call that was sent.
        """
        self._in_flight.pop(record.call_id, None)
        self._changed(record, status_changed=True)

    @callback
    def async_apply(self, update: CallUpdate) -> CallRecord | None:
        """Apply a status report; return the call if it changed.

        A report for a call this entry does not know, one already applied,
        one older than the call, or one that would take a call back to an
        earlier status, changes nothing.
        """
        if self._closed:
            self.ignored = "the account is unloading"
            return None
        if update.report_id is not None and update.report_id in self._by_report:
            self.ignored = "it was delivered before"
            return None
        record = self._find(update)
        if record is None:
            in_flight = (
                None if update.call_id is None else self._in_flight.get(update.call_id)
            )
            if in_flight is not None:
                in_flight.early.append(update)
                return in_flight.record
            self.ignored = "it is about no call placed from here"
            return None
        if (
            update.reported_at is not None
            and update.reported_at < record.created - CLOCK_SKEW
        ):
            self.ignored = "it is older than the call"
            return None
        if update.report_key is not None and not _has_key(record, update.report_key):
            self.ignored = "its key is not the call's"
            return None
        self.ignored = "the call had it already"
        return self._update(record, update)

    @callback
    def async_mark(self, record: CallRecord, reason: CallReason) -> None:
        """Say why a call's status is not the whole story."""
        if record.reason is reason or self._closed:
            return
        record.reason = reason
        self._changed(record, status_changed=False)
        self._on_change()

    def _update(self, record: CallRecord, update: CallUpdate) -> CallRecord | None:
        record.last_report = time.time()
        changed = False
        if update.report_id is not None:
            record.reports.append(update.report_id)
            self._by_report[update.report_id] = record.call_id
            changed = True  # (saved, not shown)
        status = update.status
        if record.kind is CallKind.ANNOUNCE and update.announce_status is not None:
            status = update.announce_status
        status_changed = status.rank > record.status.rank
        if status_changed:
            record.status = status
            if record.status.is_final:
                self._finished += 1
        shown = status_changed
        if update.reason is not None or record.reason in _LIFTED_BY_A_REPORT:
            # Ours, or a report came after all.
            shown = shown or record.reason is not update.reason
            record.reason = update.reason
        if update.answered_by is not None and update.answered_by != record.answered_by:
            record.answered_by = update.answered_by
            shown = True
        if update.digits is not None and update.digits != record.digits:
            record.digits = update.digits
            shown = True
        # A repeated report of the current status may still add details (a
        # second report of how a call failed keeps the first one's words).
        if status is record.status:
            if update.duration is not None and update.duration != record.duration:
                record.duration = update.duration
                shown = True
            if update.error and record.error is None:
                record.error = update.error
                shown = True
        for key, value in update.attributes.items():
            if record.attributes.get(key) != value:
                record.attributes[key] = value
                shown = True
        if update.provider_call_id and record.provider_call_id is None:
            record.provider_call_id = update.provider_call_id
            self._by_provider_call_id[update.provider_call_id] = record.call_id
            shown = True
        if shown:
            self._changed(record, status_changed)
        if shown or changed:
            self._on_change()
            self._prune()
        return record if shown else None

    def _find(self, update: CallUpdate) -> CallRecord | None:
        """Find the call a report is about.

        By our id (never one whose provider id differs), else by the
        provider's; reports that carry neither, or an id not known here (the
        dial's answer was lost), by the number dialled.
        """
        if update.call_id is not None:
            record = self._calls.get(update.call_id)
            if (
                record is not None
                and update.provider_call_id is not None
                and record.provider_call_id is not None
                and record.provider_call_id != update.provider_call_id
            ):
                return None
            return record
        if update.provider_call_id is not None:
            call_id = self._by_provider_call_id.get(update.provider_call_id)
            if call_id is not None:
                return self._calls.get(call_id)
        if update.to is None:
            return None
        return self._open_call_to(
            update.to,
            update.reported_at,
            unlinked_only=update.provider_call_id is not None,
        )

    def _open_call_to(
        self, number: str, reported_at: float | None, *, unlinked_only: bool
    ) -> CallRecord | None:
        """Find the oldest open call to a number that a report can be about.

        Written with or without +; placed before the report, and not long
        over; with `unlinked_only`, only a call the provider's id is not
        known for.
        """
        digits = number.lstrip("+")
        when = time.time() if reported_at is None else reported_at
        for record in self._calls.values():
            if (
                not record.status.is_final
                and record.to.lstrip("+") == digits
                and record.created - CLOCK_SKEW
                <= when
                <= record.reports_until() + LATE_REPORTS
                and not (unlinked_only and record.provider_call_id is not None)
            ):
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
        for report_id in record.reports:
            self._by_report[report_id] = record.call_id
        self._prune()

    def _prune(self) -> None:
        """Drop the oldest calls over the bounds (usually just the first one).

        A contact's last call stays, so that its sensor goes on showing it.
        """
        excess_finished = self._finished - MAX_FINISHED_KEPT
        excess_active = len(self._calls) - self._finished - MAX_ACTIVE_KEPT
        if excess_finished <= 0 and excess_active <= 0:
            return
        dropped: list[CallRecord] = []
        for record in self._calls.values():
            if (
                record.contact_id is not None
                and self._latest_by_contact.get(record.contact_id) == record.call_id
            ):
                continue
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
            for report_id in record.reports:
                self._by_report.pop(report_id, None)

    def _changed(self, record: CallRecord, status_changed: bool) -> None:
        self._showing = (record, record.describe())
        try:
            for listener in list(self._listeners):
                listener(record, status_changed)
        finally:
            self._showing = None  # the entities hold it; the tracker need not
        data = record.as_event(self._entry_id)
        # The logbook shows an event on the page of the device it names.
        data["device_id"] = self._device_id(record.contact_id)
        self._hass.bus.async_fire(EVENT_CALL_UPDATED, data)

    def _device_id(self, contact_id: str | None) -> str | None:
        """Return the id of the call's device: its contact's, or the account's.

        Read from the entity on that device (the contact's status sensor, the
        account's call event): a contact's device is a child device, which
        the device registry's identifier lookup does not search in 2026.10.
        Found once per tracker: a device changes only with a reload.
        """
        if (device_id := self._device_ids.get(contact_id)) is not None:
            return device_id
        registry = er.async_get(self._hass)
        if contact_id is None:
            entity_id = registry.async_get_entity_id(
                "event", DOMAIN, f"{self._entry_id}_call"
            )
        else:
            device = contact_identifier(self._entry_id, contact_id)
            entity_id = registry.async_get_entity_id(
                "sensor", DOMAIN, f"{device}_last_call_status"
            )
        entity = None if entity_id is None else registry.async_get(entity_id)
        if entity is None or entity.device_id is None:
            return None  # not registered yet: asked again next time
        self._device_ids[contact_id] = entity.device_id
        return entity.device_id


def _has_key(record: CallRecord, given: str) -> bool:
    """Compare a report's key with the call's own, in constant time."""
    key = None if record.announcement is None else record.announcement.report_key
    return key is not None and compare_digest(
        given.encode("utf-8", "surrogatepass"), key.encode()
    )
