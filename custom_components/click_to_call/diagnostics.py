"""Diagnostics: settings and recent calls, with secrets and numbers hidden."""

from __future__ import annotations

import re
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .const import CONF_WEBHOOK_ID
from .numbers import mask_number
from .runtime import ClickToCallConfigEntry
from .settings import PROVIDER_SETTINGS, SECRET_KEYS
from .webhook import async_webhook_url

# Account names and phone numbers identify people; secrets open accounts.
# The webhook URL stays: DESIGN.md has diagnostics show it.
TO_REDACT = SECRET_KEYS | {
    setting.key
    for settings in PROVIDER_SETTINGS.values()
    for setting in settings
    if setting.phone or (not setting.secret and setting.required)
}
# A phone number as people write it: digits with spaces, dashes, dots or
# brackets between them; five digits or more are masked.
_NUMBER = re.compile(r"\+?\d(?:[\s\-.()]*\d){4,}")


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ClickToCallConfigEntry
) -> dict[str, Any]:
    """Return what helps to understand a problem, and nothing private."""
    return {
        "provider": entry.runtime_data.client.provider,
        "data": async_redact_data(dict(entry.data), TO_REDACT),
        "options": dict(entry.options),
        "webhook_url": async_webhook_url(hass, entry.data[CONF_WEBHOOK_ID]),
        "calls": [
            {
                "call_id": call.call_id,
                "status": call.status.value,
                "to": mask_number(call.to),
                "from": mask_number(call.from_),
                "reference": None if call.reference is None else "**REDACTED**",
                "provider_call_id": call.provider_call_id,
                "duration": call.duration,
                "error": None if call.error is None else mask_digits(call.error),
                "placed": call.placed,
                "created": call.created,
                "attributes": call.attributes,
            }
            for call in entry.runtime_data.tracker
        ],
    }


def mask_digits(text: str) -> str:
    """Hide anything long enough to be a phone number, but its last two digits."""
    return _NUMBER.sub(
        lambda match: mask_number(re.sub(r"\D", "", match.group())) or "", text
    )
