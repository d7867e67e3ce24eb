"""Where providers reach Home Assistant: the webhook's address, and its key."""

from __future__ import annotations

from collections.abc import Mapping
from hmac import compare_digest
from typing import Any
from urllib.parse import urlencode

from homeassistant.components import webhook
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.network import NoURLAvailableError, get_url

from .const import CONF_CALLBACK_KEY
from .providers.client import ProviderClient
from .providers.models import Outcome


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


def callback_url(
    client: ProviderClient[Any], webhook_url: str, data: Mapping[str, Any]
) -> str | None:
    """Return the webhook's full URL for a provider told where to report.

    With the entry's key in the query for providers that do not sign their
    reports; None while Home Assistant has no URL a provider could reach.
    """
    if client.outcome is not Outcome.WEBHOOK:
        return None
    if not webhook_url.startswith(("http://", "https://")):
        return None
    if client.callback_key:
        key = data.get(CONF_CALLBACK_KEY, "")
        return f"{webhook_url}?{urlencode({'key': key})}"
    return webhook_url


def has_callback_key(query: Mapping[str, str], data: Mapping[str, Any]) -> bool:
    """Compare a report's key with the entry's, in constant time.

    As bytes: compare_digest refuses text that is not ASCII (and a URL can
    hold a lone surrogate).
    """
    given, key = query.get("key"), data.get(CONF_CALLBACK_KEY)
    return (
        given is not None
        and key is not None
        and compare_digest(
            given.encode("utf-8", "surrogatepass"),
            str(key).encode("utf-8", "surrogatepass"),
        )
    )
