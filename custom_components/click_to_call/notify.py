"""Notify entities: `notify.send_message` to a contact places an announce call."""

from __future__ import annotations

from homeassistant.components.notify import NotifyEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .compat import NotifyEntityFeature
from .const import ATTR_MESSAGE
from .contacts import Contact
from .coordinator import ClickToCallConfigEntry
from .entity import ClickToCallEntity, add_to_each_contact

# Messages go to the coordinator, which needs no limit of its own.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ClickToCallConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add an announce entity to each contact, where the provider can announce."""
    if not entry.runtime_data.client.announces:
        return
    add_to_each_contact(
        entry, async_add_entities, lambda contact: ContactAnnounceEntity(entry, contact)
    )


class ContactAnnounceEntity(ClickToCallEntity, NotifyEntity):
    """Calls its contact and speaks the message, asking for a digit to confirm.

    With the account's defaults (repeat, language, a machine hung up on); a
    title is spoken first.
    """

    _attr_supported_features = NotifyEntityFeature.TITLE

    def __init__(self, entry: ClickToCallConfigEntry, contact: Contact) -> None:
        """Announce to this contact through the account's coordinator."""
        super().__init__(entry, "announce", contact)
        self._coordinator = entry.runtime_data
        self._contact = contact

    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Place the announce call; a refusal is raised where it was sent."""
        spoken = f"{title}. {message}" if title else message
        await self._coordinator.async_announce({ATTR_MESSAGE: spoken}, self._contact)
