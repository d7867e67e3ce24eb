"""Click to Call: place phone calls through HTTP click-to-call providers."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .const import CONF_WEBHOOK_ID, DOMAIN
from .coordinator import CallCoordinator, ClickToCallConfigEntry
from .phone import load_region
from .services import async_setup_services
from .storage import CallStore
from .voice import async_get_voice
from .webhook import async_register_webhook

PLATFORMS = [Platform.BUTTON, Platform.EVENT, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the dial action, whether or not any entry is loaded."""
    async_setup_services(hass)
    # The home country's number rules, read off the event loop.
    await hass.async_add_executor_job(load_region, hass.config.country)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ClickToCallConfigEntry) -> bool:
    """Set up one provider account."""
    coordinator = await CallCoordinator.async_create(hass, entry)
    await coordinator.async_check_account()
    entry.runtime_data = coordinator
    async_register_webhook(hass, coordinator, entry.data[CONF_WEBHOOK_ID])
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    coordinator.async_resume()
    coordinator.issues.async_start()
    voice = async_get_voice(hass)
    await voice.async_account_loaded()
    entry.async_on_unload(voice.async_account_unloaded)
    # Contacts added, changed or removed, and new options: set up again.
    entry.async_on_unload(entry.add_update_listener(_async_reload))
    return True


async def _async_reload(hass: HomeAssistant, entry: ClickToCallConfigEntry) -> None:
    await hass.config_entries.async_reload(entry.entry_id)


async def async_unload_entry(
    hass: HomeAssistant, entry: ClickToCallConfigEntry
) -> bool:
    """Unload an entry, writing its calls so a reload finds them."""
    if unloaded := await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        await entry.runtime_data.async_shutdown()
    return unloaded


async def async_remove_entry(
    hass: HomeAssistant, entry: ClickToCallConfigEntry
) -> None:
    """Delete the entry's stored calls."""
    await CallStore(hass, entry.entry_id).async_remove()
