"""The call event entity: one event per status change of any call."""

from __future__ import annotations

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .calls import CallRecord
from .coordinator import ClickToCallConfigEntry
from .entity import CallFollowingEntity
from .providers.models import CallStatus

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ClickToCallConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the entry's call event entity."""
    async_add_entities([CallEventEntity(entry, "call")])


class CallEventEntity(CallFollowingEntity, EventEntity):
    """Fires the new status each time a call's status changes.

    Attempts refused before anything was sent fire `rejected` here too.
    """

    _attr_event_types = [status.value for status in CallStatus]  # noqa: RUF012

    @callback
    def _async_call_changed(self, record: CallRecord, status_changed: bool) -> None:
        if status_changed:
            self._trigger_event(record.status.value, self._tracker.describe(record))
            self.async_write_ha_state()
