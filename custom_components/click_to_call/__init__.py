"""Click to Call: place phone calls through HTTP click-to-call providers."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .const import CONF_PROVIDER, DOMAIN
from .coordinator import CallCoordinator, ClickToCallConfigEntry, async_client_class
from .inbox import Inbox
from .phone import load_region
from .runtime import DATA, Runtime
from .services import async_setup_services
from .storage import CallStore
from .voice import async_get_voice
from .webhook import async_register_webhook, async_unregister_webhook

PLATFORMS = [Platform.BUTTON, Platform.EVENT, Platform.NOTIFY, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions and every account's webhook, loaded or not."""
    inbox = Inbox(hass)
    await inbox.async_load()
    hass.data[DATA] = Runtime(inbox)
    async_setup_services(hass)
    # The home country's number rules, read off the event loop.
    await hass.async_add_executor_job(load_region, hass.config.country)
    # Reports that come while an account starts are held until it is loaded.
    for entry in hass.config_entries.async_entries(DOMAIN):
        await async_client_class(hass, entry.data[CONF_PROVIDER])
        async_register_webhook(hass, entry)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ClickToCallConfigEntry) -> bool:
    """Set up one provider account."""
    coordinator = await CallCoordinator.async_create(hass, entry)
    # A new account's webhook (the others answer since async_setup).
    async_register_webhook(hass, entry)
    await coordinator.async_check_account()
    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    coordinator.async_resume()
    coordinator.issues.async_start()
    voice = async_get_voice(hass)
    await voice.async_account_loaded(entry)
    entry.async_on_unload(lambda: voice.async_account_unloaded(entry))
    # Contacts added, changed or removed, and new options: set up again.
    entry.async_on_unload(entry.add_update_listener(_async_reload))
    return True


async def _async_reload(hass: HomeAssistant, entry: ClickToCallConfigEntry) -> None:
    """Set up again for new contacts or options: the provider is not asked again."""
    hass.data[DATA].unchecked_reloads.add(entry.entry_id)
    await hass.config_entries.async_reload(entry.entry_id)


async def async_unload_entry(
    hass: HomeAssistant, entry: ClickToCallConfigEntry
) -> bool:
    """Unload an entry, writing its calls so a reload finds them.

    From here its reports are held until it is loaded again.
    """
    entry.runtime_data.async_stop_receiving()
    if unloaded := await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        await entry.runtime_data.async_shutdown()
    else:
        entry.runtime_data.async_resume_receiving()
    return unloaded


async def async_remove_entry(
    hass: HomeAssistant, entry: ClickToCallConfigEntry
) -> None:
    """Delete the entry's stored calls, its webhook and what it held."""
    async_unregister_webhook(hass, entry)
    await CallStore(hass, entry.entry_id).async_remove()
