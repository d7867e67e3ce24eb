"""Buttons: one tap calls a contact."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .contacts import Contact
from .coordinator import ClickToCallConfigEntry
from .entity import ClickToCallEntity, add_to_each_contact

# Presses go to the coordinator, which needs no limit of its own.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ClickToCallConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a call button to each contact's device."""
    add_to_each_contact(
        entry, async_add_entities, lambda contact: ContactCallButton(entry, contact)
    )


class ContactCallButton(ClickToCallEntity, ButtonEntity):
    """Calls its contact, as the dial action would (guard and number rules)."""

    def __init__(self, entry: ClickToCallConfigEntry, contact: Contact) -> None:
        """Call this contact through the account's coordinator."""
        super().__init__(entry, "call", contact)
        self._coordinator = entry.runtime_data
        self._contact = contact

    async def async_press(self) -> None:
        """Place the call; a refusal is raised, and shown where it was pressed."""
        await self._coordinator.async_dial({}, self._contact)
