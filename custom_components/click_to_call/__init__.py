"""Click to Call: place phone calls through HTTP click-to-call providers."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .calls import CallTracker
from .const import CONF_PROVIDER, CONF_VERIFY_SSL, DOMAIN
from .followup import async_resume
from .guard import CallGuard
from .numbers import load_region
from .providers import PROVIDERS
from .runtime import ClickToCallConfigEntry, ClickToCallData
from .services import async_setup_services
from .webhook import async_register_webhook

PLATFORMS = [Platform.EVENT, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the dial action, whether or not any entry is loaded."""
    async_setup_services(hass)
    # The home country's number rules, read off the event loop.
    await hass.async_add_executor_job(load_region, hass.config.country)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ClickToCallConfigEntry) -> bool:
    """Set up one provider account."""
    client = PROVIDERS[entry.data[CONF_PROVIDER]](
        async_get_clientsession(hass, verify_ssl=entry.data.get(CONF_VERIFY_SSL, True)),
        entry.data,
    )
    tracker = CallTracker(hass, entry.entry_id)
    await tracker.async_load()
    guard = CallGuard((call.created, call.to) for call in tracker if call.placed)
    entry.runtime_data = ClickToCallData(client, tracker, guard)
    async_register_webhook(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    async_resume(hass, entry)
    return True


async def async_unload_entry(
    hass: HomeAssistant, entry: ClickToCallConfigEntry
) -> bool:
    """Unload an entry, writing its calls so a reload finds them."""
    if unloaded := await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        await entry.runtime_data.tracker.async_close()
    return unloaded


async def async_remove_entry(
    hass: HomeAssistant, entry: ClickToCallConfigEntry
) -> None:
    """Delete the entry's stored calls."""
    await CallTracker(hass, entry.entry_id).async_remove()
