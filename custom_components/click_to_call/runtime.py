"""What a loaded entry keeps at run time."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

from .calls import CallTracker
from .guard import CallGuard
from .providers.base import ProviderClient


@dataclass(slots=True)
class ClickToCallData:
    """The entry's provider client, call tracker and call guard."""

    client: ProviderClient
    tracker: CallTracker
    guard: CallGuard


type ClickToCallConfigEntry = ConfigEntry[ClickToCallData]
