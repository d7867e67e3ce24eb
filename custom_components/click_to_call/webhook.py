"""The accounts' webhooks: registered once per account, answering through reloads.

Each report is routed by the account's webhook id: to the loaded account's
coordinator, which checks and applies it, or, while the account is not
loaded (setting up again, waiting for its provider, or starting), into the
inbox, from which the account takes it once loaded.
"""

from __future__ import annotations

from typing import Any, Final

from aiohttp.web import Request, Response
from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from multidict import CIMultiDict

from .const import CONF_PROVIDER, CONF_WEBHOOK_ID, DOMAIN, LOGGER
from .providers import client_class
from .providers.client import ProviderClient
from .providers.http import read_bounded
from .providers.models import Callback
from .runtime import async_runtime
from .urls import has_callback_key

# A status report is a few hundred bytes.
MAX_CALLBACK_BYTES: Final = 16 * 1024


@callback
def async_register_webhook(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Register an account's webhook, unless it is; it stays until the entry goes.

    The provider's module must be imported already (`client_class`).
    """
    runtime = async_runtime(hass)
    webhook_id: str = entry.data[CONF_WEBHOOK_ID]
    if webhook_id in runtime.webhooks:
        return
    entry_id, title = entry.entry_id, entry.title
    client = client_class(entry.data[CONF_PROVIDER])

    async def handle(
        hass: HomeAssistant, webhook_id: str, request: Request
    ) -> Response | None:
        """Route a report to its loaded account, or hold it; always answer."""
        # Read at most the bound, whatever Content-Length says (or chunked).
        body = await read_bounded(request.content, MAX_CALLBACK_BYTES)
        if body is None:
            LOGGER.debug(
                "Ignored a report to %s: body over %s bytes", title, MAX_CALLBACK_BYTES
            )
            return _reply(client.callback_reply)
        report = Callback(
            method=request.method,
            url="",
            query_string=request.rel_url.raw_query_string,
            headers=request.headers,
            body=body,
        )
        # Looked up now, after the body: the account may have reloaded since.
        if (coordinator := runtime.loaded.get(entry_id)) is None:
            _async_hold(hass, entry_id, client, report)
            return _reply(client.callback_reply)
        return _reply(coordinator.async_receive(report))

    webhook.async_register(
        hass,
        DOMAIN,
        title,
        webhook_id,
        handle,
        allowed_methods=list(client.callback_methods),
    )
    runtime.webhooks.add(webhook_id)


@callback
def async_unregister_webhook(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Remove a removed account's webhook and what it held."""
    runtime = async_runtime(hass)
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    runtime.webhooks.discard(webhook_id)
    webhook.async_unregister(hass, webhook_id)
    runtime.inbox.async_take(entry.entry_id)


@callback
def _async_hold(
    hass: HomeAssistant,
    entry_id: str,
    client: type[ProviderClient[Any]],
    report: Callback,
) -> None:
    """Keep a report for an account that is not loaded.

    A key in the URL is checked now (a wrong one is not worth keeping); a
    signature, once the account is loaded and knows its calls.
    """
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None:
        return
    if client.callback_key and not has_callback_key(report.query, entry.data):
        LOGGER.debug("Ignored a report to %s: no or wrong key", entry.title)
        return
    kept = CIMultiDict(
        (name, report.headers[name])
        for name in client.callback_headers
        if name in report.headers
    )
    held = Callback(report.method, "", report.query_string, kept, report.body)
    if async_runtime(hass).inbox.async_hold(entry_id, held):
        LOGGER.debug("Held a report to %s until it is loaded", entry.title)
    else:
        LOGGER.warning(
            "%s is not loaded and holds as many reports as it can; "
            "one more was dropped",
            entry.title,
        )


def _reply(answer: tuple[str, str] | None) -> Response | None:
    """Answer what the provider expects (Twilio: TwiML); else Home Assistant's 200."""
    if answer is None:
        return None
    body, content_type = answer
    return Response(text=body, content_type=content_type)
