"""The entry's webhook: each provider's own callbacks and the generic JSON format.

The generic format, for platforms that let a user point a status webhook
anywhere: {"call_id" or "provider_call_id": text, "status": a call status,
"duration": seconds (optional), "error": text (optional)}.
"""

from __future__ import annotations

from collections.abc import Mapping
from hmac import compare_digest
import json
from typing import TYPE_CHECKING, Any, Final

from aiohttp.web import Request, Response
from homeassistant.components import webhook
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.network import NoURLAvailableError, get_url

from .const import CONF_CALLBACK_KEY, DOMAIN, LOGGER
from .providers.client import ProviderClient
from .providers.errors import CallbackError
from .providers.http import read_bounded
from .providers.models import Callback, CallStatus, CallUpdate
from .providers.text import safe_json

if TYPE_CHECKING:
    from .coordinator import CallCoordinator

# A status report is a few hundred bytes.
MAX_CALLBACK_BYTES: Final = 16 * 1024
MAX_CALLBACK_TEXT: Final = 256
MAX_CALLBACK_SECONDS: Final = 10**7


@callback
def async_register_webhook(
    hass: HomeAssistant, coordinator: CallCoordinator, webhook_id: str
) -> None:
    """Register the entry's webhook for as long as the entry is loaded."""
    title = coordinator.entry.title
    client = coordinator.client
    key = coordinator.entry.data.get(CONF_CALLBACK_KEY)

    async def handle(
        hass: HomeAssistant, webhook_id: str, request: Request
    ) -> Response | None:
        """Apply a callback; anything unusable is ignored.

        The coordinator is the one this webhook was registered for, not the
        entry's current one: a body still arriving when the entry unloads
        finds a closed tracker, which takes no change.
        """
        # Read at most the bound, whatever Content-Length says (or chunked).
        body = await read_bounded(request.content, MAX_CALLBACK_BYTES)
        if body is None:
            LOGGER.debug("Ignored a callback for %s: body too large", title)
            return _reply(client)
        if client.callback_key and not _has_key(request.query.get("key"), key):
            LOGGER.debug("Ignored a callback for %s: no or wrong key", title)
            return _reply(client)
        callback = Callback(
            method=request.method,
            url=coordinator.webhook_url,
            query_string=request.rel_url.raw_query_string,
            headers=request.headers,
            body=body,
        )
        try:
            update = client.parse_callback(callback) or parse_generic_callback(body)
        except CallbackError as err:
            LOGGER.debug("Ignored a callback for %s: %s", title, err)
            return _reply(client)
        if coordinator.async_apply(update) is None:
            LOGGER.debug(
                "Callback for %s changed nothing (unknown call or not newer)", title
            )
        return _reply(client)

    webhook.async_register(
        hass,
        DOMAIN,
        title,
        webhook_id,
        handle,
        allowed_methods=list(client.callback_methods),
    )
    coordinator.entry.async_on_unload(
        lambda: webhook.async_unregister(hass, webhook_id)
    )


def _has_key(given: str | None, key: str | None) -> bool:
    """Compare the callback's key with the entry's, in constant time."""
    return given is not None and key is not None and compare_digest(given, key)


def _reply(client: ProviderClient[Any]) -> Response | None:
    """Answer what the provider expects (Twilio: TwiML); else Home Assistant's 200."""
    if client.callback_reply is None:
        return None
    body, content_type = client.callback_reply
    return Response(text=body, content_type=content_type)


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


def parse_generic_callback(body: bytes) -> CallUpdate:
    """Read the documented generic JSON callback; raise CallbackError if unusable."""
    try:
        data = json.loads(body)
        # Only a JSON escape can spell a lone surrogate (UTF-8 cannot).
        if b"\\u" in body:
            data = safe_json(data)
    except (ValueError, RecursionError) as err:
        raise CallbackError("body is not JSON") from err
    if not isinstance(data, dict):
        raise CallbackError("body is not a JSON object")
    call_id = _optional_text(data, "call_id")
    provider_call_id = _optional_text(data, "provider_call_id")
    if call_id is None and provider_call_id is None:
        raise CallbackError("neither call_id nor provider_call_id is given")
    status = data.get("status")
    if not isinstance(status, str) or status not in CallStatus.__members__.values():
        raise CallbackError(f"unknown status {status!r}")
    duration = data.get("duration")
    if duration is not None and (
        isinstance(duration, bool)
        or not isinstance(duration, int | float)
        or not 0 <= duration < MAX_CALLBACK_SECONDS
    ):
        raise CallbackError("duration is not a number of seconds")
    return CallUpdate(
        status=CallStatus(status),
        call_id=call_id,
        provider_call_id=provider_call_id,
        duration=None if duration is None else round(duration),
        error=_optional_text(data, "error"),
    )


def _optional_text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value or len(value) > MAX_CALLBACK_TEXT:
        raise CallbackError(f"{key} is not a short text")
    return value
