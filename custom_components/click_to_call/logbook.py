"""The logbook: one readable line per status change of a call.

"Mom: call completed, 2 min 3 s, via TeleCMI". The status sensors and the
call event entity say the same in their own lines; the README shows how to
keep those out of the logbook (Home Assistant lets only the user exclude
entities from it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ENTITY_ID,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er

from .const import DOMAIN, EVENT_CALL_UPDATED
from .words import spoken_duration

# What each status says after "call" (or "announcement").
_SAID: Final = {
    "unconfirmed": "may have been placed: the provider's answer was lost",
    "initiated": "placed",
    "connected": "answered",
    "completed": "completed",
    "busy": "busy",
    "no_answer": "not answered",
    "cancelled": "cancelled",
    "rejected": "refused",
    "failed": "failed",
    "acknowledged": "acknowledged: 1 was pressed",
    "voicemail": "answered by a voicemail",
}


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, Any]]], None],
) -> None:
    """Describe `click_to_call_call_updated` in the logbook."""

    @callback
    def describe(event: Event) -> dict[str, Any]:
        return describe_call(hass, event.data)

    async_describe_event(DOMAIN, EVENT_CALL_UPDATED, describe)


def describe_call(hass: HomeAssistant, data: Mapping[str, Any]) -> dict[str, Any]:
    """Return the logbook line of a call's status change."""
    status = str(data.get("status"))
    what = "announcement" if data.get("kind") == "announce" else "call"
    parts = [f"{what} {_SAID.get(status, status)}"]
    if isinstance(duration := data.get("duration"), int) and duration > 0:
        parts.append(spoken_duration(duration))
    if status in ("failed", "rejected") and data.get("error"):
        parts.append(str(data["error"]))
    parts.append(f"via {_provider(hass, data)}")
    return {
        LOGBOOK_ENTRY_NAME: data.get("contact") or data.get("to") or "Click to Call",
        LOGBOOK_ENTRY_MESSAGE: ", ".join(parts),
        # Shown with this entity; the event's device_id puts the line on the
        # device page too.
        LOGBOOK_ENTRY_ENTITY_ID: _shown_on(hass, data),
    }


def _shown_on(hass: HomeAssistant, data: Mapping[str, Any]) -> str | None:
    """Return the entity a call's line belongs to.

    Its contact's status sensor, else the account's call event entity.
    """
    entry_id = str(data.get("entry_id"))
    registry = er.async_get(hass)
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is not None and data.get("contact"):
        for subentry_id, subentry in entry.subentries.items():
            if subentry.title == data["contact"] and (
                entity_id := registry.async_get_entity_id(
                    "sensor", DOMAIN, f"{entry_id}_{subentry_id}_last_call_status"
                )
            ):
                return entity_id
    return registry.async_get_entity_id("event", DOMAIN, f"{entry_id}_call")


def _provider(hass: HomeAssistant, data: Mapping[str, Any]) -> str:
    """Return the provider's name, as the account's client knows it."""
    entry = hass.config_entries.async_get_entry(str(data.get("entry_id")))
    if entry is not None and entry.domain == DOMAIN and hasattr(entry, "runtime_data"):
        return str(entry.runtime_data.client.title)
    return str(data.get("provider"))
