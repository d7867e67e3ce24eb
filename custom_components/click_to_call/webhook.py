"""The entry's webhook: provider callbacks and the generic JSON format."""

from __future__ import annotations

from aiohttp.web import Request, Response
from homeassistant.components import webhook
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.network import NoURLAvailableError

from .const import CONF_WEBHOOK_ID, DOMAIN, LOGGER
from .providers.base import CallbackError, read_bounded
from .runtime import ClickToCallConfigEntry

# A status report is a few hundred bytes.
MAX_CALLBACK_BYTES = 16 * 1024


@callback
def async_register_webhook(hass: HomeAssistant, entry: ClickToCallConfigEntry) -> None:
    """Register the entry's webhook for as long as the entry is loaded."""
    webhook_id = entry.data[CONF_WEBHOOK_ID]

    async def handle(
        hass: HomeAssistant, webhook_id: str, request: Request
    ) -> Response | None:
        """Apply a callback; anything unusable is ignored (HA answers 200)."""
        # Read at most the bound, whatever Content-Length says (or chunked).
        body = await read_bounded(request.content, MAX_CALLBACK_BYTES)
        if body is None:
            LOGGER.debug("Ignored a callback for %s: body too large", entry.title)
            return None
        runtime = entry.runtime_data
        try:
            update = runtime.client.parse_callback(request.content_type, body)
        except CallbackError as err:
            LOGGER.debug("Ignored a callback for %s: %s", entry.title, err)
            return None
        if runtime.tracker.async_apply(update) is None:
            LOGGER.debug(
                "Callback for %s changed nothing (unknown call or not newer)",
                entry.title,
            )
        return None

    webhook.async_register(
        hass, DOMAIN, entry.title, webhook_id, handle, allowed_methods=["POST"]
    )
    entry.async_on_unload(lambda: webhook.async_unregister(hass, webhook_id))


@callback
def async_webhook_url(hass: HomeAssistant, webhook_id: str) -> str:
    """Return the webhook's full URL, or its path where HA has no URL yet."""
    try:
        return webhook.async_generate_url(hass, webhook_id)
    except NoURLAvailableError:
        return webhook.async_generate_path(webhook_id)
