"""Provider clients, by provider id."""

from __future__ import annotations

from typing import Final

from .ameyo import AmeyoClient
from .base import ProviderClient
from .spokn import SpoknClient
from .telecmi import TelecmiClient
from .telspiel import TelspielClient
from .voice_panel import VoicePanelClient

PROVIDERS: Final[dict[str, type[ProviderClient]]] = {
    client.provider: client
    for client in (
        TelspielClient,
        TelecmiClient,
        AmeyoClient,
        VoicePanelClient,
        SpoknClient,
    )
}
