"""Where providers reach Home Assistant: the webhook's address."""

from __future__ import annotations

from homeassistant.components import webhook
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.network import NoURLAvailableError, get_url


@callback
def async_webhook_url(hass: HomeAssistant, webhook_id: str) -> str:
    """Return the webhook's full URL, or its path where HA has no URL yet.

    One the internet can reach where there is one (with Home Assistant Cloud's
    remote access too), since that is where providers post.
    """
    path = webhook.async_generate_path(webhook_id)
    if (base := internet_url(hass)) is not None:
        return f"{base}{path}"
    try:
        return webhook.async_generate_url(hass, webhook_id)
    except NoURLAvailableError:
        return path


@callback
def internet_url(hass: HomeAssistant) -> str | None:
    """Return Home Assistant's URL on the internet (external or cloud), if any."""
    try:
        return get_url(hass, allow_internal=False, allow_cloud=True)
    except NoURLAvailableError:
        return None
