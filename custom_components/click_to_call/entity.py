"""The base of Click to Call entities: an account's device, or a contact's."""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.core import callback
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .calls import CallRecord
from .contacts import Contact
from .coordinator import ClickToCallConfigEntry
from .devices import account_device, contact_device, contact_identifier


def add_to_each_contact(
    entry: ClickToCallConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    make: Callable[[Contact], Entity],
) -> None:
    """Add one entity to each contact's device (its subentry's)."""
    for contact in entry.runtime_data.contacts.values():
        async_add_entities([make(contact)], config_subentry_id=contact.subentry_id)


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
        provider = coordinator.client.title
        if contact is None:
            self._attr_unique_id = f"{entry.entry_id}_{key}"
            self._attr_device_info = account_device(
                entry.entry_id, entry.title, provider
            )
            return
        device = contact_identifier(entry.entry_id, contact.subentry_id)
        self._attr_unique_id = f"{device}_{key}"
        self._attr_device_info = contact_device(
            entry.entry_id,
            contact.subentry_id,
            contact.name,
            provider,
            coordinator.device_id,
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
