"""The base of Click to Call entities: an account's device, or a contact's."""

from __future__ import annotations

from typing import Any, Final, cast

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity

from .calls import CallRecord
from .const import DOMAIN
from .contacts import Contact
from .coordinator import ClickToCallConfigEntry

# Since 2026.8 a device names its parent by the parent's device id; before, by
# the parent's identifier (deprecated since, and refused from 2027.8).
VIA_DEVICE_ID: Final = "via_device_id" in DeviceInfo.__optional_keys__


class ClickToCallEntity(Entity):
    """An entity of an account, on its device or on one of its contacts'."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    # Ids that differ for every call: worthless in the history, and each new
    # set of attributes is a new row in the recorder's database.
    _unrecorded_attributes = frozenset({"call_id", "provider_call_id"})

    def __init__(
        self, entry: ClickToCallConfigEntry, key: str, contact: Contact | None = None
    ) -> None:
        """Attach the entity to the account's device, or to the contact's."""
        coordinator = entry.runtime_data
        self._tracker = coordinator.tracker
        self._attr_translation_key = key
        if contact is None:
            self._attr_unique_id = f"{entry.entry_id}_{key}"
            self._attr_device_info = DeviceInfo(
                identifiers={(DOMAIN, entry.entry_id)},
                name=entry.title,
                manufacturer=coordinator.client.title,
                entry_type=DeviceEntryType.SERVICE,
            )
            return
        device_id = f"{entry.entry_id}_{contact.subentry_id}"
        self._attr_unique_id = f"{device_id}_{key}"
        parent: dict[str, Any] = (
            {"via_device_id": coordinator.device_id}
            if VIA_DEVICE_ID
            else {"via_device": (DOMAIN, entry.entry_id)}
        )
        self._attr_device_info = cast(
            DeviceInfo,
            {
                "identifiers": {(DOMAIN, device_id)},
                "name": contact.name,
                "manufacturer": coordinator.client.title,
                "model": "Contact",
                "entry_type": DeviceEntryType.SERVICE,
                **parent,
            },
        )


class CallFollowingEntity(ClickToCallEntity):
    """An entity that follows the account's calls."""

    async def async_added_to_hass(self) -> None:
        """Follow the tracker while the entity exists."""
        await super().async_added_to_hass()
        self.async_on_remove(self._tracker.async_add_listener(self._async_call_changed))

    @callback
    def _async_call_changed(self, record: CallRecord, status_changed: bool) -> None:
        """Handle a change to one of the account's calls."""
        raise NotImplementedError
