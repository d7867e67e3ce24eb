"""The base of Click to Call entities: one device per entry, fed by the tracker."""

from __future__ import annotations

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity

from .calls import CallRecord
from .const import DOMAIN
from .coordinator import CallCoordinator, ClickToCallConfigEntry


class ClickToCallEntity(Entity):
    """An entity that follows the entry's calls."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    # Ids that differ for every call: worthless in the history, and each new
    # set of attributes is a new row in the recorder's database.
    _unrecorded_attributes = frozenset({"call_id", "provider_call_id"})

    def __init__(self, entry: ClickToCallConfigEntry, key: str) -> None:
        """Attach the entity to the entry's device and tracker."""
        coordinator: CallCoordinator = entry.runtime_data
        self._tracker = coordinator.tracker
        self._attr_translation_key = key
        self._attr_unique_id = f"{entry.entry_id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            manufacturer=coordinator.client.title,
            entry_type=DeviceEntryType.SERVICE,
        )

    async def async_added_to_hass(self) -> None:
        """Follow the tracker while the entity exists."""
        await super().async_added_to_hass()
        self.async_on_remove(self._tracker.async_add_listener(self._async_call_changed))

    @callback
    def _async_call_changed(self, record: CallRecord, status_changed: bool) -> None:
        """Handle a change to one of the entry's calls."""
        raise NotImplementedError
