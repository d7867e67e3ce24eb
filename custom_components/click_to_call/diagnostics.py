"""Diagnostics: settings and recent calls, with secrets and numbers hidden."""

from __future__ import annotations

import re
from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.core import HomeAssistant

from .const import CONF_CALLBACK_KEY, CONF_WEBHOOK_ID
from .coordinator import ClickToCallConfigEntry
from .phone import mask_number
from .providers.client import ProviderClient
from .providers.settings import Kind
from .urls import async_webhook_url

# A phone number as people write it: digits with spaces, dashes, dots or
# brackets between them; five digits or more are masked.
_NUMBER = re.compile(r"\+?\d(?:[\s\-.()]*\d){4,}")


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ClickToCallConfigEntry
) -> dict[str, Any]:
    """Return what helps to understand a problem, and nothing private."""
    coordinator = entry.runtime_data
    return {
        "provider": coordinator.client.provider,
        "data": async_redact_data(
            dict(entry.data), to_redact(type(coordinator.client))
        ),
        "options": dict(entry.options),
        "webhook_url": async_webhook_url(hass, REDACTED),
        "calls": [
            {
                "call_id": call.call_id,
                "status": call.status.value,
                "to": mask_number(call.to),
                "from": mask_number(call.from_),
                "reference": None if call.reference is None else REDACTED,
                "provider_call_id": call.provider_call_id,
                "duration": call.duration,
                "error": None if call.error is None else mask_digits(call.error),
                "created": call.created,
                "kind": call.kind,
                "answered_by": call.answered_by,
                "digits": call.digits,
                "attributes": call.attributes,
            }
            for call in coordinator.tracker
        ],
    }


def to_redact(client_class: type[ProviderClient[Any]]) -> set[str]:
    """Return the settings diagnostics hide.

    Secrets open accounts; account names, phone numbers and a server's
    address identify people. The webhook id is the webhook's only credential,
    and diagnostics are posted in public bug reports.
    """
    return {CONF_WEBHOOK_ID, CONF_CALLBACK_KEY} | {
        setting.key
        for setting in client_class.config_class.settings()
        if setting.kind in (Kind.SECRET, Kind.PHONE, Kind.URL) or setting.required
    }


def mask_digits(text: str) -> str:
    """Hide anything long enough to be a phone number, but its last two digits."""
    return _NUMBER.sub(
        lambda match: mask_number(re.sub(r"\D", "", match.group())) or "", text
    )
