"""Provider clients, by provider id: the registry."""

from __future__ import annotations

from typing import Any, Final

from .ameyo import AmeyoClient
from .client import ProviderClient
from .spokn import SpoknClient
from .telecmi import TelecmiClient
from .telspiel import TelspielClient
from .voice_panel import VoicePanelClient

PROVIDERS: Final[dict[str, type[ProviderClient[Any]]]] = {
    client.provider: client
    for client in (
        TelspielClient,
        TelecmiClient,
        AmeyoClient,
        VoicePanelClient,
        SpoknClient,
    )
}
